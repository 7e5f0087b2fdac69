"""The JSON codec python-socketio uses for every packet: orjson, behind the stdlib's names.

Each message crosses JSON three times (the visitor's event, the ack, the
bot's reply); the stdlib ``json`` with engine.io's ``parse_int`` guard builds
a decoder per call. orjson is several times faster, and bounds what the guard
bounds: integers too long for 64 bits become floats (no quadratic parse) and
nesting deeper than 1,024 levels is refused.
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError


def dumps(obj: Any, **_options: Any) -> str:
    """Compact JSON text (python-socketio passes ``separators``; orjson is always compact)."""
    return orjson.dumps(obj).decode()


def loads(text: str | bytes, **_options: Any) -> Any:
    return orjson.loads(text)
