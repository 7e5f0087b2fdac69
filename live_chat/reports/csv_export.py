"""The conversations of a window as CSV, one row per conversation, streamed.

Rows come from ``conversation_facts`` through a streaming cursor a few hundred
at a time and leave as they are written, so a year's export holds only one
chunk in memory. Times are UTC ISO 8601, plus ``created_local`` in the
report's zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from live_chat.reports.window import ReportWindow
from live_chat.store.report_facts import refresh_facts
from live_chat.store.reports import conversation_facts, read_connection
from live_chat.store.repository import Store

COLUMNS = (
    "id", "created_at", "created_local", "visitor_id", "locale", "intent", "outcome", "state",
    "escalated_at", "assigned_at", "first_agent_reply_at", "closed_at", "agent_id",
    "agent_name", "team", "bot_frt_s", "human_frt_s", "wait_s", "aht_s", "csat", "resolution",
)
#: Rows fetched (and written) at a time.
CHUNK_ROWS = 500
# A cell a spreadsheet would run as a formula: names and teams are typed by people.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filename(window: ReportWindow) -> str:
    """``conversations-<since>-<until>.csv`` with the window's local dates."""
    since = window.since.astimezone(window.tz).date().isoformat()
    until = window.until.astimezone(window.tz).date().isoformat()
    return f"conversations-{since}-{until}.csv"


async def csv_chunks(store: Store, window: ReportWindow) -> AsyncIterator[bytes]:
    """The CSV (UTF-8, header first) in chunks of :data:`CHUNK_ROWS` rows."""
    facts = conversation_facts(window).subquery("facts")
    statement = (
        facts.select()
        .order_by(facts.c.created_at, facts.c.id)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    await refresh_facts(store)
    yield _lines([COLUMNS])
    async with read_connection(store) as conn:
        result = await conn.stream(statement)
        async for rows in result.partitions(CHUNK_ROWS):
            yield _lines([_row(row._mapping, window) for row in rows])


def _row(row: Any, window: ReportWindow) -> list[Any]:
    created: datetime = row["created_at"]
    values = {**row, "created_local": created.astimezone(window.tz).isoformat()}
    return [_cell(values[name]) for name in COLUMNS]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _lines(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
