"""The gate: accuracy rule, first model, per-intent regressions, replay of messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.engines.builtin import BuiltinClassifier
from bot.evaluation import cross_validate
from bot.gate import ReplayRow, compare, replay
from bot.nlu import Prediction
from bot.training_data import load_training_data

from .conftest import SMALL_NLU, SMALL_RESPONSES, write_data


def figures(accuracy: float, f1: dict[str, float] | None = None) -> dict[str, Any]:
    """Hand-made Figures with in-scope accuracy ``accuracy`` and per-intent ``f1``."""
    return {
        "in_scope_accuracy": accuracy,
        "accuracy_by_language": {"ja": accuracy, "en": accuracy},
        "oos_recall": None,
        "examples": 100,
        "folds": 5,
        "per_intent": [
            {"intent": name, "f1": value, "precision": value, "recall": value, "support": 10}
            for name, value in (f1 or {}).items()
        ],
    }


def test_a_drop_of_half_a_point_passes() -> None:
    report = compare(figures(0.907), figures(0.912), [], active_version="v1")
    assert report["passed"] is True and report["reasons"] == []
    assert report["active_version"] == "v1" and report["max_drop_points"] == 1.0
    assert report["active"]["in_scope_accuracy"] == 0.912


def test_a_drop_of_exactly_the_limit_passes() -> None:
    assert compare(figures(0.902), figures(0.912), [], active_version="v1")["passed"] is True


def test_a_drop_of_one_and_a_half_points_is_refused_with_both_figures() -> None:
    report = compare(figures(0.897), figures(0.912), [], active_version="v1")
    assert report["passed"] is False
    assert report["reasons"] == [
        "in-scope accuracy drops from 0.912 to 0.897 (\u22121.5 points; more than 1.0)"
    ]


def test_the_limit_is_a_parameter() -> None:
    report = compare(figures(0.897), figures(0.912), [], active_version="v1", max_drop_points=2.0)
    assert report["passed"] is True


def test_the_first_model_passes_with_nothing_to_compare() -> None:
    report = compare(figures(0.5, {"greet": 0.7}), None, [], active_version=None)
    assert report["passed"] is True and report["active"] is None
    assert report["per_intent"] == [
        {
            "intent": "greet",
            "f1_active": None,
            "f1_candidate": 0.7,
            "delta": None,
            "regression": False,
        }
    ]
    assert report["replay"] == {"days": 7, "messages": 0, "changed": 0, "changes": []}


def test_an_active_model_without_figures_is_not_taken_as_a_first_model() -> None:
    report = compare(figures(0.9), None, [], active_version="v1")
    assert report["passed"] is False and "v1" in report["reasons"][0]


def test_f1_drops_beyond_the_limit_are_regressions_listed_first_worst_first() -> None:
    active = figures(
        0.9, {"alpha": 0.9, "bravo": 0.9, "charlie": 0.9, "delta": 0.9, "echo": 0.9, "gone": 0.8}
    )
    candidate = figures(
        0.9, {"alpha": 0.95, "bravo": 0.85, "charlie": 0.7, "delta": 0.8, "echo": 0.86, "new": 0.6}
    )
    report = compare(candidate, active, [], active_version="v1")
    rows = {r["intent"]: r for r in report["per_intent"]}
    assert [r["intent"] for r in report["per_intent"]] == [
        "charlie",
        "delta",
        "alpha",
        "bravo",
        "echo",
        "gone",
        "new",
    ]
    assert rows["charlie"]["delta"] == -0.2 and rows["charlie"]["regression"] is True
    assert rows["delta"]["regression"] is True
    # Exactly the limit (0.05) and less are not regressions.
    assert rows["bravo"]["delta"] == -0.05 and rows["bravo"]["regression"] is False
    assert rows["echo"]["regression"] is False and rows["alpha"]["regression"] is False
    assert rows["gone"] == {
        "intent": "gone",
        "f1_active": 0.8,
        "f1_candidate": None,
        "delta": None,
        "regression": False,
    }
    assert rows["new"]["f1_active"] is None and rows["new"]["regression"] is False
    # Regressions alone do not refuse: the accuracy rule does.
    assert report["passed"] is True


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """A model of the small data, and one where order and refund labels are swapped."""
    folder = tmp_path_factory.mktemp("data")
    good = load_training_data(
        write_data(folder / "good", {"nlu.yml": SMALL_NLU, "responses.yml": SMALL_RESPONSES})
    )
    swapped_nlu = (
        SMALL_NLU.replace("intent: order_status", "intent: SWAP")
        .replace("intent: refund_status", "intent: order_status")
        .replace("intent: SWAP", "intent: refund_status")
    )
    swapped = load_training_data(write_data(folder / "swapped", {"nlu.yml": swapped_nlu}))
    old, _ = BuiltinClassifier.train(good.texts(), good.labels_of_examples())
    new, _ = BuiltinClassifier.train(swapped.texts(), swapped.labels_of_examples())
    return old, new


def test_replay_classifies_every_message_with_both_models(two_models: tuple[Any, Any]) -> None:
    old, new = two_models
    messages = [("m1", "where is my refund"), ("m2", "hello"), ("m3", "track my order")]
    rows = replay(old, new, messages)
    assert [(r.message_id, r.text) for r in rows] == messages
    for row in rows:
        # parse_batch and parse agree up to the last bits of the floats.
        for model, got in ((old, row.old), (new, row.new)):
            one = model.parse(row.text)
            assert got.intent == one.intent
            assert got.confidence == pytest.approx(one.confidence)
    assert [r.changed for r in rows] == [True, False, True]
    assert replay(old, new, []) == []


def test_the_report_lists_the_messages_whose_intent_changed(two_models: tuple[Any, Any]) -> None:
    old, new = two_models
    rows = replay(old, new, [("m1", "where is my refund"), ("m2", "hello")])
    report = compare(figures(0.9), figures(0.9), rows, active_version="v1")
    assert report["replay"]["messages"] == 2 and report["replay"]["changed"] == 1
    (change,) = report["replay"]["changes"]
    assert change["message_id"] == "m1" and change["text"] == "where is my refund"
    assert (change["old_intent"], change["new_intent"]) == ("refund_status", "order_status")
    assert 0.0 < change["old_confidence"] <= 1.0 and 0.0 < change["new_confidence"] <= 1.0
    json.dumps(report)  # stored as JSON in the database


def test_the_listed_changes_are_capped_but_all_are_counted() -> None:
    rows = [
        ReplayRow(f"m{i}", "text", Prediction("a", 0.9), Prediction("b", 0.8)) for i in range(5)
    ]
    report = compare(figures(0.9), figures(0.9), rows, active_version="v1", max_changes=2)
    assert report["replay"]["changed"] == 5
    assert [c["message_id"] for c in report["replay"]["changes"]] == ["m0", "m1"]


def test_cross_validation_reports_each_fold_and_gives_figures(tmp_path: Path) -> None:
    data = load_training_data(write_data(tmp_path / "data", {"nlu.yml": SMALL_NLU}))
    calls: list[tuple[int, int]] = []
    result = cross_validate(data, folds=3, on_fold=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    shown = result.figures()
    assert set(shown) == {
        "in_scope_accuracy",
        "accuracy_by_language",
        "oos_recall",
        "examples",
        "folds",
        "per_intent",
    }
    assert set(shown["accuracy_by_language"]) == {"ja", "en"} and shown["oos_recall"] is None
    assert shown["examples"] == 18 and shown["folds"] == 3
    assert set(shown["per_intent"][0]) == {"intent", "f1", "precision", "recall", "support"}
    assert [r["intent"] for r in shown["per_intent"]] == ["greet", "order_status", "refund_status"]
