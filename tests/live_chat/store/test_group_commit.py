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
from live_chat.agent_replies import AgentReply, write_replies
from live_chat.errors import Conflict, Forbidden, NotFound
from live_chat.store.database import create_engine, migrate
from live_chat.store.group_commit import GroupCommit
from live_chat.store.models import Conversation, ConversationEvent, Message
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


async def assigned_chats(store: Store, agent_id: str, n: int) -> list[str]:
    """``n`` conversations held by ``agent_id``, each with one visitor message (client_id v1)."""
    ids = []
    async with store.begin() as tx:
        for _ in range(n):
            visitor = await tx.add_visitor(locale="en", page_url=None)
            conversation = await tx.add_conversation(visitor.id, locale="en")
            await tx.add_message(conversation.id, sender="visitor", text="help", client_id="v1")
            await tx.set_state(conversation, "queued", event="escalated")
            conversation.agent_id, conversation.agent_name = agent_id, "Hanako"
            await tx.set_state(conversation, "assigned", event="assigned")
            ids.append(conversation.id)
    return ids


async def test_agent_replies_share_one_commit_and_keep_every_rule(store: Store) -> None:
    async with store.begin() as tx:
        hanako = await tx.add_agent(email="h@example.com", name="Hanako", password_hash="x")
        taro = await tx.add_agent(email="t@example.com", name="Taro", password_hash="x")
    chats = await assigned_chats(store, hanako.id, 4)
    writer = GroupCommit(store.engine, write_replies)
    commits = count_commits(store)

    def reply(chat: str, client_id: str, agent=hanako) -> AgentReply:
        return AgentReply(agent.id, agent.name, chat, client_id, "Let me check.")

    try:
        outcomes = await asyncio.gather(
            *(writer.submit(reply(chat, "r1")) for chat in chats),
            writer.submit(reply(chats[0], "r2")),             # a second reply in one batch
            writer.submit(reply(chats[1], "r1")),             # a retry within the batch
            writer.submit(reply(chats[2], "x", agent=taro)),  # not Taro's chat
            writer.submit(reply(chats[3], "v1")),             # the visitor's client_id
            writer.submit(reply("0" * 32, "r1")),             # no such chat
            return_exceptions=True)
    finally:
        await writer.stop()

    assert commits[0] == 1
    first, second, retry, foreign, reused, missing = outcomes[:4], *outcomes[4:]
    assert all(o.created and o.message.seq == 2 for o in first)
    assert second.created and second.message.seq == 3
    assert not retry.created and retry.message.id == first[1].message.id
    assert isinstance(foreign, Forbidden)
    assert isinstance(reused, Conflict)
    assert isinstance(missing, NotFound)
    async with store.begin() as tx:
        agent_rows = (await tx.session.scalars(
            select(Message).where(Message.sender == "agent"))).all()
        firsts = (await tx.session.scalars(
            select(ConversationEvent.conversation_id)
            .where(ConversationEvent.type == "first_agent_reply"))).all()
    assert len(agent_rows) == 5 and {m.author_name for m in agent_rows} == {"Hanako"}
    assert sorted(firsts) == sorted(chats)  # once per conversation, not per reply
