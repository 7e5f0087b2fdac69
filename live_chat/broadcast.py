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


def watch_room(conversation_id: str) -> str:
    """Supervisors' sockets watching one conversation read-only (``watch``).

    A conversation room works here where the comment above says it would not:
    a socket joins it itself, on its own process, with ``watch``; emits to it
    reach it from any process like any room's.
    """
    return f"watch:{conversation_id}"


class SocketNotifier:
    """Sends conversation news to the visitor's tabs, the agent who holds it and the
    supervisors watching it (one emit to the union of the rooms: a supervisor who
    both holds and watches a chat gets each event once)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        # Told of every state change and agent push (the supervisor feed listens).
        self.on_change: Callable[[], None] = lambda: None
        # Told the sender of every message sent (each stored message is sent once).
        self.on_message: Callable[[str], None] = lambda sender: None

    async def message(
        self, conversation: Conversation, message: dict[str, Any], *,
        skip_sid: str | None = None, to_visitor: bool = True, to_agent: bool = True,
    ) -> None:
        """``message`` to the visitor's tabs but ``skip_sid`` (none when not
        ``to_visitor``), to the agent who holds the conversation (unless not
        ``to_agent``: they have it already) and to the supervisors watching it."""
        self.on_message(message["sender"])
        if to_visitor:
            await self.sio.emit(
                "message", message, room=visitor_room(conversation.visitor_id),
                namespace=VISITOR_NS, skip_sid=skip_sid,
            )
        if to_agent:
            await self._to_holder(conversation, "message", message, skip_sid=skip_sid)
        elif conversation.state in ("queued", "assigned"):
            await self.sio.emit("message", message, room=watch_room(conversation.id),
                                namespace=AGENT_NS, skip_sid=skip_sid)

    async def status(self, conversation: Conversation, payload: dict[str, Any]) -> None:
        self.on_change()
        await self.sio.emit(
            "status", payload, room=visitor_room(conversation.visitor_id), namespace=VISITOR_NS
        )
        await self._to_holder(conversation, "conversation", payload, watchers=True)

    async def to_agent(self, agent_id: str, event: str, payload: dict[str, Any]) -> None:
        self.on_change()
        await self.sio.emit(event, payload, room=agent_room(agent_id), namespace=AGENT_NS)

    async def to_agents(self, conversation: Conversation, event: str, payload: dict[str, Any],
                        *, also: tuple[str, ...] = ()) -> None:
        """``event`` to the holder, the watchers and the agents ``also`` (e.g. a note's
        author), each socket once."""
        rooms = {agent_room(agent_id) for agent_id in also}
        rooms.update(self._agent_rooms(conversation, watchers=True))
        await self.sio.emit(event, payload, room=sorted(rooms), namespace=AGENT_NS)

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

    async def read(self, conversation: Conversation, by: str, seq: int) -> None:
        """A read mark moved: the visitor's goes to the agent holding the chat and the
        supervisors watching it, the agent's to the visitor's tabs (from any process,
        like every emit here)."""
        if by == "visitor":
            await self.to_agents(conversation, "read", {
                "conversation_id": conversation.id, "by": by, "seq": seq})
        else:
            await self.sio.emit("read", {"conversation_id": conversation.id, "by": by,
                                         "seq": seq},
                                room=visitor_room(conversation.visitor_id),
                                namespace=VISITOR_NS)

    async def _to_holder(self, conversation: Conversation, event: str, payload: dict[str, Any],
                         *, skip_sid: str | None = None, watchers: bool = False) -> None:
        rooms = self._agent_rooms(conversation, watchers=watchers)
        if rooms:
            await self.sio.emit(event, payload, room=rooms, namespace=AGENT_NS,
                                skip_sid=skip_sid)

    @staticmethod
    def _agent_rooms(conversation: Conversation, *, watchers: bool = False) -> list[str]:
        """The holder's room, and the watchers' when ``watchers`` or a person is involved.

        Messages and typing of a chat with the bot go to no watcher: they are
        most of the traffic, and with several processes every emit is a Redis
        publish whether anyone watches or not; supervisors watch the chats that
        wait or are with an agent (``overview.live``).
        """
        rooms = []
        if watchers or conversation.state in ("queued", "assigned"):
            rooms.append(watch_room(conversation.id))
        if conversation.state == "assigned" and conversation.agent_id:
            rooms.append(agent_room(conversation.agent_id))
        return rooms
