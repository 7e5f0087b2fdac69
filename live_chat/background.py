"""The shapes of a process's background loops, and how they survive failures.

Every gateway process runs a few loops beside the sockets: sweeps and repairs
on a fixed period (:func:`every`), and queue workers that run a pass on a
period or as soon as new work is announced (:func:`passes`). A failing pass is
logged and the loop goes on; during a database or Redis outage each failure is
one line, because several loops tick every second and a traceback each would
bury the log of the outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from live_chat.boundary import is_outage

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


async def every(seconds: float, job: Job) -> None:
    """Run ``job`` every ``seconds`` (first after one period) until cancelled."""
    name = _name_of(job)
    while True:
        await asyncio.sleep(seconds)
        await _attempt(job, name, seconds)


async def passes(job: Job, *, every_s: float, wake: asyncio.Event, name: str) -> None:
    """Run ``job`` now, then every ``every_s`` or as soon as ``wake`` is set, until
    cancelled. ``name`` names the loop in the log.

    ``wake`` is cleared before each pass, so work announced during a pass gets
    a pass of its own right after it.
    """
    while True:
        wake.clear()
        await _attempt(job, name, every_s)
        try:
            await asyncio.wait_for(wake.wait(), every_s)
        except TimeoutError:
            pass


def _name_of(job: Job) -> str:
    # functools.partial has no name of its own; its repr would list every argument.
    inner = getattr(job, "func", job)
    return str(getattr(inner, "__qualname__", None) or repr(inner))


async def _attempt(job: Job, name: str, retry_s: float) -> None:
    try:
        await job()
    except Exception as exc:
        if is_outage(exc):
            first = str(exc).splitlines()[0] if str(exc) else ""
            log.warning("%s failed (%s: %s); retrying in %s s", name, type(exc).__name__,
                        first, retry_s)
        else:
            log.exception("%s failed; retrying in %s s", name, retry_s)
