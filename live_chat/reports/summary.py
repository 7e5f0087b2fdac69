"""The summary of docs/metrics.md: every figure of a window, in one SQL statement.

The facts of the window's conversations (``live_chat.store.reports``) are a
CTE computed once; the overall figures, the percentiles, the per-intent,
per-agent and per-locale rows and the wait histogram are aggregates over it,
stacked into one UNION ALL. Python only names and orders the results.
"""

from __future__ import annotations

import asyncio
import importlib
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from live_chat.reports.window import ReportWindow
from live_chat.store.portable import count_if, mean, ratio
from live_chat.store.report_facts import refresh_facts
from live_chat.store.reports import (
    OUTCOMES,
    P50,
    P90,
    active_handle_seconds,
    fact_rows,
    percentiles,
    read_connection,
    stacked,
)
from live_chat.store.repository import Store

#: Upper bounds (seconds) of the wait histogram's buckets; longer waits go to ``None``.
WAIT_BUCKETS = (10, 30, 60, 120, 300, 600)

#: Per fact column, the percentile keys of the summary computed from it.
PERCENTILES: dict[str, dict[str, tuple[int, int]]] = {
    "bot_frt_s": {"bot_frt_p50_s": P50, "bot_frt_p90_s": P90},
    "human_frt_s": {"human_frt_p50_s": P50, "human_frt_p90_s": P90},
    "wait_s": {"wait_p50_s": P50, "wait_p90_s": P90},
    "abandon_wait_s": {"abandon_wait_p50_s": P50},
    "aht_s": {"aht_p50_s": P50, "aht_p90_s": P90},
    "active_s": {"active_handle_p50_s": P50},
    "resolution_s": {"resolution_p50_s": P50},
}
#: Per-agent percentiles: fact column → key of a ``by_agent`` row.
AGENT_PERCENTILES = {"human_frt_s": "human_frt_p50_s", "aht_s": "aht_p50_s"}
#: Shares and means (rounded to 4 decimals; seconds are rounded to the millisecond).
RATIO_KEYS = ("deflection", "answer_rate", "abandonment_rate", "csat_mean", "csat_share_4_5",
              "csat_response_rate", "fcr")
#: Counts :func:`summary_with_counts` adds to the summary.
EXTRA_COUNTS = ("closed", "abandoned", "bot_frt_samples", "human_frt_samples")


async def summary(store: Store, window: ReportWindow, *, now: datetime | None = None
                  ) -> dict[str, Any]:
    """The figures of ``window`` with exactly the keys of ``GET /api/reports/summary``
    (without ``ok``). ``now``: the time open conversations are judged at (default now)."""
    figures = await summary_with_counts(store, window, now=now)
    for key in EXTRA_COUNTS:
        figures.pop(key)
    return figures


async def summary_with_counts(store: Store, window: ReportWindow, *,
                              now: datetime | None = None,
                              utilisation: bool = True) -> dict[str, Any]:
    """:func:`summary` plus the counts behind some figures: ``closed``, ``abandoned``,
    ``bot_frt_samples`` and ``human_frt_samples``. Without ``utilisation``, every
    agent's is None (it is a query of its own)."""
    await refresh_facts(store)
    statement = summary_statement(window, now=now)

    async def figures() -> list[dict[str, Any]]:
        async with read_connection(store) as conn:
            return [row._asdict() for row in (await conn.execute(statement)).all()]

    async def per_agent_utilisation() -> dict[str, float | None] | None:
        if not utilisation:
            return None
        async with read_connection(store) as conn:
            return await _utilisation(conn, window)

    # Two independent queries on two connections: both databases run them at
    # once (SQLite's driver leaves the GIL while a query runs).
    rows, per_agent = await asyncio.gather(figures(), per_agent_utilisation())
    parts: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        parts.setdefault(row["part"], []).append(row)
    return _figures(window, parts, per_agent)


