"""Read receipts: how far the visitor and the agent have read a conversation.

Each side reports the newest ``seq`` it has had in view (``read``); the mark
is stored on the conversation, only ever raised, and the other side is told
when it moves: the agent holding the chat (and the supervisors watching it)
of the visitor's, the visitor's tabs of the agent's. Snapshots of the
conversation carry both marks (``read`` in ``live_chat.wire.conversation_out``),
so a reloaded widget or console shows the same as a live one.
"""

from __future__ import annotations

from typing import Any

from live_chat.broadcast import SocketNotifier
from live_chat.errors import Forbidden, InvalidPayload, NotFound
from live_chat.store.models import Agent, Conversation
from live_chat.store.repository import ReadMarks, ReadSide, Store, Transaction


class ReadReceipts:
    """Moves read marks on behalf of visitors and agents, and tells the other side."""

    def __init__(self, store: Store, notifier: SocketNotifier) -> None:
        self.store = store
        self.notifier = notifier

    async def visitor_read(self, visitor_id: str, seq: int) -> dict[str, Any]:
        """The visitor has read their conversation (the open one, else the latest:
        the one ``sync`` shows) up to ``seq``."""
        async with self.store.begin() as tx:
            conversation = (await tx.open_conversation(visitor_id)
                            or await tx.latest_conversation(visitor_id))
            if conversation is None:
                raise NotFound("there is no conversation to mark as read")
            moved, marks = await _advance(tx, conversation, "visitor", seq)
        return await self._told(conversation, "visitor", seq, moved, marks)

    async def agent_read(self, agent: Agent, conversation_id: str, seq: int) -> dict[str, Any]:
        """The agent has read a chat they hold up to ``seq``. Only the holder moves
        the agent's mark: a supervisor watching read-only has not answered for it."""
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
            if conversation is None:
                raise NotFound("no such conversation")
            if conversation.state != "assigned" or conversation.agent_id != agent.id:
                raise Forbidden("you do not hold this conversation")
            moved, marks = await _advance(tx, conversation, "agent", seq)
        return await self._told(conversation, "agent", seq, moved, marks)

    async def _told(self, conversation: Conversation, side: ReadSide, seq: int, moved: bool,
                    marks: ReadMarks) -> dict[str, Any]:
        """After the commit: the other side hears of a mark that moved; the ack."""
        if moved:
            await self.notifier.read(conversation, side, seq)
        return {"conversation_id": conversation.id, "read": marks_out(marks)}


async def _advance(tx: Transaction, conversation: Conversation, side: ReadSide,
                   seq: int) -> tuple[bool, ReadMarks]:
    # The client read ``seq`` in a message stored (committed) before it asked, so
    # last_seq as read here is at least that: anything beyond was never sent.
    if seq > conversation.last_seq:
        raise InvalidPayload(f"seq: must be at most {conversation.last_seq}, "
                             "the conversation's newest message")
    return await tx.advance_read_mark(conversation.id, side, seq)


def marks_out(marks: ReadMarks) -> dict[str, int]:
    """Both marks as clients see them (as in a conversation snapshot's ``read``)."""
    return {"visitor": marks.visitor, "agent": marks.agent}
