"""Reports on a year of conversations, next to a bare ``SELECT count(*) FROM messages``.

For SQLite (a file under /tmp, kept and reused between runs) and PostgreSQL
(a fresh ``tsunagu_bench_<random>`` database on this machine's server,
dropped at the end), the year is generated once with ``bench.report_data``
(100,000 conversations, about a million messages), then, in the same run and
interleaved round by round so that a noisy machine slows all alike:

- the baseline: ``SELECT count(*) FROM messages`` on the connection the
  reports read with;
- ``summary``, ``timeseries`` (per day, three metrics) and the threshold
  simulator of ``live_chat.reports``, for the last 30 days and for the whole
  year (Asia/Tokyo), median of ``--runs`` runs each, against the goals of
  issue 10: 1 s for 30 days, 3 s for the year;
- the CSV export of the year through the gateway's HTTP endpoint
  (``GET /api/reports/conversations.csv``, app started in a child process
  with an admin's token): bytes, rows, seconds and the child's peak RSS
  increase while it streams (plus ``GET /api/reports/summary`` when that
  route exists).

A report module or route that does not exist yet is shown as "not built yet".
``--explain`` re-runs each call that misses its goal once, captures its SQL and
prints ``EXPLAIN (ANALYZE, BUFFERS)`` (PostgreSQL) or ``EXPLAIN QUERY PLAN``
(SQLite) for each statement.

    .venv/bin/python -m bench.reports [--database-url URL] [--conversations 100000]
        [--seed 1] [--runs 5] [--only sqlite|postgresql] [--keep] [--no-csv] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.report_data import ADMIN_EMAIL, AGENT_PASSWORD, read_marker
from bench.servers import drop_database, scratch_database

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("TSUNAGU_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SQLITE_DIR = Path(tempfile.gettempdir()) / "tsunagu-bench-reports"
MODELS_DIR = Path(tempfile.gettempdir()) / "tsunagu-bench-models"
TZ = "Asia/Tokyo"
GOAL_MS = {"30 days": 1000.0, "year": 3000.0}
#: A call slower than this on its first run is not run again (its median is that run).
SLOW_S = 60.0
MiB = 1024 * 1024


# -- the calls ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One report call: ``module.attr(store, window, *extra)``."""

    label: str
    module: str
    attr: str
    extra: tuple[Any, ...] = ()


CALLS: tuple[Call, ...] = (
    Call("summary", "live_chat.reports.summary", "summary"),
    Call("timeseries conversations/day", "live_chat.reports.timeseries", "timeseries",
         ("conversations", "day")),
    Call("timeseries deflection/day", "live_chat.reports.timeseries", "timeseries",
         ("deflection", "day")),
    Call("timeseries human_frt_p50_s/day", "live_chat.reports.timeseries", "timeseries",
         ("human_frt_p50_s", "day")),
    Call("thresholds simulate(0.5)", "live_chat.reports.thresholds", "simulate", (0.5,)),
)


def resolve(call: Call) -> Callable[..., Awaitable[Any]] | str:
    """The function of ``call``, or why it cannot run ("not built yet" when its module or
    function does not exist)."""
    try:
        module = importlib.import_module(call.module)
    except ModuleNotFoundError as exc:
        if exc.name in (call.module, *_parents(call.module)):
            return "not built yet"
        return f"import error: {exc}"
    except Exception as exc:  # a module being written can be broken for a while
        return f"import error: {type(exc).__name__}: {exc}"
    function = getattr(module, call.attr, None)
    return function if callable(function) else "not built yet"


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@dataclass
class Row:
    """One line of the table."""

    database: str
    call: str
    window: str
    runs_ms: list[float] = field(default_factory=list)
    note: str = ""
    goal_ms: float | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs_ms) if self.runs_ms else None


# -- timing ---------------------------------------------------------------------


