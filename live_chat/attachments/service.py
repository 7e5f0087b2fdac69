"""Attachments as the rest of the gateway uses them: upload, send, link, read.

Who may read a file (a *party*):

- the visitor whose conversation it is: their own uploads, and the agents'
  once sent;
- an agent: their own uploads; once sent, the agent who holds or last held
  the conversation, the agent holding the visitor's current chat (who may
  read their earlier ones), and supervisors and admins.

The same rule decides who gets a link and, again at fetch time, whether the
link's party still may read.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from live_chat.attachments.blobs import BlobStore, key_for
from live_chat.attachments.links import AttachmentLinks, Link, Party
from live_chat.attachments.sniff import ALLOWED_TYPES, sniff
from live_chat.errors import (
    Conflict,
    Forbidden,
    InvalidPayload,
    NotFound,
    TooLarge,
    UnsupportedType,
)
from live_chat.store.attachments import AttachmentRecord
from live_chat.store.models import Attachment, new_id

SUPERVISING_ROLES = ("supervisor", "admin")
#: Files one message may carry.
MAX_PER_MESSAGE = 10
_NAME_LIMIT = 200
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Stored:
    """A file to hand back: its record and its bytes."""

    attachment: Attachment
    data: bytes


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    """What clients see of a file (in a message's ``attachments`` too)."""
    return {"id": attachment.id, "name": attachment.name, "type": attachment.type,
            "size": attachment.size}


def clean_name(raw: str | None) -> str:
    """The file's name as shown: no folders, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("", name).strip()
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "replace").decode("utf-8")
    return name[:_NAME_LIMIT] or "file"


class Attachments:
    """``record`` is the table, ``blobs`` where bytes live, ``links`` signs URLs,
    ``max_bytes`` the largest file accepted."""

    def __init__(self, record: AttachmentRecord, blobs: BlobStore, links: AttachmentLinks, *,
                 max_bytes: int) -> None:
        self.record = record
        self.blobs = blobs
        self.links = links
        self.max_bytes = max_bytes

    async def upload(self, party: Party, data: bytes, name: str | None, *,
                     conversation_id: str | None = None) -> tuple[dict[str, Any], Link]:
        """Keep a file a party uploads; it is shown once a message sends it.

        A visitor's file is theirs until they send it in a message (which binds
        it to the conversation the message goes to); an agent uploads into a
        ``conversation_id`` they hold.
        """
        if len(data) > self.max_bytes:
            raise TooLarge(f"a file may have at most {self.max_bytes} bytes",
                           max_bytes=self.max_bytes)
        content_type = sniff(data)
        if content_type is None:
            raise UnsupportedType("only PNG, JPEG, GIF and WebP images and PDF files can be "
                                  "sent", types=list(ALLOWED_TYPES))
        if party.kind == "visitor":
            visitor_id = party.id
        else:
            if conversation_id is None:
                raise NotFound("name the conversation_id the file is for")
            if not _CONVERSATION_ID.match(conversation_id):
                raise InvalidPayload("conversation_id: not a conversation id")
            conversation = await self.record.conversation(conversation_id)
            if conversation is None:
                raise NotFound("no such conversation")
            if conversation.state != "assigned" or conversation.agent_id != party.id:
                raise Forbidden("you do not hold this conversation")
            visitor_id = conversation.visitor_id
        attachment_id = new_id()
        key = key_for(attachment_id)
        await self.blobs.put(key, data)
        try:
            attachment = await self.record.add(Attachment(
                id=attachment_id, visitor_id=visitor_id, conversation_id=conversation_id,
                message_id=None, uploader=party.kind, uploader_id=party.id,
                name=clean_name(name), type=content_type, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), storage_key=key))
        except BaseException:
            await self.blobs.delete(key)  # no record, no file
            raise
        return attachment_out(attachment), self.links.issue(attachment_id, party)

    async def for_message(self, party: Party, ids: Sequence[str], client_id: str, *,
                          conversation_id: str | None = None) -> tuple[dict[str, Any], ...]:
        """The files a message of ``party`` may carry, as the message shows them.

        Each must be the party's own upload (an agent's: into ``conversation_id``)
        and not sent yet, except by this very message (a retry with its
        ``client_id``, which then answers with its first copy).
        """
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_PER_MESSAGE:
            raise TooLarge(f"a message may carry at most {MAX_PER_MESSAGE} files")
        if not unique:
            return ()
        found = await self.record.with_senders(unique)
        shown = []
        for attachment_id in unique:
            if attachment_id not in found:
                raise NotFound(f"no attachment {attachment_id}; upload it first")
            attachment, sent_by = found[attachment_id]
            if (attachment.uploader, attachment.uploader_id) != (party.kind, party.id) or (
                party.kind == "agent" and attachment.conversation_id != conversation_id
            ):
                raise Forbidden(f"attachment {attachment_id} is not yours to send here")
            if attachment.message_id is not None and sent_by != client_id:
                raise Conflict(f"attachment {attachment_id} was already sent")
            shown.append(attachment_out(attachment))
        return tuple(shown)

    async def link(self, party: Party, attachment_id: str) -> Link:
        """A signed URL for ``party``, who must be allowed to read the file."""
        attachment = await self._get(attachment_id)
        if not await self.may_read(party, attachment):
            raise Forbidden("this file is not part of your conversation")
        return self.links.issue(attachment_id, party)

    async def read(self, attachment_id: str, party_key: str, expires: str, sig: str, *,
                   caller: Party | None) -> Stored:
        """The file behind a signed link, if the link holds and its party may still read.

        ``caller``: who the request says it is (its Authorization header), if it
        says; it must be the party the link was issued to.
        """
        self.links.check(attachment_id, party_key, expires, sig)
        if caller is not None and caller.key != party_key:
            raise Forbidden("this link was issued to someone else")
        attachment = await self._get(attachment_id)
        kind, _, party_id = party_key.partition(":")
        if kind == "visitor":
            party = Party("visitor", party_id)
        else:
            party = Party("agent", party_id, await self.record.agent_role(party_id))
        if not await self.may_read(party, attachment):
            raise Forbidden("this file is not part of your conversation")
        data = await self.blobs.get(attachment.storage_key)
        if data is None:
            raise NotFound("this file is no longer kept")
        return Stored(attachment, data)

    async def _get(self, attachment_id: str) -> Attachment:
        found = (await self.record.get(attachment_id)
                 if _ATTACHMENT_ID.match(attachment_id) else None)
        if found is None:
            raise NotFound("no such attachment")
        return found

    async def may_read(self, party: Party, attachment: Attachment) -> bool:
        """The rule of this module's docstring."""
        own = (attachment.uploader, attachment.uploader_id) == (party.kind, party.id)
        if party.kind == "visitor":
            return attachment.visitor_id == party.id and (
                own or attachment.message_id is not None)
        if own:
            return True
        if attachment.message_id is None or attachment.conversation_id is None:
            return False
        if party.role in SUPERVISING_ROLES:
            return True
        conversation, current = await self.record.reading_context(attachment.conversation_id)
        if conversation is None:
            return False
        if conversation.agent_id == party.id:
            return True
        return (current is not None and current.state == "assigned"
                and current.agent_id == party.id)
