"""An agent's reply, stored by the group commit with the other replies of the moment.

:func:`write_replies` is what :class:`~live_chat.store.group_commit.GroupCommit`
runs on each batch of agents' ``message`` events: three reads for the whole
batch (the conversations, locked; the copies already stored under the
replies' ``client_id``\\s; which conversations an agent already answered),
then one ``executemany`` per table. Each reply is checked as the one-at-a-time
path checked it: only the agent who holds the conversation may reply, and a
retry answers with its first copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from live_chat.errors import Conflict, Forbidden, NotFound
from live_chat.store.models import Conversation, Message
from live_chat.store.turns import (
    TurnWrites,
    answered_by_agents,
    conversations_by_id,
    stored_by_client_id,
)


@dataclass(frozen=True, slots=True)
class AgentReply:
    """One agent message to store in ``conversation_id`` (``attachments``: the files
    it carries, as clients see them)."""

    agent_id: str
    agent_name: str
    conversation_id: str
    client_id: str
    text: str
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredReply:
    """The stored message; ``created`` is False for a retry (``message`` is the first copy)."""

    conversation: Conversation | None
    message: Message
    created: bool


async def write_replies(conn: AsyncConnection,
                        replies: Sequence[AgentReply]) -> list[StoredReply | BaseException]:
    """Store ``replies`` on ``conn`` (one open transaction), in order; one outcome each."""
    ids = {r.conversation_id for r in replies}
    conversations = await conversations_by_id(conn, ids)
    stored = await stored_by_client_id(
        conn, ((r.conversation_id, r.client_id) for r in replies), per="conversation")
    answered = await answered_by_agents(conn, ids)
    writes = TurnWrites(conversations.values())
    outcomes: list[StoredReply | BaseException] = []
    for reply in replies:
        key = (reply.conversation_id, reply.client_id)
        first = stored.get(key)
        if first is not None:
            # A retry answers with the first copy, even if the chat has left this
            # agent since; a client_id someone else used in the chat is refused.
            outcomes.append(StoredReply(None, first, created=False)
                            if first.author_id == reply.agent_id
                            else Conflict("this client_id is already used in this "
                                          "conversation; send with a new one"))
            continue
        conversation = conversations.get(reply.conversation_id)
        if conversation is None:
            outcomes.append(NotFound("no such conversation"))
            continue
        if conversation.state != "assigned" or conversation.agent_id != reply.agent_id:
            outcomes.append(Forbidden("you do not hold this conversation"))
            continue
        message = await writes.add_message(
            conversation.id, sender="agent", text=reply.text, client_id=reply.client_id,
            author_id=reply.agent_id, author_name=reply.agent_name,
            attachments=list(reply.attachments))
        if conversation.id not in answered:
            answered.add(conversation.id)
            await writes.add_event(conversation.id, "first_agent_reply", actor=reply.agent_id)
        stored[key] = message
        outcomes.append(StoredReply(conversation, message, created=True))
    await writes.flush(conn)
    return outcomes
