"""The gate: should a freshly trained candidate model replace the active one?

Pure functions over figures (see :meth:`bot.evaluation.EvaluationReport.figures`)
and replayed predictions; :func:`compare` builds the ``GateReport`` of
docs/admin.md. The rule: the candidate is refused when its cross-validated
in-scope accuracy is more than ``max_drop_points`` percentage points below
the active model's. Per-intent F1 drops are flagged as regressions but do
not refuse on their own (a refused candidate may still be activated by an
admin who gives a reason).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.engines.builtin import BuiltinClassifier
from bot.nlu import Prediction

#: The replay covers the visitor messages of this many days (the caller picks them).
REPLAY_DAYS = 7
#: At most this many changed messages are listed in a report (``changed`` counts all).
MAX_CHANGES = 200
_MINUS = "\u2212"


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One visitor message classified by the active model (``old``) and the candidate (``new``)."""

    message_id: str
    text: str
    old: Prediction
    new: Prediction

    @property
    def changed(self) -> bool:
        return self.old.intent != self.new.intent


def replay(
    old_model: BuiltinClassifier,
    new_model: BuiltinClassifier,
    rows: Sequence[tuple[str, str]],
) -> list[ReplayRow]:
    """Classify each ``(message_id, text)`` of ``rows`` with both models.

    ``old_model`` is the active model, ``new_model`` the candidate. Uses
    ``parse_batch`` (a few thousand messages take well under a second);
    the result is in the order of ``rows``.
    """
    if not rows:
        return []
    texts = [text for _, text in rows]
    old = old_model.parse_batch(texts)
    new = new_model.parse_batch(texts)
    return [
        ReplayRow(message_id, text, before, after)
        for (message_id, text), before, after in zip(rows, old, new, strict=True)
    ]


def compare(
    candidate: Mapping[str, Any],
    active: Mapping[str, Any] | None,
    replay: Sequence[ReplayRow],
    *,
    active_version: str | None,
    max_drop_points: float = 1.0,
    regression_f1: float = 0.05,
    max_changes: int = MAX_CHANGES,
) -> dict[str, Any]:
    """The GateReport of docs/admin.md for ``candidate`` against ``active``.

    ``candidate``/``active`` are cross-validated Figures (``active`` is
    ``None`` when there is no active model, or when its figures are
    unknown); ``replay`` is the recent visitor messages through both models
    (empty without an active model); ``active_version`` names the active
    model (``None`` for the first model). The candidate is refused when its
    in-scope accuracy is more than ``max_drop_points`` percentage points below
    the active model's, or when there is an active model whose figures are
    unknown (nothing shows it is not worse). An intent whose F1 drops by more
    than ``regression_f1`` is a regression; regressions come first in
    ``per_intent``, worst first, then the other intents by name. ``reasons``
    says in plain English why the candidate was refused (empty when it
    passed). At most ``max_changes`` changed messages are listed.
    """
    reasons: list[str] = []
    if active is not None:
        before = float(active["in_scope_accuracy"])
        after = float(candidate["in_scope_accuracy"])
        # Rounded so that a drop of exactly the limit (0.912 -> 0.902) is not
        # refused because of binary floating point.
        drop = round((before - after) * 100, 6)
        if drop > max_drop_points:
            reasons.append(
                f"in-scope accuracy drops from {before:.3f} to {after:.3f} "
                f"({_MINUS}{drop:.1f} points; more than {max_drop_points:.1f})"
            )
    elif active_version is not None:
        reasons.append(
            f"the active model {active_version} has no cross-validated figures "
            "to compare with, so the candidate cannot be shown not to be worse"
        )
    changes = [row for row in replay if row.changed]
    return {
        "passed": not reasons,
        "reasons": reasons,
        "max_drop_points": max_drop_points,
        "active_version": active_version,
        "candidate": dict(candidate),
        "active": None if active is None else dict(active),
        "per_intent": _per_intent(candidate, active, regression_f1),
        "replay": {
            "days": REPLAY_DAYS,
            "messages": len(replay),
            "changed": len(changes),
            "changes": [
                {
                    "message_id": row.message_id,
                    "text": row.text,
                    "old_intent": row.old.intent,
                    "new_intent": row.new.intent,
                    "old_confidence": round(row.old.confidence, 4),
                    "new_confidence": round(row.new.confidence, 4),
                }
                for row in changes[:max_changes]
            ],
        },
    }


def _per_intent(
    candidate: Mapping[str, Any], active: Mapping[str, Any] | None, regression_f1: float
) -> list[dict[str, Any]]:
    new = _f1_by_intent(candidate)
    old = _f1_by_intent(active) if active is not None else {}
    rows = []
    for intent in sorted(new.keys() | old.keys()):
        f1_active, f1_candidate = old.get(intent), new.get(intent)
        delta = (
            None
            if f1_active is None or f1_candidate is None
            else round(f1_candidate - f1_active, 4)
        )
        rows.append(
            {
                "intent": intent,
                "f1_active": f1_active,
                "f1_candidate": f1_candidate,
                "delta": delta,
                # Rounded like the figures, for the same reason as the accuracy rule.
                "regression": delta is not None and round(delta + regression_f1, 6) < 0,
            }
        )
    # Stable sort: within each group the rows stay in intent-name order.
    rows.sort(key=lambda r: (not r["regression"], r["delta"] if r["regression"] else 0.0))
    return rows


def _f1_by_intent(figures: Mapping[str, Any]) -> dict[str, float]:
    return {str(row["intent"]): float(row["f1"]) for row in figures.get("per_intent", ())}
