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

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.reports.window import ReportWindow
from live_chat.store.models import (
    Agent,
    AgentStatusEvent,
    Conversation,
    ConversationEvent,
    utcnow,
)
from live_chat.store.portable import epoch_us, us

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

    The overlap of held and online time is found by a sweep, not by pairing
    intervals: every interval's start and end become +1/-1 steps of two
    counters per agent (online, chats held); between consecutive moments the
    time counts ``chats held`` times over while the agent is online. Times
    are integer microseconds (exact, and the same on both databases).
    """
    since = us(window.since)
    # A window reaching into the future (today, until midnight) ends now for
    # open intervals: time not yet lived is neither online nor held.
    until = us(min(window.until, utcnow()))

    # -- online intervals --------------------------------------------------
    ev = AgentStatusEvent
    status_rows = (
        select(
            ev.agent_id,
            ev.status,
            epoch_us(ev.created_at).label("start"),
            func.lead(epoch_us(ev.created_at))
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
        select(status_rows.c.agent_id, _later(status_rows.c.start, since).label("start"),
               status_end.label("end"))
        .where(status_rows.c.status == "online", status_end > since)
        .cte("online")
    )
    online_us = (
        select(online.c.agent_id, func.sum(online.c.end - online.c.start).label("us"))
        .group_by(online.c.agent_id)
        .cte("online_us")
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
            epoch_us(ce.created_at).label("start"),
            func.lead(epoch_us(ce.created_at))
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

    # -- the sweep -----------------------------------------------------------
    one, none, minus = (literal_column(v, Integer) for v in ("1", "0", "-1"))
    moves = union_all(
        select(online.c.agent_id, online.c.start.label("t"), one.label("online"),
               none.label("chats")),
        select(online.c.agent_id, online.c.end, minus, none),
        select(held.c.agent_id, held.c.start, none, one),
        select(held.c.agent_id, held.c.end, none, minus),
    ).subquery("moves")
    # One row per agent and moment: the running sums are then in a strict order.
    moments = (
        select(moves.c.agent_id, moves.c.t, func.sum(moves.c.online).label("online"),
               func.sum(moves.c.chats).label("chats"))
        .group_by(moves.c.agent_id, moves.c.t)
        .subquery("moments")
    )
    order = {"partition_by": moments.c.agent_id, "order_by": moments.c.t}
    levels = select(
        moments.c.agent_id,
        func.sum(moments.c.online).over(**order, rows=(None, 0)).label("online"),
        func.sum(moments.c.chats).over(**order, rows=(None, 0)).label("chats"),
        (func.lead(moments.c.t).over(**order) - moments.c.t).label("span"),
    ).subquery("levels")
    chat_us = (
        select(levels.c.agent_id, func.sum(case(
            (and_(levels.c.online > 0, levels.c.span.is_not(None)),
             levels.c.chats * levels.c.span), else_=0)).label("us"))
        .group_by(levels.c.agent_id)
        .cte("chat_us")
    )

    ratio = case(
        (online_us.c.us > 0,
         cast(func.coalesce(chat_us.c.us, 0), Float) / (Agent.capacity * online_us.c.us)),
        else_=None,
    )
    query = (
        select(Agent.id, ratio.label("utilisation"))
        .outerjoin(online_us, online_us.c.agent_id == Agent.id)
        .outerjoin(chat_us, chat_us.c.agent_id == Agent.id)
    )
    if window.agent is not None:
        query = query.where(Agent.id == window.agent)
    rows = (await session.execute(query)).all()
    return {agent_id: None if value is None else round(float(value), 4)
            for agent_id, value in rows}


def _later(a: ColumnElement[int], b: int) -> ColumnElement[int]:
    # GREATEST is PostgreSQL only (SQLite's two-argument max differs).
    return case((a > b, a), else_=b)
