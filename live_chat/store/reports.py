"""SQL of the reports (docs/metrics.md): one row of facts per conversation, and the pieces
the reports aggregate those rows with.

:func:`fact_rows` is the one statement every report starts from: for the
conversations created in a :class:`~live_chat.reports.window.ReportWindow`, their
intent, outcome, milestones and durations, computed from ``messages``,
``conversation_events``, ``csat`` and ``agents`` with grouped conditional
aggregates over the window's conversations only (indexed joins, no correlated
subquery per row). The reports (``live_chat/reports/``) wrap it in a CTE and
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
    BigInteger,
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
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal

from live_chat.store.models import (
    Agent,
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    UTCDateTime,
    utcnow,
)
from live_chat.store.repository import Store

if TYPE_CHECKING:
    from live_chat.reports.window import ReportWindow

#: Intents that say nothing about what the visitor came for (docs/metrics.md).
SMALL_TALK = ("greet", "goodbye", "thanks", "affirm", "deny")
REQUEST_HUMAN = "request_human"
OUT_OF_SCOPE = "out_of_scope"
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
_ASSIGNING = ("assigned", "transferred")


# -- portable time arithmetic ------------------------------------------------------


class epoch_us(FunctionElement[int]):
    """Microseconds since 1970-01-01 UTC of a UTCDateTime expression, as an integer.

    UTCDateTime is ISO text on SQLite and ``timestamptz`` on PostgreSQL; as
    integers, durations are exact, equal on both, and a timestamp is
    converted once however many durations use it.
    """

    type = BigInteger()
    name = "epoch_us"
    inherit_cache = True


@compiles(epoch_us)  # PostgreSQL, and str() of a statement
@compiles(epoch_us, "postgresql")
def _epoch_us_pg(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM {value}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    # SQLite's date functions keep milliseconds and round (…:43.9997 reads as
    # :44): whole seconds from the text without its fraction, plus the stored
    # microseconds, characters 21-26 of 'YYYY-MM-DD HH:MM:SS.ffffff'.
    return (f"(CAST(strftime('%s', substr({value}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({value}, 21, 6) AS INTEGER))")


def us(value: datetime) -> int:
    """:class:`epoch_us` of an aware datetime, computed here."""
    return (int(value.timestamp()) * 1_000_000) + value.microsecond


def seconds(start_us: Any, end_us: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, from two :class:`epoch_us` values (NULL if either is):
    one correctly rounded division, the same on both databases."""
    return cast(end_us - start_us, Float) / literal_column("1000000.0", Float)


