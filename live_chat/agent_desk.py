"""What an agent does to conversations: reply, note, transfer, hand back, close, catch up.

Every call first checks that the agent may touch the conversation: the agent
who holds it may do everything; supervisors and admins may also read, note
and transfer any conversation, watch any (read-only, live) and take a held
one over. Anyone else gets ``forbidden``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from live_chat import system_lines
from live_chat.agent_replies import AgentReply, write_replies
from live_chat.attachments.links import Party
from live_chat.attachments.service import Attachments
from live_chat.broadcast import SocketNotifier
from live_chat.errors import Conflict, Forbidden, InvalidPayload, NotFound, Unavailable
from live_chat.lifecycle import apply_move, is_open
from live_chat.redaction import Redactor
from live_chat.routing import Routing, chat_for_agent
from live_chat.store.group_commit import GroupCommit
from live_chat.store.models import Agent, Conversation
from live_chat.store.repository import IntegrityError, Store, Transaction
from live_chat.wire import (
    AgentCloseIn,
    AgentMessageIn,
    AgentSyncIn,
    AgentTypingIn,
    NoteIn,
    TransferIn,
    agent_out,
    checked_text,
    conversation_out,
    message_out,
    note_out,
)

SUPERVISING_ROLES = ("supervisor", "admin")
_WRITE_ATTEMPTS = 3


class AgentDesk:
    """Agent-side operations. ``max_text`` bounds replies and notes like visitor messages;
    ``attachments`` checks the files a reply sends."""

    def __init__(self, store: Store, routing: Routing, notifier: SocketNotifier,
                 attachments: Attachments, *, max_text: int,
                 redact: Redactor | None = None,
                 release_bot: Callable[[str], Awaitable[None]] | None = None) -> None:
        """``release_bot``: what gives a handed-back conversation's dialogue back to
        the bot (``ConversationService.release_bot``: a Rasa assistant resumes)."""
        self.store = store
        self._release_bot = release_bot
        self.attachments = attachments
        self.routing = routing
        self.notifier = notifier
        self.max_text = max_text
        self.redact = redact or Redactor()
        self._writer = GroupCommit(store.engine, write_replies)

    async def hello(self, agent: Agent, status: str) -> dict[str, Any]:
        """The agent and every chat they hold now, each with its whole history."""
        async with self.store.begin() as tx:
            held = await tx.conversations_held_by(agent.id)
            chats = [await self._full(tx, conversation) for conversation in held]
        return {"agent": agent_out(agent, status), "conversations": chats}

    async def send(self, agent: Agent, data: AgentMessageIn) -> tuple[dict[str, Any], bool]:
        """Store the agent's reply once; returns it and whether this call stored it.

        The reply goes through the group commit (``live_chat/agent_replies.py``),
        with the other agents' replies of the moment; the ack follows the commit.
        """
        files = await self.attachments.for_message(
            Party("agent", agent.id, agent.role), [a.id for a in data.attachments],
            data.client_id, conversation_id=data.conversation_id)
        reply = AgentReply(agent.id, agent.name, data.conversation_id, data.client_id,
                           checked_text(data.text, self.max_text, self.redact,
                                        may_be_empty=bool(files)), files)
        for _ in range(_WRITE_ATTEMPTS):
            try:
                stored = await self._writer.submit(reply)
                break
            except IntegrityError:
                continue  # a retry racing its first attempt: the next round reads it
        else:
            raise Unavailable("could not store the message; send it again")
        out = message_out(stored.message)
        if stored.conversation is not None:
            await self.notifier.message(stored.conversation, out)
        return out, stored.created

    async def stop(self) -> None:
        """Store what agents already sent, then stop the writer (shutdown)."""
        await self._writer.stop()

    async def typing(self, agent: Agent, data: AgentTypingIn, sid: str) -> None:
        async with self.store.begin() as tx:
            conversation = await self._authorized(tx, agent, data.conversation_id)
        await self.notifier.typing(conversation, "agent", data.typing, skip_sid=sid)

    async def note(self, agent: Agent, data: NoteIn) -> dict[str, Any]:
        """An internal note: stored, shown to agents, never sent to the visitor."""
        text = checked_text(data.text, self.max_text, self.redact)
        async with self.store.begin() as tx:
            conversation = await self._authorized(tx, agent, data.conversation_id,
                                                  supervisor_ok=True)
            note = await tx.add_note(conversation.id, agent.id, text)
        out = note_out(note, agent.name)
        # The holder, the supervisors watching and the author's other tabs; never the visitor.
        await self.notifier.to_agents(conversation, "note", out, also=(agent.id,))
        return out

    async def watch(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """A supervisor's read-only view of any conversation: what ``assigned`` carries
        (conversation, visitor, messages, notes) and its tags. The caller has put the
        socket in the conversation's watch room first, so nothing falls between."""
        self.check_supervising(agent)
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
            if conversation is None:
                raise NotFound("no such conversation")
            presence = await self.routing.visitor_presence(conversation.visitor_id)
            chat = await chat_for_agent(tx, conversation, presence)
        return {"conversation": conversation_out(conversation), **chat}

    async def take_over(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """A supervisor becomes the holder of a chat an agent holds, whatever their own
        status or load (they need a console open). The agent and the visitor are told
        as for a transfer; the supervisor gets ``assigned``."""
        self.check_supervising(agent)
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation_id)
            if conversation is None:
                raise NotFound("no such conversation")
            if conversation.state != "assigned":
                raise Conflict("only a chat an agent holds can be taken over")
            if conversation.agent_id == agent.id:
                raise Conflict("you already hold this chat")
        await self.routing.transfer(conversation.id, to_agent_id=agent.id, to_team=None,
                                    take_over=True)
        async with self.store.begin() as tx:
            await tx.add_event(conversation.id, "transfer_requested", actor=agent.id, data={
                "to_agent_id": agent.id, "to_team": None, "take_over": True,
            })
            conversation = await tx.conversation(conversation.id)
            assert conversation is not None
        return conversation_out(conversation)

    @staticmethod
    def check_supervising(agent: Agent) -> None:
        """``forbidden`` unless ``agent`` is a supervisor or an admin."""
        if agent.role not in SUPERVISING_ROLES:
            raise Forbidden("only supervisors and admins may do this")

    async def transfer(self, agent: Agent, data: TransferIn) -> dict[str, Any]:
        if data.to_agent_id is None and data.to_team is None:
            raise InvalidPayload("give to_agent_id or to_team")
        async with self.store.begin() as tx:
            conversation = await self._authorized(tx, agent, data.conversation_id,
                                                  supervisor_ok=True)
            if conversation.state != "assigned":
                raise Conflict("only a chat an agent holds can be transferred")
        # The backend first: when it refuses, nothing has been recorded.
        await self.routing.transfer(conversation.id, to_agent_id=data.to_agent_id,
                                    to_team=data.to_team)
        line = None
        async with self.store.begin() as tx:
            conversation = await tx.conversation(conversation.id, lock=True)
            assert conversation is not None
            if data.to_team is not None:
                conversation.team = data.to_team
            await tx.add_event(conversation.id, "transfer_requested", actor=agent.id, data={
                "to_agent_id": data.to_agent_id, "to_team": data.to_team,
            })
            if conversation.state == "queued":
                # Nobody could take it yet; whoever does is announced as joining.
                # (A direct move was announced with the assignment, by routing.)
                line = await system_lines.add_line(tx, conversation, "transferred_any")
        if line is not None:
            await system_lines.announce(self.notifier, conversation, line)
        return conversation_out(conversation)

    async def handback(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """Give the conversation back to the bot, with a fresh dialogue."""
        async with self.store.begin() as tx:
            conversation = await self._authorized(tx, agent, conversation_id, lock=True)
            # Before the dialogue is reset: the line is in the language spoken so far.
            line = await system_lines.add_line(tx, conversation, "handed_back")
            conversation.bot_state = {}
            await apply_move(tx, conversation, "handback", actor=agent.id)
        if self._release_bot is not None:
            # Before anyone hears of it: the visitor's next message finds the bot listening.
            await self._release_bot(conversation.id)
        # The agent sees it before the chat leaves their console; the visitor with it.
        await self.notifier.to_agent(agent.id, "message", message_out(line, for_agent=True))
        await system_lines.announce(self.notifier, conversation, line, to_agent=False)
        return await self._let_go(agent, conversation)

    async def close(self, agent: Agent, data: AgentCloseIn) -> dict[str, Any]:
        async with self.store.begin() as tx:
            conversation = await self._authorized(tx, agent, data.conversation_id, lock=True)
            conversation.resolution = data.resolution
            await apply_move(tx, conversation, "close", actor=agent.id,
                             data={"resolution": data.resolution})
        return await self._let_go(agent, conversation)

    async def sync(self, agent: Agent, data: AgentSyncIn) -> dict[str, Any]:
        """Messages after ``since_seq``: of a chat the agent may act on, or an earlier
        conversation of a visitor the agent is talking to now (history, read-only)."""
        async with self.store.begin() as tx:
            try:
                conversation = await self._authorized(tx, agent, data.conversation_id,
                                                      supervisor_ok=True)
            except Forbidden:
                conversation = await self._earlier_of_held_visitor(tx, agent,
                                                                   data.conversation_id)
            messages = await tx.messages_since(conversation.id, data.since_seq)
        return {"conversation": await self.routing.queue_status(conversation),
                "messages": [message_out(m, for_agent=True) for m in messages]}

    # -- shared steps -------------------------------------------------------

    async def _let_go(self, agent: Agent, conversation: Conversation) -> dict[str, Any]:
        """Announce that the agent no longer holds it, and offer the freed slot to the queue."""
        snapshot = conversation_out(conversation)
        await self.notifier.status(conversation, snapshot)
        await self.notifier.to_agent(agent.id, "conversation", snapshot)
        await self.routing.release(conversation.id)
        return snapshot

    async def _authorized(self, tx: Transaction, agent: Agent, conversation_id: str, *,
                          supervisor_ok: bool = False, lock: bool = False) -> Conversation:
        conversation = await tx.conversation(conversation_id, lock=lock)
        if conversation is None:
            raise NotFound("no such conversation")
        holds = conversation.state == "assigned" and conversation.agent_id == agent.id
        if holds or (supervisor_ok and agent.role in SUPERVISING_ROLES and is_open(
            conversation.state
        )):
            return conversation
        raise Forbidden("you do not hold this conversation")

    async def _earlier_of_held_visitor(self, tx: Transaction, agent: Agent,
                                       conversation_id: str) -> Conversation:
        conversation = await tx.conversation(conversation_id)
        if conversation is not None:
            current = await tx.open_conversation(conversation.visitor_id)
            if current is not None and current.state == "assigned" and (
                current.agent_id == agent.id
            ):
                return conversation
        raise Forbidden("you do not hold this conversation")

    async def _full(self, tx: Transaction, conversation: Conversation) -> dict[str, Any]:
        presence = await self.routing.visitor_presence(conversation.visitor_id)
        return {**conversation_out(conversation),
                **await chat_for_agent(tx, conversation, presence)}
