"""This process among the others in Redis (``live_chat.hosts.Hosts``), on this machine's Redis.

The whole path (two gateways, Redis restarting empty) is
tests/integration/test_redis_loss.py; this pins what one heartbeat does when
Redis has forgotten the process, with the keys under a prefix of its own.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from live_chat.hosts import Hosts


async def nothing(*_: object) -> None:
    return None


async def test_a_rejoin_that_failed_is_tried_again_at_the_next_heartbeat(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    prefix = f"test-hosts-{uuid.uuid4().hex}:"
    hosts = Hosts(redis, prefix, ttl_s=30)
    calls: list[str] = []

    async def rejoin() -> None:
        calls.append("rejoin")
        if len(calls) == 1:
            raise ConnectionError("Redis went away again mid-rejoin")

    try:
        await hosts.tick(nothing, nothing, rejoin)
        assert calls == []  # the first heartbeat is a start, not a loss
        await redis.delete(f"{prefix}host:{hosts.id}")  # Redis forgot this process
        try:
            await hosts.tick(nothing, nothing, rejoin)
        except ConnectionError:
            pass  # background.every logs it and ticks again
        assert calls == ["rejoin"]
        # The liveness key is back, but the sockets are not registered again:
        # the next heartbeat must finish the rejoin, and only that one.
        await hosts.tick(nothing, nothing, rejoin)
        await hosts.tick(nothing, nothing, rejoin)
        assert calls == ["rejoin", "rejoin"]
    finally:
        await redis.delete(f"{prefix}host:{hosts.id}")
        await redis.aclose()
