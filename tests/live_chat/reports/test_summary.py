"""The summary of docs/metrics.md over a hand-built day, on SQLite and PostgreSQL.

Every conversation below is written row by row (visitor, conversation,
messages, events, rating) with its times set explicitly, and every expected
figure is worked out by hand in the comments. The same rows on both databases
must give the same numbers (the ``database_url`` parametrisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from live_chat.reports.summary import summary
from live_chat.reports.window import ReportWindow
from live_chat.store.models import (
    Agent,
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    Visitor,
)
from live_chat.store.report_facts import refresh_facts
from live_chat.store.reports import conversation_facts, read_connection
from live_chat.store.repository import Store


def at(hour: int, minute: int = 0, second: float = 0, *, day: int = 2) -> datetime:
    """A time in March 2026 (the 2nd unless ``day``), UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) + timedelta(seconds=second)


#: The report: conversations created on 2026-03-02 (UTC).
WINDOW = ReportWindow(since=at(0), until=at(0, day=3), tz=ZoneInfo("UTC"))
#: When the report is made: ten past midnight the next day.
NOW = at(0, 10, day=3)



@dataclass
class Chat:
    """One conversation to write: times are seconds after ``created``.

    ``messages``: (sender, seconds, intent); ``events``: (type, seconds,
    from_state, agent id for the event's data).
    """

    created: datetime
    state: str
    locale: str = "en"
    visitor: str | None = None
    team: str | None = None
    messages: list[tuple[str, float, str | None]] = field(default_factory=list)
    events: list[tuple[str, float, str | None, str | None]] = field(default_factory=list)
    csat: int | None = None


async def add_agent(store: Store, agent_id: str, name: str) -> None:
    async with store.begin() as tx:
        tx.session.add(Agent(id=agent_id, email=f"{agent_id}@example.com", name=name,
                             password_hash="-", role="agent", capacity=4))


async def add_chat(store: Store, chat: Chat) -> str:
    """Write ``chat`` (its visitor too, unless an existing one is named); its id."""
    async with store.begin() as tx:
        session = tx.session
        visitor_id = chat.visitor
        if visitor_id is None or await session.get(Visitor, visitor_id) is None:
            visitor = Visitor(id=visitor_id) if visitor_id else Visitor()
            session.add(visitor)
            await session.flush()
            visitor_id = visitor.id
        conversation = Conversation(
            visitor_id=visitor_id, state=chat.state, locale=chat.locale, team=chat.team,
            created_at=chat.created, updated_at=chat.created,
            last_seq=len(chat.messages))
        session.add(conversation)
        await session.flush()
        for seq, (sender, seconds, intent) in enumerate(chat.messages, start=1):
            session.add(Message(
                conversation_id=conversation.id, seq=seq, sender=sender, text=f"m{seq}",
                intent=intent, confidence=0.9 if intent else None,
                created_at=chat.created + timedelta(seconds=seconds)))
        session.add(ConversationEvent(conversation_id=conversation.id, type="created",
                                      to_state="bot", created_at=chat.created))
        for kind, seconds, from_state, agent in chat.events:
            session.add(ConversationEvent(
                conversation_id=conversation.id, type=kind, from_state=from_state,
                data={"agent_id": agent} if agent else {},
                created_at=chat.created + timedelta(seconds=seconds)))
        if chat.csat is not None:
            session.add(Csat(conversation_id=conversation.id, score=chat.csat,
                             created_at=chat.created + timedelta(hours=1)))
        return conversation.id


AOI, REN = "a1" * 16, "a2" * 16


