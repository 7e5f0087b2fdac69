"""The shapes that cross the network (PROTOCOL.md), in and out.

Incoming payloads are pydantic models in strict mode: a number where text is
expected is an ``invalid`` error, not silently converted. Outgoing shapes are
built from store rows by the ``*_out`` functions, the only place that decides
what a client sees of a row.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from live_chat.errors import InvalidPayload, TooLong
from live_chat.lifecycle import rateable
from live_chat.store.models import Agent, Conversation, Message, Note, Visitor

_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"


# The largest seq a conversation can have (the database column is a 32-bit integer).
MAX_SEQ = 2**31 - 1


class Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        """Refuse text no database stores (see :func:`storable`), in any field."""
        if isinstance(data, dict):
            for name, value in data.items():
                for text in value if isinstance(value, list) else (value,):
                    if isinstance(text, str) and not storable(text):
                        raise PydanticCustomError(
                            "unstorable",
                            "{field}: must not contain NUL or unpaired surrogate characters",
                            {"field": name})
        return data


class AttachmentRef(Payload):
    """A file sent with a message: its ``id`` from ``POST /api/attachments`` (the
    name, type and size a client may repeat are ignored: the record's are shown)."""

    id: str = Field(pattern=r"^[0-9a-f]{32}$")


class VisitorMessageIn(Payload):
    client_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
    # The length rule (too_long) is the gateway's, checked after parsing;
    # the text may be empty when the message carries attachments.
    text: str
    payload: str | None = Field(default=None, max_length=200)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=10)


class LeaveMessageIn(Payload):
    """The leave-a-message form, when nobody can answer now."""

    client_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
    text: str = Field(min_length=1, pattern=r"\S")
    name: str | None = Field(default=None, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+$")


def person_name(value: str | None) -> str | None:
    """A visitor's name as given: trimmed, one line, 1-100 characters (None when blank)."""
    if value is None:
        return None
    name = " ".join(value.split())
    if len(name) > 100:
        raise PydanticCustomError("name", "name: at most 100 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise PydanticCustomError("name", "name: must not contain control characters")
    return name or None


def email_address(value: str | None) -> str | None:
    """An e-mail address as given, trimmed (None when blank); refused unless it looks
    like ``someone@example.com``."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise PydanticCustomError(
            "email", "email: not an e-mail address (write it like name@example.com)")
    return email


class _NameAndEmail(Payload):
    """A person's optional name and e-mail, checked the same way wherever they come from."""

    name: str | None = None
    email: str | None = None

    @field_validator("name")
    @classmethod
    def checked_name(cls, value: str | None) -> str | None:
        return person_name(value)

    @field_validator("email")
    @classmethod
    def checked_email(cls, value: str | None) -> str | None:
        return email_address(value)


class ProfileIn(_NameAndEmail):
    """The pre-chat form: who the visitor says they are. Blank fields are left out."""


class EmailTranscriptIn(Payload):
    """``email_transcript``: where the conversation's transcript is to go."""

    email: str

    @field_validator("email")
    @classmethod
    def checked_email(cls, value: str) -> str:
        checked = email_address(value)
        if checked is None:
            raise PydanticCustomError("email", "email: required")
        return checked


class IdentityIn(_NameAndEmail):
    """``auth.identity`` from a site that vouches for a logged-in user (docs/widget.md)."""

    user_id: str = Field(min_length=1, max_length=200)
    hmac: str = Field(min_length=1, max_length=200)


class SyncIn(Payload):
    since_seq: int = Field(ge=0, le=MAX_SEQ)


class TypingIn(Payload):
    typing: bool


class ReadIn(Payload):
    """``read``: the visitor has had their conversation up to ``seq`` in view."""

    seq: int = Field(ge=0, le=MAX_SEQ)


class ActivityIn(Payload):
    """A visitor tab's report: idle after a while without input or focus, or active again."""

    idle: bool


class CsatIn(Payload):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class Empty(Payload):
    pass


class ConversationRef(Payload):
    conversation_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)


class AgentMessageIn(ConversationRef):
    client_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
    text: str
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=10)


class NoteIn(ConversationRef):
    text: str = Field(min_length=1)


class AgentTypingIn(ConversationRef):
    typing: bool


class AgentSyncIn(ConversationRef):
    since_seq: int = Field(ge=0, le=MAX_SEQ)


class AgentReadIn(ConversationRef):
    """``read``: the agent has had the chat up to ``seq`` in view."""

    seq: int = Field(ge=0, le=MAX_SEQ)


class TransferIn(ConversationRef):
    to_agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    to_team: str | None = Field(default=None, min_length=1, max_length=64)


class AgentCloseIn(ConversationRef):
    resolution: str | None = Field(default=None, max_length=64)


class EmailReplyIn(Payload):
    """``POST /api/conversations/{id}/reply``: an agent's answer by e-mail to a visitor
    whose conversation has ended (an offline message, most often)."""

    client_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
    text: str = Field(min_length=1)


