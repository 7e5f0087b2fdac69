"""Which conversations a report covers: created in ``[since, until)``, filtered, in a time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from live_chat.errors import InvalidPayload

DEFAULT_DAYS = 7
# A year and a bit: longer windows are refused rather than left to run for minutes.
MAX_DAYS = 400


@dataclass(frozen=True, slots=True)
class ReportWindow:
    """The conversations of one report.

    ``since``/``until`` are aware UTC datetimes (``until`` excluded); ``tz``
    is the zone days and weeks are counted in; the filters narrow to a
    team, an agent id (conversations that agent was assigned), a
    conversation intent or a locale (``None``: all).
    """

    since: datetime
    until: datetime
    tz: ZoneInfo
    team: str | None = None
    agent: str | None = None
    intent: str | None = None
    locale: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], *, default_tz: str,
                   now: datetime | None = None) -> ReportWindow:
        """Read ``since``, ``until``, ``tz`` and the filters of an HTTP query.

        Dates without a time are midnight in ``tz``; times without an offset
        are in ``tz`` too. Raises :class:`InvalidPayload` with a sentence
        naming the parameter.
        """
        name = (query.get("tz") or default_tz).strip()
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidPayload(f"tz: unknown time zone {name!r} (e.g. Asia/Tokyo)") from None
        now = now or datetime.now(UTC)
        until = _when(query.get("until"), tz, "until") or now
        since = _when(query.get("since"), tz, "since") or until - timedelta(days=DEFAULT_DAYS)
        if since >= until:
            raise InvalidPayload("since must be before until")
        if until - since > timedelta(days=MAX_DAYS):
            raise InvalidPayload(f"a report covers at most {MAX_DAYS} days")
        filters = {key: (query.get(key) or "").strip()[:200] or None
                   for key in ("team", "agent", "intent", "locale")}
        return cls(since=since, until=until, tz=tz, **filters)

    def previous(self) -> ReportWindow:
        """The window of the same length just before this one (for "change vs before")."""
        length = self.until - self.since
        return ReportWindow(self.since - length, self.since, self.tz, self.team, self.agent,
                            self.intent, self.locale)

    def as_dict(self) -> dict[str, str | None]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "tz": self.tz.key, "team": self.team, "agent": self.agent,
                "intent": self.intent, "locale": self.locale}


def _when(raw: str | None, tz: ZoneInfo, name: str) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            value = datetime.combine(date.fromisoformat(text), time(0), tzinfo=tz)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload(f"{name}: not an ISO date or time: {text[:40]!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
