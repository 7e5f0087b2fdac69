"""confident_language: a visitor's language from their own words, only when it is clear."""

from __future__ import annotations

import pytest

from bot.language import confident_language


@pytest.mark.parametrize("text", [
    "注文した商品がまだ届きません",
    "はい",
    "ログインできません。Gmailのアカウントです",
    "iPhoneで開けない",
    "ｱｶｳﾝﾄ",  # half-width katakana
    "返品したい https://shop.example.com/orders/12345",
])
def test_japanese(text: str) -> None:
    assert confident_language(text) == "ja"


@pytest.mark.parametrize("text", [
    "Where is my order?",
    "I cannot log in to my account",
    "hello there",
    "Refund please, order 12345",
])
def test_english(text: str) -> None:
    assert confident_language(text) == "en"


@pytest.mark.parametrize("text", [
    "",
    "ok",
    "Thanks",  # one word: a name, a code or an English word
    "12345",
    "ABC-123",
    "は",  # one character
    "Hello 田中",  # mixed: neither clearly
    "Where is 東京駅?",
    "https://shop.example.com/orders/12345",  # a pasted link says nothing
    "someone@example.com",
    "👍👍",
])
def test_unclear(text: str) -> None:
    assert confident_language(text) is None
