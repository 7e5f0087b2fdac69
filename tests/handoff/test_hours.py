"""Business hours: parsing, open/closed in the team's time zone, next opening."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.hours import BusinessHours

TOKYO = "Asia/Tokyo"


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in Tokyo during the week of Monday 2026-11-23 (day 0 = Monday), as UTC."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=ZoneInfo(TOKYO)).astimezone(UTC)


def test_weekday_hours_in_the_teams_time_zone() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00", TOKYO)
    assert hours.is_open(jst(0, 9))
    assert hours.is_open(jst(4, 17, 59))
    assert not hours.is_open(jst(4, 18))
    assert not hours.is_open(jst(0, 8, 59))
    assert hours.is_open(jst(5, 10)) and not hours.is_open(jst(5, 14))
    assert not hours.is_open(jst(6, 12))
    # 01:00 UTC on a Monday is 10:00 in Tokyo: open, whatever zone is asked in.
    assert hours.is_open(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def test_overnight_and_wrapping_windows() -> None:
    hours = BusinessHours.parse("sun 22:00-06:00", TOKYO)
    assert hours.is_open(jst(6, 23))
    assert hours.is_open(jst(0, 5, 59))  # Monday early morning, past the week's end
    assert not hours.is_open(jst(0, 6))
    weekend = BusinessHours.parse("fri-mon 10:00-12:00", "UTC")
    days = [datetime(2026, 11, 23 + d, 11, tzinfo=UTC) for d in range(7)]
    assert [weekend.is_open(d) for d in days] == [True, False, False, False, True, True, True]


def test_several_windows_and_day_lists() -> None:
    hours = BusinessHours.parse("mon,wed 08:30-12:00 13:00-24:00", "UTC")
    assert hours.is_open(datetime(2026, 11, 25, 8, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 25, 12, 30, tzinfo=UTC))
    assert hours.is_open(datetime(2026, 11, 25, 23, 59, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 24, 10, tzinfo=UTC))


def test_empty_or_24_7_is_always_open() -> None:
    for spec in ("", "24/7"):
        hours = BusinessHours.parse(spec)
        assert hours.is_open(datetime(2026, 1, 1, 3, tzinfo=UTC))
        assert hours.next_opening(datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_next_opening() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-18:00", TOKYO)
    assert hours.next_opening(jst(4, 19)) == jst(7, 9)  # Friday night -> Monday 09:00
    assert hours.next_opening(jst(2, 7)) == jst(2, 9)
    assert hours.next_opening(jst(2, 10)) == jst(2, 10)  # open now


def test_next_opening_keeps_local_time_across_dst() -> None:
    hours = BusinessHours.parse("mon 09:00-17:00", "Europe/Berlin")
    # Friday 2026-03-27; clocks move forward on Sunday 2026-03-29.
    friday = datetime(2026, 3, 27, 18, tzinfo=UTC)
    assert hours.next_opening(friday) == datetime(2026, 3, 30, 7, tzinfo=UTC)  # 09:00 CEST


@pytest.mark.parametrize(
    "spec",
    [
        "mon",
        "funday 09:00-10:00",
        "mon 9-17",
        "mon 25:00-26:00",
        "mon 09:60-10:00",
        "mon-tue-wed 09:00-10:00",
    ],
)
def test_invalid_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        BusinessHours.parse(spec)


def test_unknown_zone_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        BusinessHours.parse("mon 09:00-10:00", "Mars/Olympus")
    with pytest.raises(ValueError):
        BusinessHours.parse("mon 09:00-10:00").is_open(datetime(2026, 1, 5, 9))
