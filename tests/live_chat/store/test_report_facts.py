"""``report_facts`` follows the record: whatever writes a conversation's rows, the next
report sees it (live_chat/store/report_facts.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update

from live_chat.reports.summary import summary
from live_chat.reports.window import ReportWindow
from live_chat.store.models import (
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    ReportFact,
    ReportFactQueue,
    Visitor,
)
from live_chat.store.report_facts import CHUNK, refresh_facts
from live_chat.store.repository import Store

DAY = datetime(2026, 3, 2, tzinfo=UTC)
WINDOW = ReportWindow(since=DAY, until=DAY + timedelta(days=1), tz=ZoneInfo("UTC"))
NOW = DAY + timedelta(days=2)



async def conversation(store: Store, minute: int, *intents: str) -> str:
    """A conversation with the bot created at ``minute`` past midnight: one visitor message
    per intent, each answered by the bot a second later (raw inserts, no repository)."""
    created = DAY + timedelta(minutes=minute)
    async with store.engine.begin() as conn:
        visitor_id = f"v{minute:031d}"
        conversation_id = f"c{minute:031d}"
        await conn.execute(insert(Visitor).values(id=visitor_id, created_at=created))
        await conn.execute(insert(Conversation).values(
            id=conversation_id, visitor_id=visitor_id, state="bot", locale="en",
            created_at=created, updated_at=created, last_seq=2 * len(intents)))
        for i, intent in enumerate(intents):
            said = created + timedelta(seconds=10 * i)
            await conn.execute(insert(Message).values(
                id=f"m{minute:015d}{i:016d}", conversation_id=conversation_id, seq=2 * i + 1,
                sender="visitor", text="?", intent=intent, confidence=0.9, created_at=said))
            await conn.execute(insert(Message).values(
                id=f"b{minute:015d}{i:016d}", conversation_id=conversation_id, seq=2 * i + 2,
                sender="bot", text="!", created_at=said + timedelta(seconds=1)))
    return conversation_id


async def queued(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(ReportFactQueue)) or 0)


async def test_every_write_to_a_conversation_reaches_the_next_report(store: Store) -> None:
    first = await conversation(store, 1, "order_status")
    figures = await summary(store, WINDOW, now=NOW)
    assert figures["conversations"] == 1
    assert figures["by_intent"][0]["intent"] == "order_status"
    assert await queued(store) == 0

    # A second conversation, then the first is escalated, rated and closed, its
    # topic relabelled: each by plain SQL, as an import or an operator would.
    await conversation(store, 2, "refund")
    async with store.engine.begin() as conn:
        await conn.execute(insert(ConversationEvent).values(
            conversation_id=first, type="escalated", from_state="bot", to_state="queued",
            data={}, created_at=DAY + timedelta(minutes=1, seconds=30)))
        await conn.execute(update(Conversation).where(Conversation.id == first)
                           .values(state="closed"))
        await conn.execute(insert(Csat).values(conversation_id=first, score=5,
                                               created_at=DAY + timedelta(hours=1)))
        await conn.execute(update(Message).where(Message.conversation_id == first,
                                                  Message.seq == 1).values(intent="billing"))
    figures = await summary(store, WINDOW, now=NOW)
    assert figures["conversations"] == 2
    assert figures["outcomes"]["escalated"] == 1
    assert figures["csat_responses"] == 1 and figures["csat_mean"] == 5
    assert {row["intent"] for row in figures["by_intent"]} == {"billing", "refund"}

    # Deleting a conversation takes its facts away.
    async with store.engine.begin() as conn:
        for table in (Csat, ConversationEvent, Message):
            await conn.execute(delete(table).where(table.conversation_id == first))
        await conn.execute(delete(Conversation).where(Conversation.id == first))
    figures = await summary(store, WINDOW, now=NOW)
    assert figures["conversations"] == 1
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(ReportFact)) == 1


async def test_the_seq_counter_alone_queues_nothing(store: Store) -> None:
    """``conversations`` is updated on every message (its seq counter): that alone must
    not queue the conversation (the message's own row does)."""
    conversation_id = await conversation(store, 3, "order_status")
    await refresh_facts(store)
    async with store.engine.begin() as conn:
        await conn.execute(update(Conversation).where(Conversation.id == conversation_id)
                           .values(last_seq=Conversation.last_seq + 1))
    assert await queued(store) == 0


async def test_more_than_a_chunk_and_refreshes_at_once(store: Store) -> None:
    """A backlog larger than one chunk is taken whole; refreshes started together
    (two report requests) derive each conversation once and agree."""
    count = CHUNK + 7
    async with store.engine.begin() as conn:
        await conn.execute(insert(Visitor), [{"id": f"v{i:031d}", "created_at": DAY}
                                             for i in range(count)])
        await conn.execute(insert(Conversation), [
            {"id": f"c{i:031d}", "visitor_id": f"v{i:031d}", "state": "bot",
             "created_at": DAY + timedelta(seconds=i), "updated_at": DAY, "last_seq": 0}
            for i in range(count)])
    done = await asyncio.gather(refresh_facts(store), refresh_facts(store))
    assert sum(done) == count
    assert await queued(store) == 0
    figures = await summary(store, WINDOW, now=NOW)
    assert figures["conversations"] == count
