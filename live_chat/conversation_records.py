"""The console inbox: every conversation, searched, read back and tagged.

Supervisors and admins see every conversation; a plain agent sees those they
were given and every conversation of a visitor whose chat they hold now (the
rule of :class:`~live_chat.store.conversation_search.Viewer`). What is out of
sight is ``not_found``, never a hint that it exists. Tag changes are written
to the audit log and pushed (``tags``) to the agent holding the chat and to the
supervisors watching it.
"""

from __future__ import annotations

from typing import Any

from live_chat.admin.audit import record
from live_chat.agent_desk import SUPERVISING_ROLES
from live_chat.broadcast import SocketNotifier
from live_chat.errors import Conflict, InvalidPayload, NotFound
from live_chat.mail.messages import MailUnavailable, MessageMail, NoEmail, visitor_email
from live_chat.redaction import Redactor
from live_chat.routing import chat_for_agent
from live_chat.store.conversation_search import (
    MAX_TAGS,
    Cursor,
    Filters,
    Viewer,
    add_tag,
    may_read,
    remove_tag,
    search,
    summaries,
    tags_of,
)
from live_chat.store.models import OPEN_STATES, Agent, Conversation, Csat, Message, Visitor
from live_chat.store.repository import IntegrityError, Store
from live_chat.wire import EmailReplyIn, checked_text, conversation_out, message_out, visitor_out

#: Conversations a visitor profile lists (newest first).
PROFILE_CONVERSATIONS = 50


def viewer_of(agent: Agent) -> Viewer:
    return Viewer(agent.id, agent.role in SUPERVISING_ROLES)


