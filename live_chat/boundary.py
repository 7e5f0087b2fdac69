"""Where errors meet the wire: every acked handler answers ``{ok: ...}``, whatever happens."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import socketio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

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
        except Exception as exc:
            if is_outage(exc):
                _outage_log.note(handler.__name__, exc)
            else:
                log.exception("handler %s failed", handler.__name__)
            return Unavailable("the server could not handle this; try again").to_ack()
        return {"ok": True, **result}

    return wrapper


def is_outage(exc: BaseException) -> bool:
    """A database or Redis that cannot be reached (not a bug: no traceback helps)."""
    if isinstance(exc, DBAPIError):
        # statement None: it failed while connecting (refused, not accepting connections).
        return (exc.connection_invalidated or exc.statement is None
                or isinstance(exc, OperationalError | InterfaceError))
    return isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError)


class _OutageLog:
    """One warning line per ``every_s`` seconds while an outage lasts, with a count."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._last = 0.0
        self._quiet = 0

    def note(self, handler: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s:
            self._quiet += 1
            return
        more = f" (and {self._quiet} more since)" if self._quiet else ""
        log.warning("handler %s answered unavailable: %s: %s%s", handler,
                    type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "",
                    more)
        self._last, self._quiet = now, 0


_outage_log = _OutageLog()


def first_arg(args: tuple[Any, ...]) -> Any:
    """The event's payload: a client may send none (``None``) or, wrongly, several."""
    return args[0] if len(args) == 1 else (None if not args else list(args))


def refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection, carrying the same ``{error, message}`` as an error ack."""
    return socketio.exceptions.ConnectionRefusedError({"error": code, "message": message})
