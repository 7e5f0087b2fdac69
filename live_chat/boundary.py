"""Where errors meet the wire: every acked handler answers ``{ok: ...}``, whatever happens."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import socketio

from live_chat.errors import ChatError, Unavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
S = TypeVar("S")


def acked(
    handler: Callable[Concatenate[S, str, P], Awaitable[dict[str, Any]]],
) -> Callable[Concatenate[S, str, P], Awaitable[dict[str, Any]]]:
    """Turn a handler's result into ``{"ok": true, ...}`` and its errors into error acks.

    A :class:`ChatError` becomes its code and sentence; anything unexpected is
    logged and answered ``unavailable``, so one bad event never takes the
    connection or the process down.
    """

    @functools.wraps(handler)
    async def wrapper(self: S, sid: str, *args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        try:
            result = await handler(self, sid, *args, **kwargs)
        except ChatError as exc:
            return exc.to_ack()
        except Exception:
            log.exception("handler %s failed", handler.__name__)
            return Unavailable("the server could not handle this; try again").to_ack()
        return {"ok": True, **result}

    return wrapper


def first_arg(args: tuple[Any, ...]) -> Any:
    """The event's payload: a client may send none (``None``) or, wrongly, several."""
    return args[0] if len(args) == 1 else (None if not args else list(args))


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection, carrying the same ``{error, message}`` as an error ack."""
    return socketio.exceptions.ConnectionRefusedError({"error": code, "message": message})
