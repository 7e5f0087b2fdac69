"""Transcripts by e-mail: the visitor's request, kept in ``transcript_requests``,
and the background sender that delivers it once the conversation has ended.

A request made while the chat is open waits for its close (or abandonment).
Delivery is retried with a growing pause (``RETRY_S``) and given up after
``len(RETRY_S) + 1`` attempts. With several processes each request is claimed
by moving its ``next_try_at`` forward with a conditional UPDATE, so only one
process sends it (a process that dies mid-send leaves it to be tried again
after ``CLAIM_S``: at-least-once, which is what SMTP itself offers).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from live_chat.errors import NotFound, RateLimited, Unavailable
from live_chat.settings import Settings
from live_chat.store.models import Conversation, Message, TranscriptRequest, utcnow
from live_chat.store.repository import Store
from live_chat.transcript_mail import compose, send

log = logging.getLogger(__name__)

# Requests one conversation may have (each one is an e-mail sent on our behalf).
MAX_PER_CONVERSATION = 3
# Pauses after the 1st, 2nd … failed attempt; after the last the request fails.
RETRY_S = (1.0, 2.0, 5.0, 30.0, 120.0, 600.0, 1800.0)
# A claimed request is not tried elsewhere for this long (longer than one SMTP attempt).
CLAIM_S = 120.0
# Requests sent per pass of the sender.
BATCH = 20
ENDED = ("closed", "abandoned")


class TranscriptUnavailable(Unavailable):
    """This deployment sends no e-mail (no SMTP host or From address configured)."""

    code = "transcript_unavailable"


class Transcripts:
    """Requests and delivery of transcripts. ``settings`` say how to reach SMTP."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._wake = asyncio.Event()

    async def request(self, visitor_id: str, email: str) -> None:
        """Keep a request for the visitor's latest conversation to go to ``email``
        (a checked address). Raises :class:`TranscriptUnavailable`,
        :class:`NotFound` (no conversation) or :class:`RateLimited`."""
        if not self.settings.transcript_email:
            raise TranscriptUnavailable("transcripts by e-mail are not offered here")
        async with self.store.begin() as tx:
            conversation = await tx.latest_conversation(visitor_id)
            if conversation is None:
                raise NotFound("there is no conversation to send")
            # Locked with the conversation row so two tabs cannot both pass the count.
            await tx.conversation(conversation.id, lock=True)
            count = await tx.session.scalar(
                select(func.count()).select_from(TranscriptRequest)
                .where(TranscriptRequest.conversation_id == conversation.id))
            if (count or 0) >= MAX_PER_CONVERSATION:
                raise RateLimited(f"at most {MAX_PER_CONVERSATION} transcripts per conversation")
            tx.session.add(TranscriptRequest(conversation_id=conversation.id, email=email))
            await tx.add_event(conversation.id, "transcript_requested", actor="visitor")
        self._wake.set()

    async def run(self, every_s: float = 1.0) -> None:
        """Send due requests until cancelled: every ``every_s`` or when woken."""
        while True:
            try:
                while await self.deliver_due():
                    pass
            except Exception:
                log.exception("transcript sender pass failed; trying again")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), every_s)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        """Try each due request once; the number tried."""
        if not self.settings.transcript_email:
            return 0
        now = utcnow()
        async with self.store.begin() as tx:
            rows = await tx.session.execute(
                select(TranscriptRequest.id, TranscriptRequest.next_try_at)
                .join(Conversation, Conversation.id == TranscriptRequest.conversation_id)
                .where(TranscriptRequest.sent_at.is_(None),
                       TranscriptRequest.failed_at.is_(None),
                       TranscriptRequest.next_try_at <= now,
                       Conversation.state.in_(ENDED))
                .order_by(TranscriptRequest.id).limit(BATCH))
            due = rows.all()
        tried = 0
        for request_id, next_try_at in due:
            if await self._claim(request_id, next_try_at):
                tried += 1
                await self._deliver(request_id)
        return tried

    async def _claim(self, request_id: int, seen: datetime) -> bool:
        async with self.store.begin() as tx:
            result = await tx.session.execute(
                update(TranscriptRequest)
                .where(TranscriptRequest.id == request_id,
                       TranscriptRequest.next_try_at == seen,
                       TranscriptRequest.sent_at.is_(None))
                .values(next_try_at=utcnow() + timedelta(seconds=CLAIM_S)))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _deliver(self, request_id: int) -> None:
        async with self.store.begin() as tx:
            request = await tx.session.get(TranscriptRequest, request_id)
            assert request is not None
            conversation = await tx.conversation(request.conversation_id)
            assert conversation is not None
            messages = (await tx.session.scalars(
                select(Message).where(Message.conversation_id == conversation.id)
                .order_by(Message.seq))).all()
        assert self.settings.mail_from is not None
        mail = compose(conversation, messages, to=request.email,
                       sender=self.settings.mail_from, timezone=self.settings.timezone)
        try:
            await send(self.settings, mail)
        except Exception as exc:
            await self._failed(request, exc)
            return
        async with self.store.begin() as tx:
            await tx.session.execute(update(TranscriptRequest)
                                     .where(TranscriptRequest.id == request_id)
                                     .values(sent_at=utcnow(), last_error=None))
            await tx.add_event(conversation.id, "transcript_sent", actor="system")

    async def _failed(self, request: TranscriptRequest, exc: Exception) -> None:
        attempts = request.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:300]
        now = utcnow()
        values: dict[str, object] = {"attempts": attempts, "last_error": error}
        if attempts > len(RETRY_S):
            values["failed_at"] = now
            log.error("transcript %s given up after %d attempts: %s", request.id, attempts,
                      error)
        else:
            values["next_try_at"] = now + timedelta(seconds=RETRY_S[attempts - 1])
            log.warning("transcript %s not sent (attempt %d): %s", request.id, attempts, error)
        async with self.store.begin() as tx:
            await tx.session.execute(update(TranscriptRequest)
                                     .where(TranscriptRequest.id == request.id).values(**values))
