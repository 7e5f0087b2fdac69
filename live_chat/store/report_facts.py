"""The ``report_facts`` table: one row of facts per conversation, kept up to date.

A report over a year would otherwise aggregate a million messages and a few
hundred thousand events on every request. Instead each conversation's facts —
what it was about, its milestones, who held it, its rating — are derived once
from its own rows into ``report_facts`` (``live_chat.store.models.ReportFact``),
and reports aggregate those narrow rows (``live_chat.store.reports``).

Keeping them exact: triggers (migration 0008) append a conversation's id to
``report_facts_queue`` whenever any of its rows is written. :func:`refresh_facts`
takes the queued conversations in chunks; per chunk, in one transaction, it
deletes their queue rows first and then derives their facts, so a change
committed after the delete has a queue row left for the next refresh and one
committed before it is read by the derivation. Every report calls it first:
a report sees everything committed before it began. Each process also runs it
every :data:`REFRESH_S` seconds so that a report rarely has much to do.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE
from bot.policy import CHITCHAT
from live_chat.store.models import (
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    ReportFact,
    ReportFactQueue,
)
from live_chat.store.portable import epoch_us, keyed_text
from live_chat.store.repository import Store

#: Intents that say nothing about what the visitor came for (docs/metrics.md): the
#: policy's small talk, asking for a person, and a message that came while the NLU
#: engine (Rasa) was down (unclassified: neither a topic nor out of scope).
NOT_A_TOPIC = (*sorted(CHITCHAT), "request_human", NLU_UNAVAILABLE)
#: Milestones read from ``conversation_events`` (``closed_by_agent``: the ``closed``
#: event when an agent held the chat).
MILESTONES = ("escalated", "assigned", "first_agent_reply", "closed", "closed_by_agent",
              "abandoned")
#: Events that give the conversation to the agent named in ``data.agent_id``.
ASSIGNING = ("assigned", "transferred")
#: Conversations derived per transaction: bounds how long a refresh holds SQLite's
#: write lock (a chunk takes tens of milliseconds).
CHUNK = 500
#: Seconds between two refreshes in each gateway process.
REFRESH_S = 30.0
# Added to the seq of an out-of-scope message in the topic key (seqs stay far below).
_OUT_OF_SCOPE_KEY = 1_000_000_000
# Serialises refreshes across processes on PostgreSQL (any constant shared by all).
_REFRESH_LOCK_ID = 0x74737570

_LOCKS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


async def refresh_facts(store: Store) -> int:
    """Derive the facts of every queued conversation again; return how many were.

    Safe to call from any number of tasks and processes at once: within a
    process they take turns; across processes PostgreSQL's advisory lock
    (SQLite's write lock) serialises the chunks, and a conversation derived
    twice comes out the same.
    """
    lock = _LOCKS.setdefault(store.engine, asyncio.Lock())
    queue = ReportFactQueue.__table__
    facts = ReportFact.__table__
    ids = bindparam("ids", expanding=True)
    done = 0
    after = ""
    async with lock:
        while True:
            async with store.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                       {"id": _REFRESH_LOCK_ID})
                # In id order from where the last chunk ended: the chunks never
                # meet a conversation twice, and the statement reads an index range.
                chosen: Sequence[str] = (await conn.execute(
                    select(queue.c.conversation_id).distinct()
                    .where(queue.c.conversation_id > after)
                    .order_by(queue.c.conversation_id).limit(CHUNK)
                )).scalars().all()
                if not chosen:
                    break
                values = {"ids": list(chosen)}
                await conn.execute(delete(queue).where(queue.c.conversation_id.in_(ids)), values)
                await conn.execute(delete(facts).where(facts.c.id.in_(ids)), values)
                derived = derive(ids)
                await conn.execute(
                    insert(facts).from_select([column.key for column in derived.selected_columns],
                                              derived), values)
            done += len(chosen)
            after = chosen[-1]
            if len(chosen) < CHUNK:
                break
    return done


def derive(ids: Any) -> Select[Any]:
    """The ``report_facts`` rows of the conversations whose ids are the expanding
    bind parameter ``ids`` (a conversation that no longer exists gives none)."""
    c = Conversation.__table__
    m = Message.__table__
    told = _told(ids).subquery("told")
    happened = _happened(ids).subquery("happened")
    topic = m.alias("topic_message")
    ratings = Csat.__table__
    intent = case((told.c.topic_key >= _OUT_OF_SCOPE_KEY, OUT_OF_SCOPE), else_=topic.c.intent)
    return (
        select(
            c.c.id, c.c.visitor_id, c.c.created_at, epoch_us(c.c.created_at).label("created_us"),
            c.c.state, c.c.team, c.c.locale,
            func.coalesce(c.c.agent_id, happened.c.last_agent_id).label("agent_id"),
            c.c.resolution, intent.label("intent"),
            told.c.first_visitor_us, told.c.last_visitor_us, told.c.first_bot_us,
            told.c.last_message_us,
            func.coalesce(happened.c.bot_resolved, 0).label("bot_resolved"),
            *(happened.c[f"{name}_us"] for name in MILESTONES),
            *(happened.c[f"{name}_at"] for name in MILESTONES if name != "closed_by_agent"),
            ratings.c.score.label("csat"),
        )
        .select_from(
            c.outerjoin(told, told.c.id == c.c.id)
            .outerjoin(happened, happened.c.id == c.c.id)
            .outerjoin(topic, and_(topic.c.conversation_id == c.c.id,
                                   topic.c.seq == told.c.topic_key))
            .outerjoin(ratings, ratings.c.conversation_id == c.c.id)
        )
        .where(c.c.id.in_(ids))
    )


def _told(ids: Any) -> Select[Any]:
    """Per conversation, what its messages say: first and last visitor message, first
    bot reply, last message but system lines (:class:`epoch_us`), and ``topic_key``:
    the seq of the first in-scope, not small-talk visitor message, or
    :data:`_OUT_OF_SCOPE_KEY` + the seq of the first out-of-scope one when there is
    none (one aggregate for both)."""
    m = Message.__table__
    visitor = m.c.sender == "visitor"
    topical = and_(visitor, m.c.intent.not_in(NOT_A_TOPIC))
    return (
        select(
            m.c.conversation_id.label("id"),
            epoch_us(func.min(case((visitor, m.c.created_at)))).label("first_visitor_us"),
            epoch_us(func.max(case((visitor, m.c.created_at)))).label("last_visitor_us"),
            epoch_us(func.min(case((m.c.sender == "bot", m.c.created_at)))).label(
                "first_bot_us"),
            # System lines (transfers, hand-backs) are nobody's activity.
            epoch_us(func.max(case((m.c.sender != "system", m.c.created_at)))).label(
                "last_message_us"),
            func.min(case((topical, case(
                (m.c.intent == OUT_OF_SCOPE, m.c.seq + _OUT_OF_SCOPE_KEY), else_=m.c.seq)))
            ).label("topic_key"),
        )
        .where(m.c.conversation_id.in_(ids))
        .group_by(m.c.conversation_id)
    )


def _happened(ids: Any) -> Select[Any]:
    """Per conversation, its milestones from ``conversation_events`` (as
    :class:`epoch_us` and as times), whether the bot resolved it, and the agent
    named by its last assignment."""
    e = ConversationEvent.__table__
    tests = {name: e.c.type == name for name in MILESTONES}
    tests["closed_by_agent"] = and_(e.c.type == "closed", e.c.from_state == "assigned")
    firsts = {name: func.min(case((test, e.c.created_at))) for name, test in tests.items()}
    return (
        select(
            e.c.conversation_id.label("id"),
            *(epoch_us(first).label(f"{name}_us") for name, first in firsts.items()),
            *(first.label(f"{name}_at") for name, first in firsts.items()
              if name != "closed_by_agent"),
            func.max(case((e.c.type == "bot_resolved", 1), else_=0)).label("bot_resolved"),
            # The largest event id wins, carried in the same aggregate as a text.
            func.substr(func.max(case((e.c.type.in_(ASSIGNING), keyed_text(
                e.c.id, e.c.data["agent_id"].as_string())))), 13).label("last_agent_id"),
        )
        .where(e.c.conversation_id.in_(ids))
        .group_by(e.c.conversation_id)
    )


__all__ = ["ASSIGNING", "CHUNK", "MILESTONES", "OUT_OF_SCOPE", "REFRESH_S", "derive",
           "refresh_facts"]
