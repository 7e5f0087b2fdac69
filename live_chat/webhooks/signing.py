"""The signature of a webhook delivery, and its check on the receiving side.

``X-Tsunagu-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the subscription's secret over ``f"{t}.{body}"`` (the body
as the exact bytes posted). The timestamp is inside the signed text, so a
receiver that refuses timestamps far from its clock also refuses a recorded
request replayed later. Only the standard library: a receiver may copy
:func:`verify` as it is (the README shows it).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Tsunagu-Signature"
#: How far from the receiver's clock a timestamp may be, by default.
TOLERANCE_S = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` posted at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = TOLERANCE_S,
           now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of ``now``."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
