"""Agent utilisation: chat-seconds held / (capacity * seconds online), per agent.

Both halves are intervals clipped to the window, built in SQL with ``LEAD``:

* online time: each agent's ``agent_status_events`` row lasts until their next
  row (or the window's end); the rows with status ``online`` are the online
  intervals. The row in force at ``since`` is the last one before it, so an
  interval that began before the window counts from ``since``.
* chat time: an ``assigned`` or ``transferred`` event (``data.agent_id``)
  starts a holding that lasts until the conversation's next ``closed``,
  ``transferred``, ``requeued``, ``handed_back`` or ``abandoned`` event.

Chat time counts only where it overlaps the agent's online time: a chat kept
while away is not counted, so both halves cover the same time and the figure
stays within 0..1 while load <= capacity. The grace period after an agent's
last socket closes is still online time (their status changes when it ends).
Capacity is the agent's current one (its history is not recorded).

This module also holds the one writer of ``agent_status_events``
(:func:`record_status`), called by ``live_chat.routing`` wherever the handoff
backend changes an agent's status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.reports.window import ReportWindow
from live_chat.store.models import (
    Agent,
    AgentStatusEvent,
    Conversation,
    ConversationEvent,
    UTCDateTime,
    utcnow,
)

#: Events that give a conversation to the agent named in ``data.agent_id``.
HOLD_STARTS = ("assigned", "transferred")
#: Events after which the agent who held the conversation no longer does.
HOLD_ENDS = ("closed", "transferred", "requeued", "handed_back", "abandoned")


async def record_status(session: AsyncSession, agent_id: str,
                        status: Callable[[], Awaitable[str]]) -> bool:
    """Append an ``agent_status_events`` row if the agent's status changed.

    ``session``: an open transaction (the caller commits). ``agent_id``: the
    agent. ``status``: returns the status to record (``online``, ``away``,
    ``offline``); it is called only once the agent's row is locked, so that
    processes recording at once take turns, each compares with the row the
    previous one wrote, and the status written is the one in force when it is
    written. No earlier row counts as ``offline``. Returns True when a row
    was added.
    """
    # Serialises recorders of one agent on PostgreSQL; on SQLite the
    # transaction already holds the database's write lock.
    exists = await session.scalar(
        select(Agent.id).where(Agent.id == agent_id).with_for_update()
    )
    if exists is None:
        return False
    latest = await session.scalar(
        select(AgentStatusEvent.status)
        .where(AgentStatusEvent.agent_id == agent_id)
        .order_by(AgentStatusEvent.created_at.desc(), AgentStatusEvent.id.desc())
        .limit(1)
    )
    current = await status()
    if current == (latest or "offline"):
        return False
    session.add(AgentStatusEvent(agent_id=agent_id, status=current))
    await session.flush()
    return True


async def utilisation(session: AsyncSession, window: ReportWindow) -> dict[str, float | None]:
    """Each agent's utilisation over ``[window.since, window.until)``, by agent id.

    ``session``: a session on the record (only read). ``window``: the report
    window; its ``agent`` filter narrows the result to that agent, the other
    filters (team, intent, locale: properties of conversations) do not apply
    to an agent's time. Every agent is in the result; ``None`` for one who
    was never online in the window. Rounded to 4 places. One query.
    """
    dialect = session.get_bind().dialect.name
    since = literal(window.since, UTCDateTime())
    # A window reaching into the future (today, until midnight) ends now for
    # open intervals: time not yet lived is neither online nor held.
    until = literal(min(window.until, utcnow()), UTCDateTime())

    # -- online intervals --------------------------------------------------
    ev = AgentStatusEvent
    status_rows = (
        select(
            ev.agent_id,
            ev.status,
            ev.created_at.label("start"),
            func.lead(ev.created_at)
            .over(partition_by=ev.agent_id, order_by=(ev.created_at, ev.id))
            .label("next"),
        )
        # Rows from ``until`` on cannot matter; WHERE runs before LEAD, so
        # the last row before ``until`` gets no successor and runs to the end.
        .where(ev.created_at < window.until)
        .cte("status_rows")
    )
    status_end = func.coalesce(status_rows.c.next, until)
    online = (
        select(
            status_rows.c.agent_id,
            _later(status_rows.c.start, since).label("start"),
            status_end.label("end"),
        )
        .where(status_rows.c.status == "online", status_end > since)
        .cte("online")
    )
    online_seconds = (
        select(online.c.agent_id,
               func.sum(_seconds(dialect, online.c.start, online.c.end)).label("seconds"))
        .group_by(online.c.agent_id)
        .cte("online_seconds")
    )

    # -- chat holdings -------------------------------------------------------
    ce = ConversationEvent
    # A holding that overlaps the window belongs to a conversation created
    # before its end and not ended before its start: this keeps the scan to
    # the conversations that can matter rather than all history.
    relevant = select(Conversation.id).where(
        Conversation.created_at < window.until,
        or_(Conversation.closed_at.is_(None), Conversation.closed_at >= window.since),
    )
    steps = (
        select(
            ce.type,
            ce.data["agent_id"].as_string().label("agent_id"),
            ce.created_at.label("start"),
            func.lead(ce.created_at)
            .over(partition_by=ce.conversation_id, order_by=(ce.created_at, ce.id))
            .label("next"),
        )
        .where(
            ce.type.in_(sorted(set(HOLD_STARTS + HOLD_ENDS))),
            ce.created_at < window.until,
            ce.conversation_id.in_(relevant),
        )
        .cte("steps")
    )
    hold_end = func.coalesce(steps.c.next, until)
    held = (
        select(steps.c.agent_id, _later(steps.c.start, since).label("start"),
               hold_end.label("end"))
        .where(steps.c.type.in_(HOLD_STARTS), steps.c.agent_id.is_not(None), hold_end > since)
        .cte("held")
    )
    chat_seconds = (
        select(
            held.c.agent_id,
            func.sum(_seconds(dialect, _later(held.c.start, online.c.start),
                              _earlier(held.c.end, online.c.end))).label("seconds"),
        )
        .join(online, and_(online.c.agent_id == held.c.agent_id,
                           online.c.start < held.c.end, held.c.start < online.c.end))
        .group_by(held.c.agent_id)
        .cte("chat_seconds")
    )

    ratio = case(
        (online_seconds.c.seconds > 0,
         func.coalesce(chat_seconds.c.seconds, 0.0)
         / (Agent.capacity * online_seconds.c.seconds)),
        else_=None,
    )
    query = (
        select(Agent.id, ratio.label("utilisation"))
        .outerjoin(online_seconds, online_seconds.c.agent_id == Agent.id)
        .outerjoin(chat_seconds, chat_seconds.c.agent_id == Agent.id)
    )
    if window.agent is not None:
        query = query.where(Agent.id == window.agent)
    rows = (await session.execute(query)).all()
    return {agent_id: None if value is None else round(float(value), 4)
            for agent_id, value in rows}


def _seconds(dialect: str, start: ColumnElement[Any], end: ColumnElement[Any]
             ) -> ColumnElement[float]:
    """``end - start`` in seconds, as a float, on either backend."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    # SQLite keeps times as ISO text; julianday reads it (to about 10 µs).
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _later(a: ColumnElement[datetime], b: ColumnElement[datetime]) -> ColumnElement[datetime]:
    # GREATEST/LEAST are PostgreSQL only (SQLite's two-argument max/min differ).
    return case((a > b, a), else_=b)


def _earlier(a: ColumnElement[datetime], b: ColumnElement[datetime]) -> ColumnElement[datetime]:
    return case((a < b, a), else_=b)
