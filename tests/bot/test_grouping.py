# ruff: noqa: RUF001 - Japanese text uses full-width punctuation on purpose
"""Grouping similar visitor messages (bot/grouping.py): pure computation, no model needed."""

from __future__ import annotations

import random

import pytest

from bot.grouping import MAX_TEXTS, group_similar, normalize

GIFT_WRAPPING_JA = [
    "ギフト包装はできますか",
    "ギフト包装をお願いできますか",
    "ｷﾞﾌﾄ包装できますか？",  # half-width katakana, full-width question mark
    "プレゼントなのでギフト包装はできますか",
]
WRAPPING_JA = ["ラッピングできますか", "ギフトラッピングはできますか"]
SHIPPING_JA = ["カナダに発送できますか", "カナダへの発送は可能ですか"]
SHIPPING_EN = ["do you ship to Canada", "Do you ship to Canada?", "can you ship to canada"]
OTHERS = ["my order has not arrived", "I forgot my password", "返金はいつですか"]


def texts_of(groups: list[list[int]], texts: list[str]) -> list[set[str]]:
    return [{texts[i] for i in group} for group in groups]


def test_japanese_paraphrases_group_together_and_apart_from_shipping_questions() -> None:
    texts = [*SHIPPING_EN, *GIFT_WRAPPING_JA, *OTHERS, *SHIPPING_JA, *WRAPPING_JA]
    found = texts_of(group_similar(texts), texts)
    assert set(GIFT_WRAPPING_JA) in found
    assert set(WRAPPING_JA) in found
    assert set(SHIPPING_JA) in found
    assert set(SHIPPING_EN) in found
    for text in OTHERS:
        assert {text} in found
    # Largest first.
    assert [len(g) for g in found] == sorted((len(g) for g in found), reverse=True)


def test_every_index_once_sorted_by_size_then_first_index() -> None:
    texts = ["hello there", "something else entirely", *SHIPPING_EN, "hello there!"]
    groups = group_similar(texts)
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    assert groups == [[2, 3, 4], [0, 5], [1]]
    assert all(g == sorted(g) for g in groups)


def test_identical_texts_always_share_a_group() -> None:
    texts = ["ギフト包装はできますか", "totally unrelated", "ギフト包装はできますか",
             "ＧＩＦＴ  wrap?", "gift wrap"]
    # Even when nothing else may merge, equal texts (after NFKC, case,
    # punctuation and spacing) stay together.
    assert group_similar(texts, max_distance=0.0) == [[0, 2], [3, 4], [1]]
    assert normalize("ＧＩＦＴ  wrap?") == normalize("gift wrap") == "gift wrap"


def test_normalize_separates_scripts_for_char_ngrams() -> None:
    assert normalize("ギフト包装はできますか？") == "ギフト 包装 はできますか"
    assert normalize("ﾗｯﾋﾟﾝｸﾞ、OK") == "ラッピング ok"


def test_no_text_one_text_and_texts_without_ngrams() -> None:
    assert group_similar([]) == []
    assert group_similar(["ギフト包装はできますか"]) == [[0]]
    assert group_similar(["?", "!"]) == [[0, 1]]  # both blank once punctuation is dropped
    assert group_similar(["", "x", "hello"]) == [[0], [1], [2]]


def test_deterministic_and_independent_of_order() -> None:
    texts = [*SHIPPING_EN, *GIFT_WRAPPING_JA, *OTHERS, *SHIPPING_JA, *WRAPPING_JA]
    first = group_similar(texts)
    assert group_similar(texts) == first
    shuffled = texts[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(map(sorted, texts_of(group_similar(shuffled), shuffled))) == sorted(
        map(sorted, texts_of(first, texts)))


def test_max_distance_trades_group_size_for_purity() -> None:
    texts = [*GIFT_WRAPPING_JA, *WRAPPING_JA]
    assert len(group_similar(texts, max_distance=0.3)) > len(group_similar(texts))
    assert len(group_similar(texts, max_distance=1.0)) == 1
    with pytest.raises(ValueError):
        group_similar(texts, max_distance=1.5)


def test_input_is_capped() -> None:
    texts = [f"question number {i}" for i in range(MAX_TEXTS)]
    assert sum(len(g) for g in group_similar(texts)) == MAX_TEXTS
    with pytest.raises(ValueError, match="at most"):
        group_similar([*texts, "one more"])
