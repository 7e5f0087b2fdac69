"""E-mails about one message: a visitor's offline message to the team, and an
agent's reply from the console to the visitor.

Each is queued in ``outgoing_mail`` in the transaction that stores its
message (:meth:`MessageMail.queue`), so an accepted message never loses its
e-mail, and sent by :class:`~live_chat.mail.queue.MailQueue`. User text goes
into the plain-text part only; headers carry nothing a visitor typed except
their checked address and, in the offline message's subject, their name
(whitespace folded to one line, at most 100 characters).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic_core import PydanticCustomError
from sqlalchemy import select

from live_chat.errors import Conflict, Unavailable
from live_chat.mail.queue import MailQueue
from live_chat.mail.transcript_format import language
from live_chat.store.models import (
    Conversation,
    ConversationEvent,
    Message,
    OutgoingMail,
    Visitor,
)
from live_chat.store.repository import Transaction
from live_chat.wire import email_address

Kind = Literal["offline_message", "agent_reply"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {"offline_subject": "Offline message from {who}",
           "offline_intro": "{who} left a message while nobody was available ({at}):",
           "reply_subject": "Re: your message to us",
           "reply_quote": "You wrote on {at}:",
           "open": "Open the conversation: {url}",
           "visitor": "a visitor"},
    "ja": {"offline_subject": "{who} からの時間外メッセージ",
           "offline_intro": "{who} が対応できない時間にメッセージを残しました ({at}):",
           "reply_subject": "Re: お問い合わせの件",
           "reply_quote": "{at} のお問い合わせ:",
           "open": "会話を開く: {url}",
           "visitor": "訪問者"},
}


class MailUnavailable(Unavailable):
    """This deployment sends no e-mail (no SMTP host or From address configured)."""

    code = "mail_unavailable"


class NoEmail(Conflict):
    """Nobody's e-mail address is known for this conversation's visitor."""

    code = "no_email"


def checked_address(value: str | None) -> str | None:
    """``value`` when it is an address we may write to (and put in a header), else None."""
    try:
        return email_address(value)
    except PydanticCustomError:
        return None


async def offline_contact(tx: Transaction, conversation: Conversation) -> dict[str, Any]:
    """The name and e-mail of the conversation's latest offline message (``{}``: none)."""
    data = await tx.session.scalar(
        select(ConversationEvent.data)
        .where(ConversationEvent.conversation_id == conversation.id,
               ConversationEvent.type == "offline_message")
        .order_by(ConversationEvent.id.desc()).limit(1))
    return dict(data or {})


async def visitor_email(tx: Transaction, conversation: Conversation) -> str | None:
    """Where to write to the visitor: the address of their offline message in this
    conversation, else the one their profile (pre-chat form, identity) has."""
    if address := checked_address((await offline_contact(tx, conversation)).get("email")):
        return address
    visitor = await tx.session.get(Visitor, conversation.visitor_id)
    return checked_address(visitor.email if visitor else None)


class MessageMail(MailQueue):
    """The ``outgoing_mail`` queue: offline messages to ``TSUNAGU_TEAM_EMAIL`` and
    agents' replies to visitors."""

    row_type = OutgoingMail
    sent_event = "mail_sent"

    @property
    def team_address(self) -> str | None:
        """Where offline messages go (``TSUNAGU_TEAM_EMAIL``); None when they are not e-mailed."""
        return self.settings.team_email if self.settings.sends_email else None

    async def queue(self, tx: Transaction, kind: Kind, message: Message, to: str) -> None:
        """Queue the e-mail of ``message`` to ``to`` in ``tx`` (sent after its commit:
        call :meth:`wake` then)."""
        tx.session.add(OutgoingMail(kind=kind, conversation_id=message.conversation_id,
                                    message_id=message.id, to_address=to))

    async def compose(self, tx: Transaction, row: Any) -> EmailMessage:
        message = await tx.session.get(Message, row.message_id)
        conversation = await tx.conversation(row.conversation_id)
        assert message is not None and conversation is not None
        assert self.settings.mail_from is not None
        words = _WORDS[language(conversation.locale)]
        zone = ZoneInfo(self.settings.timezone)
        mail = EmailMessage()
        mail["From"] = self.settings.mail_from
        mail["To"] = row.to_address
        mail["Date"] = format_datetime(datetime.now(zone))
        mail["Message-ID"] = make_msgid(domain=self.settings.mail_from.rsplit("@", 1)[-1])
        if row.kind == "offline_message":
            lines = await self._offline(tx, mail, words, zone, conversation, message)
        else:
            lines = await self._reply(tx, mail, words, zone, conversation, message)
        mail.set_content("\n".join(lines) + "\n")
        return mail

    async def _offline(self, tx: Transaction, mail: EmailMessage, words: dict[str, str],
                       zone: ZoneInfo, conversation: Conversation, message: Message
                       ) -> list[str]:
        contact = await offline_contact(tx, conversation)
        name, address = contact.get("name"), checked_address(contact.get("email"))
        who = " ".join((name or "").split())[:100] or address or words["visitor"]
        mail["Subject"] = words["offline_subject"].format(who=who)
        if address:
            mail["Reply-To"] = address
        at = message.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        lines = [words["offline_intro"].format(who=who, at=at), "", message.text]
        if address:
            lines += ["", f"{name} <{address}>" if name else address]
        if self.settings.public_url:
            lines += ["", words["open"].format(url=self._link(conversation))]
        return lines

    async def _reply(self, tx: Transaction, mail: EmailMessage, words: dict[str, str],
                     zone: ZoneInfo, conversation: Conversation, message: Message
                     ) -> list[str]:
        mail["Subject"] = words["reply_subject"]
        if self.settings.team_email:
            mail["Reply-To"] = self.settings.team_email
        lines = [message.text, "", f"— {message.author_name or ''}".rstrip()]
        asked = await tx.session.scalar(
            select(Message).where(Message.conversation_id == conversation.id,
                                  Message.sender == "visitor", Message.seq < message.seq)
            .order_by(Message.seq.desc()).limit(1))
        if asked is not None:
            at = asked.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            lines += ["", words["reply_quote"].format(at=at)]
            lines += [f"> {line}" for line in asked.text.splitlines()]
        return lines

    def _link(self, conversation: Conversation) -> str:
        return f"{self.settings.public_url}/console#conversation={conversation.id}"
