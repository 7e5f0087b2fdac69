"""SQL that means the same on SQLite and PostgreSQL: times as integers, planner
hints, the small aggregates the reports are written with, and
``INSERT … ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from live_chat.store.models import UTCDateTime


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


__all__ = ["at", "count_if", "epoch_us", "keyed_text", "mean", "ratio", "seconds", "unindexed",
           "us"]


def insert_for(session: AsyncSession, model: type[Any]) -> Any:
    """An INSERT for ``model`` that has ``on_conflict_do_nothing``.

    The clause is spelled the same on both backends, but SQLAlchemy builds
    it per dialect.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"tsunagu does not support {dialect}")
