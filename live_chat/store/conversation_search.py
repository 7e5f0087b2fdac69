"""SQL of the console inbox: find conversations, summarise a page of them, their tags.

Every function works inside a transaction the caller opened (``Store.begin()``)
and is bounded: a search reads one page (at most :data:`MAX_PAGE` rows, plus
one to know whether there is more) in keyset order, newest first, and the
summaries are a few queries over that page's conversations only. Text search
is ``ILIKE`` (``lower(…) LIKE lower(…)`` on SQLite) with ``%``, ``_`` and the
escape character escaped, so a search for ``50%`` means those three
characters; it reads messages, which no index serves, but only until a page is
full. Who may see what is decided here as a SQL condition (:func:`readable_by`)
so that a plain agent's page is full of conversations they may open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from live_chat.store.models import (
    Agent,
    Conversation,
    ConversationAgent,
    ConversationTag,
    Csat,
    Message,
    Visitor,
)
from live_chat.store.portable import insert_for

#: The most conversations one page holds.
MAX_PAGE = 50
#: The most tags one conversation carries.
MAX_TAGS = 20
#: Characters of the visitor's first message a summary carries.
FIRST_WORDS = 120
_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who searches: ``sees_all`` for supervisors and admins; a plain agent sees the
    conversations they were given, and every conversation of a visitor whose chat
    they hold now (as agent ``sync`` allows)."""

    agent_id: str
    sees_all: bool


