"""One metric over time: per hour, day or week (weeks start on Monday) in the window's zone.

Buckets are by the conversation's creation time in ``window.tz``. Python lists
the buckets of the window (at most a few thousand) and the zone's UTC offsets
over it (a handful of daylight-saving changes at most); SQL gives each
conversation its bucket with integer arithmetic on its creation time plus the
offset in force then, and aggregates per bucket. Every bucket is answered,
empty ones with ``0`` (counts) or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, case, func, literal_column, select

from live_chat.errors import InvalidPayload
from live_chat.reports.window import ReportWindow
from live_chat.store.models import Conversation
from live_chat.store.portable import at, count_if, epoch_us, mean, ratio, us
from live_chat.store.report_facts import refresh_facts
from live_chat.store.reports import (
    P50,
    fact_rows,
    percentiles,
    read_connection,
)
from live_chat.store.repository import Store

METRICS = ("conversations", "deflection", "bot_frt_p50_s", "human_frt_p50_s", "wait_p50_s",
           "answer_rate", "abandonment_rate", "aht_p50_s", "csat_mean")
INTERVALS = ("hour", "day", "week")
#: Metric → the fact column whose median it is.
_MEDIANS = {"bot_frt_p50_s": "bot_frt_s", "human_frt_p50_s": "human_frt_s",
            "wait_p50_s": "wait_s", "aht_p50_s": "aht_s"}
_EPOCH = date(1970, 1, 1)
_DAY_S = 86_400


async def timeseries(store: Store, window: ReportWindow, metric: str, interval: str
                     ) -> dict[str, Any]:
    """``metric`` (one of :data:`METRICS`) per ``interval`` (``hour``, ``day`` or
    ``week``) over ``window``: ``{"metric", "interval", "tz", "points": [{"t", "value"}]}``
    with ``t`` the ISO start of each bucket in ``window.tz``.

    Raises :class:`InvalidPayload` for an unknown metric or interval.
    """
    if metric not in METRICS:
        raise InvalidPayload(f"metric: one of {', '.join(METRICS)}")
    if interval not in INTERVALS:
        raise InvalidPayload(f"interval: one of {', '.join(INTERVALS)}")
    offsets = utc_offsets(window.since, window.until, window.tz)
    if metric != "conversations":  # counted from the conversations table alone
        await refresh_facts(store)
    statement = timeseries_statement(window, metric, interval, offsets)
    async with read_connection(store) as conn:
        values = {int(key): value for key, value in (await conn.execute(statement)).all()}
    empty = 0 if metric == "conversations" else None
    points = [{"t": start.isoformat(), "value": _shown(metric, values.get(key, empty))}
              for key, start in buckets(window, interval, offsets)]
    return {"metric": metric, "interval": interval, "tz": window.tz.key, "points": points}


@dataclass(frozen=True, slots=True)
class Offset:
    """From ``since`` (UTC) on, until the next one, the zone is ``seconds`` ahead of UTC."""

    since: datetime
    seconds: int


def utc_offsets(since: datetime, until: datetime, tz: ZoneInfo) -> list[Offset]:
    """The zone's offsets over ``[since, until)``, in order; the first starts at ``since``."""
    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    found = [Offset(since, offset(since))]
    step = timedelta(hours=6)  # zones change their offset at most a few times a year
    moment = since
    while moment < until:
        following = min(moment + step, until)
        if offset(following) != found[-1].seconds:
            # The change lies in (moment, following]: find its second by bisection.
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == found[-1].seconds:
                    low = middle
                else:
                    high = middle
            change = high.replace(microsecond=0)
            if offset(change) == found[-1].seconds:
                change += timedelta(seconds=1)
            found.append(Offset(change, offset(change)))
        moment = following
    return found


