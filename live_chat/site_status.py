"""What the widget's header says about the support desk, and what it asks first.

One snapshot serves every visitor (it holds nothing of any one of them): the
team's name, avatars of the agents online now, the expected reply time, the
business hours' state and the pre-chat form. It is sent in ``session``,
answered to the visitor event ``site`` and served, cacheable, at
``GET /api/widget/site`` (docs/protocol.md).

Avatars are initials on a colour derived from the agent's id: nothing a
visitor or an agent typed ever becomes a URL the widget loads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff import AgentStatus, HandoffBackend
from live_chat.settings import Settings
from live_chat.store.reports import recent_human_frt
from live_chat.store.repository import Store

log = logging.getLogger(__name__)

#: Avatars shown at most.
MAX_AVATARS = 3
#: Fewer human replies than this in the window: no reply time is promised.
MIN_REPLY_SAMPLES = 3
#: Seconds the median reply time is kept before it is read from the record again.
REPLY_TIME_TTL_S = 60.0
#: Seconds one snapshot serves every visitor who connects or asks meanwhile.
SNAPSHOT_TTL_S = 1.0
#: Avatar backgrounds: white initials read on each at 4.5:1 or more.
PALETTE = ("#1565c0", "#3d5a80", "#7a4b94", "#a0522d", "#2e6b30", "#ad1457",
           "#00695c", "#5d4037")


def initials(name: str) -> str:
    """One or two letters for an avatar: of the first two words ("Hanako Sato" →
    "HS"), or the first character of a name written without spaces ("佐藤" → "佐")."""
    words = name.split()
    if not words:
        return "?"
    letters = [w[0] for w in words[:2]] if len(words) > 1 else [words[0][0]]
    return "".join(letters).upper()


def avatar_color(agent_id: str) -> str:
    """The same colour for an agent everywhere, from their id (not their name)."""
    return PALETTE[hashlib.sha256(agent_id.encode()).digest()[0] % len(PALETTE)]


def shown_name(name: str, mode: str) -> str | None:
    """The name under an avatar: ``full``, its ``first`` word, or ``none``."""
    if mode == "none" or not name.strip():
        return None
    return name.strip() if mode == "full" else name.split()[0]


class SiteStatus:
    """Builds (and briefly caches) the widget's header snapshot.

    ``settings``: team name, agent-name mode, reply-time window, business
    hours, pre-chat form. ``store``: the record the reply time is measured
    from. ``backend``: the handoff backend that knows who is online.
    ``clock``: seconds for the caches (tests may pass their own).
    """

    def __init__(self, settings: Settings, store: Store, backend: HandoffBackend,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.clock = clock
        self._hours = settings.hours()
        self._reply: tuple[float, int | None] | None = None
        self._reply_task: asyncio.Task[None] | None = None
        self._snapshot: tuple[float, dict[str, Any]] | None = None
        # Visitors connecting together wait for one snapshot, not one each.
        self._lock = asyncio.Lock()

    async def current(self) -> dict[str, Any]:
        """The snapshot (see docs/protocol.md, "The widget's header")."""
        async with self._lock:
            now = self.clock()
            if self._snapshot is None or now - self._snapshot[0] >= SNAPSHOT_TTL_S:
                self._snapshot = (now, await self._build(now))
            return self._snapshot[1]

    async def _build(self, now: float) -> dict[str, Any]:
        at = datetime.now(UTC)
        is_open = self._hours is None or self._hours.is_open(at)
        opens_at = None if is_open or self._hours is None else self._hours.next_opening(at)
        snapshot = {
            "team_name": self.settings.team_name,
            "agents": await self._avatars(),
            "reply_time_s": await self._reply_time(now),
            "open": is_open,
            "opens_at": opens_at.isoformat() if opens_at else None,
            "timezone": self.settings.timezone if self._hours is not None else None,
            "prechat": {"fields": list(self.settings.prechat_fields),
                        "required": list(self.settings.prechat_required)},
            "transcript_email": self.settings.transcript_email,
        }
        return snapshot

    async def _avatars(self) -> list[dict[str, Any]]:
        online = [a for a in await self.backend.agents()
                  if a.status == AgentStatus.ONLINE and a.connected]
        # Longest idle first: the people most likely to answer next.
        online.sort(key=lambda a: (a.idle_order, a.agent_id))
        return [{"initials": initials(a.name), "color": avatar_color(a.agent_id),
                 "name": shown_name(a.name, self.settings.widget_agent_names)}
                for a in online[:MAX_AVATARS]]

    async def _reply_time(self, now: float) -> int | None:
        """Median human FRT of the last ``reply_time_hours``; None on too little data.

        Read from the record the first time; afterwards a figure older than
        :data:`REPLY_TIME_TTL_S` is served while a background task reads the
        next one, so no visitor's ``session`` waits for that query."""
        if self._reply is None:
            await self._read_reply_time()
        elif now - self._reply[0] >= REPLY_TIME_TTL_S and (
                self._reply_task is None or self._reply_task.done()):
            self._reply_task = asyncio.create_task(self._read_reply_time())
        return self._reply[1] if self._reply is not None else None

    async def _read_reply_time(self) -> None:
        since = datetime.now(UTC) - timedelta(hours=self.settings.reply_time_hours)
        try:
            samples = await recent_human_frt(self.store, since)
        except Exception:
            # A header without a reply time beats a visitor without a session.
            log.exception("could not read the recent human first response times")
            samples = []
        median = (round(statistics.median(samples)) if len(samples) >= MIN_REPLY_SAMPLES
                  else None)
        self._reply = (self.clock(), median)
