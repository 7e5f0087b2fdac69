"""Redis restarting empty (or failing over, or flushed) strands no chat (live_chat/hosts.py).

Two processes on PostgreSQL and a Redis of this test's own (started on a free
port, never the shared one). Hanako, on process two, holds two chats whose
visitors are on process one; Taro, on process one, holds a third and has room
for more. Redis restarts empty; nobody reconnects. Each process must notice
and register its sockets again, and every chat must be held again by the
agent the record says holds it (not requeued, not handed to the agent with
room), so that the agents' next replies go through; every client is told to
`sync` what the outage may have dropped.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from live_chat.store.models import ConversationEvent
from tests.clients import AgentClient, VisitorClient
from tests.conftest import free_port, spawn_gateway, stop_gateway
from tests.integration.test_handoff_two_processes import PASSWORD, add_agent, deployment_env


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: the Redis loss test starts its own",
                    pytrace=False)
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                          check=False).stdout.strip() == b"PONG":
            return process
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"redis-server on port {port} did not start", pytrace=False)


@pytest.fixture
async def own_redis() -> AsyncIterator[tuple[str, Callable[[], None]]]:
    """A redis-server for this test alone, and a way to restart it empty."""
    port = free_port()
    process = [_start_redis(port)]

    def restart_empty() -> None:
        process[0].kill()
        process[0].wait()
        process[0] = _start_redis(port)

    yield f"redis://127.0.0.1:{port}/0", restart_empty
    process[0].kill()
    process[0].wait()


async def escalated(url: str) -> VisitorClient:
    visitor = await VisitorClient(url).connect()
    await visitor.send("I want to talk to a person", uuid.uuid4().hex)
    assert (await visitor.call("request_human", {}))["ok"]
    return visitor


async def test_redis_restarting_empty_strands_no_chat(
    tmp_path: Path, models_dir: Path, pg_url: str, own_redis: tuple[str, Callable[[], None]]
) -> None:
    redis_url, restart_empty = own_redis
    env = deployment_env(tmp_path, pg_url, redis_url, TSUNAGU_HOST_TTL="3")
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    clients: list[VisitorClient] = []
    redis = Redis.from_url(redis_url)
    try:
        hanako = await AgentClient.signed_in(
            two.url, await asyncio.to_thread(add_agent, env, "Hanako", 2), PASSWORD)
        clients.append(hanako)
        chats = {}
        for _ in range(2):
            visitor = await escalated(one.url)
            clients.append(visitor)
            chats[(await hanako.next("assigned"))["conversation"]["id"]] = visitor
        taro = await AgentClient.signed_in(
            one.url, await asyncio.to_thread(add_agent, env, "Taro", 4), PASSWORD)
        clients.append(taro)
        clients.append(await escalated(one.url))
        taros = (await taro.next("assigned"))["conversation"]["id"]
        expected = {**{cid: hanako.hello["agent"]["id"] for cid in chats},
                    taros: taro.hello["agent"]["id"]}

        await asyncio.to_thread(restart_empty)
        holder = env["TSUNAGU_HANDOFF_PREFIX"] + "holder"
        deadline = time.monotonic() + 15  # the bound; 0.5 s measured (1 s ticks)
        held: list[bytes | None] = []
        while time.monotonic() < deadline:
            try:
                held = await redis.hmget(holder, list(expected))
            except OSError:
                held = []
            if held and all(held):
                break
            await asyncio.sleep(0.5)
        assert held and all(held), (held, two.log()[-3000:])
        # Each by the agent who had it; nothing went back to the queue.
        assert dict(zip(expected, [h.decode() for h in held if h], strict=True)) == expected
        engine = create_async_engine(pg_url)
        async with AsyncSession(engine) as db:
            moves = (await db.scalars(select(ConversationEvent.type).where(
                ConversationEvent.conversation_id.in_(list(expected))))).all()
        await engine.dispose()
        assert "requeue" not in moves and "requeued" not in moves, moves

        # Every client was told to catch up on what the outage may have dropped.
        for client in clients:
            try:
                assert await client.next("resync") == {}
            except TimeoutError:
                pytest.fail(f"no resync for a client of {client.url}:\n--- one\n"
                            f"{one.log()[-3000:]}\n--- two\n{two.log()[-3000:]}")
        # Held again (by Hanako, the only agent): her reply goes through to the visitor.
        conversation_id, visitor = next(iter(chats.items()))
        reply = await hanako.call("message", {"conversation_id": conversation_id,
                                              "client_id": "after", "text": "Still here."})
        assert reply["ok"], reply
        seen = await visitor.next_where("message", lambda m: m["text"] == "Still here.")
        assert seen["sender"] == "agent"
    finally:
        await redis.aclose()
        for client in clients:
            await client.disconnect()
        for gateway in (one, two):
            await asyncio.to_thread(stop_gateway, gateway)
