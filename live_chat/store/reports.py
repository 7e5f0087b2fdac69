"""SQL of the reports (docs/metrics.md): one row of facts per conversation, and the pieces
the reports aggregate those rows with.

:func:`fact_rows` is the one statement every report starts from: for the
conversations created in a :class:`~live_chat.reports.window.ReportWindow`, their
intent, outcome, milestones and durations, read from ``report_facts`` (one row
per conversation, derived from its messages and events by
``live_chat.store.report_facts``) and completed with what depends on other
conversations or on the time of the report. The reports
(``live_chat/reports/``) refresh those rows, wrap :func:`fact_rows` in a CTE and
aggregate it; percentiles are :func:`percentiles`.

Reports read through :func:`read_connection`: on SQLite a connection of its own,
so a year's report or a slow CSV download never holds the gateway's single
connection nor SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    event,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.sqltypes import NullType

from live_chat.store.database import JSON_CODEC
from live_chat.store.models import Agent, ConversationEvent, ReportFact, utcnow
from live_chat.store.portable import at, seconds, unindexed, us
from live_chat.store.report_facts import ASSIGNING, MILESTONES, OUT_OF_SCOPE, refresh_facts
from live_chat.store.repository import Store

if TYPE_CHECKING:
    from live_chat.reports.window import ReportWindow

#: A new conversation on the same intent this soon after the last message: not resolved.
REOPEN_S = 24 * 3600
#: First-contact resolution: no new conversation on the same intent this soon after closing.
FCR_S = 72 * 3600
#: A visitor silent this long in a conversation still with the bot has left it.
SILENT_S = 30 * 60

OUTCOMES = ("resolved_by_bot", "escalated", "abandoned_with_bot", "unresolved")

#: The columns of :func:`conversation_facts`, in the CSV's order (``created_local`` aside).
FACT_COLUMNS = (
    "id", "created_at", "visitor_id", "locale", "intent", "outcome", "state", "escalated_at",
    "assigned_at", "first_agent_reply_at", "closed_at", "abandoned_at", "agent_id",
    "agent_name", "team", "bot_frt_s", "human_frt_s", "wait_s", "aht_s", "csat", "resolution",
)


# -- the facts ---------------------------------------------------------------------


def fact_rows(window: ReportWindow, *, now: datetime | None = None,
              times: bool = True, messages: bool = True) -> Select[Any]:
    """Every conversation created in the window, with its facts, filters not applied.

    Read from ``report_facts`` (``live_chat.store.report_facts``; call its
    ``refresh_facts`` first). Columns: :data:`FACT_COLUMNS` (the ``…_at``
    milestones only when ``times``: the CSV shows them, aggregates use the
    integers), ``abandon_wait_s``, ``resolution_s``, ``fcr`` (1, 0, or NULL
    when not counted), ``matches`` (1 when the conversation passes the
    window's team/agent/intent/locale filters, else 0: agent load counts the
    conversations the filters leave out), and :class:`epoch_us` integers
    ``created_us`` and ``<milestone>_us`` for escalated, assigned,
    first_agent_reply, closed, closed_by_agent (the ``closed`` event when an
    agent held the chat) and abandoned.

    ``now`` (default: the current time) decides which open conversations
    with the bot count as ``abandoned_with_bot`` (silent for 30 minutes).
    The outcome and FCR read the same visitor's later conversations, also
    those created after the window; ``messages=False`` (for figures that do
    not need them) skips those, and ``outcome`` and ``fcr`` are then NULL.
    """
    now = now or utcnow()
    f = ReportFact.__table__
    in_window = and_(f.c.created_at >= at(window.since), f.c.created_at < at(window.until))
    own = [column for column in f.c if times or not column.key.endswith("_at")
           or column.key == "created_at"]
    if messages:
        # The window's conversations, and the window's visitors' later ones (only
        # to tell whether a conversation was reopened on the same intent).
        per_conversation = union_all(
            select(*own, literal_column("1", Integer).label("in_window")).where(in_window),
            select(*own, literal_column("0", Integer).label("in_window")).where(
                f.c.created_at >= at(window.until),
                # Unindexed on SQLite: its planner would otherwise seek every window
                # visitor's conversations, where the created_at range is usually empty.
                unindexed(f.c.visitor_id).in_(select(f.c.visitor_id).where(in_window))),
        ).subquery("report_conversations")
    else:
        per_conversation = select(*own, literal_column("1", Integer).label("in_window")
                                  ).where(in_window).subquery("report_conversations")
    p = per_conversation.c
    agents = Agent.__table__
    had_agent: Any = literal_column("0", Integer)
    if window.agent is not None:
        e = ConversationEvent.__table__
        had_agent = case((p.id.in_(select(e.c.conversation_id).where(
            e.c.type.in_(ASSIGNING), e.c.data["agent_id"].as_string() == window.agent)), 1),
            else_=0)
    joined = (
        select(
            *p, agents.c.name.label("agent_name"), had_agent.label("had_agent"),
            func.lead(p.created_us).over(
                partition_by=(p.visitor_id, p.intent), order_by=(p.created_us, p.id),
            ).label("next_same_intent_us") if messages
            else typed_null(p.created_us).label("next_same_intent_us"),
        )
        .select_from(per_conversation.outerjoin(agents, agents.c.id == p.agent_id))
        .subquery("report_joined")
    )
    return _with_outcome(joined, window, now, times=times, messages=messages)


def _with_outcome(j: Any, window: ReportWindow, now: datetime, *, times: bool,
                  messages: bool) -> Select[Any]:
    """The facts derived from one joined row: outcome, durations, FCR, filter match
    (outcome NULL without ``messages``)."""
    c = j.c
    ended = c.state.in_(("closed", "abandoned"))
    in_scope = and_(c.intent.is_not(None), c.intent != OUT_OF_SCOPE)
    last_activity = func.coalesce(c.last_message_us, c.created_us)
    reopened = and_(c.intent.is_not(None),
                    c.next_same_intent_us - last_activity <= REOPEN_S * 1_000_000)
    outcome = case(
        (c.escalated_us.is_not(None), "escalated"),
        (or_(reopened, and_(~in_scope, ended)), "unresolved"),
        (or_(c.bot_resolved == 1, and_(c.state == "closed", in_scope)), "resolved_by_bot"),
        (and_(c.state == "bot", in_scope,
              us(now) - c.last_visitor_us >= SILENT_S * 1_000_000), "abandoned_with_bot"),
    )
    fcr = case(
        (or_(c.closed_us.is_(None), c.intent.is_(None)), null()),
        (c.next_same_intent_us - c.closed_us <= FCR_S * 1_000_000, 0),
        else_=1,
    )
    filters: list[ColumnElement[bool]] = []
    if window.team is not None:
        filters.append(c.team == window.team)
    if window.intent is not None:
        filters.append(c.intent == window.intent)
    if window.locale is not None:
        filters.append(c.locale == window.locale)
    if window.agent is not None:
        filters.append(c.had_agent == 1)
    matches = case((and_(*filters), 1), else_=0) if filters else literal_column("1", Integer)
    columns: dict[str, Any] = {
        "id": c.id, "visitor_id": c.visitor_id, "locale": c.locale, "intent": c.intent,
        "outcome": outcome if messages else typed_null(c.state), "state": c.state,
        "agent_id": c.agent_id, "agent_name": c.agent_name, "team": c.team,
        "bot_frt_s": case((c.first_bot_us >= c.first_visitor_us,
                           seconds(c.first_visitor_us, c.first_bot_us))),
        "human_frt_s": seconds(c.escalated_us, c.first_agent_reply_us),
        "wait_s": seconds(c.escalated_us, c.assigned_us),
        "aht_s": seconds(c.assigned_us, c.closed_by_agent_us),
        "csat": c.csat, "resolution": c.resolution,
        "abandon_wait_s": seconds(c.escalated_us, c.abandoned_us),
        "resolution_s": seconds(c.created_us, c.closed_us),
        "fcr": fcr, "matches": matches, "created_us": c.created_us,
        **{f"{name}_us": c[f"{name}_us"] for name in MILESTONES},
    }
    if times:
        columns.update({name: c[name] for name in FACT_COLUMNS if name.endswith("_at")})
    order = [*FACT_COLUMNS, *(name for name in columns if name not in FACT_COLUMNS)]
    return select(*(columns[name].label(name) for name in order if name in columns)
                  ).select_from(j).where(c.in_window == 1)


def conversation_facts(window: ReportWindow, *, now: datetime | None = None) -> Select[Any]:
    """One row per conversation of the window (filters applied): :data:`FACT_COLUMNS`."""
    rows = fact_rows(window, now=now).subquery("facts")
    return select(*(rows.c[name] for name in FACT_COLUMNS)).where(rows.c.matches == 1)


# -- aggregating the facts -----------------------------------------------------------


P50, P90 = (1, 2), (9, 10)


def percentiles(value: ColumnElement[float], quantiles: dict[str, tuple[int, int]],
                group_by: Sequence[ColumnElement[Any]] = (),
                where: ColumnElement[bool] | None = None) -> Select[Any]:
    """One row per group (one row in all without ``group_by``): for each name of
    ``quantiles``, the (k, d) quantile k/d of the non-null ``value``s, by linear
    interpolation between the closest ranks; NULL where there are none.

    ``value`` and ``group_by`` are columns of one FROM (a CTE). The ranks
    are found with integer arithmetic, so both databases pick the same
    rows; only ``value`` and the group are sorted, not whole rows.
    """
    partition = tuple(group_by) or None
    ranked = select(
        *group_by, value.label("value"),
        (func.row_number().over(partition_by=partition, order_by=value) - 1).label("rank"),
        func.count().over(partition_by=partition).label("n"),
    ).where(value.is_not(None), *(() if where is None else (where,))).subquery("ranked")
    keys = [ranked.c[column.key] for column in group_by]
    columns = []
    for name, (k, d) in quantiles.items():
        k_, d_ = literal_column(str(k), Integer), literal_column(str(d), Integer)
        position = (ranked.c.n - 1) * k_
        low, high = position // d_, (position + d_ - 1) // d_
        low_value = func.max(case((ranked.c.rank == low, ranked.c.value)))
        high_value = func.max(case((ranked.c.rank == high, ranked.c.value)))
        fraction = func.max(cast(position % d_, Float) / d_)
        columns.append((low_value + (high_value - low_value) * fraction).label(name))
    return select(*keys, *columns).group_by(*keys)


def active_handle_seconds(facts: Any) -> Select[Any]:
    """Per conversation an agent closed: AHT ÷ the average number of chats its agent held
    meanwhile (itself included), i.e. AHT² ÷ the integral of the agent's load over it;
    with ``matches`` of ``facts`` (the load counts conversations the filters leave out).

    The load counts the AHT intervals (first ``assigned`` → ``closed``) of
    ``facts``' conversations: an agent's chats created outside the window
    are not seen. Computed with running sums over each agent's interval
    ends in time order (integers, exact on both databases), not by pairing
    conversations.
    """
    f = facts.c
    held = and_(f.aht_s.is_not(None), f.agent_id.is_not(None))
    points = union_all(
        select(f.id, f.agent_id, f.aht_s, f.matches, f.assigned_us.label("t"),
               literal_column("1", Integer).label("delta")).where(held),
        select(f.id, f.agent_id, f.aht_s, f.matches, f.closed_by_agent_us.label("t"),
               literal_column("-1", Integer).label("delta")).where(held),
    ).subquery("handle_points")
    order = (points.c.t, points.c.delta, points.c.id)
    loads = select(
        points.c.id, points.c.agent_id, points.c.aht_s, points.c.matches, points.c.t,
        points.c.delta,
        func.sum(points.c.delta).over(partition_by=points.c.agent_id, order_by=order,
                                      rows=(None, 0)).label("load"),
        (func.lead(points.c.t).over(partition_by=points.c.agent_id, order_by=order)
         - points.c.t).label("span"),
    ).subquery("handle_loads")
    order = (loads.c.t, loads.c.delta, loads.c.id)
    areas = select(
        loads.c.id, loads.c.aht_s, loads.c.matches, loads.c.delta,
        func.coalesce(func.sum(loads.c.load * func.coalesce(loads.c.span, 0)).over(
            partition_by=loads.c.agent_id, order_by=order, rows=(None, -1)), 0
        ).label("area_before"),
    ).subquery("handle_areas")
    # Load times microseconds, summed: the area under the agent's load over the chat.
    area = cast(func.max(case((areas.c.delta == -1, areas.c.area_before)))
                - func.max(case((areas.c.delta == 1, areas.c.area_before))), Float
                ) / literal_column("1000000.0", Float)
    aht = func.max(areas.c.aht_s)
    return select(
        areas.c.id, func.max(areas.c.matches).label("matches"),
        case((area > 0, aht * aht / area), else_=aht).label("active_s"),
    ).group_by(areas.c.id)


def typed_null(like: Any) -> ColumnElement[Any]:
    """A NULL of the same type as column ``like`` (text or number if it has none), for
    UNION branches."""
    if isinstance(like.type, NullType):
        return cast(null(), String if isinstance(like.type, String) else Float)
    return cast(null(), like.type)


def stacked(parts: dict[str, Select[Any]]) -> Select[Any]:
    """The ``parts`` (each a SELECT with labelled columns) as one UNION ALL statement.

    Every row carries ``part`` (its key in ``parts``) and the union of all
    columns (NULL where its part has none), so several aggregates over one
    CTE are one statement and one computation of the CTE.
    """
    subqueries = {key: part.subquery(f"part_{key}") for key, part in parts.items()}
    names: dict[str, Any] = {}
    for sub in subqueries.values():
        for column in sub.c:
            names.setdefault(column.key, column)
    branches = [
        select(literal_column(f"'{key}'", String).label("part"),
               *(sub.c[name] if name in sub.c else typed_null(like).label(name)
                 for name, like in names.items()))
        for key, sub in subqueries.items()
    ]
    return union_all(*branches)  # type: ignore[return-value]


# -- connections -------------------------------------------------------------------

_READERS: dict[str, AsyncEngine] = {}


@asynccontextmanager
async def read_connection(store: Store) -> AsyncIterator[AsyncConnection]:
    """A connection for reading reports.

    On SQLite (a file) it is a connection of its own, in autocommit: the
    gateway's engine has a single connection that takes the write lock at
    BEGIN, and a report (or a CSV download at a slow client's pace) must
    block neither. WAL lets it read while the gateway writes. On PostgreSQL
    it is one of the pool's connections.
    """
    engine = store.engine
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        key = url.render_as_string(hide_password=False)
        reader = _READERS.get(key)
        if reader is None:
            # NullPool: nothing is left open between reports (nor at exit).
            reader = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 30},
                                         **JSON_CODEC)
            event.listen(reader.sync_engine, "connect", _reader_pragmas)
            _READERS[key] = reader
        engine = reader
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # For this transaction only: compiling a report's plan to machine code
            # costs more (~0.5 s) than it saves, and its sorts and hashes fit in
            # memory with a little more than the default 4 MB.
            await conn.execute(text("SET LOCAL jit = off"))
            await conn.execute(text("SET LOCAL work_mem = '64MB'"))
            # The window's rows are found by index lookups in mostly cached
            # tables; the default cost of 4 (disks with seeks) makes a 30-day
            # report scan all messages instead.
            await conn.execute(text("SET LOCAL random_page_cost = 1.1"))
        yield conn


def _reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A small page cache (4 MB), and sorts that spill to temporary files beyond
    # it: a year's facts are sorted whole (for each visitor's next conversation,
    # and for the CSV's order) and must not be held in memory. Measured on a
    # year, 64 MB and in-memory sorts were no faster; a CSV export of the year
    # then grew the process by 120 MB, with this by 20 MB.
    cursor.execute("PRAGMA cache_size=-4096")
    cursor.close()


__all__ = [
    "FACT_COLUMNS", "OUTCOMES", "P50", "P90", "active_handle_seconds",
    "conversation_facts", "fact_rows", "percentiles",
    "read_connection", "stacked", "typed_null",
]


# -- the widget's expected reply time --------------------------------------------------


async def recent_human_frt(store: Store, since: datetime) -> list[float]:
    """Human first response times (docs/metrics.md: the first ``escalated`` event →
    the ``first_agent_reply`` event), in seconds, of the conversations created
    since ``since`` that an agent answered; the facts are refreshed first."""
    await refresh_facts(store)
    c = ReportFact.__table__.c
    statement = select(seconds(c.escalated_us, c.first_agent_reply_us)).where(
        c.created_at >= since, c.escalated_us.is_not(None),
        c.first_agent_reply_us.is_not(None))
    async with read_connection(store) as conn:
        return [float(v) for v in (await conn.execute(statement)).scalars() if v is not None]
