"""Lines the service itself writes into a conversation (``sender: "system"``).

They tell the visitor (and the agents reading the transcript) what happened
to the chat that they could not otherwise see: an agent who is gone, a
transfer, a hand-back. Each line is stored like any message (its own
``seq``, in the same transaction as the move it explains, so a reload shows
it) and sent after the commit to the conversation's visitor and holder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from live_chat.wire import message_out

if TYPE_CHECKING:
    from live_chat.conversations import Notifier
    from live_chat.store.models import Conversation, Message
    from live_chat.store.repository import Transaction

LineKey = Literal["agent_gone"]

# ja/en texts; ``{name}`` is an agent's display name (text only: clients render
# system lines with textContent).
LINES: Final[dict[LineKey, dict[str, str]]] = {
    # The agent's grace ended (or they signed off) and the chat went back to the queue.
    "agent_gone": {
        "en": "{name} is no longer available; we are looking for someone else.",
        "ja": "{name}は対応できなくなりました。別の担当者をお探ししています。",
    },
}


def line_text(key: LineKey, locale: str | None, **names: str) -> str:
    """The text of line ``key`` in the conversation's language (``locale`` like
    ``"ja"`` or ``"en-US"``; anything not Japanese gets English, as the bot does)."""
    language = "ja" if (locale or "").lower().startswith("ja") else "en"
    return LINES[key][language].format(**names)


async def add_line(tx: Transaction, conversation: Conversation, key: LineKey,
                   **names: str) -> Message:
    """Store line ``key`` in ``conversation`` inside ``tx`` (send it with :func:`announce`
    after the commit)."""
    return await tx.add_message(conversation.id, sender="system",
                                text=line_text(key, conversation.locale, **names))


async def announce(notifier: Notifier, conversation: Conversation, line: Message) -> None:
    """Send a stored line to the conversation's visitor and to the agent holding it."""
    await notifier.message(conversation, message_out(line))
