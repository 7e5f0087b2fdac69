"""The bot as the gateway sees it: text in, :class:`Decision` out.

PLACEHOLDER until the intent-bot issue lands: a keyword rule so the gateway
has something to talk to. The public surface (``Bot.load_or_train``,
``Bot.respond``, ``Bot.version``) is the contract the gateway relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.decision import Action, Decision, QuickReply


class Bot:
    """Answers visitor messages. Safe to call from the event loop (fast, no I/O)."""

    def __init__(self, version: str = "placeholder") -> None:
        self.version = version

    @classmethod
    def load_or_train(cls, models_dir: Path, training_dir: Path) -> Bot:
        """Load the active model from ``models_dir``; train one from ``training_dir`` if none."""
        return cls()

    def respond(
        self,
        text: str,
        *,
        payload: str | None = None,
        locale: str = "en",
        state: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide the answer to one visitor message given the stored dialogue ``state``."""
        wanted = (payload or text).lower()
        if "human" in wanted or "person" in wanted or "人" in wanted:
            return Decision(Action.ESCALATE, "", intent="request_human", confidence=1.0)
        ja = locale.startswith("ja")
        reply = "ご質問ありがとうございます。" if ja else "Thanks for your question."
        return Decision(
            Action.REPLY,
            reply,
            quick_replies=(QuickReply("担当者と話す" if ja else "Talk to a person", "/request_human"),),
            intent="greet",
            confidence=0.5,
        )
