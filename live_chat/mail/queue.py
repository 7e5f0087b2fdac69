"""Delivery of queued e-mails kept in the record, with retries.

A queue is a table of :class:`~live_chat.store.models.MailDelivery` rows and
how to turn one row into an e-mail. Delivery is retried with a growing pause
(``RETRY_S``) and given up after ``len(RETRY_S) + 1`` attempts. With several
processes each row is claimed by moving its ``next_try_at`` forward with a
conditional UPDATE, so only one process sends it (a process that dies mid-send
leaves it to be tried again after ``CLAIM_S``: at-least-once, which is what
SMTP itself offers).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, ClassVar

import aiosmtplib
from sqlalchemy import Select, select, update

from live_chat.background import passes
from live_chat.settings import Settings
from live_chat.store.models import MailDelivery, utcnow
from live_chat.store.repository import Store, Transaction

log = logging.getLogger(__name__)

# Pauses after the 1st, 2nd … failed attempt; after the last the row fails.
RETRY_S = (1.0, 2.0, 5.0, 30.0, 120.0, 600.0, 1800.0)
# A claimed row is not tried elsewhere for this long (longer than one SMTP attempt).
CLAIM_S = 120.0
# Rows sent per pass of the sender.
BATCH = 20
# How long one SMTP delivery may take before it counts as failed.
SMTP_TIMEOUT_S = 20.0


async def send(settings: Settings, mail: EmailMessage) -> None:
    """Deliver ``mail`` through the configured SMTP server (raises on any failure)."""
    assert settings.smtp_host is not None
    await aiosmtplib.send(
        mail, hostname=settings.smtp_host, port=settings.smtp_port,
        username=settings.smtp_user, password=settings.smtp_password,
        start_tls=settings.smtp_starttls, timeout=SMTP_TIMEOUT_S)


class MailQueue(ABC):
    """Sends the due rows of ``row_type``'s table through the SMTP server of ``settings``.

    Subclasses say which rows are due beyond the delivery state (:meth:`due`),
    what e-mail a row becomes (:meth:`compose`) and which conversation event
    records the delivery (``sent_event``).
    """

    row_type: ClassVar[type[MailDelivery]]
    sent_event: ClassVar[str]

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A row was queued: look now rather than at the next tick."""
        self._wake.set()

    def due(self, query: Select[Any]) -> Select[Any]:
        """``query`` narrowed to the rows that may be sent now (all, by default)."""
        return query

    @abstractmethod
    async def compose(self, tx: Transaction, row: Any) -> EmailMessage:
        """The e-mail of ``row`` (read in ``tx``)."""

    async def run(self, every_s: float = 1.0) -> None:
        """Send due rows until cancelled: every ``every_s`` or when woken."""
        name = f"{self.row_type.__tablename__} sender"  # type: ignore[attr-defined]
        await passes(self._deliver_all, every_s=every_s, wake=self._wake, name=name)

    async def _deliver_all(self) -> None:
        while await self.deliver_due():
            pass

    async def deliver_due(self) -> int:
        """Try each due row once; the number tried."""
        if not self.settings.sends_email:
            return 0
        table = self.row_type
        async with self.store.begin() as tx:
            rows = await tx.session.execute(
                self.due(select(table.id, table.next_try_at))
                .where(table.sent_at.is_(None), table.failed_at.is_(None),
                       table.next_try_at <= utcnow())
                .order_by(table.id).limit(BATCH))
            due = rows.all()
        tried = 0
        for row_id, next_try_at in due:
            if await self._claim(row_id, next_try_at):
                tried += 1
                await self._deliver(row_id)
        return tried

    async def _claim(self, row_id: int, seen: datetime) -> bool:
        table = self.row_type
        async with self.store.begin() as tx:
            result = await tx.session.execute(
                update(table)
                .where(table.id == row_id, table.next_try_at == seen, table.sent_at.is_(None))
                .values(next_try_at=utcnow() + timedelta(seconds=CLAIM_S)))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _deliver(self, row_id: int) -> None:
        table = self.row_type
        async with self.store.begin() as tx:
            row = await tx.session.get(table, row_id)
            assert row is not None
            mail = await self.compose(tx, row)
        try:
            await send(self.settings, mail)
        except Exception as exc:
            await self._failed(row, exc)
            return
        async with self.store.begin() as tx:
            await tx.session.execute(update(table).where(table.id == row_id)
                                     .values(sent_at=utcnow(), last_error=None))
            await tx.add_event(row.conversation_id, self.sent_event, actor="system")

    async def _failed(self, row: MailDelivery, exc: Exception) -> None:
        table = self.row_type
        attempts = row.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:300]
        now = utcnow()
        values: dict[str, object] = {"attempts": attempts, "last_error": error}
        name = f"{table.__tablename__} {row.id}"  # type: ignore[attr-defined]
        if attempts > len(RETRY_S):
            values["failed_at"] = now
            log.error("%s given up after %d attempts: %s", name, attempts, error)
        else:
            values["next_try_at"] = now + timedelta(seconds=RETRY_S[attempts - 1])
            log.warning("%s not sent (attempt %d): %s", name, attempts, error)
        async with self.store.begin() as tx:
            await tx.session.execute(update(table).where(table.id == row.id).values(**values))