async def write_day(store: Store) -> dict[str, str]:
    """The hand-built day; conversation ids by name (c1…c12)."""
    await add_agent(store, AOI, "Aoi")
    await add_agent(store, REN, "Ren")
    ids: dict[str, str] = {}

    # c0: a minute before the window. Not counted anywhere.
    ids["c0"] = await add_chat(store, Chat(
        created=at(23, 59, day=1), state="closed",
        messages=[("visitor", 0, "shipping"), ("bot", 0.1, None)],
        events=[("closed", 5, "bot", None)]))
    # c1 (en): "greet" is small talk, so the intent is order_status. The visitor
    # confirmed (bot_resolved): resolved_by_bot. Bot FRT 0.2 s (the greeting is
    # the first message). Back 25 h after the last message on the same intent
    # (c11): still resolved (24 h rule), but no first-contact resolution (72 h).
    ids["c1"] = await add_chat(store, Chat(
        created=at(10), state="closed", visitor="v1" * 16, csat=4,
        messages=[("visitor", 0, "greet"), ("bot", 0.2, None),
                  ("visitor", 10, "order_status"), ("bot", 10.5, None)],
        events=[("bot_resolved", 30, None, None), ("closed", 30, "bot", None)]))
    ids["c11"] = await add_chat(store, Chat(
        created=at(11, day=3), state="closed", visitor="v1" * 16,
        messages=[("visitor", 0, "order_status"), ("bot", 0.3, None)],
        events=[("closed", 20, "bot", None)]))
    # c2 (ja): never got a reply; still with the bot, silent since 11:00, i.e.
    # 13 h before NOW: abandoned_with_bot. No bot FRT.
    ids["c2"] = await add_chat(store, Chat(
        created=at(11), state="bot", locale="ja",
        messages=[("visitor", 0, "shipping")]))
    # c3 (en): confirmed and closed, but the same visitor starts again on the
    # same intent 20 h after c3's last message (12:04), after the window
    # (c4): unresolved. Bot FRT 0.25 s.
    ids["c3"] = await add_chat(store, Chat(
        created=at(12), state="closed", visitor="v3" * 16,
        messages=[("visitor", 0, "returns"), ("bot", 0.25, None),
                  ("visitor", 180, "thanks"), ("bot", 240, None)],
        events=[("bot_resolved", 300, None, None), ("closed", 300, "bot", None)]))
    ids["c4"] = await add_chat(store, Chat(
        created=at(8, 4, day=3), state="closed", visitor="v3" * 16,
        messages=[("visitor", 0, "returns"), ("bot", 0.5, None)],
        events=[("closed", 60, "bot", None)]))
    # c5 (ja): escalated twice: the first escalation (13:00:01) counts. Assigned
    # to Aoi at +70 (wait 69 s), answered at +80 (human FRT 79 s), closed by her
    # at +380 (AHT 310 s). request_human is not an intent: payment. Rated 5.
    ids["c5"] = await add_chat(store, Chat(
        created=at(13), state="closed", locale="ja", csat=5,
        messages=[("visitor", 0, "request_human"), ("bot", 0.5, None),
                  ("visitor", 30, "payment")],
        events=[("escalated", 1, "bot", None), ("handed_back", 20, "queued", None),
                ("escalated", 40, "bot", None), ("assigned", 70, "queued", AOI),
                ("first_agent_reply", 80, None, None), ("closed", 380, "assigned", None)]))
    # c12 (en): Aoi's second chat, inside c5's: assigned 13:02:10 (wait 9 s),
    # answered at +20 (19 s), closed 13:04:10 (AHT 120 s). Rated 2.
    ids["c12"] = await add_chat(store, Chat(
        created=at(13, 2), state="closed", csat=2,
        messages=[("visitor", 0, "billing"), ("bot", 0.5, None)],
        events=[("escalated", 1, "bot", None), ("assigned", 10, "queued", AOI),
                ("first_agent_reply", 20, None, None), ("closed", 130, "assigned", None)]))
    # c6 (ja): asked for a person and left 3 s after escalating: abandoned.
    # Only request_human: no intent.
    ids["c6"] = await add_chat(store, Chat(
        created=at(14), state="abandoned", locale="ja",
        messages=[("visitor", 0, "request_human"), ("bot", 0.4, None)],
        events=[("escalated", 1, "bot", None), ("abandoned", 4, "queued", None)]))
    # c7 (en, team billing): Ren; wait 10 s, human FRT 40 s, AHT 630 s; no rating.
    ids["c7"] = await add_chat(store, Chat(
        created=at(15), state="closed", team="billing",
        messages=[("visitor", 0, "billing"), ("bot", 1.0, None)],
        events=[("escalated", 2, "bot", None), ("assigned", 12, "queued", REN),
                ("first_agent_reply", 42, None, None), ("closed", 642, "assigned", None)]))
    # c8 (ja): escalated, nobody answered, closed from the queue at +100.
    ids["c8"] = await add_chat(store, Chat(
        created=at(16), state="closed", locale="ja",
        messages=[("visitor", 0, "shipping"), ("bot", 0.3, None)],
        events=[("escalated", 1, "bot", None), ("closed", 100, "queued", None)]))
    # c9 (en): out of scope, and it ended: unresolved.
    ids["c9"] = await add_chat(store, Chat(
        created=at(17), state="closed",
        messages=[("visitor", 0, "out_of_scope"), ("bot", 0.6, None)],
        events=[("closed", 60, "bot", None)]))
    # c10 (ja): still with the bot, silent for 20 minutes at NOW: no outcome yet.
    ids["c10"] = await add_chat(store, Chat(
        created=at(23, 50), state="bot", locale="ja",
        messages=[("visitor", 0, "shipping"), ("bot", 0.5, None)]))
    return ids


