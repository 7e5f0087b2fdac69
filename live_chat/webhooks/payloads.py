"""What a delivery posts: the signed JSON of an event, or a Slack/Teams chat message.

An event is read back from the record row that the outbox names (a
conversation event or a message), so the body says what was committed.
Bodies are built once, when the event is fanned out, and kept: a retry or a
replay posts the same bytes (with a fresh signature).

The JSON body::

    {"id": "evt_42", "event": "assigned", "created_at": "2026-12-05T09:30:00+00:00",
     "conversation": {"id", "visitor_id", "locale", "url"},
     "data": {...}}

``id`` is the same for every subscription and every replay of the event:
receivers use it to drop a duplicate (delivery is at least once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import (
    Agent,
    Conversation,
    ConversationEvent,
    Csat,
    Message,
    Visitor,
    WebhookOutbox,
)
from live_chat.wire import message_out

# The first words of the visitor shown in a chat notification.
PREVIEW_CHARS = 200


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One event as the record holds it, ready to be written as any kind of body."""

    event: str
    event_id: str
    at: datetime
    conversation: Conversation
    data: dict[str, Any]
    # For chat notifications: the visitor's name and first words (escaped when written).
    visitor_name: str | None = None
    first_words: str | None = None


def console_url(base_url: str, conversation_id: str) -> str:
    """The console's address of a conversation (``base_url``: TSUNAGU_PUBLIC_URL)."""
    return f"{base_url.rstrip('/')}/console#conversation={conversation_id}"


async def occurrence(session: AsyncSession, row: WebhookOutbox) -> Occurrence | None:
    """The event an outbox row names; None when its record is gone (a forgotten visitor)."""
    conversation = await session.get(Conversation, row.conversation_id)
    if conversation is None:
        return None
    if row.event == "message.created":
        message = await session.get(Message, row.source_id)
        if message is None:
            return None
        return Occurrence(row.event, f"msg_{message.id}", message.created_at, conversation,
                          {"message": message_out(message)})
    event = await session.get(ConversationEvent, int(row.source_id))
    if event is None:
        return None
    data = await _event_data(session, event)
    visitor_name = first_words = None
    if row.event == "escalated":
        visitor_name = await session.scalar(
            select(Visitor.name).where(Visitor.id == conversation.visitor_id))
        first_words = await session.scalar(
            select(Message.text).where(Message.conversation_id == conversation.id,
                                       Message.sender == "visitor", Message.text != "")
            .order_by(Message.seq).limit(1))
    return Occurrence(row.event, f"evt_{event.id}", event.created_at, conversation, data,
                      visitor_name, first_words)


async def _event_data(session: AsyncSession, event: ConversationEvent) -> dict[str, Any]:
    data = event.data or {}
    common = {"from_state": event.from_state, "to_state": event.to_state, "actor": event.actor}
    if event.type == "escalated":
        return {**common, "intent": data.get("intent"), "priority": data.get("priority")}
    if event.type in ("assigned", "transferred"):
        agent = await session.get(Agent, data.get("agent_id") or "")
        return {**common, "transferred": event.type == "transferred",
                "agent": {"id": agent.id, "name": agent.name} if agent else None,
                "from_agent_id": data.get("from_agent_id")}
    if event.type in ("closed", "abandoned"):
        conversation = await session.get(Conversation, event.conversation_id)
        return {**common, "resolution": data.get("resolution")
                or (conversation.resolution if conversation else None)}
    if event.type == "csat":
        csat = await session.get(Csat, event.conversation_id)
        return {"score": data.get("score"), "comment": csat.comment if csat else None}
    return common


def webhook_body(found: Occurrence, base_url: str) -> str:
    """The JSON an ordinary subscription receives."""
    conversation = found.conversation
    return orjson.dumps({
        "id": found.event_id,
        "event": found.event,
        "created_at": found.at.isoformat(),
        "conversation": {"id": conversation.id, "visitor_id": conversation.visitor_id,
                         "locale": conversation.locale,
                         "url": console_url(base_url, conversation.id)},
        "data": found.data,
    }).decode()


def chat_body(kind: str, found: Occurrence, base_url: str) -> str:
    """The incoming-webhook message (``{"text": …}``) of a ``slack`` or ``teams`` subscription.

    Visitor text is escaped for the target's markup, so a visitor cannot
    write links or mentions into the team's channel.
    """
    escape = _slack_escape if kind == "slack" else _markdown_escape
    url = console_url(base_url, found.conversation.id)
    link = f"<{url}|Open the chat>" if kind == "slack" else f"[Open the chat]({url})"
    who = escape(found.visitor_name) if found.visitor_name else "A visitor"
    lines = [f"{who} is waiting for a person"
             + (f" (topic: {escape(str(found.data['intent']))})"
                if found.data.get("intent") else "") + "."]
    if found.first_words:
        words = found.first_words[:PREVIEW_CHARS]
        lines.append("> " + escape(words).replace("\n", " "))
    lines.append(link)
    if found.event != "escalated":  # a chat subscription that asked for more events
        lines = [f"{escape(found.event)} in conversation {found.conversation.id}", link]
    return orjson.dumps({"text": "\n".join(lines)}).decode()


def _slack_escape(text: str) -> str:
    # Slack's rule: only &, < and > need escaping; <...> would make a link or mention.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown_escape(text: str) -> str:
    escaped = _slack_escape(text)
    for char in "\\`*_[]()#|!":
        escaped = escaped.replace(char, "\\" + char)
    return escaped
