"""Cross-validation of the built-in engine on training data (``tsunagu evaluate``).

Each fold trains a full model (calibration and threshold included, exactly as
``tsunagu train`` does) on the other folds and classifies the held-out one, so
the figures are what a visitor would see on phrasings the model never saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bot.calibration import ECE_BINS, expected_calibration_error
from bot.engines.builtin import BuiltinClassifier, BuiltinConfig
from bot.language import SUPPORTED
from bot.nlu import OUT_OF_SCOPE
from bot.training_data import TrainingData

#: Called after each fold of a cross-validation with (folds done, folds in all).
FoldCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class IntentScores:
    """Precision, recall and F1 of one intent over the held-out predictions."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvaluationReport:
    """The figures of one cross-validation.

    ``in_scope_accuracy`` counts an in-scope example as right only when its
    intent is right (a rejection as out of scope is wrong);
    ``accuracy_by_language`` is the same per language; ``oos_recall`` is the
    share of ``out_of_scope`` examples rejected (``None`` without any);
    ``confused`` lists ``(true intent, predicted intent, count)``, most
    frequent first. ``ece`` is the expected calibration error (15 bins) of the
    confidence of each held-out message's best-ranked intent;
    ``top_intent_accuracy`` the share of in-scope messages whose best-ranked
    intent is right, whether or not its confidence cleared the threshold (a
    message below it gets a question back or topics, not a wrong answer);
    ``rejected`` the share of in-scope messages below the threshold.
    """

    folds: int
    examples: int
    in_scope_accuracy: float
    accuracy_by_language: dict[str, float]
    oos_recall: float | None
    ece: float | None = None
    top_intent_accuracy: float | None = None
    rejected: float | None = None
    per_intent: list[IntentScores] = field(default_factory=list)
    confused: list[tuple[str, str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "examples": self.examples,
            "in_scope_accuracy": round(self.in_scope_accuracy, 4),
            "accuracy_by_language": {k: round(v, 4) for k, v in self.accuracy_by_language.items()},
            "oos_recall": None if self.oos_recall is None else round(self.oos_recall, 4),
            "ece": _rounded(self.ece),
            "top_intent_accuracy": _rounded(self.top_intent_accuracy),
            "rejected": _rounded(self.rejected),
            "per_intent": [
                {
                    "intent": s.intent,
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for s in self.per_intent
            ],
            "confused": [{"true": t, "predicted": p, "count": n} for t, p, n in self.confused],
        }

    def figures(self) -> dict[str, Any]:
        """The "Figures" of docs/admin.md (the gate report and model metadata's ``cv``).

        ``accuracy_by_language`` always has ``ja`` and ``en`` (``None`` for a
        language without in-scope examples), so a comparison never misses a key.
        """
        by_language: dict[str, float | None] = {language: None for language in SUPPORTED}
        by_language.update({k: round(v, 4) for k, v in self.accuracy_by_language.items()})
        return {
            "in_scope_accuracy": round(self.in_scope_accuracy, 4),
            "accuracy_by_language": by_language,
            "oos_recall": None if self.oos_recall is None else round(self.oos_recall, 4),
            "examples": self.examples,
            "folds": self.folds,
            "per_intent": [
                {
                    "intent": s.intent,
                    "f1": round(s.f1, 4),
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "support": s.support,
                }
                for s in self.per_intent
            ],
        }

    def format(self, top_confused: int = 10) -> str:
        """A human-readable report, as printed by ``tsunagu evaluate``."""
        lines = [
            f"cross-validation: {self.folds} folds, {self.examples} examples",
            f"in-scope accuracy: {self.in_scope_accuracy:.3f}",
        ]
        lines += [
            f"  {language}: {value:.3f}" for language, value in self.accuracy_by_language.items()
        ]
        recall = (
            "n/a (no out_of_scope examples)"
            if self.oos_recall is None
            else f"{self.oos_recall:.3f}"
        )
        lines.append(f"out-of-scope recall: {recall}")
        if self.ece is not None:
            lines.append(
                f"calibration error (ECE, {ECE_BINS} bins): {self.ece:.3f} "
                "(0 = a confidence of 0.8 is right 80 % of the time)"
            )
        if self.top_intent_accuracy is not None and self.rejected is not None:
            lines.append(
                f"best-ranked intent right: {self.top_intent_accuracy:.3f}; "
                f"in-scope below the threshold: {self.rejected:.3f}"
            )
        lines.append("")
        lines.append(f"{'intent':<26}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}")
        for s in self.per_intent:
            lines.append(
                f"{s.intent:<26}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>6}"
            )
        if self.confused:
            lines.append("")
            lines.append("most confused (true -> predicted: count):")
            lines += [f"  {t} -> {p}: {n}" for t, p, n in self.confused[:top_confused]]
        return "\n".join(lines)


def cross_validate(
    data: TrainingData,
    folds: int = 5,
    config: BuiltinConfig | None = None,
    seed: int = 0,
    *,
    on_fold: FoldCallback | None = None,
) -> EvaluationReport:
    """Stratified ``folds``-fold cross-validation of the built-in engine on ``data``.

    ``folds`` is lowered to the size of the smallest intent (at least 2);
    ``config`` is the engine configuration to evaluate; ``seed`` fixes the
    split so two runs give the same figures. ``on_fold(done, total)`` is
    called after each fold (``total`` is the number of folds actually used),
    so a caller can report progress.
    """
    texts = data.texts()
    truth = np.asarray(data.labels_of_examples())
    languages = np.asarray([e.language for e in data.examples])
    _, counts = np.unique(truth, return_counts=True)
    folds = max(2, min(folds, int(counts.min())))
    predicted = np.empty(len(texts), dtype=object)
    top = np.empty(len(texts), dtype=object)
    confidence = np.zeros(len(texts))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    splits = splitter.split(np.zeros(len(truth)), truth)
    for done, (train_idx, test_idx) in enumerate(splits, start=1):
        model, _ = BuiltinClassifier.train(
            [texts[i] for i in train_idx], truth[train_idx].tolist(), config
        )
        results = model.parse_batch([texts[i] for i in test_idx])
        predicted[test_idx] = [p.intent for p in results]
        top[test_idx] = [p.ranking[0][0] if p.ranking else p.intent for p in results]
        confidence[test_idx] = [p.confidence for p in results]
        if on_fold is not None:
            on_fold(done, folds)
    predicted = predicted.astype(str)
    return _report(truth, predicted, languages, folds, top.astype(str), confidence)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _report(
    truth: np.ndarray,
    predicted: np.ndarray,
    languages: np.ndarray,
    folds: int,
    top: np.ndarray,
    confidence: np.ndarray,
) -> EvaluationReport:
    in_scope = truth != OUT_OF_SCOPE
    accuracy = float((predicted[in_scope] == truth[in_scope]).mean()) if in_scope.any() else 0.0
    by_language = {}
    for language in sorted(set(languages.tolist())):
        mask = in_scope & (languages == language)
        if mask.any():
            by_language[language] = float((predicted[mask] == truth[mask]).mean())
    oos = ~in_scope
    recall = float((predicted[oos] == OUT_OF_SCOPE).mean()) if oos.any() else None
    per_intent = []
    for intent in sorted(set(truth.tolist())):
        tp = int(((predicted == intent) & (truth == intent)).sum())
        predicted_n = int((predicted == intent).sum())
        support = int((truth == intent).sum())
        precision = tp / predicted_n if predicted_n else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * precision * rec / (precision + rec) if precision + rec else 0.0
        per_intent.append(IntentScores(intent, precision, rec, f1, support))
    confused = Counter(
        (str(t), str(p)) for t, p in zip(truth, predicted, strict=True) if t != p
    ).most_common()
    return EvaluationReport(
        folds=folds,
        examples=len(truth),
        in_scope_accuracy=accuracy,
        accuracy_by_language=by_language,
        oos_recall=recall,
        ece=expected_calibration_error(confidence, top == truth),
        top_intent_accuracy=float((top[in_scope] == truth[in_scope]).mean())
        if in_scope.any()
        else None,
        rejected=float((predicted[in_scope] == OUT_OF_SCOPE).mean()) if in_scope.any() else None,
        per_intent=per_intent,
        confused=[(t, p, n) for (t, p), n in confused],
    )
