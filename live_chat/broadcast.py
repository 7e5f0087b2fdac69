"""The :class:`~live_chat.conversations.Notifier` over Socket.IO rooms.

Visitors sit in the room ``visitor:<id>`` of ``/visitor`` (all their tabs);
agents in ``agent:<id>`` of ``/agent`` (all their tabs). Rooms are per person
rather than per conversation because a socket joins rooms only in its own
process, while these emits must reach it from any process (through the Redis
client manager when there are several).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from live_chat.store.models import Conversation

VISITOR_NS = "/visitor"
AGENT_NS = "/agent"


def visitor_room(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


class SocketNotifier:
    """Sends conversation news to the visitor's tabs and to the agent who holds it."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        # Told of every state change and agent push (the supervisor feed listens).
        self.on_change: Callable[[], None] = lambda: None

    async def message(
        self, conversation: Conversation, message: dict[str, Any], *,
        skip_sid: str | None = None, to_visitor: bool = True,
    ) -> None:
        """``message`` to the visitor's tabs but ``skip_sid`` (none when not
        ``to_visitor``) and to the agent who holds the conversation."""
        if to_visitor:
            await self.sio.emit(
                "message", message, room=visitor_room(conversation.visitor_id),
                namespace=VISITOR_NS, skip_sid=skip_sid,
            )
        await self._to_holder(conversation, "message", message, skip_sid=skip_sid)

    async def status(self, conversation: Conversation, payload: dict[str, Any]) -> None:
        self.on_change()
        await self.sio.emit(
            "status", payload, room=visitor_room(conversation.visitor_id), namespace=VISITOR_NS
        )
        await self._to_holder(conversation, "conversation", payload)

    async def to_agent(self, agent_id: str, event: str, payload: dict[str, Any]) -> None:
        self.on_change()
        await self.sio.emit(event, payload, room=agent_room(agent_id), namespace=AGENT_NS)

    async def typing(self, conversation: Conversation, sender: str, typing: bool,
                     *, skip_sid: str | None = None) -> None:
        if sender == "visitor":
            await self._to_holder(conversation, "typing", {
                "conversation_id": conversation.id, "typing": typing, "sender": sender,
            })
        else:
            await self.sio.emit(
                "typing", {"typing": typing, "sender": sender},
                room=visitor_room(conversation.visitor_id), namespace=VISITOR_NS,
                skip_sid=skip_sid,
            )

    async def _to_holder(self, conversation: Conversation, event: str, payload: dict[str, Any],
                         *, skip_sid: str | None = None) -> None:
        if conversation.state == "assigned" and conversation.agent_id:
            await self.sio.emit(event, payload, room=agent_room(conversation.agent_id),
                                namespace=AGENT_NS, skip_sid=skip_sid)
