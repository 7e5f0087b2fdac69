"""Data protection in the record: forgetting one visitor, and anonymising old transcripts.

:func:`forget_visitor` deletes everything of one visitor (their conversations,
messages, events, notes, ratings, webhook deliveries, the agents' flags on their messages, the
training examples labelled from them, the report facts) in one transaction:
the answer to "delete my data". (A model already trained on those examples
keeps what it learnt until the next training.) The visitor's attached files,
and the agents' files in their conversations, go from the blob store too.

:func:`anonymise_before` blanks the words of conversations that ended before
a cutoff (message and note texts, quick replies and payloads, rating
comments, the leave-a-message form's name and e-mail, attached files, the
webhook deliveries that quote them) and keeps
their rows, times and classifications, so every figure of the reports stays
what it was. Files uploaded before the cutoff and never sent go too, and so
do the name and e-mail kept on visitors last seen before it (the pre-chat
form's, or a signed identity's, which the site sends again on their next visit).
It works in batches of ``batch`` conversations, one transaction each, and can
be run again at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from live_chat.attachments.blobs import BlobStore
from live_chat.errors import Conflict, NotFound
from live_chat.lifecycle import is_open
from live_chat.store.models import (
    Attachment,
    BotExample,
    Conversation,
    ConversationAgent,
    ConversationEvent,
    ConversationTag,
    Csat,
    InboxDismissal,
    Message,
    MessageFlag,
    Note,
    ReportFact,
    TranscriptRequest,
    Visitor,
    WebhookDelivery,
    WebhookOutbox,
)
from live_chat.store.repository import Store

log = logging.getLogger(__name__)


async def forget_visitor(store: Store, visitor_id: str, blobs: BlobStore) -> int:
    """Delete the visitor and all of their record (their files from ``blobs``);
    how many conversations went.

    Refused (:class:`Conflict`) while one of their conversations is open:
    close it first, so no agent is left holding a chat that no longer exists.
    """
    async with store.begin() as tx:
        session = tx.session
        # Locked: a first message racing this cannot open a conversation meanwhile.
        if await session.scalar(select(Visitor.id).where(Visitor.id == visitor_id)
                                .with_for_update()) is None:
            raise NotFound(f"no visitor {visitor_id}")
        conversations = (await session.execute(
            select(Conversation.id, Conversation.state)
            .where(Conversation.visitor_id == visitor_id))).all()
        if any(is_open(state) for _, state in conversations):
            raise Conflict("the visitor has an open conversation; close it first")
        ids = [cid for cid, _ in conversations]
        keys = list((await session.scalars(
            select(Attachment.storage_key).where(Attachment.visitor_id == visitor_id))).all())
        await session.execute(delete(Attachment).where(Attachment.visitor_id == visitor_id))
        if ids:
            messages = select(Message.id).where(Message.conversation_id.in_(ids))
            # Their words also left as training examples and inbox marks.
            for table in (MessageFlag, BotExample, InboxDismissal):
                await session.execute(delete(table).where(table.message_id.in_(messages)))
            # Webhook bodies quote their messages: the log and the outbox go too.
            for table in (Message, ConversationEvent, Note, Csat, TranscriptRequest,
                          ConversationTag, ConversationAgent, WebhookDelivery, WebhookOutbox):
                await session.execute(delete(table).where(table.conversation_id.in_(ids)))
            await session.execute(delete(ReportFact).where(ReportFact.id.in_(ids)))
            await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        await session.execute(delete(Visitor).where(Visitor.id == visitor_id))
    # After the commit: a file whose row is gone can no longer be fetched, and a
    # deletion that fails here leaves an unreachable file, never a broken record.
    await _delete_blobs(blobs, keys)
    return len(ids)


async def anonymise_before(store: Store, cutoff: datetime, blobs: BlobStore, *,
                           batch: int = 500) -> int:
    """Blank the words (and delete the files, from ``blobs``) of conversations closed
    before ``cutoff``; how many were blanked."""
    await _forget_unsent(store, cutoff, blobs)
    await _forget_profiles(store, cutoff)
    done, after = 0, ""
    while True:
        async with store.begin() as tx:
            session = tx.session
            ids = list((await session.scalars(
                select(Conversation.id)
                .where(Conversation.closed_at < cutoff, Conversation.id > after)
                .order_by(Conversation.id).limit(batch))).all())
            if not ids:
                return done
            files = select(Attachment.message_id).where(Attachment.conversation_id.in_(ids))
            await session.execute(
                update(Message).where(Message.conversation_id.in_(ids), Message.id.in_(files))
                .values(attachments=[]))
            keys = list((await session.scalars(
                select(Attachment.storage_key)
                .where(Attachment.conversation_id.in_(ids)))).all())
            await session.execute(delete(Attachment).where(Attachment.conversation_id.in_(ids)))
            await session.execute(
                update(Message).where(Message.conversation_id.in_(ids), Message.text != "")
                .values(text="", payload=None, quick_replies=[], image=None, custom=None))
            await session.execute(
                update(Note).where(Note.conversation_id.in_(ids), Note.text != "")
                .values(text=""))
            await session.execute(
                update(Csat).where(Csat.conversation_id.in_(ids), Csat.comment.is_not(None))
                .values(comment=None))
            # The addresses transcripts went (or were to go) to.
            await session.execute(
                delete(TranscriptRequest).where(TranscriptRequest.conversation_id.in_(ids)))
            # Webhook bodies quote the words (a delivery still pending is dropped too).
            await session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.conversation_id.in_(ids)))
            # The leave-a-message form's name and e-mail.
            await session.execute(
                update(ConversationEvent)
                .where(ConversationEvent.conversation_id.in_(ids),
                       ConversationEvent.type == "offline_message")
                .values(data={}))
        await _delete_blobs(blobs, keys)
        done += len(ids)
        after = ids[-1]


async def _forget_profiles(store: Store, cutoff: datetime) -> None:
    """The name and e-mail of visitors last seen before ``cutoff``."""
    async with store.begin() as tx:
        await tx.session.execute(
            update(Visitor)
            .where(Visitor.last_seen_at < cutoff,
                   or_(Visitor.name.is_not(None), Visitor.email.is_not(None)))
            .values(name=None, email=None))


async def _forget_unsent(store: Store, cutoff: datetime, blobs: BlobStore) -> None:
    """Files uploaded before ``cutoff`` that no message ever sent."""
    async with store.begin() as tx:
        unsent = (Attachment.message_id.is_(None), Attachment.created_at < cutoff)
        keys = list((await tx.session.scalars(
            select(Attachment.storage_key).where(*unsent))).all())
        await tx.session.execute(delete(Attachment).where(*unsent))
    await _delete_blobs(blobs, keys)


async def _delete_blobs(blobs: BlobStore, keys: Iterable[str]) -> None:
    for key in keys:
        try:
            await blobs.delete(key)
        except Exception:  # the record no longer points at it: logged, not fatal
            log.exception("could not delete attachment blob %s", key)
