"""Transcripts by e-mail: the visitor's request, kept in ``transcript_requests``,
and the background sender that delivers it once the conversation has ended.

A request made while the chat is open waits for its close (or abandonment);
delivery, retries and the claim across processes are
:class:`~live_chat.mail.queue.MailQueue`'s.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import Select, func, select

from live_chat.errors import NotFound, RateLimited, Unavailable
from live_chat.mail.queue import MailQueue
from live_chat.mail.transcript_format import compose
from live_chat.store.models import Conversation, Message, TranscriptRequest
from live_chat.store.repository import Transaction

# Requests one conversation may have (each one is an e-mail sent on our behalf).
MAX_PER_CONVERSATION = 3
ENDED = ("closed", "abandoned")


class TranscriptUnavailable(Unavailable):
    """This deployment sends no e-mail (no SMTP host or From address configured)."""

    code = "transcript_unavailable"


class Transcripts(MailQueue):
    """Requests and delivery of transcripts. ``settings`` say how to reach SMTP."""

    row_type = TranscriptRequest
    sent_event = "transcript_sent"

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
        self.wake()

    def due(self, query: Select[Any]) -> Select[Any]:
        return query.join(Conversation, Conversation.id == TranscriptRequest.conversation_id) \
            .where(Conversation.state.in_(ENDED))

    async def compose(self, tx: Transaction, row: Any) -> EmailMessage:
        conversation = await tx.conversation(row.conversation_id)
        assert conversation is not None and self.settings.mail_from is not None
        messages = (await tx.session.scalars(
            select(Message).where(Message.conversation_id == conversation.id)
            .order_by(Message.seq))).all()
        return compose(conversation, messages, to=row.email, sender=self.settings.mail_from,
                       timezone=self.settings.timezone)
