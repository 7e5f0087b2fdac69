"""The answers of the HTTP API as pydantic models, for the OpenAPI document.

They describe the JSON the handlers already send (``wire.py``'s ``*_out``
functions and the services build it); the keys are the wire contract of
docs/protocol.md and must not be renamed. Models whose content is defined
elsewhere in full (reports in docs/metrics.md, the admin API in docs/admin.md)
name their top-level keys and allow what those documents add.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from live_chat.webhooks import Event, Kind
from live_chat.wire import Payload


class Shape(BaseModel):
    """An answer's shape: the keys named are always there; more may follow."""

    model_config = ConfigDict(extra="allow")


class ErrorOut(Shape):
    """Every error: a stable machine code and a sentence for people (some add details,
    e.g. ``max_bytes`` or ``types``)."""

    ok: Literal[False]
    error: str
    message: str


class OkOut(Shape):
    ok: Literal[True]


class ReadyOut(Shape):
    ok: bool
    unavailable: dict[str, str] | None = Field(
        default=None, description="what is not ready (database, redis, nlu: Rasa) and why, "
        "in a few words")


class AgentOut(Shape):
    id: str
    name: str
    email: str
    role: Literal["agent", "supervisor", "admin"]
    capacity: int
    teams: list[str]
    status: str


class LoginIn(Payload):
    """``POST /api/auth/login``'s body (checked by the handler: 1-320 characters each)."""

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=320)


class LoginOut(OkOut):
    token: str = Field(description="for `Authorization: Bearer` and the /agent socket")
    agent: AgentOut
    csrf: str = Field(description="echo in X-CSRF-Token with the cookie on changes")


class SessionOut(OkOut):
    agent: AgentOut
    csrf: str


class Avatar(Shape):
    initials: str
    color: str
    name: str | None


class Prechat(Shape):
    fields: list[str]
    required: list[str]


class SiteOut(Shape):
    team_name: str | None
    agents: list[Avatar]
    reply_time_s: int | None
    open: bool
    opens_at: str | None
    timezone: str | None
    prechat: Prechat
    transcript_email: bool


class WidgetSiteOut(OkOut):
    site: SiteOut


class AgentsOut(OkOut):
    agents: list[dict[str, Any]]


class CannedOut(Shape):
    id: int
    shortcut: str
    locale: str
    title: str
    text: str
    placeholders: list[str]


class CannedListOut(OkOut):
    canned: list[CannedOut]


class CannedOneOut(OkOut):
    canned: CannedOut


class ConversationOut(Shape):
    id: str
    state: str
    queue_position: int | None
    eta_s: int | None
    agent: dict[str, Any] | None
    last_seq: int
    created_at: str
    queued_at: str | None
    assigned_at: str | None
    wait_s: float | None
    resolution: str | None
    locale: str | None
    can_rate: bool
    version: int


class SearchOut(OkOut):
    conversations: list[dict[str, Any]] = Field(description="Summary, see docs/protocol.md")
    next_cursor: str | None


class CsatOut(Shape):
    score: int
    comment: str | None


class TranscriptOut(OkOut):
    """A whole conversation, read-only (``GET /api/conversations/{id}``)."""

    conversation: ConversationOut
    summary: dict[str, Any]
    visitor: dict[str, Any] | None
    messages: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    tags: list[str]
    csat: CsatOut | None
    reply_to: str | None = None


class EmailReplyOut(OkOut):
    """The agent's reply as stored (``POST /api/conversations/{id}/reply``); its
    e-mail is queued."""

    message: dict[str, Any]


class VisitorOut(Shape):
    id: str
    user_id: str | None
    name: str | None
    email: str | None
    identified: bool
    past_conversations: int
    returning: bool
    locale: str | None
    page_url: str | None
    first_seen: str
    last_seen: str
    earlier: list[dict[str, Any]]


class VisitorProfileOut(OkOut):
    visitor: VisitorOut
    conversations: list[dict[str, Any]]


class TagsOut(OkOut):
    tags: list[str]


class AttachmentOut(Shape):
    id: str
    name: str
    type: str
    size: int


class LinkOut(OkOut):
    url: str
    expires_at: int


class UploadOut(LinkOut):
    attachment: AttachmentOut


# -- the admin API (docs/admin.md) and the reports (docs/metrics.md) -----------------


class IntentsOut(OkOut):
    intents: list[dict[str, Any]]


class IntentOut(OkOut):
    intent: dict[str, Any]


class UnmatchedOut(OkOut):
    groups: list[dict[str, Any]]


class IgnoredOut(OkOut):
    ignored: int


class JobOut(OkOut):
    job: dict[str, Any]


class JobsOut(OkOut):
    jobs: list[dict[str, Any]]


class AuditOut(OkOut):
    entries: list[dict[str, Any]]


class ExamplesAddedOut(IntentOut):
    """An intent after examples were added to it (created with them, or added later)."""

    added: list[dict[str, Any]] = Field(description="{text, locale, message_id, …} stored")
    skipped: list[dict[str, Any]] = Field(
        description="{text, message_id, intent, reason}: duplicate, other_intent, not_found")


class ModelsOut(OkOut):
    active: str | None = Field(description="the version serving, if any")
    models: list[dict[str, Any]] = Field(description="newest first, with their gate report")


