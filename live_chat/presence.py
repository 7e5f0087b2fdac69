"""How many tabs each visitor has open, and whether they are idle, across every gateway process.

A waiting visitor is abandoned only when no tab of theirs is open anywhere:
with several processes, the sockets of one process say nothing about another's.
The same counts give the visitor's presence agents see (:meth:`state`):
``left`` with no tab open, ``idle`` when the latest report of any of their
tabs said so (the widget reports after a while without input or focus),
``online`` otherwise.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Literal

from redis.asyncio import Redis

from live_chat.hosts import Hosts

VisitorState = Literal["online", "idle", "left"]

# A count left behind by a process that died keeps the visitor "present" at
# most this long, so such a visitor is at worst never abandoned.
_REDIS_TTL_S = 24 * 3600


class LocalPresence:
    """Tab counts of one process (the embedded, single-process deployment)."""

    def __init__(self) -> None:
        self._tabs: Counter[str] = Counter()
        self._left: dict[str, float] = {}
        self._idle: set[str] = set()

    async def opened(self, visitor_id: str, sid: str) -> None:
        self._tabs[visitor_id] += 1
        self._left.pop(visitor_id, None)
        self._idle.discard(visitor_id)  # a tab just opened: they are here

    async def closed(self, visitor_id: str, sid: str | None) -> int:
        """Count one tab closed; returns how many stay open."""
        self._tabs[visitor_id] -= 1
        left = self._tabs[visitor_id]
        if left <= 0:
            del self._tabs[visitor_id]
            self._idle.discard(visitor_id)
            self._left[visitor_id] = time.time()
        return max(left, 0)

    async def open_tabs(self, visitor_id: str) -> int:
        return self._tabs.get(visitor_id, 0)

    async def set_idle(self, visitor_id: str, idle: bool) -> bool:
        """Record a tab's report; True when it changes what agents see."""
        if idle == (visitor_id in self._idle):
            return False
        if idle:
            self._idle.add(visitor_id)
        else:
            self._idle.discard(visitor_id)
        return True

    async def state(self, visitor_id: str) -> VisitorState:
        if not self._tabs.get(visitor_id):
            return "left"
        return "idle" if visitor_id in self._idle else "online"

    async def left_at(self, visitor_id: str) -> float | None:
        """When the visitor's last tab closed (epoch seconds), if this process saw it."""
        return self._left.get(visitor_id)

    async def forget(self, visitor_id: str) -> None:
        self._left.pop(visitor_id, None)


class RedisPresence:
    """Tab counts shared by every process through Redis (``prefix`` namespaces the keys)."""

    def __init__(self, redis: Redis, prefix: str, hosts: Hosts) -> None:
        self._redis = redis
        self._prefix = prefix
        # Each tab is also recorded under this process, so that if the process
        # dies its tabs are closed by the others (live_chat/hosts.py).
        self._hosts = hosts

    def _key(self, visitor_id: str) -> str:
        return f"{self._prefix}tabs:{visitor_id}"

    def _left_key(self, visitor_id: str) -> str:
        return f"{self._prefix}left:{visitor_id}"

    def _idle_key(self, visitor_id: str) -> str:
        return f"{self._prefix}idle:{visitor_id}"

    async def opened(self, visitor_id: str, sid: str) -> None:
        await self._count_open(visitor_id)
        await self._hosts.tab_opened(visitor_id, sid)

    async def rejoined(self, visitor_id: str, sid: str) -> None:
        """Count a tab again after Redis lost it; not if it is still counted (the
        process was only cut off from Redis for a while)."""
        if await self._hosts.tab_opened(visitor_id, sid):
            await self._count_open(visitor_id)

    async def _count_open(self, visitor_id: str) -> None:
        key = self._key(visitor_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.incr(key).expire(key, _REDIS_TTL_S).delete(
                self._left_key(visitor_id), self._idle_key(visitor_id)).execute()

    async def closed(self, visitor_id: str, sid: str | None) -> int:
        """Count one tab closed (``sid`` None: one a dead process left); how many stay open."""
        if sid is not None:
            await self._hosts.tab_closed(visitor_id, sid)
        left = int(await self._redis.decr(self._key(visitor_id)))
        if left <= 0:
            await self._redis.delete(self._key(visitor_id), self._idle_key(visitor_id))
            await self._redis.set(self._left_key(visitor_id), time.time(), ex=_REDIS_TTL_S)
        return max(left, 0)

    async def open_tabs(self, visitor_id: str) -> int:
        return max(int(await self._redis.get(self._key(visitor_id)) or 0), 0)

    async def set_idle(self, visitor_id: str, idle: bool) -> bool:
        """Record a tab's report; True when it changes what agents see."""
        key = self._idle_key(visitor_id)
        if idle:
            return bool(await self._redis.set(key, "1", nx=True, ex=_REDIS_TTL_S))
        return bool(await self._redis.delete(key))

    async def state(self, visitor_id: str) -> VisitorState:
        async with self._redis.pipeline(transaction=False) as pipe:
            tabs, idle = await pipe.get(self._key(visitor_id)).exists(
                self._idle_key(visitor_id)).execute()
        if int(tabs or 0) <= 0:
            return "left"
        return "idle" if idle else "online"

    async def left_at(self, visitor_id: str) -> float | None:
        """When the visitor's last tab closed (epoch seconds), as any process saw it."""
        raw = await self._redis.get(self._left_key(visitor_id))
        return float(raw) if raw is not None else None

    async def forget(self, visitor_id: str) -> None:
        await self._redis.delete(self._left_key(visitor_id))
