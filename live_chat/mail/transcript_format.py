"""A conversation's transcript as an e-mail (sent by live_chat/mail/transcripts.py).

The text part is the transcript line by line; the HTML part is built from the
same lines with every piece of user text escaped (never user HTML). Only
messages are included: internal notes live in their own table and are never
read here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from live_chat.store.models import Conversation, Message

_WORDS: dict[str, dict[str, str]] = {
    "en": {"subject": "Your conversation with us", "visitor": "You", "bot": "Assistant",
           "agent": "Support", "system": "—",
           "intro": "Here is the transcript of your conversation ({started}).",
           "attachment": "attached file"},
    "ja": {"subject": "お問い合わせの会話記録", "visitor": "あなた", "bot": "アシスタント",
           "agent": "サポート", "system": "—",
           "intro": "お問い合わせの会話記録です ({started})。",
           "attachment": "添付ファイル"},
}


def language(locale: str | None) -> str:
    """``ja`` for a Japanese conversation, else ``en``."""
    return "ja" if (locale or "").lower().startswith("ja") else "en"


def transcript_lines(messages: Sequence[Message], words: dict[str, str], zone: ZoneInfo
                     ) -> list[tuple[str, str, str]]:
    """``(time, who, text)`` for each message, in order; files are named, not sent."""
    lines = []
    for message in messages:
        who = message.author_name if message.sender == "agent" and message.author_name \
            else words.get(message.sender, message.sender)
        text = message.text
        for attachment in message.attachments or []:
            text += f"\n[{words['attachment']}: {attachment.get('name', '')}]"
        at = message.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        lines.append((at, who, text))
    return lines


def compose(conversation: Conversation, messages: Sequence[Message], *, to: str,
            sender: str, timezone: str) -> EmailMessage:
    """The e-mail of ``conversation``'s transcript to ``to``, from ``sender``.

    ``messages`` are the conversation's messages in order; ``timezone`` names
    the zone the times are shown in (the deployment's ``TSUNAGU_TIMEZONE``).
    """
    words = _WORDS[language(conversation.locale)]
    zone = ZoneInfo(timezone)
    started = conversation.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    intro = words["intro"].format(started=started)
    lines = transcript_lines(messages, words, zone)
    mail = EmailMessage()
    mail["Subject"] = words["subject"]
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(datetime.now(zone))
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    plain = [intro, ""] + [f"[{at}] {who}: {text}" for at, who, text in lines]
    mail.set_content("\n".join(plain) + "\n")
    rows = "".join(
        f"<p><small>{html.escape(at)}</small> <b>{html.escape(who)}</b><br>"
        f"{html.escape(text).replace(chr(10), '<br>')}</p>"
        for at, who, text in lines)
    mail.add_alternative(f"<!doctype html><html><body><p>{html.escape(intro)}</p>{rows}"
                         "</body></html>", subtype="html")
    return mail