class TagIn(Payload):
    """A conversation tag: trimmed and lower-cased, then 1-32 letters (any script),
    digits, ``-`` or ``_``."""

    tag: str = Field(min_length=1, max_length=32, pattern=r"^[\w-]+$")

    @field_validator("tag", mode="before")
    @classmethod
    def _normal(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class PresenceIn(Payload):
    status: Literal["online", "away"]


P = TypeVar("P", bound=Payload)


def parse(model: type[P], data: Any) -> P:
    """Validate ``data`` as ``model`` or raise :class:`InvalidPayload` naming the first problem."""
    if data is None and not model.model_fields:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPayload(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] in ("unstorable", "name", "email"):  # name their field themselves
            raise InvalidPayload(first["msg"]) from None
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise InvalidPayload(f"{where}: {first['msg']}") from None


def storable(text: str) -> bool:
    """False for text no database should be given: NUL (PostgreSQL refuses it) or an
    unpaired surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_text(raw: str, max_text: int, redact: Callable[[str], str] | None = None, *,
                 may_be_empty: bool = False) -> str:
    """The text to store: at most ``max_text`` characters as sent, not blank once
    stripped (unless ``may_be_empty``: a message that carries files), with what
    must not be stored masked by ``redact``."""
    if len(raw) > max_text:
        raise TooLong(f"a message may have at most {max_text} characters")
    text = raw.strip()
    if not text and not may_be_empty:
        raise InvalidPayload("text: must not be empty")
    return text if redact is None else redact(text)


def message_out(message: Message, *, for_agent: bool = False) -> dict[str, Any]:
    """A stored message as clients see it; agents also see the bot's classification."""
    author = (
        {"id": message.author_id, "name": message.author_name}
        if message.author_id is not None
        else None
    )
    out = {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": author,
        "text": message.text,
        "quick_replies": list(message.quick_replies or []),
        "client_id": message.client_id,
        "attachments": list(message.attachments or []),
        # A Rasa assistant's image URL and custom payload (null otherwise).
        "image": message.image,
        "custom": message.custom,
        "ts": message.created_at.isoformat(),
    }
    if for_agent:
        out["intent"] = message.intent
        out["confidence"] = message.confidence
        out["action"] = message.action
    return out


def snapshot_version() -> int:
    """Microseconds since the epoch: orders snapshots of one conversation across processes."""
    return time.time_ns() // 1000


def conversation_out(
    conversation: Conversation,
    *,
    queue_position: int | None = None,
    eta_s: int | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """A conversation as clients see it.

    ``version`` says when the snapshot was taken (default: now); a client that
    gets two should keep the one with the higher version.
    """
    agent = (
        {"id": conversation.agent_id, "name": conversation.agent_name}
        if conversation.agent_id is not None and conversation.state == "assigned"
        else None
    )
    waited = (
        (conversation.assigned_at - conversation.queued_at).total_seconds()
        if conversation.assigned_at and conversation.queued_at
        and conversation.assigned_at >= conversation.queued_at
        else None
    )
    return {
        "id": conversation.id,
        "state": conversation.state,
        "queue_position": queue_position if conversation.state == "queued" else None,
        "eta_s": eta_s if conversation.state == "queued" else None,
        "agent": agent,
        "last_seq": conversation.last_seq,
        "created_at": conversation.created_at.isoformat(),
        "queued_at": _iso(conversation.queued_at),
        "assigned_at": _iso(conversation.assigned_at),
        "wait_s": round(waited, 1) if waited is not None else None,
        "resolution": conversation.resolution,
        # The visitor's language as it stands (it follows what they write).
        "locale": conversation.locale,
        "can_rate": rateable(conversation),
        # Read receipts: the highest seq each side has had in view (0: nothing yet).
        "read": {"visitor": conversation.visitor_read_seq or 0,
                 "agent": conversation.agent_read_seq or 0},
        "version": version if version is not None else snapshot_version(),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def visitor_out(visitor: Visitor, earlier: Sequence[Conversation] = (),
                past_conversations: int | None = None) -> dict[str, Any]:
    """What an agent sees of a visitor, with their ``earlier`` conversations (newest
    first, a few) and how many ``past_conversations`` they had in all (default: as
    many as ``earlier``); more than none makes them a returning visitor."""
    past = len(earlier) if past_conversations is None else past_conversations
    return {
        "id": visitor.id,
        "user_id": visitor.user_id,
        "name": visitor.name,
        "email": visitor.email,
        "identified": visitor.user_id is not None,
        "past_conversations": past,
        "returning": past > 0,
        "locale": visitor.locale,
        "page_url": visitor.page_url,
        "first_seen": visitor.created_at.isoformat(),
        "last_seen": visitor.last_seen_at.isoformat(),
        "earlier": [
            {"id": c.id, "state": c.state, "created_at": c.created_at.isoformat(),
             "resolution": c.resolution, "last_seq": c.last_seq}
            for c in earlier
        ],
    }


def profile_out(visitor: Visitor | None, *, identified: bool = False) -> dict[str, Any]:
    """What a visitor's widget is told of them: the name and e-mail the gateway
    keeps, and whether the site vouched for them (no pre-chat form then)."""
    return {"name": visitor.name if visitor else None,
            "email": visitor.email if visitor else None,
            "identified": identified or bool(visitor and visitor.user_id)}


def agent_out(agent: Agent, status: str | None = None) -> dict[str, Any]:
    return {"id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role,
            "capacity": agent.capacity, "teams": list(agent.teams or []),
            "status": status or "offline"}


def note_out(note: Note, author_name: str) -> dict[str, Any]:
    return {"id": note.id, "conversation_id": note.conversation_id,
            "author": {"id": note.agent_id, "name": author_name}, "text": note.text,
            "ts": note.created_at.isoformat()}
