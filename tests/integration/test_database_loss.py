"""PostgreSQL connections killed during a burst lose and double nothing.

A gateway on this machine's PostgreSQL; visitors send messages as the widget
does (one at a time, the same ``client_id`` again after an error or a lost
ack). Meanwhile the test terminates every backend the gateway has open,
again and again (``pg_terminate_backend``, what a failover or an
administrator's kill does). Afterwards every message is stored exactly once,
every ack the visitors got names the stored copy, and each conversation's
``seq`` runs 1, 2, 3 … without a gap.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import socketio
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from live_chat.store.models import Message
from tests.clients import VisitorClient, cid
from tests.conftest import GatewayFactory

VISITORS = 12
MESSAGES = 25


async def send_until_stored(visitor: VisitorClient, text_: str) -> tuple[str, dict[str, Any],
                                                                        Counter[str]]:
    """Send one message as the widget does: retry with the same client_id until acked."""
    client_id = cid()
    errors: Counter[str] = Counter()
    for _ in range(200):
        try:
            ack = await visitor.sio.call("message", {"client_id": client_id, "text": text_},
                                         namespace="/visitor", timeout=5)
        except socketio.exceptions.TimeoutError:
            errors["timeout"] += 1
            continue
        if ack["ok"]:
            return client_id, ack["message"], errors
        errors[ack["error"]] += 1
        assert ack["error"] == "unavailable", ack
        await asyncio.sleep(0.05)
    raise AssertionError(f"{client_id} was never stored: {errors}")


async def test_killed_database_connections_lose_and_double_nothing(
    start_gateway: GatewayFactory, pg_url: str
) -> None:
    gateway = await start_gateway(database_url=pg_url, rate_limit_messages=10_000)
    database = make_url(pg_url).database
    admin = create_async_engine(pg_url)
    killed = 0
    burst_over = asyncio.Event()

    async def kill_backends() -> None:
        nonlocal killed
        while not burst_over.is_set():
            async with admin.connect() as connection:
                result = await connection.execute(text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
                ), {"db": database})
                killed += int(result.scalar_one())
            await asyncio.sleep(0.15)

    async def talk(visitor: VisitorClient, n: int) -> list[tuple[str, dict[str, Any],
                                                               Counter[str]]]:
        return [await send_until_stored(visitor, f"visitor {n} message {i}")
                for i in range(MESSAGES)]

    visitors = [await VisitorClient(gateway.url).connect() for _ in range(VISITORS)]
    killer = asyncio.create_task(kill_backends())
    try:
        sent = await asyncio.gather(*(talk(v, n) for n, v in enumerate(visitors)))
    finally:
        burst_over.set()
        await killer
        await admin.dispose()
        for visitor in visitors:
            await visitor.disconnect()

    assert killed > 0, "no database connection was terminated: the test tested nothing"
    errors = sum((e for per_visitor in sent for _, _, e in per_visitor), Counter())
    acked = {client_id: message for per_visitor in sent for client_id, message, _ in per_visitor}
    assert len(acked) == VISITORS * MESSAGES

    # A fresh engine reads the record: the gateway's pool may still hold a
    # connection the last round of kills terminated.
    reader = create_async_engine(pg_url)
    try:
        async with reader.connect() as connection:
            stored = (await connection.execute(
                select(Message.client_id, Message.id, Message.seq, Message.conversation_id)
                .where(Message.sender == "visitor"))).all()
            by_conversation = (await connection.execute(
                select(Message.conversation_id, func.count(), func.max(Message.seq),
                       func.count(func.distinct(Message.seq)))
                .group_by(Message.conversation_id))).all()
    finally:
        await reader.dispose()
    copies = Counter(row.client_id for row in stored)
    assert set(copies) == set(acked), "lost or unknown messages"
    assert max(copies.values()) == 1, [c for c, n in copies.items() if n > 1]
    rows = {row.client_id: row for row in stored}
    for client_id, message in acked.items():
        assert (rows[client_id].id, rows[client_id].seq) == (message["id"], message["seq"])
    for conversation_id, count, last_seq, distinct in by_conversation:
        assert count == last_seq == distinct, (conversation_id, count, last_seq, distinct)
    print(f"{killed} backends killed; errors seen by visitors, retried: {dict(errors)}")