def _windows(end_day: date) -> dict[str, Any]:
    """The 30-day and the year windows ending at ``end_day`` midnight in Asia/Tokyo."""
    from live_chat.reports.window import ReportWindow

    tz = ZoneInfo(TZ)
    until = datetime.combine(end_day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    return {"30 days": ReportWindow(until - timedelta(days=30), until, tz),
            "year": ReportWindow(until - timedelta(days=365), until, tz)}


def _reader(store: Any) -> Callable[[], AbstractAsyncContextManager[AsyncConnection]]:
    """How the reports open a connection (their own on SQLite), for the baseline too."""
    try:
        from live_chat.store.reports import read_connection
    except ImportError:
        return lambda: store.engine.connect()
    return lambda: read_connection(store)


class CallTimeout(Exception):
    """A call ran past ``--timeout``; its query was interrupted."""


# SQLite connections opened in this process: a query past the timeout is interrupted
# through them (cancelling the coroutine alone leaves it running in aiosqlite's thread).
_SQLITE: list[Any] = []


def _track_sqlite(dbapi_connection: Any, _record: Any) -> None:
    raw = getattr(getattr(dbapi_connection, "_connection", None), "_conn", None)
    if raw is not None and hasattr(raw, "interrupt"):
        _SQLITE.append(raw)


sa.event.listen(sa.engine.Engine, "connect", _track_sqlite)


async def _once(function: Callable[..., Awaitable[Any]], *args: Any,
                limit_s: float = 0) -> float:
    """Milliseconds one call took; :class:`CallTimeout` past ``limit_s`` seconds (0: none)."""
    started = time.perf_counter()
    task = asyncio.ensure_future(function(*args))
    try:
        await asyncio.wait_for(asyncio.shield(task), limit_s or None)
    except TimeoutError:
        for connection in _SQLITE:
            try:
                connection.interrupt()
            except Exception:
                pass  # closed since: nothing to interrupt
        task.cancel()  # PostgreSQL: asyncpg cancels the running query
        try:
            await asyncio.wait_for(task, 30)
        except (asyncio.CancelledError, Exception):
            pass  # interrupted, as asked
        raise CallTimeout from None
    finally:
        _SQLITE.clear()
    return (time.perf_counter() - started) * 1000


async def measure_database(label: str, url: str, end_day: date, runs: int,
                           limit_s: float) -> list[Row]:
    """Baseline and every call, both windows, ``runs`` interleaved rounds; the table rows."""
    from live_chat.store.database import create_engine
    from live_chat.store.repository import Store

    engine = create_engine(url)
    store = Store(engine)
    windows = _windows(end_day)
    reader = _reader(store)

    async def count_messages() -> None:
        async with reader() as conn:
            await conn.scalar(sa.text("SELECT count(*) FROM messages"))

    baseline = Row(label, "SELECT count(*) FROM messages", "all")
    rows: list[tuple[Row, Callable[..., Awaitable[Any]] | None, tuple[Any, ...]]] = []
    for call in CALLS:
        function = resolve(call)
        for name, window in windows.items():
            row = Row(label, call.label, name, goal_ms=GOAL_MS[name])
            if isinstance(function, str):
                row.note = function
                rows.append((row, None, ()))
            else:
                rows.append((row, function, (store, window, *call.extra)))
    try:
        for round_ in range(runs):
            baseline.runs_ms.append(await _once(count_messages))
            for row, function, args in rows:
                if function is None or row.note or (round_ and row.runs_ms[0] > SLOW_S * 1000):
                    continue
                try:
                    row.runs_ms.append(await _once(function, *args, limit_s=limit_s))
                except CallTimeout:
                    row.note = f"timeout > {limit_s:.0f} s"
                except Exception as exc:
                    row.note = f"error: {type(exc).__name__}: {str(exc)[:160]}"
                if round_ == 0:
                    took = f"{row.runs_ms[0]:.0f} ms" if row.runs_ms else row.note
                    print(f"  {label}: {row.call}, {row.window}: {took}", flush=True)
            print(f"  {label}: round {round_ + 1}/{runs} done", flush=True)
    finally:
        await engine.dispose()
    return [baseline, *(row for row, _, _ in rows)]


async def facts_upkeep(url: str, end_day: date) -> list[str]:
    """Time ``refresh_facts``: first over whatever is queued (after generating, every
    conversation: the facts derived from scratch, as after migration 0008 on an
    existing record), then over the last day's conversations queued again (what
    a report pays when nothing refreshed the facts for a day)."""
    from live_chat.store.database import create_engine
    from live_chat.store.models import Conversation, ReportFactQueue
    from live_chat.store.report_facts import refresh_facts
    from live_chat.store.repository import Store

    engine = create_engine(url)
    store = Store(engine)
    lines = []
    try:
        started = time.perf_counter()
        done = await refresh_facts(store)
        lines.append(f"  facts: {done} conversations derived in "
                     f"{time.perf_counter() - started:.2f} s (queued when generated)")
        last_day = datetime.combine(end_day - timedelta(days=1), datetime.min.time(),
                                    tzinfo=ZoneInfo(TZ))
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ReportFactQueue).from_select(
                ["conversation_id"],
                sa.select(Conversation.id).where(Conversation.created_at >= last_day)))
        started = time.perf_counter()
        done = await refresh_facts(store)
        lines.append(f"  facts: a day's traffic ({done} conversations) derived again in "
                     f"{(time.perf_counter() - started) * 1000:.0f} ms; an empty queue in "
                     f"{await _empty_refresh_ms(store):.1f} ms")
    finally:
        await engine.dispose()
    return lines


