"""What the bot says: response templates per name and language, and intent labels.

Responses come from the training data (Rasa ``responses:`` style, see
``training_data/responses.yml``) and are stored inside each model version, so a
model and the answers it was trained with always travel together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.decision import QuickReply
from bot.language import SUPPORTED


@dataclass(frozen=True, slots=True)
class Response:
    """One answer in one language: its text and the quick replies under it."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()


class ResponseCatalog:
    """Look up responses by name and language, and intent labels for buttons.

    ``responses`` maps a response name (``utter_order_status``) to its Rasa
    variations: dicts with ``text``, optional ``buttons`` (``title`` and
    ``payload``) and optional ``metadata.language``. A variation without a
    language serves every language that has none of its own. ``labels`` maps
    an intent to ``{language: short title}``.
    """

    def __init__(self, responses: Mapping[str, Any], labels: Mapping[str, Any]) -> None:
        self._raw_responses = dict(responses)
        self._raw_labels = dict(labels)
        self._by_key: dict[tuple[str, str], Response] = {}
        for name, variations in responses.items():
            self._index(name, variations)
        self._labels = {
            intent: {str(lang): str(title) for lang, title in (titles or {}).items()}
            for intent, titles in labels.items()
        }

    def _index(self, name: str, variations: list[Mapping[str, Any]]) -> None:
        generic: Response | None = None
        for variation in variations:
            response = Response(
                text=str(variation["text"]).strip(),
                quick_replies=tuple(
                    QuickReply(str(b["title"]), str(b["payload"]))
                    for b in variation.get("buttons") or ()
                ),
            )
            language = (variation.get("metadata") or {}).get("language")
            if language is None:
                generic = generic or response
            else:
                # The first variation of a language wins: answers stay
                # deterministic, which visitors and tests both prefer.
                self._by_key.setdefault((name, str(language)), response)
        if generic is not None:
            for language in SUPPORTED:
                self._by_key.setdefault((name, language), generic)

    def get(self, name: str, language: str) -> Response | None:
        """The response ``name`` in ``language`` (falling back to English), or ``None``."""
        return self._by_key.get((name, language)) or self._by_key.get((name, "en"))

    def for_intent(self, intent: str, language: str) -> Response | None:
        """The answer to ``intent`` (response ``utter_<intent>``)."""
        return self.get(f"utter_{intent}", language)

    def label(self, intent: str, language: str) -> str:
        """A short, human title for ``intent``; the intent name if none is defined."""
        return self.defined_label(intent, language) or intent.replace("_", " ")

    def defined_label(self, intent: str, language: str) -> str | None:
        """The title the data gives ``intent`` in ``language`` (or English), else ``None``."""
        titles = self._labels.get(intent, {})
        return titles.get(language) or titles.get("en") or None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form, stored in the model version (``responses.json``)."""
        return {"responses": self._raw_responses, "labels": self._raw_labels}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseCatalog:
        return cls(data.get("responses") or {}, data.get("labels") or {})