def summary_statement(window: ReportWindow, *, now: datetime | None = None) -> Any:
    """The one statement behind :func:`summary`: rows tagged ``part``: ``overall``,
    ``pct_<column>`` (its percentiles), ``intent``, ``agent``, ``agent_<column>``
    (per-agent percentiles), ``locale`` and ``wait``."""
    facts = fact_rows(window, now=now, times=False).cte("facts")
    active = active_handle_seconds(facts).cte("active")
    s = facts.c
    # Every aggregate reads the facts CTE with this filter: a second CTE of the
    # selected rows would be one more copy of them to write.
    selected = s.matches == 1
    deflection = ratio(count_if(s.outcome == "resolved_by_bot"), func.count(s.outcome))
    escalated = s.escalated_us.is_not(None)

    parts: dict[str, Any] = {"overall": select(
        func.count().label("conversations"),
        *(count_if(s.outcome == name).label(name) for name in OUTCOMES),
        count_if(s.outcome.is_(None)).label("none"),
        deflection.label("deflection"),
        ratio(count_if(and_(escalated, s.first_agent_reply_us.is_not(None))),
              func.count(s.escalated_us)).label("answer_rate"),
        ratio(count_if(and_(escalated, s.abandoned_us.is_not(None))),
              func.count(s.escalated_us)).label("abandonment_rate"),
        mean(s.csat).label("csat_mean"),
        ratio(count_if(s.csat >= 4), func.count(s.csat)).label("csat_share_4_5"),
        func.count(s.csat).label("csat_responses"),
        ratio(func.count(s.csat), func.count(s.closed_us)).label("csat_response_rate"),
        ratio(func.sum(s.fcr), func.count(s.fcr)).label("fcr"),
        func.count(s.closed_us).label("closed"),
        func.count(s.abandoned_us).label("abandoned"),
        func.count(s.bot_frt_s).label("bot_frt_samples"),
        func.count(s.human_frt_s).label("human_frt_samples"),
    ).where(selected)}
    for column, quantiles in PERCENTILES.items():
        if column == "active_s":
            # The load behind it counts every conversation; the filters pick whose.
            parts[f"pct_{column}"] = percentiles(active.c.active_s, quantiles,
                                                 where=active.c.matches == 1)
        else:
            parts[f"pct_{column}"] = percentiles(s[column], quantiles, where=selected)

    parts["intent"] = select(
        s.intent.label("key"),
        func.count().label("conversations"),
        deflection.label("deflection"),
        count_if(s.outcome == "escalated").label("escalated"),
        count_if(s.outcome == "unresolved").label("unresolved"),
        mean(s.csat).label("csat_mean"),
    ).where(selected).group_by(s.intent)

    parts["agent"] = select(
        s.agent_id.label("key"),
        func.max(s.agent_name).label("name"),
        func.count().label("chats"),
        mean(s.csat).label("csat_mean"),
    ).where(selected, s.agent_id.is_not(None)).group_by(s.agent_id)
    for column, key in AGENT_PERCENTILES.items():
        parts[f"agent_{column}"] = percentiles(s[column], {key: P50}, group_by=(s.agent_id,),
                                               where=selected)

    parts["locale"] = select(
        s.locale.label("key"), func.count().label("conversations"),
        deflection.label("deflection"),
    ).where(selected).group_by(s.locale)

    bucket = case(*((s.wait_s <= bound, bound) for bound in WAIT_BUCKETS))
    parts["wait"] = select(bucket.label("le_s"), func.count().label("count")
                           ).where(selected, s.wait_s.is_not(None)).group_by(bucket)
    return stacked(parts)


