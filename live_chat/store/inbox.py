"""SQL of the unmatched inbox: visitor messages with what happened around them, flags,
dismissals.

:class:`InboxRecords` works inside a transaction the caller opened
(``Store.begin()``). Reading the inbox is three bounded queries (messages,
escalations, flags) plus the intent names; deciding which messages are
candidates, and why, is ``live_chat/admin/inbox.py``'s job, in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from live_chat.store.models import (
    Agent,
    BotExample,
    BotIntent,
    Conversation,
    ConversationEvent,
    InboxDismissal,
    Message,
    MessageFlag,
)
from live_chat.store.portable import insert_for

#: Rows read at most per query: the inbox looks at the most recent this many
#: typed visitor messages (and escalations, and flags) of the period.
ROW_LIMIT = 5000
# Rows per INSERT: SQLite caps the bound parameters of one statement.
_INSERT_CHUNK = 500


@dataclass(frozen=True, slots=True)
class TypedMessage:
    """A message the visitor typed (not a quick-reply click), with its surroundings.

    ``next_*``: the visitor's following message in the conversation (typed or
    clicked), ``None`` when there is none. ``reply_seq``/``reply_payloads``:
    the first bot message after this one and the payloads of its quick
    replies. ``first_typed``: no typed visitor message comes before it in
    the conversation. ``closed_by_agent``: an agent closed the conversation.
    ``labelled``: an example was made of it; ``dismissed``: an admin ignored it.
    """

    id: str
    conversation_id: str
    seq: int
    text: str
    intent: str | None
    confidence: float | None
    created_at: datetime
    conversation_locale: str | None
    resolution: str | None
    next_seq: int | None
    next_payload: str | None
    next_intent: str | None
    reply_seq: int | None
    reply_payloads: tuple[str, ...]
    first_typed: bool
    closed_by_agent: bool
    labelled: bool
    dismissed: bool


@dataclass(frozen=True, slots=True)
class Escalation:
    """An ``escalated`` event: the conversation went to the human queue at ``at``."""

    conversation_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Flag:
    """An agent's "the bot should have answered this", with the intent they named if any."""

    message_id: str
    agent_id: str
    intent: str | None
    created_at: datetime


