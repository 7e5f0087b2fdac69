"""The JSON codec python-socketio uses for every packet: orjson, behind the stdlib's names.

Each message crosses JSON three times (the visitor's event, the ack, the
bot's reply); the stdlib ``json`` with engine.io's ``parse_int`` guard builds
a decoder per call. orjson is several times faster, and bounds what the guard
bounds: integers too long for 64 bits become floats (no quadratic parse) and
nesting deeper than 1,024 levels is refused.

What orjson refuses to read but JSON allows (an unpaired surrogate escape,
``"\\ud800"``) is read by the stdlib instead, so that the payload reaches
validation and its sender gets an ``invalid`` ack rather than no ack at all.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

JSONDecodeError = json.JSONDecodeError


def dumps(obj: Any, **_options: Any) -> str:
    """Compact JSON text (python-socketio passes ``separators``; orjson is always compact)."""
    try:
        return orjson.dumps(obj).decode()
    except orjson.JSONEncodeError:  # unpaired surrogates: escaped by the stdlib
        return json.dumps(obj, separators=(",", ":"))


def loads(text: str | bytes, **_options: Any) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text, parse_int=_bounded_int)


def _bounded_int(digits: str) -> int:
    # int() of a long digit string is quadratic; engine.io's own guard, kept.
    if len(digits) > 100:
        raise ValueError("integer is too large")
    return int(digits)