class ConversationRecords:
    """``store`` holds the record; ``notifier`` reaches the consoles; ``mail`` sends
    agents' replies by e-mail (None: this deployment sends no e-mail)."""

    def __init__(self, store: Store, notifier: SocketNotifier,
                 mail: MessageMail | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.mail = mail

    async def search(self, agent: Agent, filters: Filters, *, cursor: Cursor | None,
                     limit: int) -> tuple[list[dict[str, Any]], Cursor | None]:
        """A page of summaries (newest first) and the cursor of the next page, if any."""
        async with self.store.begin() as tx:
            return await search(tx.session, viewer_of(agent), filters, cursor=cursor,
                                limit=limit)

    async def read(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """A whole conversation, read-only: ``{conversation, summary, visitor, messages,
        notes, tags, csat, reply_to}`` (``reply_to``: where an e-mail reply would go,
        for an ended conversation when this deployment sends e-mail)."""
        async with self.store.begin() as tx:
            conversation = await self._readable(tx.session, agent, conversation_id)
            chat = await chat_for_agent(tx, conversation)
            rating = await tx.session.get(Csat, conversation.id)
            (summary,) = await summaries(tx.session, [conversation])
            reply_to = (await visitor_email(tx, conversation)
                        if self.mail is not None and conversation.state not in OPEN_STATES
                        else None)
        return {
            "conversation": conversation_out(conversation), "summary": summary, **chat,
            "csat": {"score": rating.score, "comment": rating.comment} if rating else None,
            "reply_to": reply_to,
        }

    async def visitor(self, agent: Agent, visitor_id: str) -> dict[str, Any]:
        """A visitor's details and the conversations of theirs the agent may read."""
        async with self.store.begin() as tx:
            visitor = await tx.session.get(Visitor, visitor_id)
            if visitor is None:
                raise NotFound("no such visitor")
            page, _ = await search(tx.session, viewer_of(agent), Filters(visitor=visitor.id),
                                   cursor=None, limit=PROFILE_CONVERSATIONS)
            total = await tx.visitor_conversation_count(visitor.id)
        if not page:
            raise NotFound("no such visitor")
        return {"visitor": visitor_out(visitor, past_conversations=total), "conversations": page}

    async def transcript(self, agent: Agent, conversation_id: str, *, after_seq: int,
                         limit: int) -> dict[str, Any]:
        """What was said, for a program (a CRM): ``{conversation, visitor, messages,
        next_after_seq}``, ``limit`` messages with ``seq > after_seq`` in order.
        Notes, intents and quick replies are left out: they are the console's."""
        async with self.store.begin() as tx:
            conversation = await self._readable(tx.session, agent, conversation_id)
            messages = await tx.messages_since(conversation.id, after_seq, limit=limit + 1)
            visitor = await tx.session.get(Visitor, conversation.visitor_id)
        more = len(messages) > limit
        messages = messages[:limit]
        return {
            "conversation": {
                "id": conversation.id, "state": conversation.state,
                "created_at": conversation.created_at.isoformat(),
                "closed_at": conversation.closed_at.isoformat()
                if conversation.closed_at else None,
                "locale": conversation.locale, "resolution": conversation.resolution,
                "last_seq": conversation.last_seq,
            },
            "visitor": {"id": visitor.id, "user_id": visitor.user_id, "name": visitor.name,
                        "email": visitor.email} if visitor else None,
            "messages": [transcript_line(m) for m in messages],
            "next_after_seq": messages[-1].seq if more else None,
        }

    async def reply_by_email(self, agent: Agent, conversation_id: str, data: EmailReplyIn,
                             *, max_text: int, redact: Redactor) -> dict[str, Any]:
        """Store the agent's reply in an ended conversation and queue it to the
        visitor's e-mail (:func:`~live_chat.mail.messages.visitor_email`), in one
        transaction; a retried ``client_id`` answers with the first copy.

        Raises :class:`MailUnavailable` (no SMTP), :class:`NotFound`,
        :class:`Conflict` (the chat is still open: answer in it) or
        :class:`NoEmail`.
        """
        mail = self.mail
        if mail is None:
            raise MailUnavailable("this deployment sends no e-mail (set TSUNAGU_SMTP_HOST "
                                  "and TSUNAGU_MAIL_FROM)")
        text = checked_text(data.text, max_text, redact)
        for attempt in range(2):
            try:
                async with self.store.begin() as tx:
                    conversation = await self._readable(tx.session, agent, conversation_id)
                    message = await tx.message_by_client_id(conversation.id, data.client_id)
                    if message is None:
                        await tx.conversation(conversation.id, lock=True)
                        if conversation.state in OPEN_STATES:
                            raise Conflict("the chat is still open: answer in the chat")
                        to = await visitor_email(tx, conversation)
                        if to is None:
                            raise NoEmail("the visitor left no e-mail address")
                        message = await tx.add_message(
                            conversation.id, sender="agent", text=text,
                            client_id=data.client_id, author_id=agent.id,
                            author_name=agent.name)
                        await tx.add_event(conversation.id, "email_reply", actor=agent.id,
                                           data={"message_id": message.id})
                        await mail.queue(tx, "agent_reply", message, to)
                break
            except IntegrityError:  # the same client_id from two tabs at once
                if attempt:
                    raise
        mail.wake()
        return {"message": message_out(message, for_agent=True)}

    async def tag(self, agent: Agent, conversation_id: str, tag: str, *,
                  on: bool) -> list[str]:
        """Add (``on``) or remove a tag; returns the conversation's tags after."""
        async with self.store.begin() as tx:
            conversation = await self._readable(tx.session, agent, conversation_id)
            if on:
                have = (await tags_of(tx.session, [conversation.id])).get(conversation.id, [])
                if tag not in have and len(have) >= MAX_TAGS:
                    raise InvalidPayload(f"a conversation carries at most {MAX_TAGS} tags")
                changed = await add_tag(tx.session, conversation.id, tag, agent.id)
            else:
                changed = await remove_tag(tx.session, conversation.id, tag)
            if changed:
                await record(tx.session, agent, "tag.add" if on else "tag.remove",
                             conversation.id, after={"tag": tag} if on else None,
                             before=None if on else {"tag": tag})
            tags = (await tags_of(tx.session, [conversation.id])).get(conversation.id, [])
        if changed:
            await self.notifier.to_agents(conversation, "tags", {
                "conversation_id": conversation.id, "tags": tags,
            }, also=(agent.id,))
        return tags

    @staticmethod
    async def _readable(session: Any, agent: Agent, conversation_id: str) -> Conversation:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None or not await may_read(session, viewer_of(agent),
                                                      conversation_id):
            raise NotFound("no such conversation")
        return conversation


def transcript_line(message: Message) -> dict[str, Any]:
    """One message of :meth:`ConversationRecords.transcript`: who, what, when."""
    return {
        "seq": message.seq, "sender": message.sender,
        "author": ({"id": message.author_id, "name": message.author_name}
                   if message.author_id is not None else None),
        "text": message.text,
        "attachments": [str(a.get("name", "")) for a in message.attachments or []],
        "ts": message.created_at.isoformat(),
    }


def transcript_text(transcript: dict[str, Any]) -> str:
    """:meth:`ConversationRecords.transcript` as plain text, one line per message
    (``[time] who: text``; a message's further lines indented by two spaces, blank
    ones left empty)."""
    lines = []
    for m in transcript["messages"]:
        who = m["author"]["name"] if m["author"] else m["sender"]
        text = m["text"] + "".join(f"\n[file: {name}]" for name in m["attachments"])
        first, *more = text.split("\n")
        lines.append(f"[{m['ts']}] {who}: {first}")
        lines.extend(f"  {line}" if line else "" for line in more)
    return "".join(line + "\n" for line in lines)
