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


class TooLarge(ChatError):
    """A file over the attachment size limit."""

    code = "too_large"


class UnsupportedType(ChatError):
    """A file whose bytes are none of the accepted types (whatever its name says)."""

    code = "unsupported_type"


class LinkExpired(Forbidden):
    """A signed attachment URL past its time: ask for a new link."""

    code = "expired"


class GateRefused(Conflict):
    """The gate refused a model version: activating it needs a reason (see docs/admin.md)."""

    code = "gate_refused"