def bucket_key(created_us: Any, interval: str, offsets: list[Offset]) -> Any:
    """The bucket of a creation time (``epoch_us``, SQL or int): a day or week number
    since 1970 in local time, or an hour number (hours start where the zone's do)."""
    local_offset: Any
    if len(offsets) == 1:
        local_offset = _offset_value(offsets[0].seconds, interval)
    else:
        local_offset = case(
            *((created_us < us(later.since), _offset_value(earlier.seconds, interval))
              for earlier, later in pairwise(offsets)),
            else_=_offset_value(offsets[-1].seconds, interval),
        )
    seconds = created_us // 1_000_000 + local_offset
    if interval == "hour":
        return seconds // 3600
    if interval == "day":
        return seconds // _DAY_S
    # 1970-01-01 was a Thursday: +3 days makes weeks start on Monday.
    return (seconds // _DAY_S + 3) // 7


def _offset_value(seconds: int, interval: str) -> Any:
    # Hours are counted from UTC's, shifted only by the part of the offset that
    # is not whole hours (India's :30): a daylight-saving change then never
    # merges two hours into one bucket.
    value = seconds % 3600 if interval == "hour" else seconds
    return literal_column(str(value), Integer)


def buckets(window: ReportWindow, interval: str, offsets: list[Offset]
            ) -> list[tuple[int, datetime]]:
    """Every bucket of the window: (key as :func:`bucket_key` computes it, local start)."""
    tz = window.tz
    last = window.until - timedelta(microseconds=1)
    if interval == "hour":
        found: list[tuple[int, datetime]] = []
        key = _python_key(window.since, interval, offsets)
        while True:
            start = datetime.fromtimestamp(key * 3600 - _sub_hour(key * 3600, offsets), UTC)
            if start > last:
                break
            found.append((key, start.astimezone(tz)))
            key += 1
        return found
    first_day = window.since.astimezone(tz).date()
    last_day = last.astimezone(tz).date()
    if interval == "week":
        first_day -= timedelta(days=first_day.weekday())
    step = timedelta(days=7 if interval == "week" else 1)
    days = []
    day = first_day
    while day <= last_day:
        days.append(day)
        day += step
    return [(_python_key(datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC), interval,
                         offsets),
             datetime.combine(day, time(0), tzinfo=tz)) for day in days]


def _python_key(moment: datetime, interval: str, offsets: list[Offset]) -> int:
    """:func:`bucket_key` computed here for one aware time."""
    seconds = us(moment) // 1_000_000
    offset = next((o.seconds for o in reversed(offsets) if o.since <= moment),
                  offsets[0].seconds)
    if interval == "hour":
        return int((seconds + offset % 3600) // 3600)
    if interval == "day":
        return int((seconds + offset) // _DAY_S)
    return int(((seconds + offset) // _DAY_S + 3) // 7)


def _sub_hour(seconds: int, offsets: list[Offset]) -> int:
    moment = datetime.fromtimestamp(seconds, UTC)
    offset = next((o.seconds for o in reversed(offsets) if o.since <= moment),
                  offsets[0].seconds)
    return offset % 3600


def timeseries_statement(window: ReportWindow, metric: str, interval: str,
                         offsets: list[Offset]) -> Select[Any]:
    """(bucket key, value) for every bucket with conversations."""
    if metric == "conversations" and window.agent is None and window.intent is None:
        # Counting needs no facts: the conversations table alone (its created_at index).
        c = Conversation.__table__.c
        key = bucket_key(epoch_us(c.created_at), interval, offsets).label("bucket")
        conditions = [c.created_at >= at(window.since), c.created_at < at(window.until)]
        if window.team is not None:
            conditions.append(c.team == window.team)
        if window.locale is not None:
            conditions.append(c.locale == window.locale)
        return select(key, func.count()).where(and_(*conditions)).group_by(key)
    # Only the outcome (deflection) needs the visitors' later conversations.
    facts = fact_rows(window, times=False, messages=metric == "deflection").cte("facts")
    keyed = select(
        facts, bucket_key(facts.c.created_us, interval, offsets).label("bucket"),
    ).where(facts.c.matches == 1).cte("keyed")
    k = keyed.c
    if metric in _MEDIANS:
        return percentiles(k[_MEDIANS[metric]], {"value": P50}, group_by=(k.bucket,))
    escalated = k.escalated_us.is_not(None)
    value: ColumnElement[Any] = {
        "conversations": func.count(),
        "deflection": ratio(count_if(k.outcome == "resolved_by_bot"), func.count(k.outcome)),
        "answer_rate": ratio(count_if(and_(escalated, k.first_agent_reply_us.is_not(None))),
                             func.count(k.escalated_us)),
        "abandonment_rate": ratio(count_if(and_(escalated, k.abandoned_us.is_not(None))),
                                  func.count(k.escalated_us)),
        "csat_mean": mean(k.csat),
    }[metric]
    return select(k.bucket, value.label("value")).group_by(k.bucket)


def _shown(metric: str, value: Any) -> Any:
    if value is None:
        return None
    if metric == "conversations":
        return int(value)
    return round(float(value), 3 if metric.endswith("_s") else 4)
