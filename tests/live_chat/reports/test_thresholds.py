"""The threshold simulator over hand-made confidences, on SQLite and PostgreSQL.

The record holds what a bot with threshold 0.5 stored: below 0.5 the intent
is ``out_of_scope``. Every expected share is counted by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from live_chat.reports.thresholds import GRID, current_threshold, simulate
from live_chat.reports.window import ReportWindow
from live_chat.store.models import Conversation, ConversationEvent, Message, Visitor
from live_chat.store.repository import Store

DAY = datetime(2026, 3, 2, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
WINDOW = ReportWindow(since=DAY, until=datetime(2026, 3, 3, tzinfo=UTC), tz=UTC_ZONE)

# (sender, confidence, intent, payload) of each message, in order.
Row = tuple[str, float | None, str | None, str | None]


def typed(confidence: float, intent: str) -> Row:
    return ("visitor", confidence, intent, None)


BOT: Row = ("bot", None, None, None)



async def add_conversation(store: Store, rows: list[Row], *, hour: int = 10,
                           locale: str = "en", team: str | None = None,
                           day: datetime = DAY, agent_id: str | None = None) -> None:
    async with store.begin() as tx:
        visitor = Visitor()
        tx.session.add(visitor)
        await tx.session.flush()
        created = day.replace(hour=hour)
        conversation = Conversation(visitor_id=visitor.id, created_at=created, locale=locale,
                                    team=team)
        tx.session.add(conversation)
        await tx.session.flush()
        tx.session.add_all(
            Message(conversation_id=conversation.id, seq=seq, sender=sender, text="…",
                    confidence=confidence, intent=intent, payload=payload,
                    created_at=created.replace(minute=seq))
            for seq, (sender, confidence, intent, payload) in enumerate(rows, start=1))
        if agent_id is not None:
            tx.session.add(ConversationEvent(conversation_id=conversation.id, type="assigned",
                                             data={"agent_id": agent_id}, created_at=created))


@pytest.fixture
async def record(store: Store) -> Store:
    oos = "out_of_scope"
    # 1: answered, then two fallbacks in a row (0.3, 0.45): escalates once the
    #    threshold is above 0.45 (the larger of the pair).
    await add_conversation(store, [typed(0.9, "order_status"), BOT, typed(0.3, oos), BOT,
                                   typed(0.45, oos), BOT])
    # 2: two low messages, but a clicked quick reply between them is answered
    #    and breaks the run: never escalates.
    await add_conversation(store, [typed(0.4, oos), BOT,
                                   ("visitor", 1.0, "order_status", "/intent:order_status"),
                                   BOT, typed(0.35, oos), BOT])
    # 3: the model itself said out_of_scope at 0.95 (>= 0.5, no threshold did
    #    that): a fallback at every threshold; with 0.6 next it escalates above 0.6.
    await add_conversation(store, [typed(0.95, oos), BOT, typed(0.6, "return_exchange"), BOT],
                           team="billing")
    # 4: one message; a later one to the agent was never classified (no confidence).
    await add_conversation(store, [typed(0.7, "login_problem"), BOT,
                                   ("visitor", None, None, None)], agent_id="agent-1")
    # 6: Japanese, 0.55 then 0.25: escalates above 0.55.
    await add_conversation(store, [typed(0.55, "order_status"), BOT, typed(0.25, oos), BOT],
                           locale="ja")
    # 5: created the day before: outside the window.
    await add_conversation(store, [typed(0.1, oos), typed(0.1, oos)],
                           day=datetime(2026, 3, 1, tzinfo=UTC))
    return store


def point(result: dict[str, Any], threshold: float) -> dict[str, Any]:
    return next(p for p in result["points"] if p["threshold"] == threshold)


async def test_shares_at_every_threshold(record: Store) -> None:
    result = await simulate(record, WINDOW, 0.5)
    # Typed messages in the window: 3 + 2 + 2 + 1 + 2 = 10, in 5 conversations.
    assert result["current"] == 0.5 and result["messages"] == 10
    assert [p["threshold"] for p in result["points"]] == list(GRID)
    shares = {p["threshold"]: (p["fallback_share"], p["escalation_share"])
              for p in result["points"]}
    # The falling-back values: -1 (the model's own out_of_scope), 0.25, 0.3, 0.35,
    # 0.4, 0.45, 0.55, 0.6, 0.7, 0.9. Escalations (of 5 conversations) above
    # 0.45 (1), 0.55 (6), 0.6 (3).
    assert shares[0.05] == (0.1, 0.0)
    assert shares[0.3] == (0.2, 0.0)  # -1, 0.25
    assert shares[0.35] == (0.3, 0.0)  # and 0.3 (0.35 itself is not below 0.35)
    assert shares[0.45] == (0.5, 0.0)
    # At the current threshold: exactly the six messages stored out_of_scope,
    # and conversation 1 escalated.
    assert shares[0.5] == (0.6, 0.2)
    assert shares[0.6] == (0.7, 0.4)
    assert shares[0.65] == (0.8, 0.6)
    assert shares[0.9] == (0.9, 0.6)
    assert shares[0.95] == (1.0, 0.6)

    # by_intent: typed messages stored with an intent other than out_of_scope
    # (the quick reply is not typed), most messages first.
    intents = {i["intent"]: i for i in result["by_intent"]}
    assert [i["intent"] for i in result["by_intent"]] == [
        "order_status", "login_problem", "return_exchange"]
    order = intents["order_status"]  # 0.9 and 0.55
    assert order["messages"] == 2 and order["fallback_share_at_current"] == 0.0
    assert {p["threshold"]: p["fallback_share"] for p in order["points"]}[0.6] == 0.5
    assert {p["threshold"]: p["fallback_share"] for p in order["points"]}[0.95] == 1.0
    assert intents["return_exchange"]["fallback_share_at_current"] == 0.0
    assert {p["threshold"]: p["fallback_share"]
            for p in intents["login_problem"]["points"]}[0.75] == 1.0


async def test_a_current_threshold_off_the_grid_is_added(record: Store) -> None:
    result = await simulate(record, WINDOW, 0.42)
    assert len(result["points"]) == len(GRID) + 1
    # With 0.42 current, 0.45 stored out_of_scope is at or above it too: the
    # model's own call. Below 0.42: -1, -1, 0.25, 0.3, 0.35, 0.4 = 6 of 10;
    # conversation 1 now escalates at any threshold above 0.3 (0.3 then -1).
    assert point(result, 0.42) == {"threshold": 0.42, "fallback_share": 0.6,
                                   "escalation_share": 0.2}
    assert point(result, 0.3)["escalation_share"] == 0.0
    assert point(result, 0.35)["escalation_share"] == 0.2


async def test_without_a_current_threshold_only_confidences_count(record: Store) -> None:
    result = await simulate(record, WINDOW, None)
    assert result["current"] is None and len(result["points"]) == len(GRID)
    # The 0.95 out_of_scope is now just 0.95: nothing falls back at 0.05.
    assert point(result, 0.05)["fallback_share"] == 0.0
    assert point(result, 0.95)["fallback_share"] == 0.9
    assert all(i["fallback_share_at_current"] is None for i in result["by_intent"])


async def test_the_window_filters(record: Store) -> None:
    def narrowed(**filters: str) -> ReportWindow:
        return ReportWindow(since=WINDOW.since, until=WINDOW.until, tz=UTC_ZONE, **filters)

    ja = await simulate(record, narrowed(locale="ja"), 0.5)
    assert ja["messages"] == 2 and point(ja, 0.5) == {
        "threshold": 0.5, "fallback_share": 0.5, "escalation_share": 0.0}
    assert point(ja, 0.6)["escalation_share"] == 1.0
    # Messages of one intent: 0.9 and 0.55; neither is the second of a low pair.
    order = await simulate(record, narrowed(intent="order_status"), 0.5)
    assert order["messages"] == 2
    assert point(order, 0.95) == {"threshold": 0.95, "fallback_share": 1.0,
                                  "escalation_share": 0.0}
    billing = await simulate(record, narrowed(team="billing"), 0.5)
    assert billing["messages"] == 2 and point(billing, 0.65)["escalation_share"] == 1.0
    assigned = await simulate(record, narrowed(agent="agent-1"), 0.5)
    assert assigned["messages"] == 1 and [i["intent"] for i in assigned["by_intent"]] == [
        "login_problem"]
    # Nothing in the window: no shares to give.
    empty = await simulate(record, ReportWindow(
        since=datetime(2026, 4, 1, tzinfo=UTC), until=datetime(2026, 4, 2, tzinfo=UTC),
        tz=UTC_ZONE), 0.5)
    assert empty["messages"] == 0 and empty["by_intent"] == []
    assert point(empty, 0.5) == {"threshold": 0.5, "fallback_share": None,
                                 "escalation_share": None}


def test_the_current_threshold_is_read_from_the_bots_classifier() -> None:
    assert current_threshold(SimpleNamespace(classifier=SimpleNamespace(threshold=0.31))) == 0.31
    assert current_threshold(SimpleNamespace(classifier=object())) is None
