"""Agent utilisation over hand-built rows, and the status rows a real gateway records.

The report tests run on SQLite and PostgreSQL (``database_url``); every
expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from live_chat.reports.utilisation import record_status, utilisation
from live_chat.reports.window import ReportWindow
from live_chat.store.models import (
    Agent,
    AgentStatusEvent,
    Conversation,
    ConversationEvent,
    Visitor,
)
from live_chat.store.repository import Store
from tests.clients import AgentClient
from tests.conftest import GatewayFactory

PASSWORD = "correct horse battery"


def at(hour: int, minute: int = 0) -> datetime:
    """A time on the test day (2026-03-02), UTC."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


# The report window of these tests: 09:00 to 13:00.
WINDOW = ReportWindow(since=at(9), until=at(13), tz=ZoneInfo("UTC"))



async def add_agent(store: Store, agent_id: str, capacity: int,
                    statuses: list[tuple[str, datetime]]) -> None:
    async with store.begin() as tx:
        tx.session.add(Agent(id=agent_id, email=f"{agent_id}@example.com", name=agent_id,
                             password_hash="-", capacity=capacity))
        await tx.session.flush()
        tx.session.add_all(AgentStatusEvent(agent_id=agent_id, status=status, created_at=when)
                           for status, when in statuses)


async def add_chat(store: Store, created: datetime,
                   events: list[tuple[str, datetime, str | None]],
                   closed: datetime | None = None) -> None:
    """A conversation and its events: (type, time, data.agent_id)."""
    async with store.begin() as tx:
        visitor = Visitor()
        tx.session.add(visitor)
        await tx.session.flush()
        conversation = Conversation(visitor_id=visitor.id, created_at=created,
                                    state="closed" if closed else "assigned", closed_at=closed)
        tx.session.add(conversation)
        await tx.session.flush()
        tx.session.add_all(
            ConversationEvent(conversation_id=conversation.id, type=kind, created_at=when,
                              data={"agent_id": agent_id} if agent_id else {})
            for kind, when, agent_id in events)


async def test_utilisation_from_status_intervals_and_held_chats(store: Store) -> None:
    # Aiko, capacity 2, online 10:00-12:00 (7200 s), one chat 10:30-11:30 (3600 s):
    # 3600 / (2 * 7200) = 0.25.
    await add_agent(store, "aiko", 2, [("online", at(10)), ("offline", at(12))])
    await add_chat(store, at(10, 25), [("escalated", at(10, 25), None),
                                       ("assigned", at(10, 30), "aiko"),
                                       ("first_agent_reply", at(10, 31), None),
                                       ("closed", at(11, 30), None)], closed=at(11, 30))

    # Ben, capacity 1: online 10:00-11:00, away 11:00-11:30, online 11:30-12:00
    # (5400 s online). His chat runs 10:30-11:45, but the half hour away is not
    # counted: 1800 + 900 = 2700 / (1 * 5400) = 0.5 (0.833 if away time counted).
    await add_agent(store, "ben", 1, [("online", at(10)), ("away", at(11)),
                                      ("online", at(11, 30)), ("offline", at(12))])
    await add_chat(store, at(10, 30), [("assigned", at(10, 30), "ben"),
                                       ("closed", at(11, 45), None)], closed=at(11, 45))

    # Chika, capacity 3, online since 08:00 (before the window) and still online:
    # 09:00-13:00 = 14400 s; a row after the window's end changes nothing. Her
    # chats: 08:30-09:30 counts from 09:00 (1800 s), one taken at 12:00 is still
    # open (3600 s to the end), one closed at 08:00 is before the window.
    # 5400 / (3 * 14400) = 0.125.
    await add_agent(store, "chika", 3, [("online", at(8)), ("offline", at(13, 30))])
    await add_chat(store, at(8, 20), [("assigned", at(8, 30), "chika"),
                                      ("closed", at(9, 30), None)], closed=at(9, 30))
    await add_chat(store, at(11, 50), [("assigned", at(12), "chika")])
    await add_chat(store, at(6, 50), [("assigned", at(7), "chika"),
                                      ("closed", at(8), None)], closed=at(8))

    # Daichi, capacity 1, online from 09:00 on (14400 s): a chat 10:00 until he
    # transfers it at 10:30 (1800 s) and one 12:00 until it is requeued at 12:15
    # (900 s): 2700 / 14400 = 0.1875. Emi, capacity 1, online 10:00-11:00 (3600 s),
    # holds the transferred chat 10:30-11:00 (1800 s; closed at 11:00): 0.5.
    await add_agent(store, "daichi", 1, [("online", at(9))])
    await add_agent(store, "emi", 1, [("online", at(10)), ("offline", at(11))])
    await add_chat(store, at(9, 50), [("assigned", at(10), "daichi"),
                                      ("transferred", at(10, 30), "emi"),
                                      ("closed", at(11), None)], closed=at(11))
    await add_chat(store, at(11, 55), [("assigned", at(12), "daichi"),
                                       ("requeued", at(12, 15), None)])

    # Fumi never had a row; Goro was online only before the window and went
    # away at 08:30, which is what was in force all window: both None.
    await add_agent(store, "fumi", 4, [])
    await add_agent(store, "goro", 2, [("online", at(7)), ("away", at(8, 30))])

    async with store.begin() as tx:
        result = await utilisation(tx.session, WINDOW)
        only_aiko = await utilisation(tx.session, ReportWindow(
            since=WINDOW.since, until=WINDOW.until, tz=WINDOW.tz, agent="aiko"))
        # The window 11:00-12:00 cuts Aiko's chat to 11:00-11:30 and her online
        # time to one hour: 1800 / (2 * 3600) = 0.25; Ben is online 11:30-12:00
        # and holds his chat 11:30-11:45: 900 / 1800 = 0.5.
        later = await utilisation(tx.session, ReportWindow(
            since=at(11), until=at(12), tz=WINDOW.tz))
    assert result == {"aiko": 0.25, "ben": 0.5, "chika": 0.125, "daichi": 0.1875,
                      "emi": 0.5, "fumi": None, "goro": None}
    assert only_aiko == {"aiko": 0.25}
    assert later["aiko"] == 0.25 and later["ben"] == 0.5
    # Emi went offline at 11:00, the window's start: not online in it.
    assert later["emi"] is None


