# ruff: noqa: RUF001 - Japanese text uses full-width punctuation on purpose
"""The built-in engine: classification in both languages, out of scope, save/load without pickle."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.assistant import Bot
from bot.engines.builtin import ARRAYS_FILE, BuiltinClassifier, BuiltinConfig
from bot.model_store import ModelVersion
from bot.nlu import OUT_OF_SCOPE

# Phrasings that are not in the training data.
IN_SCOPE = [
    ("注文した靴がまだ届かないんですけど", "order_status"),
    ("パスワードを忘れたのでリセットしたい", "password_reset"),
    ("返金っていつされますか？", "refund_status"),
    ("有人の担当者と話させてください", "request_human"),
    ("送料っていくらかかりますか？", "shipping_fee"),
    ("where is the package I ordered last week", "order_status"),
    ("I need to reset my password please", "password_reset"),
    ("please cancel my subscription now", "cancel_subscription"),
    ("can I speak to a real human agent", "request_human"),
    ("how much does shipping cost to Kyoto", "shipping_fee"),
]
OUT_OF_SCOPE_TEXTS = [
    "明日の東京の天気は晴れますか",
    "おすすめの映画を教えて",
    "what's the weather going to be like this weekend",
    "who won the world cup in 2018",
]


@pytest.mark.parametrize(("text", "intent"), IN_SCOPE)
def test_classifies_unseen_phrasings(bot: Bot, text: str, intent: str) -> None:
    prediction = bot.parse(text)
    assert prediction.intent == intent
    assert prediction.ranking[0][0] == intent
    assert 0.0 < prediction.confidence <= 1.0


@pytest.mark.parametrize("text", OUT_OF_SCOPE_TEXTS)
def test_recognises_out_of_scope(bot: Bot, text: str) -> None:
    assert bot.parse(text).intent == OUT_OF_SCOPE


def test_ranking_is_sorted_probabilities(bot: Bot) -> None:
    ranking = bot.parse("クーポンが使えない").ranking
    confidences = [c for _, c in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert len(ranking) == 5 and sum(confidences) <= 1.0 + 1e-9


def test_forced_threshold_rejects_everything_below_it() -> None:
    texts = ["where is my order", "track my parcel", "refund please", "my money back"] * 3
    intents = ["order_status", "order_status", "refund_status", "refund_status"] * 3
    strict, _ = BuiltinClassifier.train(texts, intents, BuiltinConfig(threshold=1.01))
    assert strict.threshold == 1.01
    prediction = strict.parse("where is my order")
    assert prediction.intent == OUT_OF_SCOPE and prediction.ranking[0][0] == "order_status"
    lenient, _ = BuiltinClassifier.train(texts, intents, BuiltinConfig(threshold=0.0))
    assert lenient.parse("where is my order").intent == "order_status"


def test_single_parse_matches_batch_parse(bot: Bot) -> None:
    texts = ["ログインできません", "I was charged twice", "", "!!!", "ｶﾞｲﾄﾞ full-width ＡＢＣ"]
    model = bot.classifier
    assert isinstance(model, BuiltinClassifier)
    for single, batch in zip(map(model.parse, texts), model.parse_batch(texts), strict=True):
        assert single.intent == batch.intent
        assert single.confidence == pytest.approx(batch.confidence, abs=1e-9)


def test_save_and_load_round_trip_without_pickle(trained: ModelVersion, tmp_path: Path) -> None:
    original = BuiltinClassifier.load(trained.path)
    original.save(tmp_path)
    # Every array loads with pickling refused, and none holds Python objects.
    with np.load(tmp_path / ARRAYS_FILE, allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    with zipfile.ZipFile(tmp_path / ARRAYS_FILE) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    stored = {p.suffix for p in trained.path.iterdir()}
    assert stored <= {".json", ".npz"}
    loaded = BuiltinClassifier.load(tmp_path)
    for text in ["注文をキャンセルしたい", "is my data encrypted?", "今日の天気は？"]:
        assert loaded.parse(text) == original.parse(text)
    assert (loaded.threshold, loaded.temperature) == (original.threshold, original.temperature)


def test_parse_is_fast(bot: Bot) -> None:
    # CPU time of this thread, not wall time: other test processes share the
    # two CPUs of this machine and would make a wall-clock bound flaky.
    texts = ["注文した商品がまだ届きません", "how do I change my plan?"] * 200
    timings = []
    for text in texts:
        started = time.thread_time()
        bot.respond(text)
        timings.append(time.thread_time() - started)
    assert float(np.percentile(timings, 99)) < 0.005