async def _empty_refresh_ms(store: Any) -> float:
    from live_chat.store.report_facts import refresh_facts

    times = []
    for _ in range(5):
        started = time.perf_counter()
        await refresh_facts(store)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# -- EXPLAIN of what a call runs ------------------------------------------------


@contextmanager
def captured_sql() -> Iterator[list[tuple[str, Any]]]:
    """Every statement executed meanwhile (by any engine of this process), with parameters."""
    statements: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook)
    try:
        yield statements
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)


async def explain(url: str, end_day: date, misses: list[Row]) -> None:
    """Run each missed call once more, then EXPLAIN every SELECT it ran."""
    from live_chat.store.database import create_engine
    from live_chat.store.repository import Store

    engine = create_engine(url)
    store = Store(engine)
    windows = _windows(end_day)
    try:
        for row in misses:
            call = next(c for c in CALLS if c.label == row.call)
            function = resolve(call)
            if isinstance(function, str):
                continue
            with captured_sql() as statements:
                await function(store, windows[row.window], *call.extra)
            print(f"\n=== {row.database}: {row.call}, {row.window}: "
                  f"{len(statements)} statement(s)")
            for i, (statement, parameters) in enumerate(statements, start=1):
                # On the connection the reports read with, so their settings apply.
                async with _reader(store)() as conn:
                    await _explain_one(conn, i, statement, parameters)
    finally:
        await engine.dispose()


async def _explain_one(conn: AsyncConnection, i: int, statement: str, parameters: Any) -> None:
    """Print ``statement`` and its plan: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN
    QUERY PLAN and the statement's own time on SQLite."""
    params = tuple(parameters or ())
    if conn.dialect.name == "postgresql":
        result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(r[0] for r in result)
        if "JIT:" in plan:  # how much of it the JIT compiler was: the same without
            await conn.exec_driver_sql("SET LOCAL jit = off")
            started = time.perf_counter()
            await conn.exec_driver_sql(statement, params)
            off_ms = (time.perf_counter() - started) * 1000
            plan += f"\n(the statement with jit = off: {off_ms:.0f} ms)"
    else:
        started = time.perf_counter()
        await conn.exec_driver_sql(statement, params)
        took = (time.perf_counter() - started) * 1000
        result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _, detail in result:
            depth[node] = depth.get(parent, -1) + 1
            lines.append(f"{'  ' * depth[node]}{detail}")
        plan = "\n".join(lines) + f"\n(statement alone: {took:.0f} ms)"
    await conn.rollback()
    print(f"--- statement {i} ({len(statement)} chars):\n{statement}\n--- plan:\n{plan}\n")


# -- the CSV export, in a child process ------------------------------------------


def _status_mb(field: str) -> float:
    """A size from /proc/self/status (VmRSS: resident now, VmHWM: its peak), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _reset_peak() -> bool:
    """Restart the kernel's peak-RSS count (VmHWM) from the current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def csv_child(url: str, since: str, until: str, runs: int) -> dict[str, Any]:
    """Start the gateway in this process, sign in as the bench admin, time
    ``GET /api/reports/summary`` and stream the year's CSV; what was seen, as a dict."""
    import logging

    import aiohttp
    from aiohttp import web

    from live_chat.app import create_app
    from live_chat.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    data_dir = Path(tempfile.mkdtemp(prefix="tsunagu-bench-csv-"))
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    (data_dir / "models").symlink_to(MODELS_DIR, target_is_directory=True)
    settings = Settings.from_env({}, data_dir=data_dir, port=0, database_url=url,
                                 secret_key="tsunagu-bench-reports-secret-0123456789",
                                 timezone=TZ, log_level="WARNING")
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    out: dict[str, Any] = {}
    started = time.perf_counter()
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        out["startup_s"] = time.perf_counter() - started
        timeout = aiohttp.ClientTimeout(total=900)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.post(f"{base}/api/auth/login",
                                 json={"email": ADMIN_EMAIL, "password": AGENT_PASSWORD}) as r:
                body = await r.json()
                if r.status != 200:
                    return {"error": f"login: {r.status} {body}"}
            headers = {"Authorization": f"Bearer {body['token']}"}
            out["summary"] = await _http_summary(http, base, headers, until, runs)
            out["csv"] = await _stream_csv(http, base, headers, until)
    finally:
        await runner.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


