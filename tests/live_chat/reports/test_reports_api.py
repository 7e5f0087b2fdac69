"""The reports API over a real gateway: the same figures as the module, the CSV, roles.

The hand-built day of ``test_summary`` is written into the gateway's record
(SQLite and PostgreSQL), then read through HTTP as the console reads it.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

import aiohttp

from live_chat.reports.csv_export import COLUMNS
from live_chat.reports.summary import summary
from live_chat.reports.timeseries import timeseries
from live_chat.reports.window import ReportWindow
from live_chat.store.reports import conversation_facts, read_connection
from tests.clients import login
from tests.conftest import Gateway
from tests.live_chat.reports.test_summary import AOI, SUMMARY_KEYS, WINDOW, write_day
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent

ROUTES = ("/api/reports/summary", "/api/reports/timeseries?metric=conversations",
          "/api/reports/conversations.csv", "/api/reports/thresholds")
DAY = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z"}


async def token_of(gateway: Gateway, name: str, role: str) -> str:
    email = await add_agent(gateway, name, role=role)
    status, body, _ = await login(gateway.url, email, PASSWORD)
    assert status == 200, body
    return str(body["token"])


async def get(gateway: Gateway, path: str, token: str | None,
              query: dict[str, str] | None = None) -> tuple[int, Any, aiohttp.ClientResponse]:
    """(status, JSON body or text, response) of ``GET path?query``."""
    url = f"{gateway.url}{path}"
    if query:
        url += ("&" if "?" in path else "?") + urlencode(query)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, await response.json(), response
        return response.status, await response.text(), response


async def test_api_answers_what_the_module_computes(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    ids = await write_day(gateway.ctx.store)
    boss = await token_of(gateway, "Boss", "supervisor")

    status, body, _ = await get(gateway, "/api/reports/summary", boss, {**DAY, "tz": "UTC"})
    assert status == 200, body
    assert body.pop("ok") is True
    assert set(body) == SUMMARY_KEYS
    # Judged now (c10 has long been silent): the module gives the same figures.
    assert body == await summary(gateway.ctx.store, WINDOW)
    assert body["conversations"] == 10 and body["outcomes"]["none"] == 0
    assert body["human_frt_p50_s"] == 40.0 and body["by_agent"][0]["agent_id"] == AOI

    # A filter narrows through the query string too.
    status, narrowed, _ = await get(gateway, "/api/reports/summary", boss,
                                    {**DAY, "tz": "UTC", "agent": AOI})
    assert status == 200 and narrowed["conversations"] == 2

    # Per hour: c5 and c12 in the 13:00 bucket; 24 buckets, ten conversations.
    status, series, _ = await get(gateway, "/api/reports/timeseries", boss,
                                  {**DAY, "tz": "UTC", "metric": "conversations",
                                   "interval": "hour"})
    assert status == 200, series
    assert series["ok"] is True and series["interval"] == "hour" and series["tz"] == "UTC"
    assert len(series["points"]) == 24
    assert series["points"][13] == {"t": "2026-03-02T13:00:00+00:00", "value": 2}
    assert sum(point["value"] for point in series["points"]) == 10
    expected = await timeseries(gateway.ctx.store, WINDOW, "conversations", "hour")
    assert series["points"] == expected["points"]

    # The CSV: one row per conversation, as the facts say, times in UTC plus the
    # creation time in the report's zone.
    status, text, response = await get(gateway, "/api/reports/conversations.csv", boss,
                                       {**DAY, "tz": "Asia/Tokyo"})
    assert status == 200, text
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="conversations-2026-03-02-2026-03-03.csv"')
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    window = ReportWindow.from_query({**DAY, "tz": "UTC"}, default_tz="UTC")
    async with read_connection(gateway.ctx.store) as conn:
        facts = {row.id: row._asdict()
                 for row in (await conn.execute(conversation_facts(window))).all()}
    assert [row["id"] for row in rows] == sorted(facts, key=lambda i: facts[i]["created_at"])
    for row in rows:
        fact = facts[row["id"]]
        for name in COLUMNS:
            if name == "created_local":
                continue
            value = fact[name]
            shown = "" if value is None else (
                value.isoformat() if hasattr(value, "isoformat") else
                str(round(value, 3)) if isinstance(value, float) else str(value))
            assert row[name] == shown, (row["id"], name)
    c5 = next(row for row in rows if row["id"] == ids["c5"])
    assert c5["created_at"] == "2026-03-02T13:00:00+00:00"
    assert c5["created_local"] == "2026-03-02T22:00:00+09:00"
    assert (c5["agent_name"], c5["wait_s"], c5["aht_s"], c5["csat"]) == (
        "Aoi", "69.0", "310.0", "5")
    assert c5["escalated_at"] == "2026-03-02T13:00:01+00:00"


async def test_who_may_read_reports_and_bad_windows(gateway: Gateway) -> None:
    plain = await token_of(gateway, "Plain", "agent")
    boss = await token_of(gateway, "Boss", "supervisor")
    admin = await token_of(gateway, "Root", "admin")
    for path in ROUTES:
        status, body, _ = await get(gateway, path, None)
        assert status == 401, (path, body)
        status, body, _ = await get(gateway, path, plain)
        assert status == 403 and body["error"] == "forbidden", (path, body)
        for token in (boss, admin):
            status, body, _ = await get(gateway, path, token)
            assert status == 200, (path, body)
    for query in ({"tz": "Mars/Olympus"}, {"since": "2026-03-03", "until": "2026-03-02"},
                  {"since": "2026-03-02", "until": "2026-03-02"}, {"since": "yesterday"}):
        for path in ROUTES:
            status, body, _ = await get(gateway, path, boss, query)
            assert status == 400 and body["ok"] is False, (path, query, body)
            assert body["error"] == "invalid" and body["message"], (path, query, body)
    for query in ({"metric": "nope"}, {"metric": "deflection", "interval": "month"}):
        status, body, _ = await get(gateway, "/api/reports/timeseries", boss, query)
        assert status == 400 and body["error"] == "invalid", body
    status, body, _ = await get(gateway, "/api/reports/thresholds", boss, {"current": "2"})
    assert status == 400 and body["error"] == "invalid"
    # The default zone is TSUNAGU_TIMEZONE (the test gateway's: UTC); the
    # simulator answers with its own keys.
    status, body, _ = await get(gateway, "/api/reports/summary", boss)
    assert body["tz"] == "UTC"
    status, body, _ = await get(gateway, "/api/reports/thresholds", boss, {"current": "0.4"})
    assert status == 200 and body["current"] == 0.4 and "points" in body
