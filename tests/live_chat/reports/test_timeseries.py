"""Metrics per hour, day and week in the report's time zone, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from live_chat.errors import InvalidPayload
from live_chat.reports.timeseries import timeseries, utc_offsets
from live_chat.reports.window import ReportWindow
from live_chat.store.repository import Store
from tests.live_chat.reports.test_summary import (
    AOI,
    Chat,
    add_agent,
    add_chat,
    at,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def values(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(point["t"], point["value"]) for point in result["points"]]


async def test_a_tokyo_day_starts_at_15_00_utc(store: Store) -> None:
    # 14:59 UTC is 23:59 on the 2nd in Tokyo; 15:00 UTC and 23:30 UTC are the 3rd.
    for created in (at(14, 59), at(15), at(23, 30)):
        await add_chat(store, Chat(created=created, state="bot",
                                   messages=[("visitor", 0, "shipping"), ("bot", 1, None)]))
    tokyo = ReportWindow.from_query({"since": "2026-03-02", "until": "2026-03-04",
                                     "tz": "Asia/Tokyo"}, default_tz="UTC")
    result = await timeseries(store, tokyo, "conversations", "day")
    assert result["metric"] == "conversations" and result["interval"] == "day"
    assert result["tz"] == "Asia/Tokyo"
    assert values(result) == [("2026-03-02T00:00:00+09:00", 1),
                              ("2026-03-03T00:00:00+09:00", 2)]
    # The same rows in UTC: all on the 2nd; the 1st and the 3rd are there, empty.
    utc = ReportWindow.from_query({"since": "2026-03-01", "until": "2026-03-04", "tz": "UTC"},
                                  default_tz="UTC")
    assert values(await timeseries(store, utc, "conversations", "day")) == [
        ("2026-03-01T00:00:00+00:00", 0), ("2026-03-02T00:00:00+00:00", 3),
        ("2026-03-03T00:00:00+00:00", 0)]
    # Bot FRT is 1 s for each; a day without conversations has no median.
    assert values(await timeseries(store, utc, "bot_frt_p50_s", "day")) == [
        ("2026-03-01T00:00:00+00:00", None), ("2026-03-02T00:00:00+00:00", 1.0),
        ("2026-03-03T00:00:00+00:00", None)]


async def test_hours_and_monday_weeks(store: Store) -> None:
    # 2026-03-02 is a Monday. In Tokyo: 23:30 UTC on Sunday the 1st is Monday
    # 08:30; 14:00 UTC on Sunday the 8th is 23:00 Sunday (still week one);
    # 15:00 UTC on the 8th is Monday the 9th, 00:00 (week two).
    for created in (at(23, 30, day=1), at(14, day=8), at(15, day=8)):
        await add_chat(store, Chat(created=created, state="closed",
                                   messages=[("visitor", 0, "shipping"), ("bot", 1, None)],
                                   events=[("closed", 10, "bot", None)]))
    weeks = ReportWindow.from_query({"since": "2026-03-04", "until": "2026-03-10",
                                     "tz": "Asia/Tokyo"}, default_tz="UTC")
    # The window starts on a Wednesday: its first week is labelled by its Monday.
    # (Created before the 4th, the first one is not in the window.)
    assert values(await timeseries(store, weeks, "conversations", "week")) == [
        ("2026-03-02T00:00:00+09:00", 1), ("2026-03-09T00:00:00+09:00", 1)]
    hours = ReportWindow(since=at(13, day=8), until=at(16, day=8), tz=TOKYO)
    assert values(await timeseries(store, hours, "conversations", "hour")) == [
        ("2026-03-08T22:00:00+09:00", 0), ("2026-03-08T23:00:00+09:00", 1),
        ("2026-03-09T00:00:00+09:00", 1)]
    # Every conversation closed by the bot with an in-scope intent: deflection 1.
    assert values(await timeseries(store, hours, "deflection", "hour"))[1:] == [
        ("2026-03-08T23:00:00+09:00", 1.0), ("2026-03-09T00:00:00+09:00", 1.0)]


async def test_daylight_saving_hours_are_neither_lost_nor_merged(store: Store) -> None:
    # New York springs forward on 2026-03-08 at 02:00 (EST, -5) to 03:00 (EDT, -4):
    # that local day has 23 hours. 07:30 UTC is 03:30 EDT.
    await add_chat(store, Chat(created=at(7, 30, day=8), state="bot",
                               messages=[("visitor", 0, "shipping")]))
    day = ReportWindow.from_query({"since": "2026-03-08", "until": "2026-03-09",
                                   "tz": "America/New_York"}, default_tz="UTC")
    points = values(await timeseries(store, day, "conversations", "hour"))
    assert len(points) == 23
    assert points[1] == ("2026-03-08T01:00:00-05:00", 0)
    assert points[2] == ("2026-03-08T03:00:00-04:00", 1)
    assert sum(value for _, value in points) == 1
    # Days across the change are still one bucket each.
    week = ReportWindow.from_query({"since": "2026-03-07", "until": "2026-03-10",
                                    "tz": "America/New_York"}, default_tz="UTC")
    assert values(await timeseries(store, week, "conversations", "day")) == [
        ("2026-03-07T00:00:00-05:00", 0), ("2026-03-08T00:00:00-05:00", 1),
        ("2026-03-09T00:00:00-04:00", 0)]


def test_utc_offsets_over_a_window() -> None:
    since = datetime(2026, 3, 1, tzinfo=UTC)
    offsets = utc_offsets(since, since + timedelta(days=10), NEW_YORK)
    assert [(o.since, o.seconds) for o in offsets] == [
        (since, -5 * 3600), (datetime(2026, 3, 8, 7, tzinfo=UTC), -4 * 3600)]
    assert [o.seconds for o in utc_offsets(since, since + timedelta(days=400), TOKYO)] == [
        9 * 3600]


async def test_rates_and_medians_per_bucket(store: Store) -> None:
    await add_agent(store, AOI, "Aoi")
    # Day one: an escalation answered after 30 s and waited 10 s, rated 5; one
    # never answered (closed from the queue). Day two: one answered after 50 s.
    await add_chat(store, Chat(created=at(9), state="closed", csat=5,
                               messages=[("visitor", 0, "billing"), ("bot", 1, None)],
                               events=[("escalated", 2, "bot", None),
                                       ("assigned", 12, "queued", AOI),
                                       ("first_agent_reply", 32, None, None),
                                       ("closed", 100, "assigned", None)]))
    await add_chat(store, Chat(created=at(10), state="closed",
                               messages=[("visitor", 0, "billing"), ("bot", 1, None)],
                               events=[("escalated", 2, "bot", None),
                                       ("closed", 100, "queued", None)]))
    await add_chat(store, Chat(created=at(9, day=3), state="closed",
                               messages=[("visitor", 0, "billing"), ("bot", 1, None)],
                               events=[("escalated", 2, "bot", None),
                                       ("assigned", 4, "queued", AOI),
                                       ("first_agent_reply", 52, None, None),
                                       ("closed", 60, "assigned", None)]))
    window = ReportWindow(since=at(0), until=at(0, day=4), tz=ZoneInfo("UTC"))

    async def series(metric: str) -> list[Any]:
        return [value for _, value in values(await timeseries(store, window, metric, "day"))]

    assert await series("human_frt_p50_s") == [30.0, 50.0]
    assert await series("wait_p50_s") == [10.0, 2.0]
    assert await series("answer_rate") == [0.5, 1.0]
    assert await series("abandonment_rate") == [0.0, 0.0]
    assert await series("aht_p50_s") == [88.0, 56.0]
    assert await series("csat_mean") == [5.0, None]
    assert await series("deflection") == [0.0, 0.0]
    filtered = ReportWindow(window.since, window.until, window.tz, agent=AOI)
    assert [v for _, v in values(await timeseries(store, filtered, "conversations", "day"))
            ] == [1, 1]


@pytest.mark.parametrize(("metric", "interval"), [("nope", "day"), ("conversations", "month")])
async def test_unknown_metric_or_interval(store: Store, metric: str,
                                          interval: str) -> None:
    window = ReportWindow(since=at(0), until=at(0, day=3), tz=ZoneInfo("UTC"))
    with pytest.raises(InvalidPayload):
        await timeseries(store, window, metric, interval)