@dataclass(frozen=True, slots=True)
class Filters:
    """What to look for; ``None`` (or empty) leaves a filter out.

    ``text``: a substring of any message (case-insensitive for ASCII on
    SQLite, for every script on PostgreSQL); ``states``: conversation states;
    ``visitor``: a visitor id, the last 6+ characters of one (as the console
    shows it), the site's user id, or the visitor's name or e-mail (whole,
    any case); ``email``: the visitor's e-mail, whole, any case (for a CRM that
    knows its contact by address); ``intent``: the bot classified one of the
    visitor's messages so; ``agent_id``: the agent was given the conversation;
    ``since``/``until``: created in ``[since, until)``; ``tag``: carries it.
    """

    text: str | None = None
    states: tuple[str, ...] = ()
    visitor: str | None = None
    email: str | None = None
    intent: str | None = None
    agent_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page ended (its last conversation's creation time and id)."""

    created_at: datetime
    conversation_id: str


def like_pattern(text: str) -> str:
    """``%text%`` with the LIKE wildcards and the escape character taken literally."""
    escaped = (text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
               .replace("_", _ESCAPE + "_"))
    return f"%{escaped}%"


def readable_by(viewer: Viewer, conversation: Any = Conversation) -> ColumnElement[bool]:
    """The condition "``viewer`` may read ``conversation``" (a table or an alias of it):
    supervisors and admins read all; an agent the conversations they took part in,
    those of the visitors they hold now, and offline messages (left for the whole
    team, which any agent may answer by e-mail)."""
    if viewer.sees_all:
        return true()
    held = aliased(Conversation)
    return or_(
        conversation.resolution == "offline_message",
        exists().where(ConversationAgent.conversation_id == conversation.id,
                       ConversationAgent.agent_id == viewer.agent_id),
        conversation.visitor_id.in_(
            select(held.visitor_id).where(held.agent_id == viewer.agent_id,
                                          held.state == "assigned")),
    )


async def may_read(session: AsyncSession, viewer: Viewer, conversation_id: str) -> bool:
    """Whether ``viewer`` may read the conversation (false too when there is none)."""
    found = await session.scalar(
        select(Conversation.id).where(Conversation.id == conversation_id, readable_by(viewer)))
    return found is not None


async def search(session: AsyncSession, viewer: Viewer, filters: Filters, *,
                 cursor: Cursor | None, limit: int) -> tuple[list[dict[str, Any]], Cursor | None]:
    """One page of summaries, newest first, and the cursor of the next page (or None)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = (
        select(Conversation).where(readable_by(viewer), *_conditions(filters))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(limit + 1)
    )
    if cursor is not None:
        query = query.where(or_(
            Conversation.created_at < cursor.created_at,
            and_(Conversation.created_at == cursor.created_at,
                 Conversation.id < cursor.conversation_id),
        ))
    rows = list((await session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    following = Cursor(rows[-1].created_at, rows[-1].id) if more else None
    return await summaries(session, rows), following


def _conditions(f: Filters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.text:
        out.append(exists().where(
            Message.conversation_id == Conversation.id,
            Message.text.ilike(like_pattern(f.text), escape=_ESCAPE)))
    if f.states:
        out.append(Conversation.state.in_(f.states))
    if f.visitor:
        folded = f.visitor.lower()
        who = [Visitor.id == f.visitor, Visitor.user_id == f.visitor,
               func.lower(Visitor.name) == folded, func.lower(Visitor.email) == folded]
        if 6 <= len(f.visitor) < 32 and all(c in "0123456789abcdef" for c in f.visitor):
            who.append(Visitor.id.like(f"%{f.visitor}"))
        out.append(Conversation.visitor_id.in_(select(Visitor.id).where(or_(*who))))
    if f.email:
        out.append(Conversation.visitor_id.in_(
            select(Visitor.id).where(func.lower(Visitor.email) == f.email.lower())))
    if f.intent:
        out.append(exists().where(
            Message.conversation_id == Conversation.id, Message.sender == "visitor",
            Message.intent == f.intent))
    if f.agent_id:
        out.append(exists().where(ConversationAgent.conversation_id == Conversation.id,
                                  ConversationAgent.agent_id == f.agent_id))
    if f.since:
        out.append(Conversation.created_at >= f.since)
    if f.until:
        out.append(Conversation.created_at < f.until)
    if f.tag:
        out.append(exists().where(ConversationTag.conversation_id == Conversation.id,
                                  ConversationTag.tag == f.tag))
    return out


async def summaries(session: AsyncSession,
                    conversations: Sequence[Conversation]) -> list[dict[str, Any]]:
    """What the inbox lists of each conversation, in the order given.

    ``{id, state, created_at, closed_at, last_message_at, last_seq, locale,
    resolution, visitor: {id, user_id, name}, agent: {id, name} | null (the holder,
    else the last agent given it), intents, first_words, tags, csat}``.
    """
    ids = [c.id for c in conversations]
    if not ids:
        return []
    visitors = {vid: (user_id, name) for vid, user_id, name in (await session.execute(
        select(Visitor.id, Visitor.user_id, Visitor.name)
        .where(Visitor.id.in_({c.visitor_id for c in conversations})))).all()}
    first_seq = (
        select(Message.conversation_id, func.min(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(ids), Message.sender == "visitor")
        .group_by(Message.conversation_id).subquery()
    )
    first = dict((await session.execute(
        select(Message.conversation_id, Message.text).join(first_seq, and_(
            Message.conversation_id == first_seq.c.conversation_id,
            Message.seq == first_seq.c.seq)))).all())
    last = dict((await session.execute(
        select(Message.conversation_id, Message.created_at).join(Conversation, and_(
            Message.conversation_id == Conversation.id, Message.seq == Conversation.last_seq))
        .where(Conversation.id.in_(ids)))).all())
    intents: dict[str, list[str]] = {}
    for cid, intent, _ in (await session.execute(
        select(Message.conversation_id, Message.intent, func.min(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(ids), Message.sender == "visitor",
               Message.intent.is_not(None))
        .group_by(Message.conversation_id, Message.intent).order_by("seq"))):
        intents.setdefault(cid, []).append(intent)
    tags = await tags_of(session, ids)
    scores = dict((await session.execute(
        select(Csat.conversation_id, Csat.score).where(Csat.conversation_id.in_(ids))
    )).all())
    handlers: dict[str, tuple[str, str]] = {}
    for cid, agent_id, name in (await session.execute(
        select(ConversationAgent.conversation_id, ConversationAgent.agent_id, Agent.name)
        .join(Agent, Agent.id == ConversationAgent.agent_id)
        .where(ConversationAgent.conversation_id.in_(ids))
        .order_by(ConversationAgent.assigned_at))):
        handlers[cid] = (agent_id, name)  # the newest wins
    out = []
    for c in conversations:
        agent = (c.agent_id, c.agent_name or "") if c.agent_id else handlers.get(c.id)
        text = " ".join(first.get(c.id, "").split())
        out.append({
            "id": c.id, "state": c.state, "created_at": c.created_at.isoformat(),
            "closed_at": c.closed_at.isoformat() if c.closed_at else None,
            "last_message_at": last[c.id].isoformat() if c.id in last else None,
            "last_seq": c.last_seq, "locale": c.locale, "resolution": c.resolution,
            "visitor": {"id": c.visitor_id, "user_id": visitors.get(c.visitor_id, (None,))[0],
                        "name": visitors.get(c.visitor_id, (None, None))[1]},
            "agent": {"id": agent[0], "name": agent[1]} if agent else None,
            "intents": intents.get(c.id, []),
            "first_words": text[:FIRST_WORDS] + ("…" if len(text) > FIRST_WORDS else ""),
            "tags": tags.get(c.id, []), "csat": scores.get(c.id),
        })
    return out


# -- tags ------------------------------------------------------------------------


async def tags_of(session: AsyncSession, conversation_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each conversation's tags, sorted."""
    out: dict[str, list[str]] = {}
    if not conversation_ids:
        return out
    for cid, tag in (await session.execute(
        select(ConversationTag.conversation_id, ConversationTag.tag)
        .where(ConversationTag.conversation_id.in_(conversation_ids))
        .order_by(ConversationTag.tag))):
        out.setdefault(cid, []).append(tag)
    return out


async def add_tag(session: AsyncSession, conversation_id: str, tag: str,
                  agent_id: str) -> bool:
    """Tag the conversation; False when it already had the tag (nothing changes)."""
    result = await session.execute(
        insert_for(session, ConversationTag)
        .values(conversation_id=conversation_id, tag=tag, created_by=agent_id)
        .on_conflict_do_nothing(index_elements=["conversation_id", "tag"]))
    return bool(getattr(result, "rowcount", 0))


async def remove_tag(session: AsyncSession, conversation_id: str, tag: str) -> bool:
    """Untag the conversation; False when it did not have the tag."""
    result = await session.execute(delete(ConversationTag).where(
        ConversationTag.conversation_id == conversation_id, ConversationTag.tag == tag))
    return bool(getattr(result, "rowcount", 0))
