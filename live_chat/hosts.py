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
sets are claimed by a script that checks its liveness key and renames the set
in one step, so when several processes reap at once each leftover is closed
exactly once, and a process that comes back in time is never reaped. A claim
whose reaper dies in turn is claimed again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

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
        self._rejoin_owed = False
        # Atomically: if the owner's liveness key (KEYS[1]) is gone, move its set
        # (KEYS[2]) to this process's claim (KEYS[3]). 1 when claimed.
        self._claim = redis.register_script("""
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
redis.call('RENAME', KEYS[2], KEYS[3])
return 1
""")
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

    async def tab_opened(self, visitor_id: str, sid: str) -> bool:
        """Record a tab under this process; False when it already was."""
        return bool(await self._redis.sadd(self._key(self.id, "tabs"), f"{visitor_id} {sid}"))

    async def tab_closed(self, visitor_id: str, sid: str) -> None:
        await self._redis.srem(self._key(self.id, "tabs"), f"{visitor_id} {sid}")

    async def tick(self, agent_gone: AgentGone, tab_gone: TabGone, rejoin: Rejoin) -> None:
        """Say this process is alive, then close what dead processes left.

        If this process's own liveness key was gone, Redis lost what it knew
        (restarted empty, failed over, flushed), or this process stalled past
        ``ttl_s`` and the others closed its leftovers: ``rejoin`` registers
        again what is not registered (see :meth:`tab_opened`).
        """
        was = await self._redis.set(self._key(self.id), "1", px=int(self.ttl_s * 1000), get=True)
        if was is None and self._joined:
            log.warning("Redis had forgotten this process; registering its sockets again")
            self._rejoin_owed = True
        self._joined = True
        if self._rejoin_owed:
            # The liveness key is back already: a rejoin that fails (Redis
            # still warming up) must be owed until one succeeds, or this
            # process's sockets would stay unregistered and never resync.
            await rejoin()
            self._rejoin_owed = False
        async for raw in self._redis.scan_iter(match=self._key("*", "*"), count=500):
            key = raw.decode() if isinstance(raw, bytes) else raw
            # P host:<id>:<kind>, or P host:<id>:<kind>:reaping:<reaper> while claimed.
            host_id, _, rest = key[len(self._key("")):].partition(":")
            kind, _, reaper = rest.partition(":reaping:")
            owner = reaper or host_id
            if kind not in ("agents", "tabs") or owner == self.id:
                continue
            claimed = f"{self._key(host_id, kind)}:reaping:{self.id}"
            if not await self._claim(keys=[self._key(owner), key, claimed]):
                continue  # its owner is alive, or another process claimed it first
            for member in await self._redis.smembers(claimed):
                text = member.decode() if isinstance(member, bytes) else member
                who, _, connection = text.partition(" ")
                try:
                    if kind == "agents":
                        await agent_gone(who, connection)
                    else:
                        await tab_gone(who)
                except Exception:
                    log.exception("could not close %s %s left by process %s",
                                  kind, who, host_id)
                # Closed: if this process dies now, the next reaper takes the rest.
                await self._redis.srem(claimed, member)

    async def all_listening(self, channel: str, *, timeout_s: float) -> bool:
        """Wait until every live process listens on ``channel`` again; False on timeout.

        After Redis restarts, each process's Socket.IO manager subscribes again
        only after its own back-off (1 s, 2 s, 4 s...): an emit published
        before then never reaches that process's clients. A live process is
        one whose liveness key exists; each listens with one subscription.
        """
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                alive = 0
                async for raw in self._redis.scan_iter(match=self._key("*"), count=500):
                    key = raw.decode() if isinstance(raw, bytes) else raw
                    alive += ":" not in key[len(self._key("")):]
                ((_, listening),) = await self._redis.pubsub_numsub(channel)
                if listening >= alive:
                    return True
            except (RedisError, OSError):
                pass  # a pooled connection from before the restart: ask again
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def leave(self) -> None:
        """At a clean stop, after the sockets closed: nothing is left to reap."""
        await self._redis.delete(self._key(self.id), self._key(self.id, "agents"),
                                 self._key(self.id, "tabs"))