class unindexed(FunctionElement[Any]):
    """A column SQLite must not use an index for (unary ``+``); itself elsewhere.

    SQLite plans without statistics (unless someone ran ANALYZE); this is
    how a query tells it which index not to take.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return str(value)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"+{value}"


class keyed_text(FunctionElement[str]):
    """``text`` prefixed with the non-negative integer ``key`` zero-padded to 12 digits:
    the max (or min) of these is the text of the row with the largest ``key``."""

    type = String()
    name = "keyed_text"
    inherit_cache = True


@compiles(keyed_text)  # PostgreSQL, and str() of a statement
@compiles(keyed_text, "postgresql")
def _keyed_text_pg(element: keyed_text, compiler: SQLCompiler, **kw: Any) -> str:
    key, value = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(lpad(CAST({key} AS TEXT), 12, '0') || {value})"


@compiles(keyed_text, "sqlite")
def _keyed_text_sqlite(element: keyed_text, compiler: SQLCompiler, **kw: Any) -> str:
    key, value = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(printf('%012d', {key}) || {value})"


class by_conversation(ColumnElement[Any]):
    """GROUP BY key for "one row per conversation" of ``conversations`` (a table or alias).

    PostgreSQL groups by the primary key (the conversation's other columns may
    then be selected). SQLite groups by ``created_at, rowid``: the order of the
    ``created_at`` index, so it reads the window's range of that index and
    groups without sorting, where grouping by ``id`` makes it walk the whole
    ``id`` index and fetch every conversation to test its date.
    """

    # The columns are part of the statement cache's key (a table and its alias differ).
    _traverse_internals = [("id", InternalTraversal.dp_clauseelement),
                           ("created_at", InternalTraversal.dp_clauseelement),
                           ("rowid", InternalTraversal.dp_clauseelement)]
    inherit_cache = True

    def __init__(self, conversations: Any) -> None:
        self.id = conversations.c.id
        self.created_at = conversations.c.created_at
        self.rowid = literal_column(f"{conversations.name}.rowid")
        self.type = self.id.type


@compiles(by_conversation)
def _by_conversation(element: by_conversation, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.id, **kw))


@compiles(by_conversation, "sqlite")
def _by_conversation_sqlite(element: by_conversation, compiler: SQLCompiler, **kw: Any
                            ) -> str:
    return f"{compiler.process(element.created_at, **kw)}, {compiler.process(element.rowid, **kw)}"


def at(value: datetime) -> ColumnElement[datetime]:
    """A bound aware datetime, stored the way UTCDateTime columns are (to compare with them)."""
    return literal(value, UTCDateTime())


def ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any]
          ) -> ColumnElement[float]:
    """``numerator / denominator`` as a float; NULL when the denominator is 0."""
    return case((denominator > 0, cast(numerator, Float) / denominator))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """Aggregate: how many rows satisfy ``condition``."""
    return func.sum(case((condition, 1), else_=0))


def mean(value: ColumnElement[Any]) -> ColumnElement[float]:
    """Aggregate: the mean of the non-null ``value``s, NULL for none.

    SUM/COUNT as floats, where AVG is numeric on PostgreSQL and could round
    differently from SQLite.
    """
    return ratio(func.sum(value), func.count(value))


# -- the facts ---------------------------------------------------------------------

#: The milestones read from ``conversation_events``: column → (event type, extra test).
_MILESTONES = ("escalated", "assigned", "first_agent_reply", "closed", "closed_by_agent",
               "abandoned")
#: Added to the seq of an out-of-scope message in the intent key (seqs stay far below).
_OUT_OF_SCOPE_KEY = 1_000_000_000


def fact_rows(window: ReportWindow, *, now: datetime | None = None,
              times: bool = True, messages: bool = True) -> Select[Any]:
    """Every conversation created in the window, with its facts, filters not applied.

    Columns: :data:`FACT_COLUMNS` (the ``…_at`` milestones only when
    ``times``: the CSV shows them, aggregates need the integers below),
    ``abandon_wait_s``, ``resolution_s``, ``fcr`` (1, 0, or NULL when not
    counted), ``matches`` (1 when the conversation passes the window's
    team/agent/intent/locale filters, else 0: agent load counts the
    conversations the filters leave out), and :class:`epoch_us` integers
    ``created_us`` and ``<milestone>_us`` for escalated, assigned,
    first_agent_reply, closed, closed_by_agent (the ``closed`` event when an
    agent held the chat) and abandoned.

    ``now`` (default: the current time) decides which open conversations
    with the bot count as ``abandoned_with_bot`` (silent for 30 minutes).
    The outcome and FCR read the same visitor's later conversations, also
    those created after the window.

    ``messages=False`` (for figures that only events give: human FRT, wait,
    handle time, answer and abandonment rates, CSAT) skips the messages and
    the later conversations, by far the largest part of the work: ``intent``,
    ``outcome``, ``bot_frt_s`` and ``fcr`` are then NULL. An intent filter
    needs the messages; it makes ``messages`` true.
    """
    now = now or utcnow()
    messages = messages or window.intent is not None
    c, m = Conversation.__table__, Message.__table__
    later = c.alias("later")
    in_window = and_(c.c.created_at >= at(window.since), c.c.created_at < at(window.until))
    if messages:
        # The window's conversations, and the window's visitors' later ones: of
        # those only the intent and times are read, to tell whether a
        # conversation was reopened on the same intent. Their ids differ, so a
        # UNION ALL puts them together without merging anything.
        per_conversation = union_all(
            _message_facts(c, in_window, window=True),
            _message_facts(later, window=False, where=and_(
                later.c.created_at >= at(window.until),
                # Unindexed on SQLite: its planner would otherwise seek every window
                # visitor's conversations, where the created_at range is usually empty.
                unindexed(later.c.visitor_id).in_(select(c.c.visitor_id).where(in_window)))),
        ).subquery("report_conversations")
    else:
        per_conversation = _message_facts(c, in_window, window=True, read=False
                                          ).subquery("report_conversations")

    p = per_conversation.c
    events = _event_facts(window, in_window, times=times).cte("report_events")
    v = events.c
    topic = m.alias("topic_message")
    agents = Agent.__table__
    ratings = Csat.__table__
    intent: Any = case((p.topic_key >= _OUT_OF_SCOPE_KEY, OUT_OF_SCOPE), else_=topic.c.intent)
    if not messages:
        intent = typed_null(topic.c.intent)
    agent_id = func.coalesce(p.agent_id, v.last_agent_id)
    milestones = [v[f"{name}_us"] for name in _MILESTONES]
    if times:
        milestones += [v[f"{name}_at"] for name in _MILESTONES if name != "closed_by_agent"]
        milestones.append(p.created_at)
    joined = (
        select(
            p.id, p.visitor_id, p.locale, intent.label("intent"), p.state, p.team,
            p.resolution, p.in_window, p.created_us, p.first_visitor_us, p.last_visitor_us,
            p.first_bot_us, p.last_message_us, *milestones, v.bot_resolved, v.had_agent,
            agent_id.label("agent_id"), agents.c.name.label("agent_name"),
            ratings.c.score.label("csat"),
            func.lead(p.created_us).over(
                partition_by=(p.visitor_id, intent), order_by=(p.created_us, p.id),
            ).label("next_same_intent_us") if messages
            else typed_null(p.created_us).label("next_same_intent_us"),
        )
        # Every join from the per-conversation rows, with nothing filtering them
        # yet: SQLite then indexes the events' rows to look them up (with a
        # filter here it guesses few rows and scans the events for each). The
        # window function keeps SQLite from flattening the later filter into it.
        .select_from(
            (per_conversation.outerjoin(events, v.id == p.id)
             .outerjoin(topic, and_(topic.c.conversation_id == p.id,
                                    topic.c.seq == p.topic_key)) if messages
             else per_conversation.outerjoin(events, v.id == p.id))
            .outerjoin(agents, agents.c.id == agent_id)
            .outerjoin(ratings, ratings.c.conversation_id == p.id)
        )
        .subquery("report_joined")
    )
    return _with_outcome(joined, window, now, times=times, messages=messages)


def _message_facts(conversations: Any, where: ColumnElement[bool], *, window: bool,
                   read: bool = True) -> Select[Any]:
    """Per conversation matching ``where``: its own columns and what its messages say
    (NULL unless ``read``); ``in_window`` is 1 when ``window``, else 0 (a later
    conversation).

    ``topic_key`` is the seq of the first in-scope, not small-talk visitor
    message, or :data:`_OUT_OF_SCOPE_KEY` + seq of the first out-of-scope one
    when there is none (one aggregate for both: SQLite pays for each
    aggregate on every message). A LEFT JOIN from the conversations keeps
    those without messages and makes SQLite, which has no statistics unless
    someone ran ANALYZE, walk conversations and seek their messages by index.
    Grouped by the primary key, so the conversation's own columns come along
    (both databases allow that).
    """
    c = conversations.c
    m = Message.__table__
    visitor = m.c.sender == "visitor"
    topical = and_(visitor, m.c.intent.not_in((*SMALL_TALK, REQUEST_HUMAN)))
    told = [
        epoch_us(func.min(case((visitor, m.c.created_at)))).label("first_visitor_us"),
        epoch_us(func.max(case((visitor, m.c.created_at)))).label("last_visitor_us"),
        epoch_us(func.min(case((m.c.sender == "bot", m.c.created_at)))).label("first_bot_us"),
        epoch_us(func.max(m.c.created_at)).label("last_message_us"),
        func.min(case((topical, case(
            (m.c.intent == OUT_OF_SCOPE, m.c.seq + _OUT_OF_SCOPE_KEY), else_=m.c.seq)))
        ).label("topic_key"),
    ]
    statement = select(
        c.id, c.visitor_id, c.created_at, epoch_us(c.created_at).label("created_us"),
        c.state, c.team, c.locale, c.agent_id, c.resolution,
        literal_column("1" if window else "0", Integer).label("in_window"),
        *(told if read else (typed_null(column).label(column.key) for column in told)),
    ).where(where)
    if not read:
        return statement.select_from(conversations)
    return (
        statement.select_from(conversations.outerjoin(m, m.c.conversation_id == c.id))
        .group_by(by_conversation(conversations))
    )


def _event_facts(window: ReportWindow, in_window: ColumnElement[bool], *, times: bool
                 ) -> Select[Any]:
    """Per conversation of the window: its milestones from ``conversation_events`` (as
    :class:`epoch_us`, and as times when ``times``)."""
    c = Conversation.__table__
    e = ConversationEvent.__table__
    tests = {name: e.c.type == name for name in _MILESTONES}
    tests["closed_by_agent"] = and_(e.c.type == "closed", e.c.from_state == "assigned")
    firsts = {name: func.min(case((test, e.c.created_at))) for name, test in tests.items()}
    had_agent: Any = literal_column("0", Integer)
    if window.agent is not None:
        had_agent = func.max(case((and_(e.c.type.in_(_ASSIGNING),
                                        e.c.data["agent_id"].as_string() == window.agent),
                                   1), else_=0))
    return (
        select(
            c.c.id,
            *(epoch_us(first).label(f"{name}_us") for name, first in firsts.items()),
            *(first.label(f"{name}_at") for name, first in firsts.items()
              if times and name != "closed_by_agent"),
            func.max(case((e.c.type == "bot_resolved", 1), else_=0)).label("bot_resolved"),
            # The agent who held it last: the one named by its last assignment
            # (the largest event id), carried in the same aggregate as a text.
            func.substr(func.max(case((e.c.type.in_(_ASSIGNING), keyed_text(
                e.c.id, e.c.data["agent_id"].as_string())))), 13).label("last_agent_id"),
            had_agent.label("had_agent"),
        )
        .select_from(c.outerjoin(e, e.c.conversation_id == c.c.id))
        .where(in_window)
        .group_by(by_conversation(c))
    )


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
        **{f"{name}_us": c[f"{name}_us"] for name in _MILESTONES},
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
            reader = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
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
    "FACT_COLUMNS", "OUTCOMES", "P50", "P90", "active_handle_seconds", "at",
    "conversation_facts", "count_if", "epoch_us", "fact_rows", "mean", "percentiles", "ratio",
    "read_connection", "seconds", "stacked", "typed_null", "unindexed", "us",
]
