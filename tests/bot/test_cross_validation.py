"""`tsunagu evaluate` on the shipped training data: the quality bar of the default model."""

from __future__ import annotations

from bot.evaluation import cross_validate
from bot.training_data import load_training_data

from .conftest import TRAINING_DIR


def test_each_language_reaches_ninety_percent_in_cross_validation() -> None:
    report = cross_validate(load_training_data(TRAINING_DIR), folds=5)
    assert report.accuracy_by_language["ja"] >= 0.90
    assert report.accuracy_by_language["en"] >= 0.90
    assert report.oos_recall is not None and report.oos_recall >= 0.6
    assert {s.intent for s in report.per_intent} >= {"order_status", "out_of_scope"}
    assert report.confused and report.confused[0][2] >= report.confused[-1][2]
