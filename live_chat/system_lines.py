"""Lines the service itself writes into a conversation (``sender: "system"``).

They tell the visitor (and the agents reading the transcript) what happened
to the chat that they could not otherwise see: an agent joined, a transfer,
a hand-back to the bot, an agent who is gone. Each line is stored like any
message (its own ``seq``, no author, no ``client_id``; in the same
transaction as the move it explains, so a reload or a ``sync`` shows it once)
and sent after the commit to the conversation's visitor and holder. Reports
and the bot's training never take these lines for what a visitor, the bot or
an agent said.

Every text lives in :data:`LINES`, one entry per key, in Japanese and
English; a line is written in the conversation's language (the bot's last
answer, else the visitor's locale). To add a line, add its entry.

Two ways to post one:

- inside the transaction that makes the move:
  ``line = await add_line(tx, conversation, "joined", name=agent.name)``, then
  after the commit ``await announce(notifier, conversation, line)``;
- on its own: ``await post(store, notifier, conversation_id, "handed_back")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from bot.language import normalize_locale
from live_chat.wire import message_out

if TYPE_CHECKING:
    from live_chat.conversations import Notifier
    from live_chat.store.models import Conversation, Message
    from live_chat.store.repository import Store, Transaction

LineKey = Literal["agent_gone", "transferred", "transferred_any", "joined", "handed_back"]

SENDER: Final = "system"

# ja/en texts; ``{name}`` is an agent's display name (text only: clients render
# system lines with textContent).
LINES: Final[dict[LineKey, dict[str, str]]] = {
    # The agent's grace ended (or they signed off) and the chat went back to the queue.
    "agent_gone": {
        "en": "{name} is no longer available; we are looking for someone else.",
        "ja": "{name}は対応できなくなりました。別の担当者をお探ししています。",
    },
    # An agent moved the chat to another (named) agent, who takes it now.
    "transferred": {
        "en": "You are being transferred to {name}.",
        "ja": "{name}におつなぎします。",
    },
    # An agent moved the chat to a team or anyone, and nobody is free yet.
    "transferred_any": {
        "en": "You are being transferred to another person.",
        "ja": "別の担当者におつなぎします。",
    },
    # An agent took the chat (from the queue or by a transfer).
    "joined": {
        "en": "{name} joined the chat.",
        "ja": "{name}が対応します。",
    },
    # The agent gave the chat back to the bot.
    "handed_back": {
        "en": "You are back with the assistant.",
        "ja": "自動応答に戻りました。",
    },
}


def language(conversation: Conversation) -> str:
    """The conversation's language: that of the bot's last answer, else the visitor's locale."""
    spoken = (conversation.bot_state or {}).get("language")
    return normalize_locale(spoken if isinstance(spoken, str) else conversation.locale)


def line_text(key: LineKey, locale: str | None, **names: str) -> str:
    """The text of line ``key`` in a language (``locale`` like ``"ja"`` or
    ``"en-US"``; anything not Japanese gets English, as the bot does)."""
    return LINES[key][normalize_locale(locale)].format(**names)


async def add_line(tx: Transaction, conversation: Conversation, key: LineKey,
                   **names: str) -> Message:
    """Store line ``key`` in ``conversation`` inside ``tx`` (send it with :func:`announce`
    after the commit)."""
    return await tx.add_message(conversation.id, sender=SENDER,
                                text=line_text(key, language(conversation), **names))


async def announce(notifier: Notifier, conversation: Conversation, line: Message, *,
                   to_agent: bool = True) -> None:
    """Send a stored line to the conversation's visitor and to the agent holding it
    (not when ``to_agent`` is False: e.g. they got it in ``assigned``)."""
    await notifier.message(conversation, message_out(line), to_agent=to_agent)


async def post(store: Store, notifier: Notifier, conversation_id: str, key: LineKey,
               **names: str) -> Message | None:
    """Store and send one line in a transaction of its own; None if the
    conversation does not exist."""
    async with store.begin() as tx:
        conversation = await tx.conversation(conversation_id, lock=True)
        if conversation is None:
            return None
        line = await add_line(tx, conversation, key, **names)
    await announce(notifier, conversation, line)
    return line