async def test_summary_of_a_hand_built_day(store: Store) -> None:
    await write_day(store)
    figures = await summary(store, WINDOW, now=NOW)

    assert figures["since"] == "2026-03-02T00:00:00+00:00"
    assert figures["tz"] == "UTC"
    # c1, c2, c3, c5, c6, c7, c8, c9, c10, c12.
    assert figures["conversations"] == 10
    assert figures["outcomes"] == {"resolved_by_bot": 1, "escalated": 5,
                                   "abandoned_with_bot": 1, "unresolved": 2, "none": 1}
    # resolved_by_bot / conversations with an outcome: 1 / 9.
    assert figures["deflection"] == 0.1111
    # Bot FRT: 0.2 0.25 0.3 0.4 0.5 0.5 0.5 0.6 1.0 (c2 had no reply): p50 is the
    # 5th; p90 at rank 8 x 0.9 = 7.2: 0.6 + (1.0 - 0.6) x 0.2 = 0.68.
    assert figures["bot_frt_p50_s"] == 0.5
    assert figures["bot_frt_p90_s"] == 0.68
    # Human FRT 19 40 79: p50 40, p90 40 + 39 x 0.8 = 71.2. Wait 9 10 69:
    # p50 10, p90 10 + 59 x 0.8 = 57.2 (c5's wait from its first escalation).
    assert (figures["human_frt_p50_s"], figures["human_frt_p90_s"]) == (40.0, 71.2)
    assert (figures["wait_p50_s"], figures["wait_p90_s"]) == (10.0, 57.2)
    # Escalated: c5 c6 c7 c8 c12; answered c5 c7 c12; abandoned c6 (after 3 s).
    assert figures["answer_rate"] == 0.6
    assert figures["abandonment_rate"] == 0.2
    assert figures["abandon_wait_p50_s"] == 3.0
    # AHT 120 310 630: p50 310, p90 310 + 320 x 0.8 = 566.
    assert (figures["aht_p50_s"], figures["aht_p90_s"]) == (310.0, 566.0)
    # Active handle: Aoi held c12 (13:02:10-13:04:10) inside c5 (13:01:10-13:06:20).
    # c5: 60 s alone + 120 s with two + 130 s alone = 430 chat-seconds of load over
    # its 310 s: 310^2 / 430 = 223.488; c12 always with two: 120^2 / 240 = 60;
    # c7 alone: 630. The median is 223.488.
    assert figures["active_handle_p50_s"] == 223.488
    # Creation to close, closed ones: 30 60 100 130 300 380 642: p50 130.
    assert figures["resolution_p50_s"] == 130.0
    # Ratings 4, 5, 2 (c7 has none): mean 11/3; 2 of 3 are 4 or 5; 3 ratings
    # over 7 closed conversations.
    assert figures["csat_mean"] == 3.6667
    assert figures["csat_share_4_5"] == 0.6667
    assert figures["csat_responses"] == 3
    assert figures["csat_response_rate"] == 0.4286
    # Closed with an intent: c1 c3 c5 c7 c8 c9 c12; c1 (back after 25 h) and c3
    # (after 20 h) came back within 72 h: 5 / 7.
    assert figures["fcr"] == 0.7143
    assert figures["contact_rate"] is None

    # Failing most first (escalated + unresolved), then volume, then name; no
    # intent last among equals.
    assert figures["by_intent"] == [
        {"intent": "billing", "conversations": 2, "deflection": 0.0, "escalated": 2,
         "unresolved": 0, "csat_mean": 2.0},
        {"intent": "shipping", "conversations": 3, "deflection": 0.0, "escalated": 1,
         "unresolved": 0, "csat_mean": None},
        {"intent": "out_of_scope", "conversations": 1, "deflection": 0.0, "escalated": 0,
         "unresolved": 1, "csat_mean": None},
        {"intent": "payment", "conversations": 1, "deflection": 0.0, "escalated": 1,
         "unresolved": 0, "csat_mean": 5.0},
        {"intent": "returns", "conversations": 1, "deflection": 0.0, "escalated": 0,
         "unresolved": 1, "csat_mean": None},
        {"intent": None, "conversations": 1, "deflection": 0.0, "escalated": 1,
         "unresolved": 0, "csat_mean": None},
        {"intent": "order_status", "conversations": 1, "deflection": 1.0, "escalated": 0,
         "unresolved": 0, "csat_mean": 4.0},
    ]
    # Aoi: human FRT 19 and 79 (p50 49), AHT 120 and 310 (215), ratings 5 and 2.
    # Nobody recorded presence: no utilisation.
    assert figures["by_agent"] == [
        {"agent_id": AOI, "name": "Aoi", "chats": 2, "human_frt_p50_s": 49.0,
         "aht_p50_s": 215.0, "csat_mean": 3.5, "utilisation": None},
        {"agent_id": REN, "name": "Ren", "chats": 1, "human_frt_p50_s": 40.0,
         "aht_p50_s": 630.0, "csat_mean": None, "utilisation": None},
    ]
    # en: c1 c3 c7 c9 c12, one resolved of five; ja: c2 c5 c6 c8 c10, none of four
    # with an outcome.
    assert figures["by_locale"] == [
        {"locale": "en", "conversations": 5, "deflection": 0.2},
        {"locale": "ja", "conversations": 5, "deflection": 0.0},
    ]
    # Waits 9 and 10 (<= 10 s), 69 (<= 120 s).
    assert figures["wait_histogram"] == [
        {"le_s": 10, "count": 2}, {"le_s": 30, "count": 0}, {"le_s": 60, "count": 0},
        {"le_s": 120, "count": 1}, {"le_s": 300, "count": 0}, {"le_s": 600, "count": 0},
        {"le_s": None, "count": 0},
    ]
    assert set(figures) == SUMMARY_KEYS


