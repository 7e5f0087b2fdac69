"""The record: visitors, conversations, messages and conversation events.

Metrics are queries over ``messages`` and ``conversation_events``; nothing is
kept only in memory. Timestamps are stored in UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

OPEN_STATES = ("bot", "queued", "assigned")


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Visitor(Base):
    __tablename__ = "visitors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # Set when the site vouched for the visitor with an identity HMAC.
    user_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # From the pre-chat form, or from the site's signed identity (which wins).
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(35))
    page_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # One open conversation per visitor, enforced by the database so that two
        # tabs (or two processes) racing on a first message cannot open two.
        Index(
            "uq_conversations_open_visitor",
            "visitor_id",
            unique=True,
            sqlite_where=text("state IN ('bot', 'queued', 'assigned')"),
            postgresql_where=text("state IN ('bot', 'queued', 'assigned')"),
        ),
        Index("ix_conversations_state_created", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="bot")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    team: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agent_name: Mapped[str | None] = mapped_column(String(200))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str | None] = mapped_column(String(35))
    # The bot's dialogue state between messages; opaque to the gateway.
    bot_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resolution: Mapped[str | None] = mapped_column(String(64))
    # When it last entered the queue: with priority, the queue order.
    queued_at: Mapped[datetime | None] = mapped_column()
    # When an agent last took it from the queue (assigned_at - queued_at is the wait).
    assigned_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    # Read receipts: the highest seq each side has had in front of them. Only
    # ever raised, by a guarded UPDATE (Transaction.advance_read_mark).
    visitor_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        # A retried send carries the same client_id: the database refuses the copy.
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(32))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(String(200))
    quick_replies: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Indexed alone too: a retry is looked up across all of a visitor's conversations.
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Filled on visitor messages the bot classified.
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    # Filled on bot messages: what the bot did (answer, clarify, fallback, escalate).
    action: Mapped[str | None] = mapped_column(String(16))
    # Filled on bot messages of a Rasa assistant: an image's http(s) URL, and a
    # custom payload (a JSON object the site's own code may act on).
    image: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The files sent with it, as clients see them: [{id, name, type, size}]
    # (the rows of ``attachments`` say where they are kept and who may read them).
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Attachment(Base):
    """A file a visitor or an agent uploaded: an image or a PDF, kept in a blob store.

    ``visitor_id`` is the visitor whose conversation it belongs to (also for an
    agent's upload), so forgetting a visitor finds every file of theirs.
    ``conversation_id`` is set when an agent uploads into a chat, and for a
    visitor's upload when it is sent; ``message_id`` when it is sent.
    ``type`` is the content type sniffed from the bytes, never the client's.
    """

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    visitor_id: Mapped[str] = mapped_column(String(32), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"),
                                                        index=True)
    message_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # "visitor" or "agent", and the visitor's or agent's id.
    uploader: Mapped[str] = mapped_column(String(16))
    uploader_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationEvent(Base):
    """One state change or milestone of a conversation, with its time."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_events_type_created", "type", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Csat(Base):
    __tablename__ = "csat"

    # The primary key makes "once per conversation" a database rule.
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id"), primary_key=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    """A person who answers chats (or supervises, or administers)."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # argon2id, with its parameters and salt in the string.
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    capacity: Mapped[int] = mapped_column(Integer, default=4)
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentSession(Base):
    """A signed-in browser or program; revoking it ends its sockets' rights at once."""

    __tablename__ = "agent_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class Note(Base):
    """An agent's internal note on a conversation; never shown to the visitor."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailDelivery:
    """The delivery state every queued e-mail row has (see live_chat/mail/queue.py).

    Kept so that a restart loses none: the sender picks up rows with
    ``sent_at`` unset whose ``next_try_at`` has come. ``attempts`` counts
    failed deliveries; after the last one ``failed_at`` is set and it is tried
    no more.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()


class TranscriptRequest(MailDelivery, Base):
    """A visitor's request for their conversation's transcript by e-mail, sent
    once the conversation has ended."""

    __tablename__ = "transcript_requests"
    __table_args__ = (Index("ix_transcript_requests_due", "sent_at", "failed_at",
                            "next_try_at"),)

    email: Mapped[str] = mapped_column(String(254))


class OutgoingMail(MailDelivery, Base):
    """An e-mail about one message: a visitor's offline message to the team
    (``kind`` ``offline_message``), or an agent's reply to the visitor
    (``agent_reply``). Written in the transaction that stores the message, so
    an accepted message never loses its e-mail."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "sent_at", "failed_at", "next_try_at"),)

    kind: Mapped[str] = mapped_column(String(24))
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    to_address: Mapped[str] = mapped_column(String(254))


class ConversationTag(Base):
    """A label an agent put on a conversation (``refund``, ``vip``…), for the inbox."""

    __tablename__ = "conversation_tags"
    __table_args__ = (
        # The inbox's tag filter: the conversations with a tag.
        Index("ix_conversation_tags_tag", "tag", "conversation_id"),
    )

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id"), primary_key=True
    )
    # Lower case, 1-32 of letters, digits, ``-`` and ``_`` (live_chat.wire.TagIn).
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationAgent(Base):
    """An agent who was given a conversation (assigned, transferred, taken over).

    ``conversations.agent_id`` names only the current holder and is cleared at
    close; this keeps everyone who handled it, for the inbox's agent filter
    and for what a plain agent may read back.
    """

    __tablename__ = "conversation_agents"
    __table_args__ = (
        Index("ix_conversation_agents_agent", "agent_id", "conversation_id"),
    )

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id"), primary_key=True
    )
    agent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # When they were last given it: the newest row names the last agent.
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class CannedResponse(Base):
    """A ready answer agents insert with ``/`` + its shortcut, per language."""

    __tablename__ = "canned_responses"
    __table_args__ = (
        UniqueConstraint("shortcut", "locale", name="uq_canned_shortcut_locale"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shortcut: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    # May hold {visitor_name} and {agent_name}, filled in when inserted.
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- the bot's training data, models and their history (the admin pages) ------------


class BotIntent(Base):
    """An intent the bot knows: its answer and button titles; examples are rows of their own.

    ``revision`` grows with every change to its answer or labels: an admin's
    edit names the revision it started from, so two admins editing the same
    intent cannot overwrite each other unseen. Examples are added and removed
    one by one, which cannot lose anybody's work, so they need no revision.
    """

    __tablename__ = "bot_intents"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Rasa response variations of ``utter_<name>``: [{text, metadata: {language}, buttons}].
    response: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Short button titles per language: {"ja": "…", "en": "…"}.
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotResponse(Base):
    """A response the dialogue policy uses that answers no intent (``utter_fallback``…)."""

    __tablename__ = "bot_responses"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    variations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotExample(Base):
    """One training utterance of an intent, in one language."""

    __tablename__ = "bot_examples"
    __table_args__ = (
        # The same utterance (after normalisation) under two intents would teach
        # the model nothing but confusion: the database refuses the second.
        UniqueConstraint("text_hash", name="uq_bot_examples_text_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    intent: Mapped[str] = mapped_column(
        ForeignKey("bot_intents.name", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    # SHA-256 of the normalised text (see bot.training_data.normalize_example).
    text_hash: Mapped[str] = mapped_column(String(64))
    # seed (training_data/), admin, inbox (a labelled visitor message), import.
    source: Mapped[str] = mapped_column(String(16), default="admin")
    # The visitor message this example was labelled from, if any.
    message_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxDismissal(Base):
    """A visitor message an admin took out of the unmatched inbox without labelling it."""

    __tablename__ = "inbox_dismissals"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageFlag(Base):
    """An agent's "the bot should have answered this" on a visitor message."""

    __tablename__ = "message_flags"
    __table_args__ = (UniqueConstraint("message_id", "agent_id", name="uq_message_flags"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(32))
    # The intent the agent thinks it was, when they said.
    intent: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotModel(Base):
    """A trained model version, stored whole so that a process on any machine can load it."""

    __tablename__ = "bot_models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine: Mapped[str] = mapped_column(String(16), default="builtin")
    data_hash: Mapped[str] = mapped_column(String(64), default="")
    # The model's metadata.json (held-out figures, training time, intents…).
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The gate's comparison with the model that was active when it was trained.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The version folder as a zip of plain files (arrays and JSON; nothing executable).
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    # The training data it was trained on, as Rasa YAML (for later comparisons).
    training_data: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotActivation(Base):
    """Each time a version was made active; the newest row is the one every process serves."""

    __tablename__ = "bot_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(ForeignKey("bot_models.version"))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    # Why the admin overrode the gate (or rolled back), when they had to say.
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingJob(Base):
    """A training run in a child process; its row is how every process sees its progress."""

    __tablename__ = "training_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # queued, running, done, failed.
    state: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Touched while the job runs: a job whose process died stops being touched.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """Who changed what in the bot's data or models, and when, with before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    # intent.create, intent.update, example.add, example.delete, inbox.label,
    # inbox.ignore, import, model.train, model.activate, model.rollback…
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A key a program sends as ``Authorization: Bearer tsk_…`` (live_chat/api_keys/).

    Only ``secret_hash`` (SHA-256 of the whole key, hex) is kept: the key is
    shown once, when it is made. ``prefix`` is the key's first characters, to
    find the row and to tell keys apart in lists. ``scopes``: the scope names
    separated by spaces. A revoked key keeps its row (``revoked_at`` set) so
    lists and the audit log still name it.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[str | None] = mapped_column(String(32))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute per key (a read per request, not a write).
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class SiteFact(Base):
    """A site fact an admin set (``shipping_fee`` = ``¥550``): the bot's answers name it.

    Overrides the default of the same name shipped with the training data
    (``site_facts.json``); deleting the row brings the default back.
    """

    __tablename__ = "site_facts"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- agent presence over time (agent utilisation reads it) ----------------------------


class AgentStatusEvent(Base):
    """An agent's status from ``created_at`` until their next row: online, away or offline.

    A row is written only when the status changes, so consecutive rows of one
    agent always differ; no row yet means offline. Utilisation turns these
    rows into online intervals with a window function.
    """

    __tablename__ = "agent_status_events"
    __table_args__ = (
        # Leads with agent_id: serves both "this agent's latest row" (written on
        # every status change) and each agent's rows in time order (the report).
        Index("ix_agent_status_events_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"))
    # online, away, offline (handoff.AgentStatus).
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# -- derived for the reports (docs/metrics.md) -----------------------------------------


class ReportFact(Base):
    """One conversation's facts for the reports, derived from its own rows only.

    Kept by ``live_chat.store.report_facts`` from ``conversations``,
    ``messages``, ``conversation_events`` and ``csat``: a report aggregates
    these narrow rows instead of a million messages. What depends on other
    conversations (a reopen on the same intent) or on the time of the report
    (left with the bot) is decided when a report reads them. ``…_us`` are
    microseconds since 1970 UTC.
    """

    __tablename__ = "report_facts"
    __table_args__ = (
        Index("ix_report_facts_created", "created_at"),
        # A visitor's conversations in order: the reopen and FCR rules.
        Index("ix_report_facts_visitor_created", "visitor_id", "created_us"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()
    created_us: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    # The agent holding it, else the last one it was given to.
    agent_id: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(64))
    # What the visitor came for: the first in-scope, not small-talk intent.
    intent: Mapped[str | None] = mapped_column(String(64))
    first_visitor_us: Mapped[int | None] = mapped_column(BigInteger)
    last_visitor_us: Mapped[int | None] = mapped_column(BigInteger)
    first_bot_us: Mapped[int | None] = mapped_column(BigInteger)
    last_message_us: Mapped[int | None] = mapped_column(BigInteger)
    bot_resolved: Mapped[int] = mapped_column(Integer)
    escalated_us: Mapped[int | None] = mapped_column(BigInteger)
    assigned_us: Mapped[int | None] = mapped_column(BigInteger)
    first_agent_reply_us: Mapped[int | None] = mapped_column(BigInteger)
    closed_us: Mapped[int | None] = mapped_column(BigInteger)
    # The ``closed`` event when an agent held the chat (the end of its handle time).
    closed_by_agent_us: Mapped[int | None] = mapped_column(BigInteger)
    abandoned_us: Mapped[int | None] = mapped_column(BigInteger)
    escalated_at: Mapped[datetime | None] = mapped_column()
    assigned_at: Mapped[datetime | None] = mapped_column()
    first_agent_reply_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    abandoned_at: Mapped[datetime | None] = mapped_column()
    csat: Mapped[int | None] = mapped_column(Integer)


class ReportFactQueue(Base):
    """Conversations whose facts must be derived again: one row per change of their record.

    Database triggers (migration 0008) append a row whenever a conversation,
    one of its messages or events, or its rating is written, whoever writes
    it. A refresh deletes the rows it has seen before it reads the record,
    so a change committed meanwhile keeps its row for the next refresh.
    """

    __tablename__ = "report_facts_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(32), index=True)


class WebhookSubscription(Base):
    """Where events are posted (live_chat/webhooks/): a URL, the events it wants, its secret.

    ``kind`` is ``webhook`` (signed JSON of every event), ``slack`` or
    ``teams`` (an incoming-webhook ``{"text": …}`` message). ``events`` holds
    the event names separated by single spaces with one before and after
    (``" escalated closed "``): the outbox triggers of migration 0016 find
    the subscriptions that want an event with ``LIKE '% name %'``.
    ``source`` is ``admin`` or ``setting`` (made from TSUNAGU_SLACK_WEBHOOK_URL
    or TSUNAGU_TEAMS_WEBHOOK_URL at start, not editable through the API).
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), default="webhook")
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(400))
    # Kept as given: the HMAC needs it (shown once, at creation).
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def event_names(self) -> list[str]:
        return self.events.split()


class WebhookOutbox(Base):
    """An event some subscription wants, not yet turned into deliveries.

    Written only by database triggers (migration 0016), in the transaction
    that records the event itself (a conversation event or a message), so an
    event that is committed is never lost and one rolled back is never sent.
    ``source_id`` is the ``conversation_events.id`` or the ``messages.id``.
    """

    __tablename__ = "webhook_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(32))


class WebhookDelivery(Base):
    """One event for one subscription: the body to post, and how posting it went.

    ``body`` is the exact text posted (signed anew at each attempt, with that
    attempt's time). Due while ``delivered_at`` and ``failed_at`` are unset
    and ``next_attempt_at`` has come; a process claims a row by setting
    ``claimed_by`` and moving ``next_attempt_at`` past the time one pass may
    take, so a process that dies mid-send leaves it to the others.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "delivered_at", "failed_at",
                            "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(String(32), index=True)
    event: Mapped[str] = mapped_column(String(32))
    # The event's own id, the same for every subscription and every replay.
    event_id: Mapped[str] = mapped_column(String(48))
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    replay_of: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
