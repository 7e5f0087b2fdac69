"""What a supervisor watches: the waiting queue, the live chats, each agent's load, and
today's figures (CSAT among them).

:class:`SupervisorFeed` pushes it to every signed-in supervisor and admin
(the ``overview`` event of ``/agent``) when something changed, instead of
each console polling the HTTP API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import socketio
from sqlalchemy import select

from live_chat.metrics import summary
from live_chat.routing import Routing
from live_chat.store.conversation_search import summaries
from live_chat.store.models import Conversation, utcnow
from live_chat.store.repository import Store


async def overview(store: Store, routing: Routing, timezone: str) -> dict[str, Any]:
    """The queue with wait times, the live chats, agents with status and load, and
    today's counts."""
    return {
        "queue": await queue_view(store, routing),
        "live": await live_view(store),
        "agents": await agent_view(store, routing),
        "today": await today_view(store, timezone),
    }


async def queue_view(store: Store, routing: Routing) -> list[dict[str, Any]]:
    """Waiting conversations in serving order, each with how long it has waited."""
    now = utcnow()
    entries = await routing.backend.queue()
    async with store.begin() as tx:
        waiting = {c.id: c for c in await tx.conversations_in(("queued",))}
        names = await tx.visitor_names([c.visitor_id for c in waiting.values()])
    rows = []
    for position, entry in enumerate(entries, start=1):
        conversation = waiting.get(entry.conversation_id)
        if conversation is None:
            continue
        queued_at = conversation.queued_at or conversation.created_at
        rows.append({
            "conversation_id": conversation.id, "position": position,
            "priority": entry.priority, "team": entry.team, "locale": conversation.locale,
            "visitor_name": names.get(conversation.visitor_id),
            "queued_at": queued_at.isoformat(),
            "wait_s": round((now - queued_at).total_seconds(), 1),
        })
    return rows


#: The most chats ``live`` lists (the oldest first): beyond, the queue table has them.
LIVE_MAX = 200


async def live_view(store: Store) -> list[dict[str, Any]]:
    """Chats waiting or with an agent, oldest first: the inbox summary of each (state,
    visitor, agent, intents, first words, tags) with ``queued_at``, ``assigned_at``
    and ``wait_s`` (waiting: so far; with an agent: before the agent joined)."""
    now = utcnow()
    async with store.begin() as tx:
        rows = await tx.session.scalars(
            select(Conversation).where(Conversation.state.in_(("queued", "assigned")))
            .order_by(Conversation.created_at).limit(LIVE_MAX))
        conversations = list(rows.all())
        described = await summaries(tx.session, conversations)
    out = []
    for conversation, row in zip(conversations, described, strict=True):
        queued = conversation.queued_at or conversation.created_at
        until = conversation.assigned_at if conversation.state == "assigned" else now
        out.append({
            **row, "queued_at": queued.isoformat(),
            "assigned_at": (conversation.assigned_at.isoformat()
                            if conversation.assigned_at else None),
            "wait_s": round(max(0.0, ((until or now) - queued).total_seconds()), 1),
        })
    return out


async def agent_view(store: Store, routing: Routing) -> list[dict[str, Any]]:
    """Every agent with status, connection and load (chats held / capacity)."""
    states = {a.agent_id: a for a in await routing.backend.agents()}
    async with store.begin() as tx:
        agents = await tx.agents()
    rows = []
    for agent in agents:
        state = states.get(agent.id)
        rows.append({
            "id": agent.id, "name": agent.name, "role": agent.role,
            "teams": list(agent.teams or []), "capacity": agent.capacity,
            "status": str(state.status) if state else "offline",
            "connected": bool(state and state.connected),
            "load": state.load if state else 0,
        })
    return rows


async def today_view(store: Store, timezone: str) -> dict[str, Any]:
    """Today's figures; "today" starts at midnight in ``timezone`` (the business hours' zone)."""
    now = utcnow()
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    today = await summary(store, midnight.astimezone(UTC), now + timedelta(seconds=1))
    return {
        "since": midnight.isoformat(),
        "conversations": today.conversations,
        "bot_resolved_share": today.deflection,
        "bot_frt_p50_s": today.bot_frt_p50_s,
        "human_frt_p50_s": today.human_frt_p50_s,
        "abandoned": today.abandoned,
        "csat_mean": today.csat_mean,
        "csat_count": today.csat_responses,
        "csat_positive_share": today.csat_share_4_5,
    }


log = logging.getLogger(__name__)

SUPERVISORS_ROOM = "supervisors"


class SupervisorFeed:
    """Sends the overview to the ``supervisors`` room of ``/agent`` when it changed.

    ``build`` computes the overview; :meth:`changed` is called by whatever
    moves a conversation or an agent, and :meth:`run` sends at most one
    overview per ``interval`` seconds after a change (a burst of 50
    escalations is one push), and one every ``refresh`` seconds anyway so
    that today's figures and changes made on other processes show. With
    several processes the emit goes through the Redis manager, so a change
    on one process reaches supervisors connected to any. ``shared`` says
    whether there are other processes: alone, a process builds nothing while
    no supervisor is connected to it (the build, a report over today, would
    cost every escalation and close under load; a supervisor who connects
    marks the feed changed).
    """

    def __init__(self, sio: socketio.AsyncServer, build: Callable[[], Awaitable[dict[str, Any]]],
                 *, namespace: str, shared: bool, interval: float = 0.5,
                 refresh: float = 10.0) -> None:
        self.sio = sio
        self.shared = shared
        self.build = build
        self.namespace = namespace
        self.interval = interval
        self.refresh = refresh
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()

    async def run(self) -> None:
        """Push until cancelled; a failed build is logged and retried on the next change."""
        while True:
            try:
                # Not wait_for: on Python 3.11 it swallows a cancel that arrives as the
                # event is set (a change during shutdown), and this loop never ended.
                async with asyncio.timeout(self.refresh):
                    await self._changed.wait()
            except TimeoutError:
                if not self._watching_here():
                    continue
            self._changed.clear()
            if not self.shared and not self._watching_here():
                continue
            try:
                overview = await self.build()
                await self.sio.emit("overview", {**overview, "at": utcnow().isoformat()},
                                    room=SUPERVISORS_ROOM, namespace=self.namespace)
            except Exception:
                log.exception("could not push the supervisor overview")
            await asyncio.sleep(self.interval)

    def _watching_here(self) -> bool:
        rooms = self.sio.manager.rooms.get(self.namespace, {})
        return bool(rooms.get(SUPERVISORS_ROOM))
