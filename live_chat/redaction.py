"""Masking what must not be stored: payment card numbers and the deployment's own patterns.

Applied to every message and note text before it is stored (and so before it
is shown, classified or used for training): the original is never written.
A card number is 13 to 19 digits, spaces or dashes between them allowed, that
pass the Luhn check (order and phone numbers rarely do); it keeps its last
four digits. ``TSUNAGU_MASK_PATTERNS`` adds regular expressions whose
matches become ``[redacted]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if not luhn_valid(digits):
        return match.group()
    return f"[card •••• {digits[-4:]}]"


class Redactor:
    """Masks card numbers and the matches of ``patterns`` (regular expressions)."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.patterns = [re.compile(p) for p in patterns]

    def __call__(self, text: str) -> str:
        text = _CARD.sub(_mask_card, text)
        for pattern in self.patterns:
            text = pattern.sub("[redacted]", text)
        return text
