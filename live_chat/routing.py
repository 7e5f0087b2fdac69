"""Between the handoff engine and the record: call the backend, store and announce what it did.

The backend (``handoff/``) decides who takes which conversation; this module
turns each :class:`~handoff.Changes` it returns into state moves in the
database (one event row each) and into emits to the agents and visitors
concerned. Every path that touches the queue goes through :meth:`Routing.apply`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from handoff import (
    AgentStatus,
    AgentUnavailable,
    Assignment,
    BusinessHours,
    Changes,
    HandoffBackend,
    NotAssigned,
    UnknownAgent,
    router,
)
from live_chat.broadcast import SocketNotifier
from live_chat.errors import Conflict, InvalidPayload, NotFound
from live_chat.hosts import Hosts
from live_chat.lifecycle import Move, apply_move
from live_chat.presence import LocalPresence, RedisPresence
from live_chat.reports.utilisation import record_status
from live_chat.store.conversation_search import tags_of
from live_chat.store.models import Agent, Conversation, Message
from live_chat.store.repository import Store, Transaction
from live_chat.system_lines import add_line, announce
from live_chat.wire import (
    conversation_out,
    message_out,
    note_out,
    snapshot_version,
    visitor_out,
)

log = logging.getLogger(__name__)


async def chat_for_agent(tx: Transaction, conversation: Conversation,
                         presence: str | None = None) -> dict[str, Any]:
    """What an agent needs to take a chat over: the visitor (with earlier
    conversations and, when given, their ``presence``: "online", "idle" or "left"), the
    whole transcript with the bot's intents, the notes (a transferred chat
    keeps those its colleagues wrote), and its tags."""
    messages = await tx.messages_since(conversation.id, 0, limit=10_000)
    visitor = await tx.visitor(conversation.visitor_id)
    earlier = await tx.visitor_conversations(conversation.visitor_id, exclude=conversation.id)
    # Only counted when the ten listed may not be all of them.
    past = (await tx.visitor_conversation_count(conversation.visitor_id, exclude=conversation.id)
            if len(earlier) >= 10 else len(earlier))
    notes = await tx.notes(conversation.id)
    names = {a.id: a.name for a in await tx.agents()} if notes else {}
    return {
        "visitor": ({**visitor_out(visitor, earlier, past),
                     **({"presence": presence} if presence else {})} if visitor else None),
        "messages": [message_out(m, for_agent=True) for m in messages],
        "notes": [note_out(n, names.get(n.agent_id, "")) for n in notes],
        "tags": (await tags_of(tx.session, [conversation.id])).get(conversation.id, []),
    }


@contextmanager
def _as_chat_errors() -> Iterator[None]:
    """Handoff's refusals, as the error codes of the wire."""
    try:
        yield
    except UnknownAgent as exc:
        raise NotFound(f"no agent {exc} has signed in to take chats") from None
    except (NotAssigned, AgentUnavailable) as exc:
        raise Conflict(str(exc)) from None
    except ValueError as exc:
        raise InvalidPayload(str(exc)) from None


