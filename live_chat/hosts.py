"""Which gateway processes are alive, and closing what a dead one leaves behind.

With several processes on Redis, each agent's connections (in the handoff
backend) and each visitor's open tabs (in :class:`~live_chat.presence.RedisPresence`)
are counted in Redis. A process that dies without closing its sockets
(SIGKILL, out of memory, a lost machine) never says that they closed: its
agents would keep their chats for good, with nobody answering, and its
waiting visitors would never count as gone.

So each process, every ``ttl_s / 3`` seconds (:meth:`Hosts.tick`):

- keeps its liveness key ``P host:<id>`` alive, expiring after ``ttl_s``
  (and registers its sockets again if the key was gone: Redis lost its state);
- looks for the records of processes whose liveness key has expired, and
  closes what they registered: each agent connection is disconnected (the
  grace period starts, then the chats go back to the queue and to the agents
  still here) and each visitor tab is closed (a waiting visitor who has no
  other tab is then abandoned after the usual wait).

What a process registered is kept beside its liveness key, in the sets
``P host:<id>:agents`` (``"<agent id> <connection id>"``) and
``P host:<id>:tabs`` (``"<visitor id> <socket id>"``). A dead process's
sets are claimed with an atomic ``RENAME``, so when several processes reap at
once each leftover is closed exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

AgentGone = Callable[[str, str], Awaitable[None]]
TabGone = Callable[[str], Awaitable[None]]
Rejoin = Callable[[], Awaitable[None]]


class Hosts:
    """This process among the others sharing ``redis`` under ``prefix``.

    ``ttl_s``: how long after its last heartbeat a silent process counts as
    dead (its leftovers are closed then, plus up to ``ttl_s / 3``).
    """

    def __init__(self, redis: Redis, prefix: str, *, ttl_s: float) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.ttl_s = ttl_s
        self._joined = False
        self._redis = redis
        self._prefix = prefix

    def connection_id(self, sid: str) -> str:
        """The id under which a socket of this process is registered in shared state."""
        return f"{self.id}:{sid}"

    def _key(self, host_id: str, kind: str = "") -> str:
        return f"{self._prefix}host:{host_id}" + (f":{kind}" if kind else "")

    async def agent_connected(self, agent_id: str, connection_id: str) -> None:
        await self._redis.sadd(self._key(self.id, "agents"), f"{agent_id} {connection_id}")

    async def agent_disconnected(self, agent_id: str, connection_id: str) -> None:
        await self._redis.srem(self._key(self.id, "agents"), f"{agent_id} {connection_id}")

    async def tab_opened(self, visitor_id: str, sid: str) -> None:
        await self._redis.sadd(self._key(self.id, "tabs"), f"{visitor_id} {sid}")

    async def tab_closed(self, visitor_id: str, sid: str) -> None:
        await self._redis.srem(self._key(self.id, "tabs"), f"{visitor_id} {sid}")

    async def tick(self, agent_gone: AgentGone, tab_gone: TabGone, rejoin: Rejoin) -> None:
        """Say this process is alive, then close what dead processes left.

        If this process's own liveness key was gone, Redis lost what it knew
        (restarted empty, failed over, flushed), or this process stalled past
        ``ttl_s`` and the others closed its leftovers: ``rejoin`` registers
        this process's sockets again.
        """
        was = await self._redis.set(self._key(self.id), "1", px=int(self.ttl_s * 1000), get=True)
        if was is None and self._joined:
            log.warning("Redis had forgotten this process; registering its sockets again")
            await rejoin()
        self._joined = True
        async for raw in self._redis.scan_iter(match=self._key("*", "*"), count=500):
            key = raw.decode() if isinstance(raw, bytes) else raw
            host_id, _, kind = key[len(self._key("")):].partition(":")
            if kind not in ("agents", "tabs") or host_id == self.id:
                continue
            if await self._redis.exists(self._key(host_id)):
                continue
            for member in await self._claim(key):
                owner, _, connection = member.partition(" ")
                try:
                    if kind == "agents":
                        await agent_gone(owner, connection)
                    else:
                        await tab_gone(owner)
                except Exception:
                    log.exception("could not close %s %s left by process %s",
                                  kind, owner, host_id)

    async def _claim(self, key: str) -> list[str]:
        """Take a dead process's set for this process alone; its members."""
        claimed = f"{key}:reaping:{self.id}"
        try:
            await self._redis.rename(key, claimed)
        except ResponseError:  # another process claimed it first
            return []
        members = await self._redis.smembers(claimed)
        await self._redis.delete(claimed)
        return [m.decode() if isinstance(m, bytes) else m for m in members]

    async def leave(self) -> None:
        """At a clean stop, after the sockets closed: nothing is left to reap."""
        await self._redis.delete(self._key(self.id), self._key(self.id, "agents"),
                                 self._key(self.id, "tabs"))
