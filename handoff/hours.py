"""Business hours: when agents are expected, in the team's own time zone.

Outside these hours (or when :meth:`HandoffBackend.eta_seconds` says nobody is
online) the gateway should not queue a visitor to wait forever but offer to
leave a message. Pure value object: parsing and clock arithmetic only.

The spec is what an admin writes in config, e.g. ``TSUNAGU_BUSINESS_HOURS``::

    mon-fri 09:00-18:00; sat 10:00-14:00
    mon,wed,fri 08:30-12:00 13:00-17:30
    mon-sun 22:00-06:00          (overnight: Monday 22:00 to Tuesday 06:00, ...)
    24/7                         (always open; also the meaning of an empty spec)

Groups are separated by ``;``. Each is a day set (a day, a range that may wrap
like ``fri-mon``, or a comma list) and one or more ``HH:MM-HH:MM`` windows;
``24:00`` ends a window at midnight, and an end at or before its start runs
into the next day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_WEEK_MINUTES = 7 * 24 * 60


def _minute(hours: str, minutes: str, spec: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        raise ValueError(f"bad time {hours}:{minutes} in business hours {spec!r}")
    return h * 60 + m


def _days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        names = part.strip().lower().split("-")
        if len(names) > 2 or any(n not in _DAYS for n in names):
            raise ValueError(f"bad day {part.strip()!r} in business hours {spec!r}")
        first, last = _DAYS.index(names[0]), _DAYS.index(names[-1])
        span = (last - first) % 7  # "fri-mon" wraps over the weekend
        days.extend((first + i) % 7 for i in range(span + 1))
    return days


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Weekly opening windows in one time zone.

    ``windows``: ``(start, end)`` pairs in minutes since Monday 00:00 local
    time, with ``start < 7 * 1440`` and ``start < end <= start + 1440``; a
    window past Sunday midnight wraps to the week's start. Empty means always
    open. ``tz``: the IANA zone name the windows are in (e.g. ``"Asia/Tokyo"``).
    Build with :meth:`parse`.
    """

    windows: tuple[tuple[int, int], ...]
    tz: str

    @classmethod
    def parse(cls, spec: str, tz: str = "UTC") -> BusinessHours:
        """Read a spec like ``"mon-fri 09:00-18:00; sat 10:00-14:00"`` (see the
        module docstring) in time zone ``tz``; raise ``ValueError`` if invalid."""
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        text = spec.strip()
        if text in ("", "24/7"):
            return cls((), tz)
        windows: list[tuple[int, int]] = []
        for group in text.split(";"):
            words = group.split()
            if len(words) < 2:
                raise ValueError(f"expected 'DAYS HH:MM-HH:MM' in business hours {spec!r}")
            days = _days(words[0], spec)
            for word in words[1:]:
                match = _WINDOW.match(word)
                if not match:
                    raise ValueError(f"bad window {word!r} in business hours {spec!r}")
                start = _minute(match[1], match[2], spec)
                end = _minute(match[3], match[4], spec)
                if start >= 24 * 60:
                    raise ValueError(f"window {word!r} cannot start at 24:00 in {spec!r}")
                if end <= start:
                    end += 24 * 60  # runs past midnight into the next day
                windows.extend((d * 1440 + start, d * 1440 + end) for d in days)
        return cls(tuple(sorted(windows)), tz)

    def _week_minute(self, at: datetime) -> float:
        if at.tzinfo is None:
            raise ValueError("business hours need an aware datetime (e.g. datetime.now(UTC))")
        local = at.astimezone(ZoneInfo(self.tz))
        return local.weekday() * 1440 + local.hour * 60 + local.minute + local.second / 60

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (an aware datetime, any zone) falls in a window."""
        if not self.windows:
            return True
        minute = self._week_minute(at)
        for start, end in self.windows:
            # A window running past Sunday midnight also covers the week's start.
            if start <= minute < end or start <= minute + _WEEK_MINUTES < end:
                return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment at or after ``at`` that is open (``at`` itself when
        open), in UTC, or ``None`` if there are no windows (always open)."""
        if not self.windows:
            return None
        if self.is_open(at):
            return at.astimezone(UTC)
        local = at.astimezone(ZoneInfo(self.tz))
        week_start = (local - timedelta(days=local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        minute = self._week_minute(at)
        starts = sorted(s for s, _ in self.windows)
        later = [s for s in starts if s > minute]
        start = later[0] if later else starts[0] + _WEEK_MINUTES
        # Wall-clock arithmetic in the local zone, so a DST change keeps 09:00 at 09:00.
        opening = (week_start.replace(tzinfo=None) + timedelta(minutes=start)).replace(
            tzinfo=ZoneInfo(self.tz)
        )
        return opening.astimezone(UTC)