class Routing:
    """Escalations, assignments and queue moves, kept in step with the record.

    ``backend`` is the handoff engine (in-process or Redis), ``store`` the
    record, ``notifier`` reaches clients. ``hours`` are the business hours, or
    None for always open. ``tabs`` counts the visitors' open tabs (for the
    visitor's ``presence`` an agent is shown).
    """

    def __init__(self, backend: HandoffBackend, store: Store, notifier: SocketNotifier,
                 *, tabs: LocalPresence | RedisPresence, hours: BusinessHours | None = None,
                 hosts: Hosts | None = None) -> None:
        self.backend = backend
        self.tabs = tabs
        # With several processes: agent sockets are registered under this
        # process, so that the others disconnect them if it dies (live_chat/hosts.py).
        self.hosts = hosts
        self.store = store
        self.notifier = notifier
        self.hours = hours
        self._queue_moved = asyncio.Event()

    # -- what the gateway asks ----------------------------------------------

    async def escalate(self, conversation: Conversation) -> None:
        """Queue an escalated conversation (already ``queued`` in the record)."""
        await self.apply(await self.backend.enqueue(
            conversation.id, conversation.priority, conversation.team
        ))

    async def release(self, conversation_id: str) -> None:
        """The conversation left the humans (closed or handed back): free its slot."""
        await self.apply(await self.backend.release(conversation_id))

    async def dequeue(self, conversation_id: str) -> None:
        await self.apply(await self.backend.dequeue(conversation_id))

    async def visitor_left(self, conversation_id: str) -> None:
        """The visitor closed every tab (past the grace): the chat takes nobody's slot."""
        await self.apply(await self.backend.visitor_left(conversation_id))

    async def visitor_back(self, conversation_id: str) -> None:
        """The visitor is back: a waiting chat is served again from its place."""
        await self.apply(await self.backend.visitor_back(conversation_id))

    async def transfer(self, conversation_id: str, *, to_agent_id: str | None,
                       to_team: str | None, take_over: bool = False) -> None:
        """``take_over``: a supervisor taking the chat (see HandoffBackend.transfer)."""
        with _as_chat_errors():
            changes = await self.backend.transfer(
                conversation_id, to_agent_id=to_agent_id, to_team=to_team,
                take_over=take_over,
            )
        await self.apply(changes)

    def _connection_id(self, sid: str) -> str:
        return sid if self.hosts is None else self.hosts.connection_id(sid)

    async def agent_connected(self, agent: Agent, sid: str, *,
                              status: str | None = None) -> str:
        """Register the agent's socket ``sid``. Returns the status.

        ``status`` is what the console asks for ("online" or "away"); it
        decides when no other tab of the agent is open (signed out, or back
        within the grace period), else the open tabs' status stays. Without
        one, an agent who was offline comes online, while supervisors and
        admins start away: signing in to look must not hand them visitors.
        """
        await self.apply(await self.backend.register_agent(
            agent.id, agent.name, agent.capacity, agent.teams
        ))
        before = await self.backend.agent(agent.id)
        first_tab = before is None or before.connections == 0
        connection_id = self._connection_id(sid)
        if self.hosts is not None:
            await self.hosts.agent_connected(agent.id, connection_id)
        await self.apply(await self.backend.agent_connected(agent.id, connection_id))
        state = await self.backend.agent(agent.id)
        wanted: AgentStatus | None = None
        if state is not None and state.status == AgentStatus.OFFLINE:
            starts_away = (status == "away" if status in ("online", "away")
                           else agent.role in ("supervisor", "admin"))
            wanted = AgentStatus.AWAY if starts_away else AgentStatus.ONLINE
        elif state is not None and first_tab and status in ("online", "away"):
            wanted = AgentStatus(status)
        changes = Changes()
        if wanted is not None and state is not None and wanted != state.status:
            changes = await self.backend.set_status(agent.id, wanted)
        # Also when nothing changed (another tab, back within the grace
        # period: no row then), which heals a record a stopped process left.
        await self._record_status(agent.id)
        await self.apply(changes)
        return await self.agent_status(agent.id)

    async def agent_disconnected(self, agent_id: str, sid: str) -> None:
        """The agent's socket ``sid`` of this process closed."""
        connection_id = self._connection_id(sid)
        if self.hosts is not None:
            await self.hosts.agent_disconnected(agent_id, connection_id)
        await self.connection_lost(agent_id, connection_id)

    async def connection_lost(self, agent_id: str, connection_id: str) -> None:
        """An agent connection is gone (also one a dead process left behind)."""
        with _as_chat_errors():
            await self.apply(await self.backend.agent_disconnected(agent_id, connection_id))

    async def set_status(self, agent_id: str, status: str) -> None:
        with _as_chat_errors():
            changes = await self.backend.set_status(agent_id, status)
        await self._record_status(agent_id)
        await self.apply(changes, returned=status == AgentStatus.OFFLINE)

    async def expire_grace(self) -> None:
        """Give the chats of agents who stayed away past their grace period to others."""
        # The backend's Changes name no agent who held nothing, so those whose
        # grace may end now are read first; the ones it made offline are recorded.
        in_grace = [a.agent_id for a in await self.backend.agents() if a.grace_until is not None]
        changes = await self.backend.expire_grace()
        for agent_id in in_grace:
            state = await self.backend.agent(agent_id)
            if state is None or state.status == AgentStatus.OFFLINE:
                await self._record_status(agent_id)
        await self.apply(changes, returned=True)

    async def _record_status(self, agent_id: str) -> None:
        """Record the agent's status as the backend has it now, if it differs from the last row.

        Agent utilisation is computed from these rows. A failure is logged,
        not raised: the backend has already changed, and a missing row costs
        a report's accuracy, not anyone's chats.
        """
        try:
            async with self.store.begin() as tx:
                await record_status(tx.session, agent_id, lambda: self.agent_status(agent_id))
        except Exception:
            log.exception("could not record the status of agent %s", agent_id)

    async def visitor_presence(self, visitor_id: str) -> str:
        """"online", "idle" (every tab says so) or "left" (no tab open), as agents see it."""
        return await self.tabs.state(visitor_id)

    async def agent_status(self, agent_id: str) -> str:
        state = await self.backend.agent(agent_id)
        return "offline" if state is None else str(state.status)

    async def queue_status(self, conversation: Conversation) -> dict[str, Any]:
        """The visitor-facing snapshot, with queue position, wait and availability when waiting."""
        if conversation.state != "queued":
            return conversation_out(conversation)
        position = await self.backend.position(conversation.id)
        eta = await self.backend.eta_seconds(position) if position is not None else None
        snapshot = conversation_out(conversation, queue_position=position, eta_s=eta)
        return {**snapshot, **await self.availability()}

    async def availability(self) -> dict[str, Any]:
        """``offline: true`` with a reason when nobody can answer now (leave a message instead)."""
        now = datetime.now(UTC)
        if self.hours is not None and not self.hours.is_open(now):
            opening = self.hours.next_opening(now)
            return {"offline": True, "offline_reason": "closed",
                    "opens_at": opening.isoformat() if opening else None}
        agents = await self.backend.agents()
        if not any(a.status == "online" and a.connected for a in agents):
            return {"offline": True, "offline_reason": "no_agents"}
        return {"offline": False}

    # -- applying what the backend decided ----------------------------------

    async def apply(self, changes: Changes, *, returned: bool = False) -> None:
        """Store and announce one backend result; safe to call with an empty one.

        ``returned``: the call took chats away from an agent who left (grace
        expired, signed off); a chat that went straight to another agent is
        then recorded as requeued and assigned, not as a transfer.
        """
        for entry in changes.queued:
            await self._requeued(entry.conversation_id, returned=returned)
        for assignment in changes.assigned:
            await self._assigned(assignment, returned=returned)
        for ended in changes.unassigned:
            await self._tell_former_agent(ended)
        if changes.positions:
            self._queue_moved.set()

    async def _assigned(self, assignment: Assignment, *, returned: bool = False) -> None:
        line: Message | None = None
        async with self.store.begin() as tx:
            conversation = await tx.conversation(assignment.conversation_id, lock=True)
            agent = await tx.agent(assignment.agent_id)
            if conversation is None or agent is None or conversation.state not in (
                "queued", "assigned"
            ):
                stale = True
            else:
                stale = False
                if returned and conversation.state == "assigned":
                    line = await self._agent_gone(tx, conversation)
                    await apply_move(tx, conversation, "requeue", actor="handoff")
                step: Move = "assign" if conversation.state == "queued" else "transfer"
                await apply_move(tx, conversation, step, actor="handoff", data={
                    "agent_id": agent.id, "from_agent_id": assignment.previous_agent_id,
                })
                conversation.agent_id, conversation.agent_name = agent.id, agent.name
                await tx.record_handler(conversation.id, agent.id)
                # In the transcript, in the same commit as the move (stored once).
                lines = [await add_line(tx, conversation, kind, name=agent.name)
                         for kind in (("transferred", "joined") if step == "transfer"
                                      else ("joined",))]
                history = await chat_for_agent(
                    tx, conversation, await self.visitor_presence(conversation.visitor_id))
        if stale:
            # The visitor left (or closed) while the backend assigned it: give the slot back.
            log.info("releasing stale assignment of %s", assignment.conversation_id)
            await self.release(assignment.conversation_id)
            return
        await self.notifier.to_agent(agent.id, "assigned", {
            "conversation": conversation_out(conversation), **history,
        })
        if line is not None:
            # The new agent has it in the history already; their console keeps
            # one copy per seq. The visitor and any watcher learn it here.
            await announce(self.notifier, conversation, line)
        await self.notifier.status(conversation, conversation_out(conversation))
        # The agent has the lines in ``assigned``; the visitor gets them now.
        for said in lines:
            await announce(self.notifier, conversation, said, to_agent=False)

    async def _requeued(self, conversation_id: str, *, returned: bool = False) -> None:
        line: Message | None = None
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id, lock=True)
            if conversation is None or conversation.state != "assigned":
                return  # a fresh escalation: the record already says queued
            if returned:
                line = await self._agent_gone(tx, conversation)
            await apply_move(tx, conversation, "requeue", actor="handoff")
        if line is not None:
            await announce(self.notifier, conversation, line)

    @staticmethod
    async def _agent_gone(tx: Transaction, conversation: Conversation) -> Message:
        """The line telling the visitor their agent left (grace ended, signed off);
        stored before the move, while the record still names the agent."""
        return await add_line(tx, conversation, "agent_gone",
                              name=conversation.agent_name or "")

    async def _tell_former_agent(self, ended: Assignment) -> None:
        # The console drops a chat whose snapshot no longer names this agent.
        async with self.store.begin() as tx:
            conversation = await tx.conversation(ended.conversation_id)
        if conversation is not None:
            await self.notifier.to_agent(ended.agent_id, "conversation",
                                         conversation_out(conversation))

    # -- telling waiting visitors their place ---------------------------------

    async def announce_queue(self) -> None:
        """Send every waiting visitor their place, as the backend has the queue now.

        Positions are read live rather than taken from each call's ``Changes``:
        announcements of overlapping calls would otherwise interleave and leave
        visitors on a stale place. Each status carries ``version`` (the time of
        the read), so a client keeps the newest whichever process sent it.
        """
        version = snapshot_version()
        entries = await self.backend.queue()
        capacity = router.online_capacity(await self.backend.agents())
        availability = await self.availability()
        async with self.store.begin() as tx:
            waiting = {c.id: c for c in await tx.conversations_in(("queued",))}
        for position, entry in enumerate(entries, start=1):
            conversation = waiting.get(entry.conversation_id)
            if conversation is None:
                continue  # its move out of the queue is being recorded; that status follows
            eta = router.estimate_wait(position, capacity, self.backend.avg_handle_seconds)
            snapshot = conversation_out(conversation, queue_position=position, eta_s=eta,
                                        version=version)
            await self.notifier.status(conversation, {**snapshot, **availability})

    async def run_announcer(self) -> None:
        """One loop per process: whenever the queue moved, announce it (moves coalesce)."""
        while True:
            await self._queue_moved.wait()
            self._queue_moved.clear()
            try:
                await self.announce_queue()
            except Exception:
                log.exception("could not announce the queue; will retry on the next move")

    # -- start-up -----------------------------------------------------------

    async def reconcile(self) -> None:
        """At start: register every agent, then :meth:`repair` (the memory backend forgets)."""
        async with self.store.begin() as tx:
            agents = await tx.agents()
        for agent in agents:
            await self.apply(await self.backend.register_agent(
                agent.id, agent.name, agent.capacity, agent.teams
            ))
            # A process that stopped took its agents offline without a row (and
            # the in-memory backend starts with everyone offline): say so now.
            await self._record_status(agent.id)
        await self.repair()

    async def repair(self) -> None:
        """Make the backend agree with the record, both ways.

        Each move commits to the record first and then calls the backend; a
        failure in between (a Redis blip, a stopped process) leaves them apart.
        Run at start and periodically: a chat the backend holds or queues but
        the record has ended (or given back to the bot) is released; a chat
        the record has waiting that the backend does not know is queued again;
        one the record has assigned that the backend does not know goes back to
        its agent (:meth:`_restore`), or to the queue if that agent is gone.
        Every backend call here is idempotent, so processes may repair at once.
        """
        held = {cid: a.agent_id for a in await self.backend.agents() for cid in a.active}
        queued = {entry.conversation_id for entry in await self.backend.queue()}
        async with self.store.begin() as tx:
            waiting = {c.id: c for c in await tx.conversations_in(("queued", "assigned"))}
        for conversation_id in (held.keys() | queued) - waiting.keys():
            await self.release(conversation_id)
        # Assigned ones first: a restored chat takes its agent's slot before a
        # waiting one could be given it.
        for conversation in sorted(waiting.values(), key=lambda c: c.state != "assigned"):
            known = conversation.id in held or conversation.id in queued
            if conversation.state == "queued" and not known:
                await self.escalate(conversation)
            elif conversation.state == "assigned" and not known:
                if await self._restore(conversation):
                    continue
                async with self.store.begin() as tx:
                    fresh = await tx.conversation(conversation.id, lock=True)
                    if fresh is None or fresh.state != "assigned":
                        continue
                    await apply_move(tx, fresh, "requeue", actor="system",
                                     data={"reason": "not held by any agent"})
                await self.escalate(fresh)

    async def _restore(self, conversation: Conversation) -> bool:
        """Give an assigned chat the backend lost back to the agent the record names.

        Redis restarted empty, or this process restarted on the in-process
        backend: the agent may still be connected (their process registers
        them again, :meth:`agent_connected`) or about to reconnect. One not
        registered now is registered as the record has them and given the
        grace period to come back; if they do not, their chats go to the
        queue as any absent agent's. False when the chat is someone else's
        or the agent no longer exists.
        """
        agent_id = conversation.agent_id
        if agent_id is None:
            return False
        state = await self.backend.agent(agent_id)
        if state is None:
            async with self.store.begin() as tx:
                agent = await tx.agent(agent_id)
            if agent is None:
                return False
            await self.apply(await self.backend.register_agent(
                agent.id, agent.name, agent.capacity, agent.teams))
            state = await self.backend.agent(agent_id)
        if state is not None and state.connections == 0 and state.grace_until is None:
            await self.backend.agent_disconnected(agent_id, "")
        restored = await self.backend.restore(conversation.id, agent_id,
                                              conversation.priority, conversation.team)
        # Refused: held or queued since this repair read the backend; leave it be.
        return restored or await self._known(conversation.id)

    async def _known(self, conversation_id: str) -> bool:
        if await self.backend.holder(conversation_id) is not None:
            return True
        return await self.backend.position(conversation_id) is not None
