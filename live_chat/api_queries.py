"""The query parameters of the HTTP API as pydantic models, for the OpenAPI document.

Each model names the parameters one route reads (by alias where the name is not
a Python word: ``from``) and says what each means; the route's handler checks
them itself and answers 400 ``invalid`` naming a bad one. A route points at its
model with ``@documented(..., query=Model)``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from live_chat.reports.timeseries import INTERVALS, METRICS
from live_chat.store.conversation_search import MAX_PAGE

Locale = Literal["ja", "en"]
#: The largest whole number a query parameter may hold (a 32-bit database integer).
MAX_NUMBER = 2**31 - 1


class Query(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class CannedQuery(Query):
    q: str | None = Field(default=None, description="text in the shortcut, title or text")
    locale: str | None = Field(default=None, description="only this locale (ja, en)")


class ConversationSearchQuery(Query):
    q: str | None = Field(default=None, max_length=200,
                          description="a substring of any message")
    state: str | None = Field(
        default=None, description="states, comma-separated: bot, queued, assigned, closed, "
                                  "abandoned")
    visitor: str | None = Field(
        default=None, max_length=200,
        description="a visitor id (or its last 6+ characters), the site's user id, or the "
                    "visitor's name or e-mail (whole, any case)")
    email: str | None = Field(default=None, max_length=254,
                              description="the visitor's e-mail, whole, any case")
    intent: str | None = Field(default=None, max_length=64,
                               description="the bot classified a visitor message so")
    agent: str | None = Field(default=None, max_length=64,
                              description="an agent id: the agent was given the conversation")
    from_: str | None = Field(default=None, alias="from",
                              description="created from: an ISO date (UTC) or time with offset")
    to: str | None = Field(default=None,
                           description="created until: an ISO date (its whole day, UTC) or "
                                       "time with offset")
    tag: str | None = Field(default=None, description="carries this tag")
    limit: int = Field(default=25, ge=1, le=MAX_PAGE, description="conversations per page")
    cursor: str | None = Field(default=None,
                               description="the next_cursor of the previous page")


class TranscriptQuery(Query):
    after_seq: int = Field(default=0, ge=0, le=MAX_NUMBER,
                           description="messages after this seq (the previous page's "
                                       "next_after_seq)")
    limit: int = Field(default=500, ge=1, le=1000, description="messages per page")
    format: Literal["json", "text"] = Field(
        default="json", description="text: text/plain, one line per message "
                                    "(so does Accept: text/plain)")


class IntentsQuery(Query):
    q: str | None = Field(default=None, description="text in the intent's name")


class DeleteIntentQuery(Query):
    revision: int = Field(le=MAX_NUMBER,
                          description="the revision being deleted (a stale one is 409)")


class UnmatchedQuery(Query):
    days: int = Field(default=30, ge=1, le=365, description="messages of the last days")
    locale: Locale | None = Field(default=None, description="only this locale")


class AuditQuery(Query):
    action: str | None = Field(default=None, description="e.g. intent.create, api_key.revoke")
    target: str | None = Field(default=None, description="what the entry is about (an id, "
                                                         "a name)")
    limit: int = Field(default=100, ge=1, le=500, description="entries per page")
    before: int | None = Field(default=None, le=MAX_NUMBER,
                               description="entries older than this id")


class DeliveriesQuery(Query):
    subscription: str | None = Field(default=None, description="a subscription id")
    status: Literal["pending", "delivered", "failed"] | None = None
    event: str | None = Field(default=None, description="an event name")
    limit: int = Field(default=50, ge=1, le=200, description="deliveries per page")
    before: int | None = Field(default=None, le=999_999_999,
                               description="deliveries older than this id")


class ReportQuery(Query):
    since: str | None = Field(default=None,
                              description="an ISO date or time (default: 7 days before until)")
    until: str | None = Field(default=None, description="an ISO date or time (default: now), "
                                                        "excluded")
    tz: str | None = Field(default=None, description="the zone days are counted in "
                                                     "(default TSUNAGU_TIMEZONE)")
    team: str | None = Field(default=None, description="only this team")
    agent: str | None = Field(default=None, description="only conversations this agent had")
    intent: str | None = Field(default=None, description="only this conversation intent")
    locale: str | None = Field(default=None, description="only this locale")


class TimeseriesQuery(ReportQuery):
    metric: Literal[METRICS] = Field(description="the figure to count")  # type: ignore[valid-type]
    interval: Literal[INTERVALS] = Field(  # type: ignore[valid-type]
        default="day", description="one point per")


class ThresholdsQuery(ReportQuery):
    current: float | None = Field(default=None, ge=0, le=1,
                                  description="the threshold to compare with (default: the "
                                              "serving model's)")


class AttachmentQuery(Query):
    p: str = Field(description="who the link was made for (from the link)")
    exp: str = Field(description="when the link expires (from the link)")
    sig: str = Field(description="the link's signature")


class BundleQuery(Query):
    v: str | None = Field(default=None,
                          description="the bundle's version (its ETag): cached for a year")
