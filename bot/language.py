"""Which language to answer in, decided from the visitor's own words."""

from __future__ import annotations

import re

SUPPORTED = ("ja", "en")

# Hiragana, katakana (full and half width) and CJK ideographs: any of them
# means the visitor writes Japanese.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
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
