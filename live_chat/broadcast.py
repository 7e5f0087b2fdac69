"""The :class:`~live_chat.conversations.Notifier` over Socket.IO rooms.

Visitors sit in the room ``visitor:<id>`` of ``/visitor`` (all their tabs),
agents in ``conversation:<id>`` of ``/agent`` for each chat they hold. With a
Redis client manager these emits reach sockets on every gateway process.
"""

from __future__ import annotations

from typing import Any

import socketio

from live_chat.store.models import Conversation

VISITOR_NS = "/visitor"
AGENT_NS = "/agent"


def visitor_room(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def conversation_room(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class SocketNotifier:
    """Sends conversation news to the visitor's tabs and to the agents in the conversation."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def message(
        self, conversation: Conversation, message: dict[str, Any], *, skip_sid: str | None = None
    ) -> None:
        await self.sio.emit(
            "message", message, room=visitor_room(conversation.visitor_id),
            namespace=VISITOR_NS, skip_sid=skip_sid,
        )
        await self.sio.emit(
            "message", message, room=conversation_room(conversation.id),
            namespace=AGENT_NS, skip_sid=skip_sid,
        )

    async def status(self, conversation: Conversation, payload: dict[str, Any]) -> None:
        await self.sio.emit(
            "status", payload, room=visitor_room(conversation.visitor_id), namespace=VISITOR_NS
        )
        await self.sio.emit(
            "conversation", payload, room=conversation_room(conversation.id), namespace=AGENT_NS
        )

    async def typing(self, conversation_id: str, visitor_id: str, sender: str, typing: bool,
                     *, skip_sid: str | None = None) -> None:
        if sender == "visitor":
            await self.sio.emit(
                "typing", {"conversation_id": conversation_id, "typing": typing,
                           "sender": sender},
                room=conversation_room(conversation_id), namespace=AGENT_NS,
            )
        else:
            await self.sio.emit(
                "typing", {"typing": typing, "sender": sender},
                room=visitor_room(visitor_id), namespace=VISITOR_NS, skip_sid=skip_sid,
            )
