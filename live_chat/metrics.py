"""Support metrics as queries over the record (messages and conversation events).

Definitions, for conversations created in ``[since, until)``:

- ``conversations``: how many were created.
- ``bot_frt``: per conversation, the time from the visitor's first message to
  the bot's first message after it; p50 and p90 in seconds.
- ``deflection``: of those now closed, the share never escalated to a person
  (no ``escalated`` event).
- ``human_frt``: per escalated conversation, the time from its first
  ``escalated`` event to its ``first_agent_reply`` event; p50 and p90.
- ``abandoned``: how many ended while waiting for a person.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from live_chat.store.models import Conversation, ConversationEvent, Message
from live_chat.store.repository import Store


@dataclass(frozen=True, slots=True)
class Summary:
    since: datetime
    until: datetime
    conversations: int
    bot_frt_p50_s: float | None
    bot_frt_p90_s: float | None
    bot_frt_samples: int
    closed: int
    closed_without_human: int
    deflection: float | None
    human_frt_p50_s: float | None
    human_frt_p90_s: float | None
    human_frt_samples: int
    abandoned: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return data


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0 to 1) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def summary(store: Store, since: datetime, until: datetime) -> Summary:
    in_window = (Conversation.created_at >= since) & (Conversation.created_at < until)
    first_visitor = (
        select(Message.conversation_id, func.min(Message.created_at).label("at"))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(in_window, Message.sender == "visitor")
        .group_by(Message.conversation_id)
        .subquery()
    )
    first_bot = (
        select(Message.conversation_id, func.min(Message.created_at).label("at"))
        .join(first_visitor, first_visitor.c.conversation_id == Message.conversation_id)
        .where(Message.sender == "bot", Message.created_at >= first_visitor.c.at)
        .group_by(Message.conversation_id)
        .subquery()
    )
    escalated = select(ConversationEvent.conversation_id).where(
        ConversationEvent.type == "escalated"
    )
    first_escalation = _first_event("escalated", in_window)
    first_agent_reply = _first_event("first_agent_reply", in_window)
    async with store.begin() as tx:
        session = tx.session
        total = await session.scalar(select(func.count()).select_from(Conversation)
                                     .where(in_window))
        pairs = (await session.execute(
            select(first_visitor.c.at, first_bot.c.at).join(
                first_bot, first_bot.c.conversation_id == first_visitor.c.conversation_id
            )
        )).all()
        closed = await session.scalar(
            select(func.count()).select_from(Conversation)
            .where(in_window, Conversation.state == "closed")
        )
        human_pairs = (await session.execute(
            select(first_escalation.c.at, first_agent_reply.c.at).join(
                first_agent_reply,
                first_agent_reply.c.conversation_id == first_escalation.c.conversation_id,
            )
        )).all()
        abandoned = await session.scalar(
            select(func.count()).select_from(Conversation)
            .where(in_window, Conversation.state == "abandoned")
        )
        deflected = await session.scalar(
            select(func.count()).select_from(Conversation).where(
                in_window, Conversation.state == "closed", Conversation.id.not_in(escalated)
            )
        )
    frts = [(_aware(bot_at) - _aware(visitor_at)).total_seconds() for visitor_at, bot_at in pairs]
    human = [(_aware(reply) - _aware(asked)).total_seconds() for asked, reply in human_pairs]
    return Summary(
        since=since, until=until, conversations=int(total or 0),
        bot_frt_p50_s=percentile(frts, 0.5), bot_frt_p90_s=percentile(frts, 0.9),
        bot_frt_samples=len(frts), closed=int(closed or 0),
        closed_without_human=int(deflected or 0),
        deflection=(deflected or 0) / closed if closed else None,
        human_frt_p50_s=percentile(human, 0.5), human_frt_p90_s=percentile(human, 0.9),
        human_frt_samples=len(human), abandoned=int(abandoned or 0),
    )


def _first_event(type_: str, in_window: Any) -> Any:
    """Per conversation created in the window, the time of its first event of ``type_``."""
    return (
        select(ConversationEvent.conversation_id,
               func.min(ConversationEvent.created_at).label("at"))
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(in_window, ConversationEvent.type == type_)
        .group_by(ConversationEvent.conversation_id)
        .subquery()
    )


def _aware(value: datetime | str) -> datetime:
    # Aggregates (min) may bypass the column type: SQLite can hand back text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