async def _http_summary(http: Any, base: str, headers: dict[str, str], until: str,
                        runs: int) -> dict[str, Any]:
    end = date.fromisoformat(until)
    result: dict[str, Any] = {}
    for name, days in (("30 days", 30), ("year", 365)):
        query = {"since": (end - timedelta(days=days)).isoformat(), "until": until, "tz": TZ}
        times: list[float] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            async with http.get(f"{base}/api/reports/summary", params=query,
                                headers=headers) as r:
                await r.read()
                status = r.status
            if status != 200:
                return {"status": status}
            times.append((time.perf_counter() - t0) * 1000)
            if times[0] > SLOW_S * 1000:
                break
        result[name] = times
    return {"status": 200, **result}


def _memory() -> dict[str, float]:
    """Resident memory now (MiB): all, anonymous (heap), file-backed (e.g. SQLite's mmap)."""
    return {"rss": _status_mb("VmRSS"), "anon": _status_mb("RssAnon"),
            "file": _status_mb("RssFile")}


async def _stream_csv(http: Any, base: str, headers: dict[str, str], until: str
                      ) -> dict[str, Any]:
    """Download the CSV of the last 30 days, then of the year, each with its memory."""
    path = f"{base}/api/reports/conversations.csv"
    end = date.fromisoformat(until)
    # A one-day export first: code paths and connections warm, so what follows is the stream.
    async with http.get(path, params={"since": (end - timedelta(days=1)).isoformat(),
                                      "until": until, "tz": TZ}, headers=headers) as r:
        await r.read()
        if r.status != 200:
            return {"status": r.status}
    out: dict[str, Any] = {"status": 200}
    for name, days in (("30 days", 30), ("year", 365)):
        query = {"since": (end - timedelta(days=days)).isoformat(), "until": until, "tz": TZ}
        peak_before = _peak_mb()
        reset = _reset_peak()
        before = _memory()
        samples: list[dict[str, float]] = []
        size = lines = 0
        first_byte = None
        t0 = time.perf_counter()
        async with http.get(path, params=query, headers=headers) as r:
            status, content_type = r.status, r.headers.get("Content-Type", "")
            async for chunk in r.content.iter_chunked(64 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - t0
                size += len(chunk)
                lines += chunk.count(b"\n")
                if len(samples) < size // MiB:
                    samples.append(_memory())
        seconds = time.perf_counter() - t0
        samples.append(_memory())
        out["content_type"] = content_type
        out[name] = {
            "status": status, "bytes": size, "rows": max(0, lines - 1), "seconds": seconds,
            "first_byte_s": first_byte, "before": before,
            "max": {k: max(m[k] for m in samples) for k in before},
            "min": {k: min(m[k] for m in samples) for k in before},
            "hwm_mb": _status_mb("VmHWM") if reset else None,
            "peak_before_mb": peak_before, "peak_after_mb": _peak_mb(),
        }
    return out


def run_csv_child(url: str, end_day: date, runs: int) -> dict[str, Any]:
    since = (end_day - timedelta(days=365)).isoformat()
    command = [sys.executable, "-m", "bench.reports", "--csv-child", "--database-url", url,
               "--since", since, "--until", end_day.isoformat(), "--runs", str(runs)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"error": f"exit {done.returncode}: {done.stderr.strip()[-600:]}"}


# -- databases --------------------------------------------------------------------


def generate(url: str, conversations: int, seed: int) -> tuple[float, str]:
    """Run the generator (a child process); (seconds, its output)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.report_data", "--database-url", url,
                           "--conversations", str(conversations), "--seed", str(seed)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"generator failed on {url}:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started, done.stdout.rstrip()


async def end_day_of(url: str) -> date:
    from live_chat.store.database import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            marker = await read_marker(conn)
    finally:
        await engine.dispose()
    if not marker or "end" not in marker:
        raise SystemExit(f"{url}: no bench marker after generation")
    return date.fromisoformat(marker["end"])


async def holds(path: Path, conversations: int, seed: int) -> bool:
    """True when the bench's SQLite file holds this data set, complete."""
    from bench.report_data import Parameters, matches
    from live_chat.store.database import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        end = date.fromisoformat((await _marker_value(engine, "end")) or "1970-01-01")
        return await matches(engine, Parameters(conversations, seed, 365, end))
    finally:
        await engine.dispose()


async def _marker_value(engine: AsyncEngine, key: str) -> str | None:
    try:
        async with engine.connect() as conn:
            marker = await read_marker(conn)
    except sa.exc.DBAPIError:
        return None
    return (marker or {}).get(key)


# -- output -------------------------------------------------------------------------


def table(rows: list[Row], baselines: dict[str, float]) -> str:
    head = (f"{'database':<11}{'call':<34}{'window':<9}{'median ms':>11}{'first ms':>10}"
            f"{'x count(*)':>11}{'goal ms':>9}  result")
    lines = [head, "-" * len(head)]
    for row in rows:
        base = baselines.get(row.database)
        median = row.median_ms
        if median is None:
            cells = f"{'':>11}{'':>10}{'':>11}"
            result = f"MISS ({row.note})" if row.note.startswith("timeout") else \
                row.note or "no run"
        else:
            ratio = f"{median / base:.1f}" if base else ""
            cells = f"{median:>11.1f}{row.runs_ms[0]:>10.1f}{ratio:>11}"
            if row.goal_ms is None:
                result = "baseline"
            else:
                result = "pass" if median <= row.goal_ms else "MISS"
            result += f" ({len(row.runs_ms)} runs)" + (f"; {row.note}" if row.note else "")
        goal = f"{row.goal_ms:>9.0f}" if row.goal_ms else f"{'':>9}"
        lines.append(f"{row.database:<11}{row.call[:33]:<34}{row.window:<9}{cells}{goal}  {result}")
    return "\n".join(lines)


def csv_lines(label: str, found: dict[str, Any], baseline_ms: float | None) -> list[str]:
    if "error" in found:
        return [f"{label}: gateway child failed: {found['error']}"]
    out: list[str] = [f"{label}: gateway started in {found.get('startup_s', 0):.1f} s"]
    summary = found.get("summary", {})
    if summary.get("status") != 200:
        out.append(f"  GET /api/reports/summary: not built yet (HTTP {summary.get('status')})")
    else:
        for name in ("30 days", "year"):
            times = summary.get(name) or []
            if times:
                median = statistics.median(times)
                verdict = "pass" if median <= GOAL_MS[name] else "MISS"
                ratio = f", {median / baseline_ms:.1f} x count(*)" if baseline_ms else ""
                out.append(f"  GET /api/reports/summary {name}: median {median:.0f} ms "
                           f"of {len(times)}{ratio}, goal {GOAL_MS[name]:.0f} ms: {verdict}")
    csv = found.get("csv", {})
    if csv.get("status") != 200:
        out.append(f"  GET /api/reports/conversations.csv: not built yet "
                   f"(HTTP {csv.get('status')})")
        return out
    growth: dict[str, float] = {}
    for name in ("30 days", "year"):
        run = csv[name]
        before, top = run["before"], run["max"]
        peak = run["hwm_mb"] if run["hwm_mb"] is not None else top["rss"]
        growth[name] = top["anon"] - before["anon"]
        ratio = f", {run['seconds'] * 1000 / baseline_ms:.0f} x count(*)" if baseline_ms else ""
        out += [
            f"  GET /api/reports/conversations.csv ({name}): {run['rows']} rows, "
            f"{run['bytes'] / MiB:.1f} MiB in {run['seconds']:.2f} s (first byte "
            f"{run['first_byte_s'] or 0:.2f} s{ratio}), {csv['content_type']}",
            f"    memory of the process (gateway + client; sampled at every MiB received): "
            f"RSS {before['rss']:.0f} MiB before, peak {peak:.0f} MiB (VmHWM reset before "
            f"the export): +{peak - before['rss']:.1f} MiB, of which anonymous "
            f"+{top['anon'] - before['anon']:.1f} MiB and file-backed (mapped database pages) "
            f"+{top['file'] - before['file']:.1f} MiB; ru_maxrss {run['peak_before_mb']:.0f} "
            f"-> {run['peak_after_mb']:.0f} MiB",
        ]
    rows = csv["year"]["rows"] / max(1, csv["30 days"]["rows"])
    extra = growth["year"] - growth["30 days"]
    streams = extra < max(16.0, 0.25 * csv["year"]["bytes"] / MiB)
    out.append(f"    {rows:.0f}x the rows cost {extra:+.1f} MiB more anonymous memory -> "
               + ("streams at constant memory" if streams
                  else "MISS: memory grows with the size of the export"))
    return out


# -- main -----------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    url: str
    drop: str | None = None  # a PostgreSQL database this run created
    cache: Path | None = None  # the bench's own SQLite file, kept between runs


@contextmanager
def _locked(path: Path | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path``.lock (two runs must not build one file at once)."""
    if path is None:
        yield
        return
    with open(f"{path}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_cache(target: Target, conversations: int, seed: int) -> None:
    """Remove the bench's SQLite file if it holds another (or an unfinished) data set."""
    path = target.cache
    if path is not None and path.exists() and not asyncio.run(holds(path, conversations, seed)):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _targets(args: argparse.Namespace) -> list[Target]:
    if args.database_url:
        label = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
        return [Target(label, args.database_url)]
    targets: list[Target] = []
    if args.only in (None, "sqlite"):
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        path = SQLITE_DIR / f"year-{args.conversations}-seed{args.seed}.db"
        targets.append(Target("SQLite", f"sqlite+aiosqlite:///{path}", cache=path))
    if args.only in (None, "postgresql"):
        name, url = asyncio.run(scratch_database(PG_ADMIN_DSN))
        targets.append(Target("PostgreSQL", url, drop=name))
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs of each call; medians")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds after which a call is interrupted and counted a miss")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL database (its URL is printed)")
    parser.add_argument("--no-csv", action="store_true", help="skip the HTTP part")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN the statements of every call that misses its goal")
    parser.add_argument("--csv-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    parser.add_argument("--until", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        print(json.dumps(asyncio.run(csv_child(args.database_url, args.since, args.until,
                                               args.runs))))
        return

    targets = _targets(args)
    rows: list[Row] = []
    baselines: dict[str, float] = {}
    notes: list[str] = []
    try:
        for target in targets:
            print(f"{target.label}: generating {args.conversations} conversations "
                  f"(seed {args.seed}) ...", flush=True)
            with _locked(target.cache):
                _prepare_cache(target, args.conversations, args.seed)
                seconds, output = generate(target.url, args.conversations, args.seed)
            reused = output.startswith("already generated")
            print(f"{target.label}: {'reused' if reused else 'generated'} in {seconds:.1f} s"
                  f"\n{output}", flush=True)
            notes.append(f"{target.label}: data {'reused' if reused else 'generated'} in "
                         f"{seconds:.1f} s wall (load average {os.getloadavg()[0]:.1f} on "
                         f"{os.cpu_count()} CPUs)")
            notes += [f"  {line.strip()}" for line in output.splitlines()
                      if line.startswith("generated in") or " messages (" in line]
            end_day = asyncio.run(end_day_of(target.url))
            upkeep = asyncio.run(facts_upkeep(target.url, end_day))
            print("\n".join(upkeep), flush=True)
            notes += upkeep
            measured = asyncio.run(measure_database(target.label, target.url, end_day,
                                                    args.runs, args.timeout))
            rows += measured
            baseline = measured[0].median_ms
            if baseline is not None:
                baselines[target.label] = baseline
            if args.explain:
                misses = [r for r in measured if r.goal_ms and r.median_ms
                          and r.median_ms > r.goal_ms]
                asyncio.run(explain(target.url, end_day, misses))
            if not args.no_csv:
                print(f"{target.label}: gateway, HTTP summary and CSV export ...", flush=True)
                found = run_csv_child(target.url, end_day, args.runs)
                notes += csv_lines(target.label, found, baseline)
    finally:
        for target in targets:
            if target.drop and not args.keep:
                asyncio.run(drop_database(PG_ADMIN_DSN, target.drop))
            elif target.drop:
                notes.append(f"kept: {target.url}")
    print()
    print(f"{args.conversations} conversations, window tz {TZ}; median of {args.runs} "
          "interleaved runs; 'x count(*)': median / the same run's count(*) median")
    print(table(rows, baselines))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
