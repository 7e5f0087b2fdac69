"""Model versions: metadata, the active pointer, hot reload, bad data keeps the active model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.assistant import Bot
from bot.errors import ModelNotFoundError, TrainingDataError
from bot.model_store import ModelStore
from bot.training import train_model

from .conftest import SMALL_NLU, SMALL_RESPONSES, write_data


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    return write_data(tmp_path / "data", {"nlu.yml": SMALL_NLU, "responses.yml": SMALL_RESPONSES})


def test_metadata_records_hash_time_and_held_out_figures(tmp_path: Path, small_data: Path) -> None:
    version = train_model(small_data, tmp_path / "models")
    metadata = json.loads((version.path / "metadata.json").read_text("utf-8"))
    assert metadata["version"] == version.name and metadata["engine"] == "builtin"
    assert len(metadata["data_hash"]) == 64 and metadata["created"].startswith("20")
    assert metadata["intents"] == ["greet", "order_status", "refund_status"]
    assert 0.0 <= metadata["evaluation"]["in_scope_accuracy"] <= 1.0
    assert "in_scope_accuracy_ja" in metadata["evaluation"]
    assert ModelStore(tmp_path / "models").active_name() == version.name


def test_reload_swaps_to_the_new_active_version(tmp_path: Path, small_data: Path) -> None:
    models = tmp_path / "models"
    first = train_model(small_data, models)
    bot = Bot.load_active(models)
    assert bot.version == first.name and bot.reload(models) is bot
    # Retrain with one more intent: the reloaded bot knows it, the old one keeps serving.
    extra = "\n- intent: coupon\n  examples: |\n" + "".join(
        f"    - {t}\n" for t in ["coupon code", "promo code", "discount code", "クーポン", "割引"]
    )
    (small_data / "nlu.yml").write_text(SMALL_NLU + extra, "utf-8")
    second = train_model(small_data, models)
    fresh = bot.reload(models)
    assert fresh is not bot and fresh.version == second.name != bot.version
    assert "coupon" in {name for name, _ in fresh.parse("promo code").ranking}
    assert "coupon" not in {name for name, _ in bot.parse("promo code").ranking}
    assert [v.name for v in ModelStore(models).versions()] == [first.name, second.name]


def test_bad_data_raises_before_anything_changes(tmp_path: Path, small_data: Path) -> None:
    models = tmp_path / "models"
    good = train_model(small_data, models)
    (small_data / "nlu.yml").write_text(SMALL_NLU + "- intent: coupon\n", "utf-8")
    with pytest.raises(TrainingDataError, match="coupon"):
        train_model(small_data, models)
    store = ModelStore(models)
    assert store.active_name() == good.name and len(store.versions()) == 1
    assert Bot.load_active(models).version == good.name


def test_no_active_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        Bot.load_active(tmp_path)
    with pytest.raises(ModelNotFoundError):
        ModelStore(tmp_path).get("../etc")


def test_load_or_train_does_not_retrain_when_a_model_exists(
    tmp_path: Path, small_data: Path
) -> None:
    models = tmp_path / "models"
    existing = train_model(small_data, models)
    bot = Bot.load_or_train(models, small_data)
    assert bot.version == existing.name and len(ModelStore(models).versions()) == 1


def test_load_or_train_trains_and_activates_when_no_model_exists(
    tmp_path: Path, small_data: Path
) -> None:
    bot = Bot.load_or_train(tmp_path / "models", small_data)
    assert ModelStore(tmp_path / "models").active_name() == bot.version
    assert bot.respond("返金はいつですか").intent == "refund_status"