class ActiveModelOut(OkOut):
    active: str = Field(description="the version now serving")


class ProblemOut(Shape):
    file: str
    line: int | None = Field(description="1-based; null when not about one line")
    message: str


class ImportedOut(OkOut):
    imported: dict[str, int] = Field(description="how many of each kind were added")
    warnings: list[ProblemOut] = Field(description="what was read but is not used")


class SiteFactOut(Shape):
    name: str
    value: str | None
    default: str | None
    source: Literal["admin", "default"]


class SiteFactsOut(OkOut):
    facts: list[SiteFactOut] = Field(description="by name")


class OverviewOut(OkOut):
    """The supervisor's overview (docs/protocol.md)."""

    queue: list[dict[str, Any]] = Field(description="waiting chats in serving order")
    live: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    today: dict[str, Any]


class ReportOut(OkOut):
    """A report: its figures are those of docs/metrics.md."""


class SummaryOut(ReportOut):
    """``GET /api/reports/summary``: the window's figures; docs/metrics.md defines each,
    and the ones not named here."""

    since: str
    until: str
    tz: str
    conversations: int
    outcomes: dict[str, int]
    deflection: float | None
    answer_rate: float | None
    abandonment_rate: float | None
    by_intent: list[dict[str, Any]]
    by_agent: list[dict[str, Any]]
    by_locale: list[dict[str, Any]]
    wait_histogram: list[dict[str, Any]]


class TimePointOut(Shape):
    t: str = Field(description="the ISO start of the interval, in tz")
    value: float | None


class TimeseriesOut(ReportOut):
    metric: str
    interval: Literal["hour", "day", "week"]
    tz: str
    points: list[TimePointOut]


class ThresholdPointOut(Shape):
    threshold: float
    fallback_share: float | None
    escalation_share: float | None


class ThresholdsOut(ReportOut):
    current: float | None
    messages: int
    points: list[ThresholdPointOut]
    by_intent: list[dict[str, Any]]


# -- webhooks (README "Webhooks and Slack", docs/protocol.md "Webhooks") -----------------


class WebhookOut(Shape):
    """A subscription as the admin API shows it: never its secret, only the end of it."""

    id: str
    kind: Kind
    url: str
    events: list[Event] = Field(description="in the documented order, each once")
    active: bool
    description: str | None
    source: Literal["admin", "setting"] = Field(
        description="setting: made from TSUNAGU_SLACK/TEAMS_WEBHOOK_URL, changed only there")
    secret_hint: str = Field(description="`…` and the secret's last 4 characters")
    created_at: str
    updated_at: str


class WebhooksOut(OkOut):
    webhooks: list[WebhookOut]


class WebhookOneOut(OkOut):
    webhook: WebhookOut


class WebhookCreatedOut(WebhookOneOut):
    secret: str = Field(description="the signing secret: shown in this answer only")


class DeliveryOut(Shape):
    """One delivery of one event to one subscription, as the delivery log lists it."""

    id: int
    subscription_id: str
    event: Event
    event_id: str = Field(description="the body's `id`: the same for every subscription "
                                      "and replay")
    conversation_id: str | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    status_code: int | None = Field(description="the receiver's last answer, if any")
    last_error: str | None
    replay_of: int | None = Field(description="the delivery this one replays")
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    failed_at: str | None


class DeliveryWithBodyOut(DeliveryOut):
    body: str = Field(description="the exact text posted (signed anew at each attempt)")


class DeliveriesOut(OkOut):
    deliveries: list[DeliveryOut] = Field(description="newest first")


class DeliveryOneOut(OkOut):
    delivery: DeliveryWithBodyOut


class ReplayOut(OkOut):
    delivery: DeliveryOut = Field(description="the new delivery, due now")


# -- API keys and the CRM reads (docs/protocol.md, "REST API for programs") ----------


class ApiKeyOut(Shape):
    """An API key as lists show it: its first characters (``prefix``), never the key."""

    id: str
    name: str
    prefix: str
    scopes: list[Literal["read", "reports"]]
    created_at: str
    created_by: dict[str, Any] | None
    last_used_at: str | None
    revoked_at: str | None


class ApiKeysOut(OkOut):
    api_keys: list[ApiKeyOut]


class ApiKeyOneOut(OkOut):
    api_key: ApiKeyOut


class ApiKeyCreatedOut(ApiKeyOneOut):
    key: str = Field(description="the key (`tsk_…`): shown in this answer only, never again")


class TranscriptMessageOut(Shape):
    seq: int
    sender: Literal["visitor", "bot", "agent", "system"]
    author: dict[str, Any] | None = Field(description="{id, name} of an agent, else null")
    text: str
    attachments: list[str] = Field(description="the files' names")
    ts: str


class TranscriptVisitorOut(Shape):
    id: str
    user_id: str | None
    name: str | None
    email: str | None


class ConversationTranscriptOut(OkOut):
    """What was said in one conversation, in order (``GET /api/conversations/{id}/transcript``);
    internal notes are not part of it."""

    conversation: dict[str, Any] = Field(
        description="{id, state, created_at, closed_at, locale, resolution, last_seq}")
    visitor: TranscriptVisitorOut | None
    messages: list[TranscriptMessageOut]
    next_after_seq: int | None = Field(
        description="pass as after_seq for the next page; null on the last page")
