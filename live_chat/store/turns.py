"""Many turns in one transaction: the reads and writes of a group commit.

A batch first reads, with two statements for all its turns, the messages
already stored under the turns' ``client_id``\\s and the visitors' open
conversations. The turns are then decided in memory, where :class:`TurnWrites`
offers the same write calls as :class:`~live_chat.store.repository.Transaction`
(``add_conversation``, ``add_message``, ``add_event``, ``set_state``) but only
collects rows; :meth:`TurnWrites.flush` stores them with one ``executemany``
per table. Everything is SQLAlchemy Core: no unit of work, no identity map.

What keeps this correct is what keeps the one-at-a-time path correct: the
batch holds the visitors' open conversations locked (``FOR UPDATE`` on
PostgreSQL, the database write lock taken at ``BEGIN IMMEDIATE`` on SQLite)
from the read to the commit, so the ``seq`` counted in memory is the next one,
and the unique constraints on ``(conversation_id, seq)``, ``(conversation_id,
client_id)`` and one open conversation per visitor refuse whatever slipped
past (the group commit then retries the turns one by one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from live_chat.lifecycle import enter_state
from live_chat.store.models import (
    OPEN_STATES,
    Attachment,
    Conversation,
    ConversationEvent,
    Message,
    Visitor,
    new_id,
    utcnow,
)

_conversations = Conversation.__table__
_messages = Message.__table__
_events = ConversationEvent.__table__
_visitors = Visitor.__table__
_attachments = Attachment.__table__

# What a turn may change on a conversation it does not move, and what a move changes too.
_BUMPED = ("last_seq", "bot_state", "updated_at")
_MOVED = (*_BUMPED, "state", "priority", "agent_id", "agent_name", "resolution",
          "queued_at", "assigned_at", "closed_at")


def _update(columns: tuple[str, ...]) -> Any:
    # Only the listed columns are SET: the report triggers fire on UPDATE OF
    # state etc., and a seq bump must not queue a conversation for them.
    return (update(_conversations)
            .where(_conversations.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in columns}))


_UPDATE_BUMPED = _update(_BUMPED)
_UPDATE_MOVED = _update(_MOVED)
# Apart from the bumps: a language change is rare, and the report facts follow it.
_UPDATE_LOCALE = _update(("locale",))
_UPDATE_VISITOR_LOCALE = (update(_visitors).where(_visitors.c.id == bindparam("_id"))
                          .values(locale=bindparam("locale")))
# A file is bound to the first message that sends it, and only to that one.
_BIND_ATTACHMENT = (update(_attachments)
                    .where(_attachments.c.id == bindparam("_id"),
                           _attachments.c.message_id.is_(None))
                    .values(message_id=bindparam("message_id"),
                            conversation_id=bindparam("conversation_id")))


async def stored_by_client_id(
    conn: AsyncConnection, keys: Iterable[tuple[str, str]], *, per: str = "visitor"
) -> dict[tuple[str, str], Message]:
    """Messages already stored under each ``(owner, client_id)``.

    ``per="visitor"``: owners are visitor ids, and a message counts in any of
    the visitor's conversations (a retry after its conversation closed);
    ``per="conversation"``: owners are conversation ids.
    """
    keys = set(keys)
    if not keys:
        return {}
    by_visitor = per == "visitor"
    owner = _conversations.c.visitor_id if by_visitor else _messages.c.conversation_id
    source = (_messages.join(_conversations, _conversations.c.id == _messages.c.conversation_id)
              if by_visitor else _messages)
    rows = await conn.execute(
        select(_messages, owner.label("owner_")).select_from(source)
        .where(owner.in_({o for o, _ in keys}), _messages.c.client_id.in_({c for _, c in keys})))
    found = {}
    for row in rows:
        fields = dict(row._mapping)
        key = (fields.pop("owner_"), fields["client_id"])
        if key in keys:
            found[key] = Message(**fields)
    return found


async def conversations_by_id(conn: AsyncConnection,
                              ids: Iterable[str]) -> dict[str, Conversation]:
    """The conversations of ``ids`` (those that exist), locked until the commit."""
    rows = await conn.execute(
        select(_conversations).where(_conversations.c.id.in_(set(ids)))
        .order_by(_conversations.c.id).with_for_update())
    return {row.id: Conversation(**row._mapping) for row in rows}


async def answered_by_agents(conn: AsyncConnection, ids: Iterable[str]) -> set[str]:
    """Which of the conversations ``ids`` already have a message from an agent."""
    rows = await conn.execute(
        select(_messages.c.conversation_id).distinct()
        .where(_messages.c.conversation_id.in_(set(ids)), _messages.c.sender == "agent"))
    return set(rows.scalars())


async def open_conversations(conn: AsyncConnection,
                             visitor_ids: Iterable[str]) -> dict[str, Conversation]:
    """Each visitor's open conversation, locked until the commit (detached objects)."""
    rows = await conn.execute(
        select(_conversations)
        .where(_conversations.c.visitor_id.in_(set(visitor_ids)),
               _conversations.c.state.in_(OPEN_STATES))
        .order_by(_conversations.c.id)  # one lock order for every process: no deadlock
        .with_for_update()
    )
    return {row.visitor_id: Conversation(**row._mapping) for row in rows}