#: The keys of GET /api/reports/summary (without ok), as docs/metrics.md lists them.
SUMMARY_KEYS = {
    "since", "until", "tz", "conversations", "outcomes", "deflection", "bot_frt_p50_s",
    "bot_frt_p90_s", "human_frt_p50_s", "human_frt_p90_s", "wait_p50_s", "wait_p90_s",
    "answer_rate", "abandonment_rate", "abandon_wait_p50_s", "aht_p50_s", "aht_p90_s",
    "active_handle_p50_s", "resolution_p50_s", "csat_mean", "csat_share_4_5",
    "csat_responses", "csat_response_rate", "fcr", "contact_rate", "by_intent", "by_agent",
    "by_locale", "wait_histogram",
}


async def test_filters_narrow_the_conversations(store: Store) -> None:
    await write_day(store)

    def narrowed(**filters: str) -> ReportWindow:
        return ReportWindow(WINDOW.since, WINDOW.until, WINDOW.tz, **filters)

    aoi = await summary(store, narrowed(agent=AOI), now=NOW)
    # c5 and c12. Active handle still counts c5 and c12 together: 60 and
    # 223.488, median 60 + 163.488 x 0.5 = 141.744.
    assert aoi["conversations"] == 2
    assert aoi["aht_p50_s"] == 215.0
    assert aoi["active_handle_p50_s"] == 141.744
    assert [a["agent_id"] for a in aoi["by_agent"]] == [AOI]
    shipping = await summary(store, narrowed(intent="shipping"), now=NOW)
    assert shipping["conversations"] == 3
    assert shipping["outcomes"] == {"resolved_by_bot": 0, "escalated": 1,
                                    "abandoned_with_bot": 1, "unresolved": 0, "none": 1}
    assert (await summary(store, narrowed(team="billing"), now=NOW))["conversations"] == 1
    japanese = await summary(store, narrowed(locale="ja"), now=NOW)
    assert japanese["conversations"] == 5 and japanese["deflection"] == 0.0
    # c7's agent, with its team: the filters combine.
    both = await summary(store, narrowed(team="billing", agent=AOI), now=NOW)
    assert both["conversations"] == 0 and both["deflection"] is None
    assert both["bot_frt_p50_s"] is None and both["by_intent"] == []


async def test_an_empty_window_is_zeros_and_nulls(store: Store) -> None:
    figures = await summary(store, WINDOW, now=NOW)
    assert figures["conversations"] == 0
    assert figures["outcomes"] == dict.fromkeys(
        ("resolved_by_bot", "escalated", "abandoned_with_bot", "unresolved", "none"), 0)
    for key in ("deflection", "bot_frt_p50_s", "human_frt_p90_s", "wait_p50_s", "answer_rate",
                "aht_p50_s", "active_handle_p50_s", "csat_mean", "fcr"):
        assert figures[key] is None, key
    assert figures["csat_responses"] == 0
    assert [b["count"] for b in figures["wait_histogram"]] == [0] * 7