async def test_a_status_is_recorded_only_when_it_changes(store: Store) -> None:
    await add_agent(store, "aiko", 2, [])

    async def record(status: str) -> bool:
        async def current() -> str:
            return status
        async with store.begin() as tx:
            return await record_status(tx.session, "aiko", current)

    # No row yet counts as offline; then each change once.
    assert [await record(s) for s in ("offline", "online", "online", "away", "away",
                                      "online", "offline", "offline")] == [
        False, True, False, True, False, True, True, False]
    assert await record("online") is True
    async with store.begin() as tx:
        rows = (await tx.session.scalars(select(AgentStatusEvent.status)
                                         .order_by(AgentStatusEvent.id))).all()
        unknown = await record_status(tx.session, "nobody", lambda: asyncio.sleep(0, "online"))
    assert rows == ["online", "away", "online", "offline", "online"]
    assert unknown is False


async def test_the_gateway_records_online_away_offline(start_gateway: GatewayFactory,
                                                       database_url: str | None) -> None:
    overrides = {"database_url": database_url} if database_url else {}
    gateway = await start_gateway(agent_grace_s=0.5, **overrides)
    agent = await gateway.ctx.agents.create(email="hanako@example.com", name="Hanako",
                                            password=PASSWORD, capacity=2)

    async def statuses() -> list[str]:
        async with gateway.ctx.store.begin() as tx:
            return list((await tx.session.scalars(
                select(AgentStatusEvent.status).where(AgentStatusEvent.agent_id == agent.id)
                .order_by(AgentStatusEvent.created_at, AgentStatusEvent.id))).all())

    hanako = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    assert hanako.hello["agent"]["status"] == "online"
    assert await statuses() == ["online"]
    # A second tab changes nothing.
    second = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    assert (await hanako.call("presence", {"status": "away"}))["ok"]
    assert (await second.call("presence", {"status": "away"}))["ok"]
    assert await statuses() == ["online", "away"]
    await second.disconnect()
    await hanako.disconnect()
    # Still away during the grace period; offline once it ends (the sweep runs
    # every second).
    assert await statuses() == ["online", "away"]
    deadline = asyncio.get_running_loop().time() + 10
    while await statuses() != ["online", "away", "offline"]:
        assert asyncio.get_running_loop().time() < deadline, await statuses()
        await asyncio.sleep(0.1)
    # Back again: online, from offline.
    again = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    assert await statuses() == ["online", "away", "offline", "online"]
    await again.disconnect()


async def test_a_window_reaching_into_the_future_counts_only_time_lived(store: Store) -> None:
    from datetime import timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    # Online for the last hour, capacity 1, holding one chat for the last 30 minutes.
    await add_agent(store, "ren", 1, [("online", now - timedelta(hours=1))])
    await add_chat(store, now - timedelta(minutes=40),
                   [("assigned", now - timedelta(minutes=30), "ren")])
    # Today's window ends at midnight, hours from now: 1,800 s held / 3,600 s online.
    window = ReportWindow(since=now - timedelta(hours=2), until=now + timedelta(hours=10),
                          tz=ZoneInfo("UTC"))
    async with store.begin() as tx:
        result = await utilisation(tx.session, window)
    assert result["ren"] == pytest.approx(0.5, abs=0.01)