class TurnWrites:
    """The writes of one batch, collected in memory and stored by :meth:`flush`.

    ``conversations`` are the batch's open conversations by id, as read;
    the calls change them in memory (``last_seq``, state, …) as the ORM would.
    """

    def __init__(self, conversations: Iterable[Conversation]) -> None:
        self._open = {c.id: c for c in conversations}
        self._new: list[Conversation] = []
        self._messages: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._bound: list[dict[str, Any]] = []
        self._bumped: set[str] = set()
        self._moved: set[str] = set()
        self._relocaled: set[str] = set()
        self._visitor_locales: dict[str, str] = {}

    async def add_conversation(self, visitor_id: str, *, locale: str | None) -> Conversation:
        now = utcnow()
        conversation = Conversation(
            id=new_id(), visitor_id=visitor_id, state="bot", priority=0, team=None,
            agent_id=None, agent_name=None, last_seq=0, locale=locale, bot_state={},
            resolution=None, queued_at=None, assigned_at=None, created_at=now,
            updated_at=now, closed_at=None, visitor_read_seq=0, agent_read_seq=0,
        )
        self._open[conversation.id] = conversation
        self._new.append(conversation)
        await self.add_event(conversation.id, "created", to_state="bot", actor="visitor", at=now)
        return conversation

    async def add_message(self, conversation_id: str, *, sender: str, text: str,
                          client_id: str | None = None, payload: str | None = None,
                          author_id: str | None = None, author_name: str | None = None,
                          quick_replies: list[dict[str, str]] | None = None,
                          intent: str | None = None,
                          confidence: float | None = None,
                          action: str | None = None,
                          attachments: list[dict[str, Any]] | None = None,
                          image: str | None = None,
                          custom: dict[str, Any] | None = None) -> Message:
        """``attachments``: the files it carries, as clients see them ({id, name, type,
        size}); each is bound to this message."""
        conversation = self._open[conversation_id]
        now = utcnow()
        conversation.last_seq += 1
        conversation.updated_at = now
        self._bumped.add(conversation_id)
        row = {"id": new_id(), "conversation_id": conversation_id, "seq": conversation.last_seq,
               "sender": sender, "author_id": author_id, "author_name": author_name,
               "text": text,
               "payload": payload, "quick_replies": quick_replies or [],
               "client_id": client_id, "intent": intent, "confidence": confidence,
               "action": action, "attachments": attachments or [], "image": image,
               "custom": custom, "created_at": now}
        self._messages.append(row)
        self._bound += [{"_id": a["id"], "message_id": row["id"],
                         "conversation_id": conversation_id} for a in attachments or ()]
        return Message(**row)

    async def add_event(self, conversation_id: str, type_: str, *, from_state: str | None = None,
                        to_state: str | None = None, actor: str | None = None,
                        data: dict[str, Any] | None = None, at: datetime | None = None) -> None:
        self._events.append({"conversation_id": conversation_id, "type": type_,
                             "from_state": from_state, "to_state": to_state, "actor": actor,
                             "data": data or {}, "created_at": at or utcnow()})

    def set_locale(self, conversation: Conversation, locale: str) -> None:
        """The visitor's language changed: ``locale`` for the conversation and its visitor."""
        conversation.locale = locale
        self._relocaled.add(conversation.id)
        self._visitor_locales[conversation.visitor_id] = locale

    async def set_state(self, conversation: Conversation, to_state: str, *, event: str,
                        actor: str | None = None, data: dict[str, Any] | None = None) -> None:
        now = utcnow()
        from_state = enter_state(conversation, to_state, now)
        self._moved.add(conversation.id)
        await self.add_event(conversation.id, event, from_state=from_state, to_state=to_state,
                             actor=actor, data=data, at=now)

    async def flush(self, conn: AsyncConnection) -> None:
        """Store everything collected: one statement per table and kind of change."""
        new = {c.id for c in self._new}
        moved = [self._open[i] for i in self._moved if i not in new]
        bumped = [self._open[i] for i in self._bumped - self._moved if i not in new]
        # Moves first: a conversation closed in this batch must be closed before
        # the same visitor's next one is inserted (one open conversation each).
        if moved:
            await conn.execute(_UPDATE_MOVED, [_columns(c, _MOVED) for c in moved])
        if self._new:
            await conn.execute(_conversations.insert(), [_columns(c) for c in self._new])
        if bumped:
            await conn.execute(_UPDATE_BUMPED, [_columns(c, _BUMPED) for c in bumped])
        if self._messages:
            await conn.execute(_messages.insert(), self._messages)
        if self._events:
            await conn.execute(_events.insert(), self._events)
        relocaled = [self._open[i] for i in self._relocaled if i not in new]
        if relocaled:
            await conn.execute(_UPDATE_LOCALE, [_columns(c, ("locale",)) for c in relocaled])
        if self._visitor_locales:
            await conn.execute(_UPDATE_VISITOR_LOCALE, [
                {"_id": visitor_id, "locale": locale}
                for visitor_id, locale in self._visitor_locales.items()])
        if self._bound:
            await conn.execute(_BIND_ATTACHMENT, self._bound)


def _columns(conversation: Conversation, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    if names is None:
        return {c.name: getattr(conversation, c.name) for c in _conversations.columns}
    return {"_id": conversation.id, **{name: getattr(conversation, name) for name in names}}
