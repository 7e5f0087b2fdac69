"""Group commit: one writer per process stores what concurrent handlers submit, together.

A handler calls :meth:`GroupCommit.submit` and waits. One writer task takes
everything submitted so far (up to ``max_batch``), runs ``write`` on it in
one transaction and commits, then wakes each waiter with its own result. While
it commits, the next submissions gather, so the batch grows with the load and
an idle server still commits each item at once. A waiter hears of success
only after the commit: an acknowledgement built on it never promises what is
not stored.

Failures stay with the item that caused them:

- ``write`` reports an item's own failure (a decision that raised, say) by
  returning the exception in that item's place; the batch is still stored.
- When a statement fails (a unique constraint, a value the database refuses),
  the batch is rolled back and each item is written again alone, in order,
  so only the offending item's waiter gets the error.
- On any other failure (the connection lost, the commit failed, no
  connection to be had) nobody can say which rows were stored, and writing
  the items one by one would only fail slower: every waiter of the batch
  gets the error, and the next batch starts on a fresh connection. Clients
  send again with the same ``client_id`` and the read of stored copies makes
  the retry exactly-once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Write = Callable[[AsyncConnection, Sequence[T]], Awaitable[list[R | BaseException]]]


class GroupCommit(Generic[T, R]):
    """Batches ``write(connection, items)`` calls into shared transactions.

    ``engine`` opens the transactions; ``write`` gets an open connection and
    the batch and returns one result (or exception) per item, in order;
    ``max_batch`` bounds a batch (and so the time a transaction holds its locks).
    """

    def __init__(self, engine: AsyncEngine, write: Write[T, R], *, max_batch: int = 128) -> None:
        self._engine = engine
        self._write = write
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Store ``item`` with whatever else is waiting; its result once committed."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._run())
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await future

    async def stop(self) -> None:
        """Let the writer finish what was submitted, then end it (shutdown)."""
        if self._writer is None:
            return
        await self._queue.join()
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except BaseException as exc:
                # Nobody may wait for ever: the writer stopped, or a bug.
                for _, future in batch:
                    _settle(future, ConnectionError(f"the writer failed: {exc!r}"))
                if isinstance(exc, asyncio.CancelledError):
                    raise
                log.exception("group commit failed")
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            outcomes = await self._transaction([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or not _refused_statement(exc):
                for _, future in batch:
                    _settle(future, exc)
                return
            # A statement refused one of them: find which, by writing each alone.
            for one in batch:
                await self._commit([one])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _settle(future, outcome)

    async def _transaction(self, items: list[T]) -> list[R | BaseException]:
        async with self._engine.begin() as conn:
            return await self._write(conn, items)


def _refused_statement(exc: BaseException) -> bool:
    """The database refused a row (a constraint, a value), on a working connection:
    one item's fault. Anything else (a lost connection, a pool timeout, a lock
    wait) would fail each item alone just the same, only slower."""
    return isinstance(exc, IntegrityError | DataError) and not exc.connection_invalidated


def _settle(future: asyncio.Future[R], outcome: R | BaseException) -> None:
    if future.done():  # the waiter gave up (its client went away); the row stays stored
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