async def test_conversation_facts_one_row_each(store: Store) -> None:
    ids = await write_day(store)
    await refresh_facts(store)
    async with read_connection(store) as conn:
        rows = {row.id: row._asdict()
                for row in (await conn.execute(conversation_facts(WINDOW, now=NOW))).all()}
    assert set(rows) == {ids[name] for name in (
        "c1", "c2", "c3", "c5", "c6", "c7", "c8", "c9", "c10", "c12")}
    c5 = rows[ids["c5"]]
    assert c5["intent"] == "payment" and c5["outcome"] == "escalated"
    assert c5["escalated_at"] == at(13, 0, 1)
    assert c5["assigned_at"] == at(13, 1, 10)
    assert c5["first_agent_reply_at"] == at(13, 1, 20)
    assert c5["closed_at"] == at(13, 6, 20)
    assert (c5["agent_id"], c5["agent_name"]) == (AOI, "Aoi")
    assert (c5["bot_frt_s"], c5["human_frt_s"], c5["wait_s"], c5["aht_s"]) == (
        0.5, 79.0, 69.0, 310.0)
    assert c5["csat"] == 5
    c2 = rows[ids["c2"]]
    assert c2["bot_frt_s"] is None and c2["outcome"] == "abandoned_with_bot"
    assert rows[ids["c6"]]["abandoned_at"] == at(14, 0, 4)
    assert rows[ids["c6"]]["intent"] is None
    assert rows[ids["c3"]]["outcome"] == "unresolved"
    assert rows[ids["c1"]]["outcome"] == "resolved_by_bot"
    assert rows[ids["c10"]]["outcome"] is None
    # Twenty minutes later c10 has been silent for 40: it was left with the bot.
    later = NOW + timedelta(minutes=20)
    await refresh_facts(store)
    async with read_connection(store) as conn:
        outcome = {row.id: row.outcome for row in (
            await conn.execute(conversation_facts(WINDOW, now=later))).all()}
    assert outcome[ids["c10"]] == "abandoned_with_bot"


async def test_durations_keep_microseconds_across_a_second(store: Store) -> None:
    # 09:00:00.999900 -> 09:00:01.000100 is 0.0002 s, not a whole second: SQLite's
    # date functions alone would round the first to 09:00:01.000.
    start = at(9) + timedelta(microseconds=999_900)
    await add_chat(store, Chat(created=start, state="bot", messages=[
        ("visitor", 0, "shipping"), ("bot", 0.0002, None)]))
    await add_chat(store, Chat(created=at(9, 30) + timedelta(microseconds=999_999),
                               state="bot", messages=[("visitor", 0, "shipping"),
                                                      ("bot", 59.000001, None)]))
    await refresh_facts(store)
    async with read_connection(store) as conn:
        frts = sorted(row.bot_frt_s for row in (
            await conn.execute(conversation_facts(WINDOW, now=NOW))).all())
    assert frts == [0.0002, 59.000001]


def test_window_keys_are_the_documented_ones() -> None:
    # docs/metrics.md is the contract: the keys listed there, nothing else.
    text = (Path(__file__).resolve().parents[3] / "docs" / "metrics.md").read_text("utf-8")
    section = text.split("`GET /api/reports/summary` →", 1)[1].split("```", 2)[1]
    documented = {name.strip('" ') for name in _names(section)}
    assert documented - {"ok"} == SUMMARY_KEYS | {
        "resolved_by_bot", "escalated", "abandoned_with_bot", "unresolved", "none", "intent",
        "deflection", "csat_mean", "agent_id", "name", "chats", "utilisation", "locale",
        "le_s", "count"}


def _names(section: str) -> list[Any]:
    import re

    return re.findall(r'"([a-z0-9_]+)"', section)


async def test_agent_utilisation_comes_from_the_utilisation_report(store: Store) -> None:
    from live_chat.store.models import AgentStatusEvent

    await write_day(store)
    async with store.begin() as tx:
        tx.session.add_all([AgentStatusEvent(agent_id=AOI, status="online", created_at=at(13)),
                            AgentStatusEvent(agent_id=AOI, status="offline", created_at=at(14))])
    figures = await summary(store, WINDOW, now=NOW)
    # Aoi held c5 for 310 s and c12 for 120 s while online for an hour, with
    # room for four chats: 430 / (4 x 3600) = 0.0299. Ren recorded no presence.
    assert [(a["name"], a["utilisation"]) for a in figures["by_agent"]] == [
        ("Aoi", 0.0299), ("Ren", None)]
