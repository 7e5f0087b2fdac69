"""A period's headline figures, for the supervisor's "today": a view of the reports.

The figures and their definitions are ``live_chat.reports.summary``'s
(docs/metrics.md); this keeps the few the supervisor panel shows, with the
sample counts behind them, under one small dataclass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from live_chat.reports.summary import summary_with_counts
from live_chat.reports.window import ReportWindow
from live_chat.store.repository import Store


@dataclass(frozen=True, slots=True)
class Summary:
    """Conversations created in ``[since, until)``; durations in seconds."""

    since: datetime
    until: datetime
    conversations: int
    bot_frt_p50_s: float | None
    bot_frt_p90_s: float | None
    bot_frt_samples: int
    closed: int
    deflection: float | None
    human_frt_p50_s: float | None
    human_frt_p90_s: float | None
    human_frt_samples: int
    abandoned: int
    # Ratings (1-5) of these conversations: the mean, how many, the share of 4 and 5.
    csat_mean: float | None = None
    csat_responses: int = 0
    csat_share_4_5: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return data


async def summary(store: Store, since: datetime, until: datetime) -> Summary:
    """The headline figures of the conversations created in ``[since, until)`` (aware)."""
    # Agent utilisation is not among the headline figures: not computed.
    figures = await summary_with_counts(store, ReportWindow(since, until, ZoneInfo("UTC")),
                                        utilisation=False)
    return Summary(
        since=since, until=until, conversations=figures["conversations"],
        bot_frt_p50_s=figures["bot_frt_p50_s"], bot_frt_p90_s=figures["bot_frt_p90_s"],
        bot_frt_samples=figures["bot_frt_samples"], closed=figures["closed"],
        deflection=figures["deflection"], human_frt_p50_s=figures["human_frt_p50_s"],
        human_frt_p90_s=figures["human_frt_p90_s"],
        human_frt_samples=figures["human_frt_samples"], abandoned=figures["abandoned"],
        csat_mean=figures["csat_mean"], csat_responses=figures["csat_responses"],
        csat_share_4_5=figures["csat_share_4_5"],
    )
