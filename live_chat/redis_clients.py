"""The process's Redis clients: ours (routing, presence) and the Socket.IO manager's.

redis-py's default pool raises ``MaxConnectionsError`` as soon as a burst
wants more than 100 connections at once (200 visitors leaving together did,
and 200 emits in one moment did), and each new connection costs a read of
package metadata. Both clients here use a blocking pool of
``max_connections`` instead: a burst waits for a free connection (up to 10 s)
and the connections are made once.
"""

from __future__ import annotations

import socketio
from redis.asyncio import BlockingConnectionPool, Redis

_WAIT_FOR_CONNECTION_S = 10


def redis_client(url: str, max_connections: int) -> Redis:
    """A client for ``url`` whose pool waits rather than fails when all are busy."""
    return Redis(connection_pool=BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=_WAIT_FOR_CONNECTION_S))


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
