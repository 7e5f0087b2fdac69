"""The record of attachments: the SQL the attachment service needs.

Binding a file to the message that sends it is part of the message's own
write (:class:`~live_chat.store.turns.TurnWrites`); deleting files with a
visitor or an old transcript is in :mod:`~live_chat.store.retention`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from live_chat.store.models import Agent, Attachment, Conversation, Message
from live_chat.store.repository import Store


class AttachmentRecord:
    """Reads and writes of ``attachments`` on ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, attachment: Attachment) -> Attachment:
        async with self.store.begin() as tx:
            tx.session.add(attachment)
        return attachment

    async def get(self, attachment_id: str) -> Attachment | None:
        async with self.store.begin() as tx:
            return await tx.session.get(Attachment, attachment_id)

    async def with_senders(self, ids: Iterable[str]
                           ) -> dict[str, tuple[Attachment, str | None]]:
        """The attachments of ``ids`` that exist, each with the ``client_id`` of the
        message that sent it (None while unsent)."""
        async with self.store.begin() as tx:
            rows = await tx.session.execute(
                select(Attachment, Message.client_id)
                .outerjoin(Message, Message.id == Attachment.message_id)
                .where(Attachment.id.in_(set(ids))))
            return {attachment.id: (attachment, client_id) for attachment, client_id in rows}

    async def conversation(self, conversation_id: str) -> Conversation | None:
        async with self.store.begin() as tx:
            return await tx.conversation(conversation_id)

    async def reading_context(self, conversation_id: str
                              ) -> tuple[Conversation | None, Conversation | None]:
        """The conversation, and its visitor's open one (whoever holds that may read
        the visitor's earlier chats)."""
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
            current = (await tx.open_conversation(conversation.visitor_id)
                       if conversation is not None else None)
            return conversation, current

    async def agent_role(self, agent_id: str) -> str | None:
        async with self.store.begin() as tx:
            return await tx.session.scalar(select(Agent.role).where(Agent.id == agent_id))
