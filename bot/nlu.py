"""What an NLU engine returns, and the interface every engine implements.

:class:`Prediction` is the single value that crosses from an engine (built-in
scikit-learn model, or a Rasa server) to the dialogue policy, so the policy
never knows which engine classified the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

#: The intent name of a message that matches none of the known intents, either
#: because its best confidence is below the engine's threshold or because the
#: engine classified it as an explicit ``out_of_scope`` example.
OUT_OF_SCOPE = "out_of_scope"
#: Stored as the intent of a message that came while a remote engine (Rasa)
#: was unreachable: not classified, so never counted as out of scope.
NLU_UNAVAILABLE = "nlu_unavailable"


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classification of one message.

    ``intent`` is the chosen intent, :data:`OUT_OF_SCOPE` when the engine is
    not confident enough. ``confidence`` is the calibrated probability of the
    best-ranked intent (kept even when ``intent`` is out of scope, so it can be
    stored and audited). ``ranking`` lists ``(intent, confidence)`` best first,
    as the engine ranked them (it may contain ``out_of_scope`` itself when the
    model was trained with out-of-scope examples).
    """

    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()

    @property
    def in_scope(self) -> bool:
        return self.intent != OUT_OF_SCOPE

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        """The JSON shape printed by ``tsunagu parse``."""
        out: dict[str, Any] = {} if text is None else {"text": text}
        out["intent"] = self.intent
        out["confidence"] = round(self.confidence, 4)
        out["ranking"] = [
            {"intent": name, "confidence": round(conf, 4)} for name, conf in self.ranking
        ]
        return out


@runtime_checkable
class IntentClassifier(Protocol):
    """An NLU engine: text in, :class:`Prediction` out."""

    def parse(self, text: str) -> Prediction:
        """Classify one message. The built-in engine does no I/O here."""
        ...
