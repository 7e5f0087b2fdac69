"""The errors a client can see, each with the stable code of PROTOCOL.md.

Handlers raise these; the namespace boundary turns them into
``{"ok": false, "error": code, "message": text}``. Anything else that escapes a
handler is logged and answered with ``unavailable``, never a dead process.
"""

from __future__ import annotations

from typing import Any


class ChatError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``message`` is for people."""

    code = "unavailable"

    def __init__(self, message: str, **details: Any) -> None:
        """``details`` (JSON-safe) travel beside the message, e.g. where a file is wrong."""
        super().__init__(message)
        self.message = message
        self.details = details

    def to_ack(self) -> dict[str, Any]:
        return {**self.details, "ok": False, "error": self.code, "message": self.message}


class InvalidPayload(ChatError):
    code = "invalid"


class TooLong(ChatError):
    code = "too_long"


class RateLimited(ChatError):
    code = "rate_limited"


class Forbidden(ChatError):
    code = "forbidden"


class NotFound(ChatError):
    code = "not_found"


class Conflict(ChatError):
    code = "conflict"


class Unavailable(ChatError):
    code = "unavailable"


class GateRefused(Conflict):
    """The gate refused a model version: activating it needs a reason (see docs/admin.md)."""

    code = "gate_refused"
