"""Reading and validating training YAML: clear errors with file and line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.errors import TrainingDataError
from bot.nlu import OUT_OF_SCOPE
from bot.responses import ResponseCatalog
from bot.training_data import load_training_data

from .conftest import SMALL_NLU, SMALL_RESPONSES, TRAINING_DIR, write_data

REQUIRED_INTENTS = {
    "greet", "goodbye", "thanks", "affirm", "deny", "request_human", "login_problem",
    "password_reset", "order_status", "return_exchange", "refund_status", "cancel_order",
    "change_shipping_address", "payment_methods", "billing_problem", "invoice_request",
    "plan_change", "cancel_subscription", "update_account_info", "business_hours",
    "complaint", "product_usage", "bug_report", "api_integration", "security_privacy",
    "shipping_fee", "coupon",
}  # fmt: skip


def test_small_data_reads_examples_with_their_lines(tmp_path: Path) -> None:
    folder = write_data(tmp_path, {"nlu.yml": SMALL_NLU, "responses.yml": SMALL_RESPONSES})
    data = load_training_data(folder)
    assert data.intents == ["greet", "order_status", "refund_status"]
    first = data.examples[0]
    assert (first.text, first.intent, first.line) == ("hello", "greet", 5)
    japanese = next(e for e in data.examples if e.text == "荷物はいつ届きますか")
    assert japanese.line == 18 and japanese.language == "ja"
    assert len(data.data_hash) == 64


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    broken = SMALL_NLU.replace("- intent: order_status", "- intent: [order_status")
    folder = write_data(tmp_path, {"nlu.yml": broken})
    with pytest.raises(TrainingDataError) as caught:
        load_training_data(folder)
    (problem,) = caught.value.problems
    assert problem.source.endswith("nlu.yml")
    assert problem.line is not None and 11 <= problem.line <= 13
    assert "invalid YAML" in problem.message


def test_intent_without_examples_is_an_error(tmp_path: Path) -> None:
    text = SMALL_NLU + "- intent: coupon\n  examples: |\n"
    folder = write_data(tmp_path, {"nlu.yml": text})
    with pytest.raises(TrainingDataError) as caught:
        load_training_data(folder)
    (problem,) = caught.value.problems
    assert problem.line == 27
    assert "'coupon' has no examples" in problem.message
    assert f"{folder / 'nlu.yml'}:27:" in str(caught.value)


def test_same_example_under_two_intents_names_both_places(tmp_path: Path) -> None:
    other = "nlu:\n- intent: refund_status\n  examples: |\n    - Where is my  ORDER\n"
    folder = write_data(tmp_path, {"a.yml": SMALL_NLU, "b.yml": other})
    with pytest.raises(TrainingDataError) as caught:
        load_training_data(folder)
    (problem,) = caught.value.problems
    assert problem.source.endswith("b.yml") and problem.line == 4
    assert "'order_status'" in problem.message and "a.yml:13" in problem.message


def test_repeated_example_within_an_intent_is_kept_once(tmp_path: Path) -> None:
    text = SMALL_NLU.replace("    - hey\n", "    - hey\n    - Hello\n")
    data = load_training_data(write_data(tmp_path, {"nlu.yml": text}))
    assert [e.text for e in data.examples if e.intent == "greet"].count("hello") == 1
    assert "Hello" not in data.texts()


def test_rasa_entity_markup_is_reduced_to_text(tmp_path: Path) -> None:
    text = SMALL_NLU.replace("- track my order", "- track order [12345](order_id)")
    data = load_training_data(write_data(tmp_path, {"nlu.yml": text}))
    assert "track order 12345" in data.texts()


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no NLU examples"):
        load_training_data(tmp_path)


def test_shipped_training_data_covers_every_intent_in_both_languages() -> None:
    data = load_training_data(TRAINING_DIR)
    assert set(data.intents) == REQUIRED_INTENTS | {OUT_OF_SCOPE}
    counts = Counter((e.intent, e.language) for e in data.examples)
    for intent in REQUIRED_INTENTS:
        assert counts[intent, "ja"] >= 15, intent
        assert counts[intent, "en"] >= 10, intent
    assert counts[OUT_OF_SCOPE, "ja"] >= 15 and counts[OUT_OF_SCOPE, "en"] >= 15


def test_shipped_responses_answer_every_intent_in_both_languages() -> None:
    data = load_training_data(TRAINING_DIR)
    catalog = ResponseCatalog(data.responses, data.labels)
    for intent in REQUIRED_INTENTS:
        ja, en = catalog.for_intent(intent, "ja"), catalog.for_intent(intent, "en")
        assert ja is not None and en is not None, intent
        assert any("\u3040" <= ch <= "\u30ff" for ch in ja.text), intent
        assert ja.text != en.text
        assert catalog.label(intent, "ja") != intent
    for name in ("utter_ask_helped", "utter_fallback", "utter_clarify", "utter_feedback_no"):
        assert catalog.get(name, "ja") is not None and catalog.get(name, "en") is not None
