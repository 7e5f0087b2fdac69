"""The value objects that cross the seam between the gateway and the bot.

The gateway hands the bot a visitor's text (and the payload of a clicked quick
reply) together with the dialogue state it stored for the conversation; the bot
returns one :class:`Decision`. Nothing here knows about Socket.IO or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What the bot wants the conversation to do next."""

    ANSWER = "answer"  # answer with the intent's response (small talk included)
    REPLY = "answer"  # the older name of ANSWER
    CLARIFY = "clarify"  # not sure enough: ask which topic it is
    FALLBACK = "fallback"  # not understood: suggest topics and a person
    ESCALATE = "escalate"  # hand the conversation to a human agent


@dataclass(frozen=True, slots=True)
class QuickReply:
    """A button under a bot message; clicking it sends ``payload``."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class BotMessage:
    """One message a bot sends: what a Rasa assistant answers is a list of these.

    ``text`` may be empty for an image or a custom payload alone. ``image``
    is an http(s) URL; ``custom`` a JSON object passed on to the widget
    (Rasa's ``custom:`` responses) for the site's own code.
    """

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The bot's answer to one visitor message.

    ``text`` and ``quick_replies`` are what the visitor sees (``text`` may be
    empty for a silent escalation). ``intent`` and ``confidence`` describe the
    visitor message that was classified, and are stored on it. ``priority``
    orders the escalation queue (higher first, complaints use 1).
    ``ranking`` is the engine's top three ``(intent, calibrated confidence)``,
    best first (empty for a clicked quick reply that names its intent), so the
    policy and the console can tell a sure answer from a guess.
    ``resolved`` is true when the visitor confirmed that the bot's answer
    helped. ``state`` is the dialogue state to store and pass back on the next
    message; the gateway treats it as an opaque JSON object.
    ``messages``: when not empty, what the bot says, in order (a Rasa
    assistant may answer with several messages, images and custom payloads);
    ``text`` and ``quick_replies`` are then those of the first.
    ``nlu_unavailable``: the engine could not be reached, so ``intent`` is not
    a classification of the message (the reports must not count it as out of
    scope).
    """

    action: Action
    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    intent: str | None = None
    confidence: float | None = None
    priority: int = 0
    resolved: bool = False
    ranking: tuple[tuple[str, float], ...] = ()
    state: dict[str, Any] = field(default_factory=dict)
    messages: tuple[BotMessage, ...] = ()
    nlu_unavailable: bool = False

    @property
    def replies(self) -> tuple[BotMessage, ...]:
        """What the bot says, in order: ``messages``, or the one ``text`` (none if empty)."""
        if self.messages:
            return self.messages
        return (BotMessage(self.text, self.quick_replies),) if self.text else ()
