"""The in-process handoff backend: the default for a single gateway process.

State lives in this object and dies with the process. Not shared between
processes or threads: with several gateway processes use
:class:`handoff.redis_backend.RedisBackend`.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Iterable
from dataclasses import replace

from handoff import router
from handoff.backend import HandoffBackend
from handoff.errors import AgentUnavailable, NotAssigned, UnknownAgent
from handoff.values import (
    DEFAULT_AVG_HANDLE_SECONDS,
    DEFAULT_CAPACITY,
    DEFAULT_GRACE_SECONDS,
    AgentState,
    AgentStatus,
    Assignment,
    Changes,
    Clock,
    QueueEntry,
    check_capacity,
    check_id,
    check_priority,
    check_team,
    check_teams,
)


class _Op:
    """Collects what one call changes, and turns it into :class:`Changes`."""

    def __init__(self, before: dict[str, int], now: float) -> None:
        self.before = before
        self.now = now  # one clock reading per call, as the Redis scripts do
        self.assigned: list[Assignment] = []
        self.unassigned: list[Assignment] = []
        self.entered: list[str] = []


class MemoryBackend(HandoffBackend):
    """Handoff state in process memory.

    Construct with ``MemoryBackend(grace_seconds=60.0, avg_handle_seconds=300.0,
    clock=time.time)`` (all optional; see :class:`HandoffBackend`).

    Every public method runs under one :class:`asyncio.Lock`. The bodies do not
    await today, so they are already atomic on the event loop; the lock keeps
    them so if one ever does, and makes the contract (one call at a time) explicit.
    """

    def __init__(
        self,
        *,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        avg_handle_seconds: float = DEFAULT_AVG_HANDLE_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            grace_seconds=grace_seconds, avg_handle_seconds=avg_handle_seconds, clock=clock
        )
        self._lock = asyncio.Lock()
        self._init_state()

    def _init_state(self) -> None:
        self._agents: dict[str, AgentState] = {}
        # Every conversation handoff knows (waiting or held), with its queue data.
        self._entries: dict[str, QueueEntry] = {}
        self._holder: dict[str, str] = {}
        self._connections: dict[str, set[str]] = {}  # agent id -> open connection ids
        # Waiting conversations kept sorted by (router.queue_key, id), so reading
        # the queue in order costs no sort; ``_waiting`` maps id -> its sort item.
        self._sorted: list[tuple[tuple[int, int, int], str]] = []
        self._waiting: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._seq = itertools.count(1)  # arrival numbers of queue entries
        self._order = itertools.count(1)  # idle order of agents

    # -- internals (call with the lock held) -----------------------------------

    def _queue(self) -> list[QueueEntry]:
        return [self._entries[cid] for _, cid in self._sorted]

    def _wait(self, cid: str) -> None:
        item = (router.queue_key(self._entries[cid]), cid)
        bisect.insort(self._sorted, item)
        self._waiting[cid] = item

    def _unwait(self, cid: str) -> None:
        item = self._waiting.pop(cid, None)
        if item is not None:
            del self._sorted[bisect.bisect_left(self._sorted, item)]

    def _begin(self, now: float | None = None) -> _Op:
        return _Op(router.positions(self._queue()), self.clock() if now is None else now)

    def _finish(self, op: _Op) -> Changes:
        after = router.positions(self._queue())
        return Changes(
            assigned=tuple(op.assigned),
            unassigned=tuple(op.unassigned),
            queued=tuple(self._entries[cid] for cid in op.entered if cid in self._waiting),
            positions=router.moved(op.before, after),
        )

    def _get_agent(self, agent_id: str) -> AgentState:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _give(self, cid: str, agent_id: str, op: _Op) -> None:
        """Make ``agent_id`` hold ``cid`` and the most recently assigned agent."""
        agent = self._agents[agent_id]
        self._agents[agent_id] = replace(
            agent,
            active=agent.active | {cid},
            idle_order=next(self._order),
            last_assigned_at=op.now,
        )
        self._holder[cid] = agent_id
        self._unwait(cid)

    def _take(self, cid: str, op: _Op) -> str:
        """End the holding of ``cid``; return the agent who had it."""
        agent_id = self._holder.pop(cid)
        agent = self._agents[agent_id]
        self._agents[agent_id] = replace(agent, active=agent.active - {cid})
        op.unassigned.append(Assignment(cid, agent_id))
        return agent_id

    def _requeue(self, cid: str, op: _Op, team: str | None, exclude: str | None) -> None:
        """Put a held conversation back at the head of the queue."""
        self._take(cid, op)
        entry = self._entries[cid]
        self._entries[cid] = replace(entry, team=team, returned=True, excluded_agent_id=exclude)
        self._wait(cid)
        op.entered.append(cid)

    def _requeue_agents(self, agent_ids: list[str], op: _Op) -> None:
        """Make these agents offline and requeue all their chats, oldest arrival first."""
        chats: list[str] = []
        for agent_id in agent_ids:
            agent = self._agents[agent_id]
            chats.extend(agent.active)
            self._agents[agent_id] = replace(
                agent,
                status=AgentStatus.OFFLINE,
                disconnected_at=None,
                grace_until=None,
                connections=0,
            )
            self._connections.pop(agent_id, None)
        # By arrival across all agents, so the order of ``unassigned`` never
        # depends on how agents happen to be listed.
        for cid in sorted(chats, key=lambda c: self._entries[c].seq):
            self._requeue(cid, op, self._entries[cid].team, None)

    def _drain(self, op: _Op) -> None:
        """Assign whatever waiting conversations the free agents can take."""
        if not self._waiting:
            return
        for a in router.plan_assignments(self._agents.values(), self._queue()):
            self._give(a.conversation_id, a.agent_id, op)
            op.assigned.append(a)

    # -- agents -----------------------------------------------------------------

    async def register_agent(
        self,
        agent_id: str,
        name: str,
        capacity: int = DEFAULT_CAPACITY,
        teams: Iterable[str] = (),
    ) -> Changes:
        check_id(agent_id, "agent_id")
        check_capacity(capacity)
        team_set = check_teams(teams)
        async with self._lock:
            op = self._begin()
            known = self._agents.get(agent_id)
            if known is None:
                self._agents[agent_id] = AgentState(
                    agent_id=agent_id,
                    name=name,
                    capacity=capacity,
                    status=AgentStatus.OFFLINE,
                    teams=team_set,
                    active=frozenset(),
                    idle_order=next(self._order),
                )
            else:
                self._agents[agent_id] = replace(
                    known, name=name, capacity=capacity, teams=team_set
                )
            self._drain(op)
            return self._finish(op)

    async def set_status(self, agent_id: str, status: AgentStatus | str) -> Changes:
        status = AgentStatus(status)
        async with self._lock:
            agent = self._get_agent(agent_id)
            op = self._begin()
            if status is AgentStatus.OFFLINE:
                self._requeue_agents([agent_id], op)
            else:
                self._agents[agent_id] = replace(agent, status=status)
            self._drain(op)
            return self._finish(op)

    async def agent_disconnected(self, agent_id: str, connection_id: str = "") -> Changes:
        async with self._lock:
            agent = self._get_agent(agent_id)
            open_ids = self._connections.setdefault(agent_id, set())
            open_ids.discard(connection_id)
            agent = replace(agent, connections=len(open_ids))
            if not open_ids and agent.connected:
                now = self.clock()
                agent = replace(agent, disconnected_at=now, grace_until=now + self.grace_seconds)
            self._agents[agent_id] = agent
            return Changes()

    async def agent_connected(self, agent_id: str, connection_id: str = "") -> Changes:
        async with self._lock:
            agent = self._get_agent(agent_id)
            op = self._begin()
            open_ids = self._connections.setdefault(agent_id, set())
            open_ids.add(connection_id)
            self._agents[agent_id] = replace(
                agent, disconnected_at=None, grace_until=None, connections=len(open_ids)
            )
            self._drain(op)
            return self._finish(op)

    async def expire_grace(self, now: float | None = None) -> Changes:
        async with self._lock:
            op = self._begin(now)
            now = op.now
            due = [
                a.agent_id
                for a in self._agents.values()
                if a.grace_until is not None and a.grace_until <= now
            ]
            self._requeue_agents(due, op)
            self._drain(op)
            return self._finish(op)

    # -- conversations ------------------------------------------------------------

    async def enqueue(
        self, conversation_id: str, priority: int = 0, team: str | None = None
    ) -> Changes:
        check_id(conversation_id, "conversation_id")
        check_priority(priority)
        check_team(team)
        async with self._lock:
            op = self._begin()
            if conversation_id in self._entries:
                return Changes()  # already waiting or held: a retry changes nothing
            self._entries[conversation_id] = QueueEntry(
                conversation_id=conversation_id,
                priority=priority,
                team=team,
                enqueued_at=op.now,
                seq=next(self._seq),
            )
            self._wait(conversation_id)
            op.entered.append(conversation_id)
            self._drain(op)
            return self._finish(op)

    async def release(self, conversation_id: str) -> Changes:
        async with self._lock:
            op = self._begin()
            if conversation_id in self._holder:
                self._take(conversation_id, op)
                del self._entries[conversation_id]
                self._drain(op)
            elif conversation_id in self._waiting:
                self._unwait(conversation_id)
                del self._entries[conversation_id]
            return self._finish(op)

    async def dequeue(self, conversation_id: str) -> Changes:
        async with self._lock:
            op = self._begin()
            if conversation_id in self._waiting:
                self._unwait(conversation_id)
                del self._entries[conversation_id]
            return self._finish(op)

    async def visitor_left(self, conversation_id: str) -> Changes:
        return await self._mark_gone(conversation_id, True)

    async def visitor_back(self, conversation_id: str) -> Changes:
        return await self._mark_gone(conversation_id, False)

    async def _mark_gone(self, conversation_id: str, gone: bool) -> Changes:
        async with self._lock:
            op = self._begin()
            entry = self._entries.get(conversation_id)
            if entry is None or entry.visitor_gone == gone:
                return Changes()
            # Not part of the sort key, so the sorted queue needs no update.
            self._entries[conversation_id] = replace(entry, visitor_gone=gone)
            if not gone:
                self._drain(op)
            return self._finish(op)

    async def restore(
        self, conversation_id: str, agent_id: str, priority: int = 0, team: str | None = None
    ) -> bool:
        check_id(conversation_id, "conversation_id")
        check_priority(priority)
        check_team(team)
        async with self._lock:
            agent = self._agents.get(agent_id)
            if conversation_id in self._entries or agent is None:
                return self._holder.get(conversation_id) == agent_id
            self._entries[conversation_id] = QueueEntry(
                conversation_id=conversation_id, priority=priority, team=team,
                enqueued_at=self.clock(), seq=next(self._seq),
            )
            # Not _give: the agent's idle order is theirs from before the loss.
            self._agents[agent_id] = replace(agent, active=agent.active | {conversation_id})
            self._holder[conversation_id] = agent_id
            return True

    async def transfer(
        self,
        conversation_id: str,
        to_agent_id: str | None = None,
        to_team: str | None = None,
        take_over: bool = False,
    ) -> Changes:
        check_team(to_team)
        if to_agent_id is not None:
            check_id(to_agent_id, "to_agent_id")
        async with self._lock:
            old = self._holder.get(conversation_id)
            if old is None:
                raise NotAssigned(conversation_id)
            entry = self._entries[conversation_id]
            op = self._begin()
            if to_agent_id is not None:
                target = self._get_agent(to_agent_id)
                allowed = target.connected if take_over else router.can_take(target)
                if to_agent_id == old or not allowed:
                    raise AgentUnavailable(to_agent_id)
                team = to_team if to_team is not None else entry.team
            else:
                team = to_team
                target = router.choose_agent(self._agents.values(), team, exclude=old)
            if target is None:
                self._requeue(conversation_id, op, team, exclude=old)
            else:
                self._take(conversation_id, op)
                self._entries[conversation_id] = replace(entry, team=team, excluded_agent_id=old)
                self._give(conversation_id, target.agent_id, op)
                op.assigned.append(Assignment(conversation_id, target.agent_id, old))
            self._drain(op)
            return self._finish(op)

    # -- reading --------------------------------------------------------------------

    async def holder(self, conversation_id: str) -> str | None:
        async with self._lock:
            return self._holder.get(conversation_id)

    async def agent(self, agent_id: str) -> AgentState | None:
        async with self._lock:
            return self._agents.get(agent_id)

    async def agents(self) -> list[AgentState]:
        async with self._lock:
            return [self._agents[k] for k in sorted(self._agents)]

    async def queue(self) -> list[QueueEntry]:
        async with self._lock:
            return self._queue()

    async def reset(self) -> None:
        async with self._lock:
            self._init_state()
