"""Which language to answer in, decided from the visitor's own words."""

from __future__ import annotations

import re

SUPPORTED = ("ja", "en")

# Hiragana, katakana (full and half width) and CJK ideographs: any of them
# means the visitor writes Japanese.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
# Words of two Latin letters or more ("I", "a", lone initials are too weak to count).
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A pasted link or address is the same in any language: not the visitor's words.
_LINKS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+", re.IGNORECASE)
# "ok", "no" or a bare order number say little about the language: below this
# many Latin letters we keep the language we already had.
_MIN_LATIN_LETTERS = 3


def normalize_locale(locale: str | None) -> str:
    """Map a browser locale (``ja-JP``, ``en_US``, ``fr``) to a supported language."""
    if locale and locale.lower().startswith("ja"):
        return "ja"
    return "en"


def detect_language(text: str, fallback: str | None = None) -> str:
    """Return ``"ja"`` or ``"en"`` for ``text``.

    ``fallback`` (a locale or a language already used in the conversation) is
    used when the text has no Japanese characters and too few Latin letters
    to tell, e.g. ``"ok"`` or ``"12345"``.
    """
    if _JAPANESE.search(text):
        return "ja"
    if len(_LATIN.findall(text)) >= _MIN_LATIN_LETTERS:
        return "en"
    return normalize_locale(fallback)


def confident_language(text: str) -> str | None:
    """``"ja"`` or ``"en"`` when ``text`` clearly is written in it, else None.

    Stricter than :func:`detect_language`: this decides the language a visitor
    is *shown* (the widget's labels, the agent's canned replies), so a short
    or mixed text (``"ok"``, ``"Hello 田中"``, an order number, a pasted
    link) changes nothing. Japanese: at least two kana/kanji, and at least
    half as many of them as Latin letters (a product name inside a Japanese
    sentence is still Japanese). English: no Japanese at all, two or more
    Latin words and at least six letters. A Latin-script language other than
    English counts as English: of the two supported, the one its reader can
    more likely follow.
    """
    words = _LINKS.sub(" ", text)
    japanese = len(_JAPANESE.findall(words))
    latin = len(_LATIN.findall(words))
    if japanese >= 2 and japanese * 2 >= latin:
        return "ja"
    if japanese == 0 and latin >= 6 and len(_LATIN_WORD.findall(words)) >= 2:
        return "en"
    return None
