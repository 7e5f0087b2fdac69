"""The supervisor's headline figures and ``tsunagu metrics``, over a real gateway.

The figures are live_chat.reports.summary's (tests/live_chat/reports has the
hand-built fixtures); these check the path from real conversations.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from live_chat.metrics import summary
from live_chat.store.models import Conversation, Message
from tests.conftest import REPO, Gateway
from tests.live_chat.reports.test_summary import SUMMARY_KEYS

# A question of the training data: the bot classifies it in scope (order_status).
QUESTION = "where is my order?"

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _conversation(gateway: Gateway, frt_s: float | None, *, escalate: bool,
                        close: bool, created: datetime) -> str:
    """One visitor conversation whose bot reply came ``frt_s`` after the first message."""
    async with gateway.visitor() as visitor:
        await visitor.send(QUESTION, uuid.uuid4().hex)
        if frt_s is not None:
            reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
        conversation_id = (await visitor.call("sync", {"since_seq": 0}))["conversation"]["id"]
        if escalate:
            await visitor.call("request_human", {})
        if close:
            await visitor.call("close", {})
    await gateway.ctx.conversations.drain()
    async with gateway.ctx.store.begin() as tx:
        await tx.session.execute(update(Conversation).where(Conversation.id == conversation_id)
                                 .values(created_at=created))
        await tx.session.execute(update(Message).where(
            Message.conversation_id == conversation_id, Message.sender == "visitor"
        ).values(created_at=created))
        if frt_s is not None:
            await tx.session.execute(update(Message).where(Message.id == reply["id"])
                                     .values(created_at=created + timedelta(seconds=frt_s)))
    return conversation_id


async def test_summary_counts_frt_and_deflection(any_db_gateway: Gateway) -> None:
    gw = any_db_gateway
    await _conversation(gw, 0.2, escalate=False, close=True, created=T0)
    await _conversation(gw, 0.4, escalate=True, close=True, created=T0 + timedelta(minutes=1))
    await _conversation(gw, 1.0, escalate=False, close=True, created=T0 + timedelta(minutes=2))
    await _conversation(gw, 3.0, escalate=False, close=False, created=T0 + timedelta(minutes=3))
    # Outside the window: must not count.
    await _conversation(gw, 9.0, escalate=False, close=True, created=T0 - timedelta(days=1))
    async with gw.ctx.store.begin() as tx:
        intents = set((await tx.session.scalars(
            select(Message.intent).where(Message.sender == "visitor"))).all())
    assert intents == {"order_status"}

    result = await summary(gw.ctx.store, T0, T0 + timedelta(hours=1))
    assert result.conversations == 4
    assert result.bot_frt_samples == 4
    # 0.2 0.4 1.0 3.0: p50 halfway between 0.4 and 1.0, p90 at rank 2.7.
    assert result.bot_frt_p50_s == 0.7
    assert result.bot_frt_p90_s == 2.4
    assert result.closed == 3
    # Outcomes: two closed with the bot (resolved_by_bot), one escalated, and the
    # open one silent since long ago (abandoned_with_bot): 2 / 4.
    assert result.deflection == 0.5
    assert result.abandoned == 0


async def test_metrics_command_prints_json(gateway: Gateway) -> None:
    await _conversation(gateway, 0.5, escalate=False, close=True, created=T0)
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(gateway.ctx.settings.data_dir),
           "DATABASE_URL": gateway.ctx.settings.database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "live_chat", "metrics", "--since", "2026-11-02",
         "--until", "2026-11-03", "--json"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    figures = json.loads(done.stdout)
    assert set(figures) == SUMMARY_KEYS  # the API's answer, without ok
    assert figures["conversations"] == 1
    assert figures["bot_frt_p50_s"] == 0.5
    assert figures["deflection"] == 1.0


async def test_metrics_command_prints_a_table(gateway: Gateway) -> None:
    await _conversation(gateway, 0.5, escalate=False, close=True, created=T0)
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(gateway.ctx.settings.data_dir),
           "DATABASE_URL": gateway.ctx.settings.database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "live_chat", "metrics", "--since", "2026-11-02T18:00",
         "--until", "2026-11-03", "--tz", "Asia/Tokyo"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    lines = done.stdout.splitlines()
    # 09:00 UTC is 18:00 in Tokyo: the conversation is in the window.
    assert "               since  2026-11-02T09:00:00+00:00" in lines
    assert "       conversations  1" in lines
    assert "       bot_frt_p50_s  0.5" in lines
    assert "by_intent" in lines and any(line.startswith("  order_status") for line in lines)
    bad = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "live_chat", "metrics", "--tz", "Mars/Base"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr
