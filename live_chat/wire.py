"""The shapes that cross the network (PROTOCOL.md), in and out.

Incoming payloads are pydantic models in strict mode: a number where text is
expected is an ``invalid`` error, not silently converted. Outgoing shapes are
built from store rows by the ``*_out`` functions, the only place that decides
what a client sees of a row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from live_chat.errors import InvalidPayload
from live_chat.store.models import Conversation, Message

_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"


class Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class VisitorMessageIn(Payload):
    client_id: str = Field(min_length=1, max_length=64, pattern=_ID_PATTERN)
    # The length rule (too_long) is the gateway's, checked after parsing.
    text: str
    payload: str | None = Field(default=None, max_length=200)


class SyncIn(Payload):
    since_seq: int = Field(ge=0)


class TypingIn(Payload):
    typing: bool


class CsatIn(Payload):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class Empty(Payload):
    pass


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
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise InvalidPayload(f"{where}: {first['msg']}") from None


def message_out(message: Message) -> dict[str, Any]:
    author = (
        {"id": message.author_id, "name": message.author_name}
        if message.author_id is not None
        else None
    )
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": author,
        "text": message.text,
        "quick_replies": list(message.quick_replies or []),
        "client_id": message.client_id,
        "ts": message.created_at.isoformat(),
    }


def conversation_out(
    conversation: Conversation,
    *,
    queue_position: int | None = None,
    eta_s: int | None = None,
) -> dict[str, Any]:
    agent = (
        {"id": conversation.agent_id, "name": conversation.agent_name}
        if conversation.agent_id is not None and conversation.state == "assigned"
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
    }