class InboxRecords:
    """Queries of the unmatched inbox inside one open transaction (``session``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- reading the inbox ------------------------------------------------------------

    async def typed_messages(self, since: datetime, *, limit: int = ROW_LIMIT
                             ) -> list[TypedMessage]:
        """Typed visitor messages stored since ``since``, newest first, at most ``limit``.

        One query: the ``limit`` newest are chosen first (on the ``created_at``
        index), then their neighbours (next visitor message, the bot's reply)
        and the yes/no facts are looked up for those rows only, each through
        the ``(conversation_id, seq)`` unique index or a primary key.
        """
        recent = (
            select(Message.id)
            .where(Message.sender == "visitor", Message.payload.is_(None),
                   Message.created_at >= since)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
            .subquery("recent")
        )
        m = aliased(Message, name="m")
        nxt = aliased(Message, name="nxt")
        reply = aliased(Message, name="reply")
        later = aliased(Message, name="later")
        bot_later = aliased(Message, name="bot_later")
        earlier = aliased(Message, name="earlier")
        next_seq = (
            select(func.min(later.seq))
            .where(later.conversation_id == m.conversation_id, later.sender == "visitor",
                   later.seq > m.seq)
            .scalar_subquery()
        )
        reply_seq = (
            select(func.min(bot_later.seq))
            .where(bot_later.conversation_id == m.conversation_id, bot_later.sender == "bot",
                   bot_later.seq > m.seq)
            .scalar_subquery()
        )
        first_typed = ~exists().where(
            earlier.conversation_id == m.conversation_id, earlier.sender == "visitor",
            earlier.payload.is_(None), earlier.seq < m.seq,
        )
        closed_by_agent = exists().where(
            ConversationEvent.conversation_id == m.conversation_id,
            ConversationEvent.type == "closed",
            ConversationEvent.actor.in_(select(Agent.id)),
        )
        labelled = exists().where(BotExample.message_id == m.id)
        dismissed = exists().where(InboxDismissal.message_id == m.id)
        statement = (
            select(
                m.id, m.conversation_id, m.seq, m.text, m.intent, m.confidence, m.created_at,
                Conversation.locale, Conversation.resolution,
                nxt.seq, nxt.payload, nxt.intent,
                reply.seq, reply.quick_replies,
                first_typed.label("first_typed"), closed_by_agent.label("closed_by_agent"),
                labelled.label("labelled"), dismissed.label("dismissed"),
            )
            .select_from(m)
            .join(recent, recent.c.id == m.id)
            .join(Conversation, Conversation.id == m.conversation_id)
            .outerjoin(nxt, and_(nxt.conversation_id == m.conversation_id,
                                 nxt.seq == next_seq))
            .outerjoin(reply, and_(reply.conversation_id == m.conversation_id,
                                   reply.seq == reply_seq))
            .order_by(m.created_at.desc(), m.id.desc())
        )
        rows = await self.session.execute(statement)
        return [
            TypedMessage(
                id=row[0], conversation_id=row[1], seq=row[2], text=row[3], intent=row[4],
                confidence=row[5], created_at=row[6], conversation_locale=row[7],
                resolution=row[8], next_seq=row[9], next_payload=row[10], next_intent=row[11],
                reply_seq=row[12], reply_payloads=_payloads(row[13]),
                first_typed=bool(row[14]), closed_by_agent=bool(row[15]),
                labelled=bool(row[16]), dismissed=bool(row[17]),
            )
            for row in rows
        ]

    async def escalations(self, since: datetime, *, limit: int = ROW_LIMIT) -> list[Escalation]:
        """``escalated`` events since ``since``, newest first."""
        rows = await self.session.execute(
            select(ConversationEvent.conversation_id, ConversationEvent.created_at)
            .where(ConversationEvent.type == "escalated", ConversationEvent.created_at >= since)
            .order_by(ConversationEvent.created_at.desc(), ConversationEvent.id.desc())
            .limit(limit)
        )
        return [Escalation(conversation_id, at) for conversation_id, at in rows]

    async def flags(self, since: datetime, *, limit: int = ROW_LIMIT) -> list[Flag]:
        """Flags on visitor messages stored since ``since``, newest flag first."""
        rows = await self.session.execute(
            select(MessageFlag.message_id, MessageFlag.agent_id, MessageFlag.intent,
                   MessageFlag.created_at)
            .join(Message, Message.id == MessageFlag.message_id)
            .where(Message.created_at >= since)
            .order_by(MessageFlag.id.desc())
            .limit(limit)
        )
        return [Flag(*row) for row in rows]

    async def intent_names(self) -> set[str]:
        """The intents of the training data in the record."""
        return set((await self.session.scalars(select(BotIntent.name))).all())

    # -- dismissals ---------------------------------------------------------------------

    async def visitor_messages(self, message_ids: Sequence[str]) -> list[Message]:
        """Those of ``message_ids`` that are visitor messages (unknown ids are left out)."""
        found: list[Message] = []
        for start in range(0, len(message_ids), _INSERT_CHUNK):
            chunk = message_ids[start:start + _INSERT_CHUNK]
            found.extend((await self.session.scalars(
                select(Message).where(Message.id.in_(chunk), Message.sender == "visitor")
            )).all())
        return found

    async def dismiss(self, message_ids: Sequence[str], actor_id: str | None) -> set[str]:
        """Take ``message_ids`` out of the inbox; returns those not dismissed before.

        Already dismissed ones (also by a concurrent call) are skipped by the
        database rather than raising, so the count is exact under races.
        """
        added: set[str] = set()
        for start in range(0, len(message_ids), _INSERT_CHUNK):
            rows = [{"message_id": message_id, "actor_id": actor_id}
                    for message_id in message_ids[start:start + _INSERT_CHUNK]]
            statement = (
                insert_for(self.session, InboxDismissal).values(rows)
                .on_conflict_do_nothing(index_elements=["message_id"])
                .returning(InboxDismissal.message_id)
            )
            added.update((await self.session.scalars(statement)).all())
        return added

    # -- flags --------------------------------------------------------------------------

    async def message(self, message_id: str) -> Message | None:
        return await self.session.get(Message, message_id)

    async def agent_held(self, conversation_id: str, agent_id: str) -> bool:
        """Whether ``agent_id`` holds the conversation now or was ever given it.

        Closing or handing back clears ``Conversation.agent_id``; the
        ``assigned``/``transferred`` events keep who had it (``data.agent_id``).
        """
        holder = await self.session.scalar(
            select(Conversation.agent_id).where(Conversation.id == conversation_id))
        if holder == agent_id:
            return True
        given = await self.session.scalars(
            select(ConversationEvent.data).where(
                ConversationEvent.conversation_id == conversation_id,
                ConversationEvent.type.in_(("assigned", "transferred")),
            )
        )
        return any((data or {}).get("agent_id") == agent_id for data in given)

    async def add_flag(self, message_id: str, agent_id: str, intent: str | None) -> bool:
        """Record the flag; False (and nothing changes) if this agent flagged it before."""
        statement = (
            insert_for(self.session, MessageFlag)
            .values(message_id=message_id, agent_id=agent_id, intent=intent)
            .on_conflict_do_nothing(index_elements=["message_id", "agent_id"])
            .returning(MessageFlag.id)
        )
        return (await self.session.scalar(statement)) is not None



def _payloads(quick_replies: Any) -> tuple[str, ...]:
    if not isinstance(quick_replies, list):
        return ()
    return tuple(str(q.get("payload")) for q in quick_replies
                 if isinstance(q, dict) and q.get("payload"))
