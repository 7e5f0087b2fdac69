"""The process's Redis clients: ours (routing, presence) and the Socket.IO manager's.

redis-py's default pool raises ``MaxConnectionsError`` as soon as a burst
wants more than 100 connections at once (200 visitors leaving together did,
and 200 emits in one moment did), and each new connection costs a read of
package metadata. Both clients here use a blocking pool of
``max_connections`` instead: a burst waits for a free connection (up to 10 s)
and the connections are made once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import socketio
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline

_WAIT_FOR_CONNECTION_S = 10

Observe = Callable[[float], None]


def redis_client(url: str, max_connections: int, *, observe: Observe | None = None) -> Redis:
    """A client for ``url`` whose pool waits rather than fails when all are busy.

    ``observe`` is given the seconds of each command and each pipeline (the
    Prometheus latency histogram); None times nothing.
    """
    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections,
                                           timeout=_WAIT_FOR_CONNECTION_S)
    if observe is None:
        return Redis(connection_pool=pool)
    return TimedRedis(observe, connection_pool=pool)


class TimedRedis(Redis):
    """A client that reports the time of every command and pipeline to ``observe``."""

    def __init__(self, observe: Observe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._observe = observe

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_command(*args, **options)
        finally:
            self._observe(time.perf_counter() - started)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return _TimedPipeline(self._observe, self.connection_pool, self.response_callbacks,
                              transaction, shard_hint)


class _TimedPipeline(Pipeline):
    def __init__(self, observe: Observe, *args: Any) -> None:
        super().__init__(*args)
        self._observe = observe

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        started = time.perf_counter()
        try:
            return await super().execute(raise_on_error)
        finally:
            self._observe(time.perf_counter() - started)


class PooledRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, on :func:`redis_client`'s pool.

    Its ``redis_options`` go to ``Redis.from_url``, which cannot choose the
    pool class, so the connect step is replaced (python-socketio is pinned).
    """

    def __init__(self, url: str, *, channel: str, max_connections: int) -> None:
        super().__init__(url, channel=channel)
        self._max_connections = max_connections

    def _redis_connect(self) -> None:
        self.redis = redis_client(self.redis_url, self._max_connections)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True
