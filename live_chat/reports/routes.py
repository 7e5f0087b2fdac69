"""The reports HTTP API of docs/metrics.md: thin handlers over the reports modules.

Every route takes ``since``, ``until``, ``tz`` (default ``TSUNAGU_TIMEZONE``) and the
filters ``team``, ``agent``, ``intent``, ``locale``; supervisors and admins may call
them (a plain agent gets 403). Sign-in, roles and the error mapping are
:func:`live_chat.admin_http.route`'s.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

from aiohttp import web

from live_chat.admin_http import route
from live_chat.agents import SignedIn
from live_chat.api_queries import ReportQuery, ThresholdsQuery, TimeseriesQuery
from live_chat.api_shapes import SummaryOut, ThresholdsOut, TimeseriesOut
from live_chat.context import CONTEXT
from live_chat.errors import InvalidPayload
from live_chat.openapi import documented
from live_chat.reports.csv_export import csv_chunks, filename
from live_chat.reports.summary import summary
from live_chat.reports.timeseries import timeseries
from live_chat.reports.window import ReportWindow

REPORT_ROLES = ("supervisor", "admin")


def setup_report_routes(app: web.Application) -> None:
    add = app.router
    # API keys with the scope "reports" read them too (live_chat/api_keys/).
    add.add_get("/api/reports/summary",
                route(summary_report, roles=REPORT_ROLES, scope="reports"))
    add.add_get("/api/reports/timeseries",
                route(timeseries_report, roles=REPORT_ROLES, scope="reports"))
    add.add_get("/api/reports/conversations.csv",
                route(conversations_csv, roles=REPORT_ROLES, scope="reports"))
    add.add_get("/api/reports/thresholds",
                route(thresholds_report, roles=REPORT_ROLES, scope="reports"))


def report_window(request: web.Request) -> ReportWindow:
    """The request's window and filters; 400 ``invalid`` naming a bad parameter."""
    settings = request.app[CONTEXT].settings
    return ReportWindow.from_query(request.query, default_tz=settings.timezone)


@documented("Summary figures of a window (docs/metrics.md)", response=SummaryOut,
            query=ReportQuery, errors=(400,), tags=("reports",))
async def summary_report(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await summary(request.app[CONTEXT].store, report_window(request))


@documented("One metric per interval (metric, interval)", response=TimeseriesOut,
            query=TimeseriesQuery, errors=(400,), tags=("reports",))
async def timeseries_report(request: web.Request, me: SignedIn) -> dict[str, Any]:
    metric = request.query.get("metric", "")
    interval = request.query.get("interval", "day")
    return await timeseries(request.app[CONTEXT].store, report_window(request), metric,
                            interval)


@documented("The window's conversations as CSV", media="text/csv", query=ReportQuery,
            errors=(400,), tags=("reports",))
async def conversations_csv(request: web.Request, me: SignedIn) -> web.StreamResponse:
    """The window's conversations as a CSV download, written as the rows are read."""
    window = report_window(request)
    response = web.StreamResponse(headers={
        "Content-Disposition": f'attachment; filename="{filename(window)}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    # Closed explicitly: a client that goes away mid-download must give the
    # database connection back now, not when the generator is collected.
    async with aclosing(csv_chunks(request.app[CONTEXT].store, window)) as chunks:
        try:
            async for chunk in chunks:
                await response.write(chunk)
        except ConnectionResetError:
            return response  # the client left; nothing more to send
    await response.write_eof()
    return response


@documented("The threshold simulator (current)", response=ThresholdsOut, errors=(400,),
            query=ThresholdsQuery, tags=("reports",))
async def thresholds_report(request: web.Request, me: SignedIn) -> dict[str, Any]:
    """The threshold simulator; ``current`` overrides the serving model's threshold."""
    # Imported here: the simulator is its own module, and this route must not
    # keep the other reports from loading if it cannot be.
    from live_chat.reports.thresholds import current_threshold, simulate

    ctx = request.app[CONTEXT]
    window = report_window(request)
    current: float | None
    raw = request.query.get("current")
    if raw:
        try:
            current = float(raw)
        except ValueError:
            raise InvalidPayload("current: a number between 0 and 1") from None
        if not 0.0 <= current <= 1.0:
            raise InvalidPayload("current: a number between 0 and 1")
    else:
        current = current_threshold(ctx.bot())
    result: dict[str, Any] = await simulate(ctx.store, window, current)
    return result
