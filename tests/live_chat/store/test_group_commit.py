"""The group commit stores concurrent visitor turns together, and a failure stays where it
belongs (live_chat/store/group_commit.py, live_chat/visitor_turns.py), on SQLite and
PostgreSQL, with the real bot."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import Bot
from live_chat.store.database import create_engine, migrate
from live_chat.store.group_commit import GroupCommit
from live_chat.store.models import Conversation, Message
from live_chat.store.repository import Store
from live_chat.visitor_turns import StoredTurn, VisitorTurn, VisitorTurns
from tests.conftest import PG_ADMIN_DSN, REPO


@pytest.fixture(scope="module")
def bot(models_dir: Path) -> Bot:
    return Bot.load_or_train(models_dir, REPO / "training_data", engine="builtin")


async def visitors(store: Store, n: int) -> list[str]:
    async with store.begin() as tx:
        return [(await tx.add_visitor(locale="en", page_url=None)).id for _ in range(n)]


def turns_of(visitor_ids: Sequence[str], tag: str = "a") -> list[VisitorTurn]:
    return [VisitorTurn(v, f"{tag}-{v}", "where is my order?", None, "en") for v in visitor_ids]


def count_commits(store: Store) -> list[int]:
    commits = [0]

    @event.listens_for(store.engine.sync_engine, "commit")
    def _commit(_conn: object) -> None:
        commits[0] += 1

    return commits


async def stored_messages(store: Store) -> list[Message]:
    async with store.begin() as tx:
        return list((await tx.session.scalars(
            select(Message).order_by(Message.conversation_id, Message.seq))).all())


async def test_concurrent_turns_share_one_commit_each_stored_and_answered(
    store: Store, bot: Bot
) -> None:
    ids = await visitors(store, 40)
    writer = GroupCommit(store.engine, VisitorTurns(lambda: bot).write)
    commits = count_commits(store)
    try:
        outcomes = await asyncio.gather(*(writer.submit(t) for t in turns_of(ids)))
        # A retry of each, arriving together: the stored copies, nothing new.
        retries = await asyncio.gather(*(writer.submit(t) for t in turns_of(ids)))
    finally:
        await writer.stop()

    assert commits[0] == 2  # one transaction per burst, not one per message
    assert all(o.created and o.new_conversation and o.reply is not None for o in outcomes)
    assert [r.created for r in retries] == [False] * 40
    assert [r.message.id for r in retries] == [o.message.id for o in outcomes]
    rows = await stored_messages(store)
    assert len(rows) == 80  # each visitor message and its bot reply, once
    by_conversation: dict[str, list[Message]] = {}
    for row in rows:
        by_conversation.setdefault(row.conversation_id, []).append(row)
    for messages in by_conversation.values():
        assert [(m.seq, m.sender) for m in messages] == [(1, "visitor"), (2, "bot")]
        assert messages[0].intent == "order_status" and messages[0].confidence
    async with store.begin() as tx:
        seqs = (await tx.session.scalars(select(Conversation.last_seq))).all()
    assert seqs == [2] * 40


async def test_one_turn_the_database_refuses_fails_alone(store: Store, bot: Bot) -> None:
    ids = await visitors(store, 10)
    writer = GroupCommit(store.engine, VisitorTurns(lambda: bot).write)
    # No such visitor: the conversation's foreign key refuses it, in the middle of the batch.
    turns = turns_of(ids[:5]) + turns_of(["0" * 32]) + turns_of(ids[5:])
    try:
        outcomes = await asyncio.gather(*(writer.submit(t) for t in turns),
                                        return_exceptions=True)
    finally:
        await writer.stop()

    assert isinstance(outcomes[5], IntegrityError)
    good = outcomes[:5] + outcomes[6:]
    assert all(isinstance(o, StoredTurn) and o.created for o in good)
    stored = {m.client_id for m in await stored_messages(store) if m.sender == "visitor"}
    assert stored == {t.client_id for t in turns_of(ids)}


async def test_a_batch_whose_connection_dies_fails_every_waiter_and_the_next_succeeds(
    pg_url: str, bot: Bot
) -> None:
    """PostgreSQL terminates the batch's backend before its commit: nobody is told
    "stored", nothing is stored, and the same turns sent again are stored once."""
    engine = create_engine(pg_url)
    await migrate(engine)
    store = Store(engine)
    turns_writer = VisitorTurns(lambda: bot)
    killed = [False]

    async def write_then_lose_connection(
        conn: AsyncConnection, items: Sequence[VisitorTurn]
    ) -> list[StoredTurn | BaseException]:
        outcomes = await turns_writer.write(conn, items)
        if not killed[0]:
            killed[0] = True
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
        return outcomes

    try:
        ids = await visitors(store, 20)
        writer = GroupCommit(engine, write_then_lose_connection)
        try:
            first = await asyncio.gather(*(writer.submit(t) for t in turns_of(ids)),
                                         return_exceptions=True)
            assert all(isinstance(o, DBAPIError) for o in first), first
            assert await stored_messages(store) == []
            again = await asyncio.gather(*(writer.submit(t) for t in turns_of(ids)))
        finally:
            await writer.stop()
        assert all(o.created for o in again)
        async with store.begin() as tx:
            visitor_rows = await tx.session.scalar(
                select(func.count()).select_from(Message).where(Message.sender == "visitor"))
        assert visitor_rows == 20
    finally:
        await engine.dispose()
