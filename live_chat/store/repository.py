"""The only module that issues SQL for the live chat.

:class:`Store` opens transactions; :class:`Transaction` offers the few
operations a conversation needs, all inside that one transaction, so a caller
composes "store the message, classify it, change the state" atomically.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from live_chat.lifecycle import enter_state
from live_chat.store.models import (
    OPEN_STATES,
    Agent,
    AgentSession,
    CannedResponse,
    Conversation,
    ConversationAgent,
    ConversationEvent,
    Csat,
    Message,
    Note,
    Visitor,
    utcnow,
)
from live_chat.store.portable import insert_for

__all__ = ["IntegrityError", "ReadMarks", "ReadSide", "Store", "Transaction"]

#: Whose read mark: the visitor's or the agent's (whoever holds the chat).
ReadSide = Literal["visitor", "agent"]
_READ_COLUMNS = {"visitor": Conversation.visitor_read_seq, "agent": Conversation.agent_read_seq}


@dataclass(frozen=True, slots=True)
class ReadMarks:
    """How far each side of a conversation has read: the highest seq they had in view."""

    visitor: int
    agent: int


class Store:
    """Entry point to the record. ``engine`` is the async engine of the deployment."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Transaction]:
        """One transaction: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield Transaction(session)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


class Transaction:
    """Operations inside one open transaction (see :meth:`Store.begin`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- visitors -----------------------------------------------------------

    async def visitor(self, visitor_id: str) -> Visitor | None:
        return await self.session.get(Visitor, visitor_id)

    async def visitor_by_user(self, user_id: str) -> Visitor | None:
        return await self.session.scalar(select(Visitor).where(Visitor.user_id == user_id))

    async def add_visitor(
        self, *, locale: str | None, page_url: str | None, user_id: str | None = None
    ) -> Visitor:
        visitor = Visitor(locale=locale, page_url=page_url, user_id=user_id)
        self.session.add(visitor)
        await self.session.flush()
        return visitor

    async def touch_visitor(
        self, visitor: Visitor, *, locale: str | None, page_url: str | None
    ) -> None:
        visitor.last_seen_at = utcnow()
        if locale:
            visitor.locale = locale
        if page_url:
            visitor.page_url = page_url

    # -- conversations ------------------------------------------------------

    async def conversation(
        self, conversation_id: str, *, lock: bool = False
    ) -> Conversation | None:
        query = select(Conversation).where(Conversation.id == conversation_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def open_conversation(
        self, visitor_id: str, *, lock: bool = False
    ) -> Conversation | None:
        query = select(Conversation).where(
            Conversation.visitor_id == visitor_id, Conversation.state.in_(OPEN_STATES)
        )
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def latest_conversation(self, visitor_id: str) -> Conversation | None:
        return await self.session.scalar(
            select(Conversation)
            .where(Conversation.visitor_id == visitor_id)
            .order_by(Conversation.created_at.desc())
            .limit(1)
        )

    async def add_conversation(self, visitor_id: str, *, locale: str | None) -> Conversation:
        """A new conversation with the bot. Raises IntegrityError if one is already open."""
        conversation = Conversation(visitor_id=visitor_id, state="bot", locale=locale)
        self.session.add(conversation)
        await self.session.flush()
        await self.add_event(conversation.id, "created", to_state="bot", actor="visitor")
        return conversation

    async def set_state(
        self,
        conversation: Conversation,
        to_state: str,
        *,
        event: str,
        actor: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> ConversationEvent:
        """Move ``conversation`` to ``to_state`` and record why, with the time."""
        now = utcnow()
        from_state = enter_state(conversation, to_state, now)
        return await self.add_event(
            conversation.id, event, from_state=from_state, to_state=to_state,
            actor=actor, data=data, at=now,
        )

    async def add_event(
        self,
        conversation_id: str,
        type_: str,
        *,
        from_state: str | None = None,
        to_state: str | None = None,
        actor: str | None = None,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> ConversationEvent:
        event = ConversationEvent(
            conversation_id=conversation_id, type=type_, from_state=from_state,
            to_state=to_state, actor=actor, data=data or {}, created_at=at or utcnow(),
        )
        self.session.add(event)
        await self.session.flush()
        return event

    async def advance_read_mark(self, conversation_id: str, side: ReadSide,
                                seq: int) -> tuple[bool, ReadMarks]:
        """Raise ``side``'s read mark of the conversation to ``seq`` if it is lower.

        Returns whether it moved, and both marks as stored after. The guard is in
        the UPDATE itself, so a mark never goes back, however two processes race:
        on PostgreSQL the second UPDATE waits for the first's row lock and checks
        its WHERE again on the row as committed; SQLite has one writer at a time.
        """
        column = _READ_COLUMNS[side]
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, column < seq)
            .values({column: seq})
            # The ORM copies loaded in this session are not touched (nor flushed back).
            .execution_options(synchronize_session=False))
        moved = result.rowcount == 1  # type: ignore[attr-defined]
        row = (await self.session.execute(
            select(Conversation.visitor_read_seq, Conversation.agent_read_seq)
            .where(Conversation.id == conversation_id))).one()
        return moved, ReadMarks(visitor=row[0], agent=row[1])

    # -- messages -----------------------------------------------------------

    async def visitor_message_by_client_id(self, visitor_id: str, client_id: str) -> Message | None:
        """A visitor's earlier message with this ``client_id``, in any of their conversations.

        Looking across conversations keeps a retry idempotent even when the
        first attempt's conversation has been closed in between.
        """
        return await self.session.scalar(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.visitor_id == visitor_id, Message.client_id == client_id)
        )

    async def message_by_client_id(self, conversation_id: str, client_id: str) -> Message | None:
        return await self.session.scalar(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.client_id == client_id
            )
        )

    async def add_message(
        self,
        conversation_id: str,
        *,
        sender: str,
        text: str,
        client_id: str | None = None,
        payload: str | None = None,
        author_id: str | None = None,
        author_name: str | None = None,
        quick_replies: list[dict[str, str]] | None = None,
        intent: str | None = None,
        confidence: float | None = None,
        action: str | None = None,
        image: str | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message with the conversation's next ``seq`` (``intent`` and
        ``confidence``: the bot's classification, when it is already known;
        ``action``: on a bot message, what the bot did; ``image`` and ``custom``:
        a Rasa assistant's image URL and custom payload).

        The counter is bumped with an UPDATE … RETURNING, which locks the
        conversation row until commit: concurrent writers queue up and ``seq``
        stays gap-free, because a rolled-back insert also rolls back its bump.
        """
        now = utcnow()
        seq = await self.session.scalar(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_seq=Conversation.last_seq + 1, updated_at=now)
            .returning(Conversation.last_seq)
        )
        if seq is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        message = Message(
            conversation_id=conversation_id, seq=seq, sender=sender, text=text,
            client_id=client_id, payload=payload, author_id=author_id,
            author_name=author_name, quick_replies=quick_replies or [], created_at=now,
            intent=intent, confidence=confidence, action=action, image=image, custom=custom,
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def has_message_from(self, conversation_id: str, sender: str) -> bool:
        found = await self.session.scalar(
            select(Message.id)
            .where(Message.conversation_id == conversation_id, Message.sender == sender)
            .limit(1)
        )
        return found is not None

    async def classify(self, message_id: str, intent: str | None, confidence: float | None) -> None:
        await self.session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(intent=intent, confidence=confidence)
        )

    async def messages_since(
        self, conversation_id: str, since_seq: int, limit: int = 500
    ) -> Sequence[Message]:
        result = await self.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.seq > since_seq)
            .order_by(Message.seq)
            .limit(limit)
        )
        return result.all()

    # -- satisfaction -------------------------------------------------------

    async def csat(self, conversation_id: str) -> Csat | None:
        return await self.session.get(Csat, conversation_id)

    async def add_csat(self, conversation_id: str, score: int, comment: str | None) -> None:
        self.session.add(Csat(conversation_id=conversation_id, score=score, comment=comment))
        await self.session.flush()
        await self.add_event(conversation_id, "csat", actor="visitor", data={"score": score})

    # -- agents -------------------------------------------------------------

    async def agent(self, agent_id: str) -> Agent | None:
        return await self.session.get(Agent, agent_id)

    async def agent_by_email(self, email: str) -> Agent | None:
        return await self.session.scalar(select(Agent).where(Agent.email == email))

    async def agents(self) -> Sequence[Agent]:
        return (await self.session.scalars(select(Agent).order_by(Agent.created_at))).all()

    async def add_agent(self, **fields: Any) -> Agent:
        agent = Agent(**fields)
        self.session.add(agent)
        await self.session.flush()
        return agent

    async def add_agent_session(self, agent_id: str, expires_at: datetime) -> AgentSession:
        row = AgentSession(agent_id=agent_id, expires_at=expires_at)
        self.session.add(row)
        await self.session.flush()
        return row

    async def agent_session(self, session_id: str) -> AgentSession | None:
        return await self.session.get(AgentSession, session_id)

    async def revoke_agent_session(self, session_id: str) -> None:
        await self.session.execute(
            update(AgentSession)
            .where(AgentSession.id == session_id, AgentSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

    async def visitor_conversations(
        self, visitor_id: str, *, exclude: str | None = None, limit: int = 10
    ) -> Sequence[Conversation]:
        """The visitor's conversations, newest first (``exclude``: leave this one out)."""
        statement = (
            select(Conversation).where(Conversation.visitor_id == visitor_id)
            .order_by(Conversation.created_at.desc()).limit(limit)
        )
        if exclude is not None:
            statement = statement.where(Conversation.id != exclude)
        return (await self.session.scalars(statement)).all()

    async def visitor_conversation_count(self, visitor_id: str, *,
                                         exclude: str | None = None) -> int:
        """How many conversations the visitor has had (``exclude``: not counting this one)."""
        statement = select(func.count()).select_from(Conversation).where(
            Conversation.visitor_id == visitor_id)
        if exclude is not None:
            statement = statement.where(Conversation.id != exclude)
        return int(await self.session.scalar(statement) or 0)

    async def visitor_names(self, visitor_ids: Sequence[str]) -> dict[str, str]:
        """The names kept for these visitors (those without one are left out)."""
        if not visitor_ids:
            return {}
        rows = await self.session.execute(
            select(Visitor.id, Visitor.name)
            .where(Visitor.id.in_(list(visitor_ids)), Visitor.name.is_not(None)))
        return {visitor_id: name for visitor_id, name in rows.all()}

    async def conversations_held_by(self, agent_id: str) -> Sequence[Conversation]:
        result = await self.session.scalars(
            select(Conversation)
            .where(Conversation.agent_id == agent_id, Conversation.state == "assigned")
            .order_by(Conversation.updated_at)
        )
        return result.all()

    async def conversations_in(self, states: tuple[str, ...]) -> Sequence[Conversation]:
        result = await self.session.scalars(
            select(Conversation).where(Conversation.state.in_(states))
            .order_by(Conversation.queued_at)
        )
        return result.all()

    async def record_handler(self, conversation_id: str, agent_id: str) -> None:
        """Remember that ``agent_id`` was given the conversation (now: the newest row)."""
        now = utcnow()
        statement = insert_for(self.session, ConversationAgent).values(
            conversation_id=conversation_id, agent_id=agent_id, assigned_at=now)
        await self.session.execute(statement.on_conflict_do_update(
            index_elements=["conversation_id", "agent_id"], set_={"assigned_at": now}))

    async def add_note(self, conversation_id: str, agent_id: str, text: str) -> Note:
        note = Note(conversation_id=conversation_id, agent_id=agent_id, text=text)
        self.session.add(note)
        await self.session.flush()
        return note

    async def notes(self, conversation_id: str) -> Sequence[Note]:
        result = await self.session.scalars(
            select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
        )
        return result.all()

    # -- canned responses ---------------------------------------------------

    async def canned_responses(
        self, *, query: str | None = None, locale: str | None = None
    ) -> Sequence[CannedResponse]:
        statement = select(CannedResponse).order_by(CannedResponse.shortcut,
                                                    CannedResponse.locale)
        if locale:
            statement = statement.where(CannedResponse.locale == locale)
        if query:
            pattern = f"%{query.lower()}%"
            statement = statement.where(or_(
                func.lower(CannedResponse.shortcut).like(pattern),
                func.lower(CannedResponse.title).like(pattern),
                func.lower(CannedResponse.text).like(pattern),
            ))
        return (await self.session.scalars(statement)).all()

    async def canned_response(self, canned_id: int) -> CannedResponse | None:
        return await self.session.get(CannedResponse, canned_id)

    async def add_canned_response(self, **fields: Any) -> CannedResponse:
        row = CannedResponse(**fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_canned_response(self, row: CannedResponse) -> None:
        await self.session.delete(row)
        await self.session.flush()