def _figures(window: ReportWindow, parts: dict[str, list[dict[str, Any]]],
             utilisation: dict[str, float | None] | None) -> dict[str, Any]:
    """Name the stacked rows as the API answers them."""
    overall = parts["overall"][0]
    for column in PERCENTILES:
        overall.update({key: parts[f"pct_{column}"][0][key] for key in PERCENTILES[column]})
    figures: dict[str, Any] = {
        "since": window.since.isoformat(), "until": window.until.isoformat(),
        "tz": window.tz.key, "conversations": _int(overall["conversations"]),
        "outcomes": {name: _int(overall[name]) for name in (*OUTCOMES, "none")},
        "deflection": _ratio(overall["deflection"]),
    }
    for column in ("bot_frt_s", "human_frt_s", "wait_s"):
        figures.update({key: _seconds(overall[key]) for key in PERCENTILES[column]})
    figures["answer_rate"] = _ratio(overall["answer_rate"])
    figures["abandonment_rate"] = _ratio(overall["abandonment_rate"])
    for column in ("abandon_wait_s", "aht_s", "active_s", "resolution_s"):
        figures.update({key: _seconds(overall[key]) for key in PERCENTILES[column]})
    figures.update(
        csat_mean=_ratio(overall["csat_mean"]), csat_share_4_5=_ratio(overall["csat_share_4_5"]),
        csat_responses=_int(overall["csat_responses"]),
        csat_response_rate=_ratio(overall["csat_response_rate"]), fcr=_ratio(overall["fcr"]),
        # Widget loads are not recorded: there is no denominator for a contact rate.
        contact_rate=None,
    )

    intents = sorted(parts.get("intent", []), key=lambda row: (
        -_int(row["escalated"]) - _int(row["unresolved"]), -_int(row["conversations"]),
        row["key"] is None, row["key"] or ""))
    figures["by_intent"] = [{
        "intent": row["key"], "conversations": _int(row["conversations"]),
        "deflection": _ratio(row["deflection"]), "escalated": _int(row["escalated"]),
        "unresolved": _int(row["unresolved"]), "csat_mean": _ratio(row["csat_mean"]),
    } for row in intents]

    agent_percentiles = {
        (row["agent_id"], key): row[key]
        for column, key in AGENT_PERCENTILES.items() for row in parts.get(f"agent_{column}", [])
    }
    agents = sorted(parts.get("agent", []),
                    key=lambda row: (-_int(row["chats"]), row["name"] or "", row["key"]))
    figures["by_agent"] = [{
        "agent_id": row["key"], "name": row["name"], "chats": _int(row["chats"]),
        "human_frt_p50_s": _seconds(agent_percentiles.get((row["key"], "human_frt_p50_s"))),
        "aht_p50_s": _seconds(agent_percentiles.get((row["key"], "aht_p50_s"))),
        "csat_mean": _ratio(row["csat_mean"]),
        "utilisation": _ratio((utilisation or {}).get(row["key"])),
    } for row in agents]

    locales = sorted(parts.get("locale", []), key=lambda row: (
        -_int(row["conversations"]), row["key"] is None, row["key"] or ""))
    figures["by_locale"] = [{
        "locale": row["key"], "conversations": _int(row["conversations"]),
        "deflection": _ratio(row["deflection"]),
    } for row in locales]

    counts = {None if row["le_s"] is None else int(row["le_s"]): _int(row["count"])
              for row in parts.get("wait", [])}
    figures["wait_histogram"] = [{"le_s": bound, "count": counts.get(bound, 0)}
                                 for bound in (*WAIT_BUCKETS, None)]
    figures.update({key: _int(overall[key]) for key in EXTRA_COUNTS})
    return figures


async def _utilisation(conn: AsyncConnection, window: ReportWindow
                       ) -> dict[str, float | None] | None:
    """Per agent utilisation from ``live_chat.reports.utilisation``, when it exists."""
    try:
        module = importlib.import_module("live_chat.reports.utilisation")
    except ImportError:
        return None
    async with AsyncSession(bind=conn) as session:
        result: dict[str, float | None] = await module.utilisation(session, window)
    return result


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _ratio(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _int(value: Any) -> int:
    return 0 if value is None else int(value)
