# ruff: noqa: RUF001 - Japanese text uses full-width punctuation on purpose
"""A realistic year of support conversations, written straight into a migrated database.

The reports benchmark (``bench/reports.py``) needs a year of data shaped like
the gateway writes it, without running a year of chats through the gateway.
This module simulates the year in memory (in a thread, a batch ahead) and
writes the rows in batches through SQLAlchemy Core: on PostgreSQL one
multi-row ``INSERT … SELECT FROM unnest(…)`` per 5,000 rows, on SQLite an
``executemany``. Values are encoded once, as the application's own column
types would encode them (checked at start, see :func:`encoding_for`).

What it writes (defaults: 100,000 conversations over 365 days, seed 1):

- agents: eight who take chats (capacities 3 to 5, teams), a supervisor and an
  admin, all with the password :data:`AGENT_PASSWORD`;
- visitors (Japanese and English), a share of them returning, some on the same
  intent within 24 h of their previous conversation (the bot's answer did not
  stick) or within 72 h (for first-contact resolution);
- conversations with a daily rhythm (Asia/Tokyo hours), a weekly one (quieter
  weekends), holidays, a year-end peak, slow growth and a few incident days;
- messages (about ten a conversation) with gap-free ``seq``: visitor, bot and
  agent turns, the bot's classification (intent and confidence) on the
  visitor messages it read, quick-reply clicks with their payloads, texts from
  ``training_data/``;
- conversation events as the gateway records them: ``created``,
  ``escalated`` (data: intent, priority), ``assigned`` (data: agent_id,
  from_agent_id), ``first_agent_reply``, ``transfer_requested``,
  ``transferred``, ``requeued``, ``handed_back``, ``bot_resolved``,
  ``offline_message``, ``closed`` (data: resolution), ``abandoned`` (data:
  waited_s), ``csat`` (data: score), with CSAT rows for about 30 % of closed
  conversations;
- agent presence in ``agent_status_events`` (online, away, offline) when that
  table exists (it is looked up at run time).

Escalations go through a small simulation of the agents' shifts, breaks and
capacities: a chat is assigned only to an agent online with a free slot,
waits when none is, and is abandoned (or left as an offline message) when
nobody comes in time. Everything is deterministic for a given ``--seed``,
size, ``--days`` and ``--end`` (agents' password hashes aside).

    .venv/bin/python -m bench.report_data --database-url URL
        [--conversations 100000] [--seed 1] [--days 365] [--end 2026-12-01]

A marker table (``bench_report_data``) records what was generated: run again
with the same parameters, the generator finds it and writes nothing. It
refuses to write into a database that already holds other conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import math
import os
import queue
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from live_chat.auth import hash_password
from live_chat.store.database import create_engine, migrate
from live_chat.store.models import Base

REPO = Path(__file__).resolve().parent.parent
TRAINING_DATA = REPO / "training_data"

#: Bumped whenever the generated data changes shape: a marker of another
#: version means the database must be generated again.
GENERATOR_VERSION = 1
MARKER_TABLE = "bench_report_data"
STATUS_TABLE = "agent_status_events"
#: The day after the generated year, midnight in Asia/Tokyo (where the shop is).
DEFAULT_END = date(2026, 12, 1)
LOCAL_OFFSET = timedelta(hours=9)  # Asia/Tokyo has no daylight saving time
AGENT_PASSWORD = "bench-password-2026"
ADMIN_EMAIL = "bench-admin@example.com"
SUPERVISOR_EMAIL = "bench-supervisor@example.com"
#: The bot's confidence threshold: below it a message is classified out of scope.
THRESHOLD = 0.5
#: The gateway's default TSUNAGU_ABANDON_AFTER: recorded as ``waited_s``.
ABANDON_AFTER_S = 120.0
SMALL_TALK = ("greet", "goodbye", "thanks", "affirm", "deny")

# Column orders of the rows the generator builds (the tables' own column names).
VISITOR_COLUMNS = ("id", "user_id", "locale", "page_url", "created_at", "last_seen_at")
CONVERSATION_COLUMNS = ("id", "visitor_id", "state", "priority", "team", "agent_id",
                        "agent_name", "last_seq", "locale", "bot_state", "resolution",
                        "queued_at", "assigned_at", "created_at", "updated_at", "closed_at")
MESSAGE_COLUMNS = ("id", "conversation_id", "seq", "sender", "author_id", "author_name", "text",
                   "payload", "quick_replies", "client_id", "intent", "confidence", "created_at")
EVENT_COLUMNS = ("conversation_id", "type", "from_state", "to_state", "actor", "data",
                 "created_at")
CSAT_COLUMNS = ("conversation_id", "score", "comment", "created_at")
AGENT_COLUMNS = ("id", "email", "name", "password_hash", "role", "capacity", "teams",
                 "created_at")
STATUS_COLUMNS = ("agent_id", "status", "created_at")
COLUMNS = {"visitors": VISITOR_COLUMNS, "conversations": CONVERSATION_COLUMNS,
           "messages": MESSAGE_COLUMNS, "conversation_events": EVENT_COLUMNS,
           "csat": CSAT_COLUMNS, "agents": AGENT_COLUMNS, STATUS_TABLE: STATUS_COLUMNS}

Row = tuple[Any, ...]
Batch = dict[str, list[Row]]


@dataclass(frozen=True, slots=True)
class Encoding:
    """How datetimes and JSON values go to the database driver (see :func:`encoding_for`)."""

    ts: Callable[[datetime], Any]
    js: Callable[[Any], str]


PLAIN = Encoding(ts=lambda value: value, js=json.dumps)


# -- what the shop looks like ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentProfile:
    """How conversations about one intent go.

    ``weight``: relative volume; ``skill``: how often the bot's answer settles
    it (0 to 1); ``clarity``: the classifier's mean confidence on its
    messages; ``team``: the team a transfer about it goes to.
    """

    name: str
    weight: float
    skill: float
    clarity: float
    team: str


INTENTS: tuple[IntentProfile, ...] = (
    IntentProfile("order_status", 14, 0.78, 0.88, "shipping"),
    IntentProfile("return_exchange", 8, 0.50, 0.84, "shipping"),
    IntentProfile("refund_status", 7, 0.45, 0.82, "billing"),
    IntentProfile("cancel_order", 6, 0.45, 0.85, "shipping"),
    IntentProfile("change_shipping_address", 4, 0.50, 0.80, "shipping"),
    IntentProfile("shipping_fee", 5, 0.88, 0.86, "shipping"),
    IntentProfile("payment_methods", 5, 0.88, 0.87, "billing"),
    IntentProfile("billing_problem", 4, 0.20, 0.74, "billing"),
    IntentProfile("invoice_request", 4, 0.70, 0.83, "billing"),
    IntentProfile("coupon", 4, 0.60, 0.76, "billing"),
    IntentProfile("login_problem", 7, 0.45, 0.83, "tech"),
    IntentProfile("password_reset", 6, 0.82, 0.90, "tech"),
    IntentProfile("update_account_info", 3, 0.70, 0.80, "tech"),
    IntentProfile("cancel_subscription", 3, 0.40, 0.82, "billing"),
    IntentProfile("plan_change", 3, 0.60, 0.79, "billing"),
    IntentProfile("product_usage", 5, 0.50, 0.66, "tech"),
    IntentProfile("bug_report", 3, 0.15, 0.70, "tech"),
    IntentProfile("api_integration", 2, 0.35, 0.70, "tech"),
    IntentProfile("security_privacy", 1.5, 0.50, 0.75, "tech"),
    IntentProfile("business_hours", 3, 0.92, 0.91, "general"),
    IntentProfile("complaint", 2, 0.0, 0.78, "general"),
    IntentProfile("request_human", 4.5, 0.0, 0.92, "general"),
    IntentProfile("out_of_scope", 6, 0.0, 0.30, "general"),
)
PROFILES = {p.name: p for p in INTENTS}
TOPICS = tuple(p.name for p in INTENTS
               if p.name not in ("complaint", "request_human", "out_of_scope"))


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent who takes chats: name, e-mail login, chats held at once, teams."""

    name: str
    login: str
    capacity: int
    teams: tuple[str, ...]


AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec("佐藤 美咲", "misaki.sato", 5, ("billing", "general")),
    AgentSpec("鈴木 健太", "kenta.suzuki", 4, ("shipping",)),
    AgentSpec("高橋 結衣", "yui.takahashi", 4, ("general", "shipping")),
    AgentSpec("田中 翔", "sho.tanaka", 3, ("tech",)),
    AgentSpec("伊藤 さくら", "sakura.ito", 4, ("billing",)),
    AgentSpec("渡辺 大輝", "daiki.watanabe", 3, ("general", "tech")),
    AgentSpec("Emily Clark", "emily.clark", 5, ("en", "general")),
    AgentSpec("James Wilson", "james.wilson", 4, ("en", "tech")),
)
# Local (Asia/Tokyo) hours each agent works on a weekday (one weekday off, rotating weekly).
_WEEKDAY_SHIFTS = ((9, 18), (9, 18), (12, 21), (12, 21), (9, 18), (12, 21), (10, 19), (13, 22))

# Relative volume by local hour: Japanese visitors, English ones (flatter, later).
_HOURS_JA = (0.6, 0.4, 0.25, 0.15, 0.12, 0.15, 0.3, 0.6, 1.0, 1.6, 2.0, 2.0,
             1.6, 1.9, 2.0, 1.9, 1.7, 1.5, 1.3, 1.3, 1.5, 1.5, 1.2, 0.9)
_HOURS_EN = (1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.7, 0.8, 1.0, 1.2, 1.3, 1.3,
             1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.3, 1.4, 1.5, 1.5, 1.4, 1.2)
_WEEKDAY_VOLUME = (1.15, 1.1, 1.05, 1.0, 0.95, 0.7, 0.75)  # Monday first
_JA_SHARE = 0.7

_AGENT_TEXT = {
    "ja": {
        "hello": ("お待たせいたしました。担当の{name}です。",
                  "お問い合わせありがとうございます。{name}が承ります。",
                  "{name}です。内容を拝見しました。確認いたします。"),
        "reply": ("確認いたしますので、少々お待ちください。",
                  "ご注文番号を教えていただけますか？",
                  "ありがとうございます。確認できました。",
                  "ご不便をおかけして申し訳ございません。",
                  "手続きが完了しました。ほかにご不明な点はございますか？",
                  "メールアドレス宛てに手順をお送りしました。",
                  "担当部署に確認し、本日中にご連絡いたします。",
                  "画面右上のメニューからお手続きいただけます。"),
        "bye": ("本日はお問い合わせいただきありがとうございました。",
                "ほかにご不明な点があれば、いつでもどうぞ。"),
    },
    "en": {
        "hello": ("Hi, this is {name}. Thanks for waiting!",
                  "Hello, {name} here. I'm looking at it now.",
                  "Thanks for reaching out, {name} speaking."),
        "reply": ("Let me check that for you, one moment please.",
                  "Could you tell me your order number?", "Thanks, I found it.",
                  "Sorry for the trouble.", "Done! Anything else I can help with?",
                  "I've sent the steps to your e-mail address.",
                  "I'll check with the team and get back to you today.",
                  "You can do that from the menu at the top right."),
        "bye": ("Thanks for contacting us today.", "Feel free to reach out any time."),
    },
}
_VISITOR_TEXT = {
    "ja": {
        "reply": ("はい、お願いします", "注文番号は 2024-58113 です", "わかりました",
                  "まだ届いていません", "どのくらいかかりますか？", "メールは届いていないようです",
                  "それでお願いします", "ありがとうございます！", "了解です",
                  "もう一度試してみます"),
        "waiting": ("まだですか？", "どのくらい待ちますか", "すみません、急いでいます"),
        "offline": ("折り返しご連絡ください。注文の件です。",
                    "返品について相談したいです。メールでご連絡ください。"),
        "comment": ("丁寧な対応でした", "すぐに解決しました", "待ち時間が長かった",
                    "わかりにくかった"),
    },
    "en": {
        "reply": ("Yes please", "My order number is 2024-58113", "OK", "It hasn't arrived yet",
                  "How long will it take?", "I didn't get the e-mail", "That works",
                  "Thanks a lot!", "Got it", "I'll try again"),
        "waiting": ("Hello? Is anyone there?", "How long is the wait?", "Still waiting..."),
        "offline": ("Please get back to me about my order.",
                    "I'd like to talk about a return, please e-mail me."),
        "comment": ("Very helpful", "Quick and friendly", "The wait was too long",
                    "Not what I needed"),
    },
}
_PAGES = ("https://shop.example.com/", "https://shop.example.com/orders",
          "https://shop.example.com/account", "https://shop.example.com/help",
          "https://shop.example.com/cart", "https://shop.example.com/products/42")
_RESOLUTIONS = (("resolved", 0.80), ("follow_up", 0.10), ("no_response", 0.06),
                ("duplicate", 0.03), ("spam", 0.01))


# -- texts from the training data ------------------------------------------------


@dataclass
class Corpus:
    """Visitor texts per (intent, locale), bot answers per (response, locale), button labels."""

    examples: dict[tuple[str, str], list[str]]
    responses: dict[tuple[str, str], tuple[str, list[dict[str, str]]]]
    labels: dict[tuple[str, str], str]

    @classmethod
    def load(cls, folder: Path = TRAINING_DATA) -> Corpus:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        examples: dict[tuple[str, str], list[str]] = {}
        for locale in ("ja", "en"):
            path = folder / f"nlu_{locale}.yml"
            data = _read_yaml(path, loader)
            for block in data.get("nlu") or []:
                lines = str(block.get("examples", "")).splitlines()
                texts = [line.strip()[2:].strip() for line in lines
                         if line.strip().startswith("- ")]
                if texts and block.get("intent"):
                    examples[(str(block["intent"]), locale)] = texts
        responses: dict[tuple[str, str], tuple[str, list[dict[str, str]]]] = {}
        data = _read_yaml(folder / "responses.yml", loader)
        for name, variations in (data.get("responses") or {}).items():
            for variation in variations or []:
                language = (variation.get("metadata") or {}).get("language", "en")
                buttons = [{"title": str(b["title"]), "payload": str(b["payload"])}
                           for b in variation.get("buttons") or []]
                responses[(str(name), str(language))] = (str(variation.get("text", "")), buttons)
        labels: dict[tuple[str, str], str] = {}
        data = _read_yaml(folder / "labels.yml", loader)
        for name, by_language in (data.get("labels") or {}).items():
            for language, label in (by_language or {}).items():
                labels[(str(name), str(language))] = str(label)
        return cls(examples, responses, labels)

    def example(self, rng: random.Random, intent: str, locale: str) -> str:
        texts = self.examples.get((intent, locale))
        return rng.choice(texts) if texts else f"({intent})"

    def response(self, name: str, locale: str) -> tuple[str, list[dict[str, str]]]:
        return self.responses.get((name, locale)) or (f"({name})", [])

    def label(self, name: str, locale: str) -> str:
        return self.labels.get((name, locale), name)


def _read_yaml(path: Path, loader: Any) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return data if isinstance(data, dict) else {}


# -- one conversation as it is written ------------------------------------------


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class _Chat:
    """The rows of one conversation, built turn by turn on a moving clock."""

    def __init__(self, gen: YearGenerator, visitor: int, created: datetime) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.ts = gen.encoding.ts
        self.js = gen.encoding.js
        self.id = _hex(gen.rng)
        self.visitor = visitor
        self.locale = gen.visitor_locale[visitor]
        self.created = created
        self.t = created
        self.last_write = created
        self.seq = 0
        self.state = "bot"
        self.priority = 0
        self.team: str | None = None
        self.resolution: str | None = None
        self.queued_at: datetime | None = None
        self.assigned_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.fallbacks = 0
        self.awaiting: str | None = None
        self.last_intent: str | None = None
        self.messages: list[Row] = []
        self.events: list[Row] = []
        self.csat: Row | None = None
        self.event("created", None, "bot", "visitor")

    # the clock
    def wait(self, median_s: float, sigma: float) -> None:
        self.t += timedelta(seconds=median_s * math.exp(self.rng.gauss(0.0, sigma)))

    def think(self, median_s: float) -> None:
        """The visitor's time before a message; the first one opens the conversation."""
        if self.seq == 0:
            self.t += timedelta(seconds=self.rng.uniform(0.002, 0.02))
        else:
            self.wait(median_s, 0.8)

    # rows (in the orders of MESSAGE_COLUMNS and EVENT_COLUMNS)
    def message(self, sender: str, text: str, *, intent: str | None = None,
                confidence: float | None = None, payload: str | None = None,
                quick_replies: list[dict[str, str]] | None = None,
                author: int | None = None) -> None:
        self.seq += 1
        self.last_write = self.t
        self.messages.append((
            _hex(self.rng), self.id, self.seq, sender,
            None if author is None else self.gen.agent_ids[author],
            None if author is None else AGENTS[author].name,
            text, payload, self.js(quick_replies or []),
            None if sender == "bot" else _hex(self.rng),
            intent, None if confidence is None else round(confidence, 4), self.ts(self.t),
        ))

    def event(self, type_: str, from_state: str | None, to_state: str | None, actor: str | None,
              data: dict[str, Any] | None = None) -> None:
        self.events.append((self.id, type_, from_state, to_state, actor, self.js(data or {}),
                            self.ts(self.t)))

    def move(self, type_: str, to_state: str, actor: str,
             data: dict[str, Any] | None = None) -> None:
        """A state move, recorded like ``Transaction.set_state``."""
        from_state = self.state
        self.state = to_state
        self.last_write = self.t
        if to_state == "queued":
            self.queued_at = self.t
        if to_state == "assigned" and from_state == "queued":
            self.assigned_at = self.t
        if to_state in ("closed", "abandoned"):
            self.closed_at = self.t
        self.event(type_, from_state, to_state, actor, data)

    # the visitor and the bot
    def typed(self, intent: str, confidence: float) -> str:
        """The visitor types a message the bot classifies; returns the stored intent."""
        self.think(14.0)
        stored = intent if confidence >= THRESHOLD or intent == "out_of_scope" else "out_of_scope"
        text = self.gen.corpus.example(self.rng, intent, self.locale)
        self.message("visitor", text, intent=stored, confidence=confidence)
        return stored

    def said(self, text: str, median_s: float = 30.0) -> None:
        """A visitor message the bot does not read (to an agent, or while waiting)."""
        if median_s:
            self.wait(median_s, 0.9)
        self.message("visitor", text)

    def clicked(self, payload: str, title: str, intent: str) -> None:
        self.think(5.0)
        self.message("visitor", title, intent=intent, confidence=1.0, payload=payload)

    def bot(self, name: str, *, extra: str | None = None,
            buttons: list[dict[str, str]] | None = None) -> None:
        self.wait(0.35, 0.5)
        text, own = self.gen.corpus.response(name, self.locale)
        quick = list(own) if buttons is None else buttons
        if extra is not None:
            more_text, more_buttons = self.gen.corpus.response(extra, self.locale)
            text, quick = f"{text}\n\n{more_text}", quick + more_buttons
        self.message("bot", text, quick_replies=quick)

    def topic_buttons(self, intents: list[str]) -> list[dict[str, str]]:
        corpus = self.gen.corpus
        buttons = [{"title": corpus.label(i, self.locale), "payload": f"/intent:{i}"}
                   for i in intents]
        return [*buttons, {"title": corpus.label("request_human", self.locale),
                           "payload": "/request_human"}]

    def row(self) -> Row:
        """The conversation row (CONVERSATION_COLUMNS), as it stands at the end."""
        ts = self.ts
        bot_state = {"v": 1, "language": self.locale, "fallbacks": self.fallbacks,
                     "awaiting_feedback": self.awaiting, "last_intent": self.last_intent}
        return (self.id, self.gen.visitor_ids[self.visitor], self.state, self.priority, self.team,
                None, None, self.seq, self.locale, self.js(bot_state), self.resolution,
                None if self.queued_at is None else ts(self.queued_at),
                None if self.assigned_at is None else ts(self.assigned_at),
                ts(self.created), ts(self.last_write),
                None if self.closed_at is None else ts(self.closed_at))


@dataclass
class Stats:
    """What was generated, printed at the end."""

    conversations: int = 0
    messages: int = 0
    events: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    visitors: int = 0
    returning: int = 0
    same_intent_24h: int = 0
    same_intent_72h: int = 0
    left_open: int = 0
    csat: int = 0
    status_events: int = 0


@dataclass(frozen=True, slots=True)
class _Shift:
    """One agent's working day in UTC: online, a break (away), offline."""

    agent: int
    on: datetime
    away: datetime
    back: datetime
    off: datetime

    def online(self, t: datetime) -> bool:
        return self.on <= t < self.away or self.back <= t < self.off


# -- the year -------------------------------------------------------------------


class YearGenerator:
    """Simulates the year; :meth:`batches` yields the rows in chronological batches."""

    def __init__(self, *, conversations: int, days: int, seed: int, end: date,
                 corpus: Corpus | None = None, encoding: Encoding = PLAIN) -> None:
        self.rng = random.Random(seed)
        self.encoding = encoding
        self.n = conversations
        self.days = days
        self.corpus = corpus or Corpus.load()
        # Local midnights expressed in UTC.
        self.end = datetime(end.year, end.month, end.day, tzinfo=UTC) - LOCAL_OFFSET
        self.start = self.end - timedelta(days=days)
        self.stats = Stats()
        self.agent_ids = [_hex(self.rng) for _ in AGENTS]
        self.visitor_ids: list[str] = []
        self.visitor_locale: list[str] = []
        self.busy_until: list[datetime] = []
        self.retired: list[bool] = []
        self.last_seen: list[datetime] = []
        self.first_seen: list[datetime] = []
        self.pool: dict[str, list[int]] = {"ja": [], "en": []}
        self.pending: list[tuple[datetime, int, int, str, bool]] = []
        self._pending_seq = itertools.count()
        self.incidents = sorted(self.rng.sample(range(days), k=min(4, days)))
        self.shifts = self._schedule()
        # Chats each agent holds: (assigned, released) intervals, pruned as the clock moves.
        self.held: list[list[tuple[datetime, datetime]]] = [[] for _ in AGENTS]
        self.shift_last: dict[tuple[int, int], datetime] = {}
        weights = [p.weight for p in INTENTS]
        self._cum = list(itertools.accumulate(weights))
        incident = [w * (10 if p.name == "login_problem" else 1) for w, p in zip(weights, INTENTS,
                                                                              strict=True)]
        self._cum_incident = list(itertools.accumulate(incident))
        self._topic_profiles = [PROFILES[name] for name in TOPICS]
        self._cum_topics = list(itertools.accumulate(p.weight for p in self._topic_profiles))

    # -- calendar ---------------------------------------------------------------

    def local_date(self, day: int) -> date:
        return (self.start + LOCAL_OFFSET + timedelta(days=day)).date()

    def _day_volume(self, day: int) -> float:
        d = self.local_date(day)
        volume = _WEEKDAY_VOLUME[d.weekday()] * (0.85 + 0.3 * day / max(1, self.days))
        if (d.month, d.day) in ((1, 1), (1, 2), (1, 3)):
            volume *= 0.45
        elif (d.month == 12 and d.day >= 10) or (d.month == 1 and d.day <= 7):
            volume *= 1.25  # year-end sale and New Year returns
        elif (d.month == 5 and 3 <= d.day <= 5) or (d.month == 8 and 13 <= d.day <= 16):
            volume *= 0.7
        elif d.month == 11 and 20 <= d.day <= 30:
            volume *= 1.3  # Black Friday
        if day in self.incidents:
            volume *= 2.2
        return volume * math.exp(self.rng.gauss(0.0, 0.12))

    def _schedule(self) -> list[list[_Shift]]:
        """Each local day's shifts: weekdays by roster, two agents at weekends, none at New Year."""
        days: list[list[_Shift]] = []
        for day in range(self.days + 3):
            d = self.local_date(day)
            midnight = self.start + timedelta(days=day)
            today: list[_Shift] = []
            if (d.month, d.day) in ((1, 1), (1, 2), (1, 3)):
                days.append(today)
                continue
            if d.weekday() < 5:
                working = [(a, *_WEEKDAY_SHIFTS[a]) for a in range(len(AGENTS))
                           if (a + d.isocalendar().week) % 5 != d.weekday()]
            else:
                week = d.isocalendar().week
                first = (week * 2 + d.weekday()) % len(AGENTS)
                pair = {first, (first + 3) % len(AGENTS)}
                working = [(a, 10, 18) for a in sorted(pair)]
            for agent, start_h, end_h in working:
                if self.rng.random() < 0.03:
                    continue  # off sick
                on = midnight + timedelta(hours=start_h, minutes=self.rng.uniform(-10, 8))
                off = midnight + timedelta(hours=end_h, minutes=self.rng.uniform(-5, 20))
                away = on + timedelta(hours=self.rng.uniform(3.5, 4.5))
                back = away + timedelta(minutes=self.rng.uniform(40, 65))
                today.append(_Shift(agent, on, away, back, off))
            days.append(today)
        return days

    def _day_of(self, t: datetime) -> int:
        return int((t - self.start).total_seconds() // 86400)

    # -- agents -----------------------------------------------------------------

    def _active(self, agent: int, t: datetime) -> int:
        held = self.held[agent]
        if len(held) > 64:
            cutoff = t - timedelta(hours=12)
            held[:] = [h for h in held if h[1] > cutoff]
        return sum(1 for start, end in held if start <= t < end)

    def _online(self, t: datetime) -> list[_Shift]:
        day = self._day_of(t)
        if not 0 <= day < len(self.shifts):
            return []
        return [s for s in self.shifts[day] if s.online(t)]

    def _free_agent(self, t: datetime, exclude: int | None = None) -> int | None:
        """The least loaded online agent with a free slot at ``t`` (as the router picks)."""
        best: tuple[float, float, int] | None = None
        for shift in self._online(t):
            if shift.agent == exclude:
                continue
            active = self._active(shift.agent, t)
            capacity = AGENTS[shift.agent].capacity
            if active < capacity:
                key = (active / capacity, self.rng.random(), shift.agent)
                best = key if best is None or key < best else best
        return None if best is None else best[2]

    def _assign(self, t: datetime, patience_s: float) -> tuple[int, datetime] | None:
        """Who takes a chat queued at ``t``, and when; None if nobody before the visitor leaves."""
        agent = self._free_agent(t)
        if agent is not None:
            return agent, t + timedelta(seconds=self.rng.uniform(0.02, 0.4))
        deadline = t + timedelta(seconds=patience_s)
        moments: list[datetime] = []
        day = self._day_of(t)
        for d in (day, day + 1):
            for shift in self.shifts[d] if 0 <= d < len(self.shifts) else []:
                moments += [m for m in (shift.on, shift.back) if t < m <= deadline]
        for held in self.held:
            moments += [end for _, end in held if t < end <= deadline]
        for moment in sorted(moments):
            agent = self._free_agent(moment)
            if agent is not None:
                return agent, moment + timedelta(seconds=self.rng.uniform(0.02, 0.4))
        return None

    def _hold(self, agent: int, start: datetime, end: datetime) -> None:
        self.held[agent].append((start, end))
        key = (agent, self._day_of(start))
        if end > self.shift_last.get(key, end - timedelta(seconds=1)):
            self.shift_last[key] = end

    # -- visitors ---------------------------------------------------------------

    def _new_visitor(self, locale: str, t: datetime) -> int:
        index = len(self.visitor_ids)
        self.visitor_ids.append(_hex(self.rng))
        self.visitor_locale.append(locale)
        self.busy_until.append(t)
        self.retired.append(False)
        self.last_seen.append(t)
        self.first_seen.append(t)
        self.pool[locale].append(index)
        self.stats.visitors += 1
        return index

    def _returning(self, locale: str, t: datetime) -> int | None:
        pool = self.pool[locale]
        for _ in range(4):
            if not pool:
                return None
            # Most returns are recent visitors; some come back months later.
            if self.rng.random() < 0.6:
                index = pool[max(0, len(pool) - 1 - int(self.rng.expovariate(1 / 3000)))]
            else:
                index = self.rng.choice(pool)
            if not self.retired[index] and self.busy_until[index] < t:
                return index
        return None

    # -- arrivals ---------------------------------------------------------------

    def _arrivals(self) -> list[tuple[datetime, str]]:
        volumes = [self._day_volume(day) for day in range(self.days)]
        days = self.rng.choices(range(self.days), cum_weights=list(itertools.accumulate(volumes)),
                                k=self.n)
        cum_ja = list(itertools.accumulate(_HOURS_JA))
        weekend_ja = list(itertools.accumulate(
            w * (0.6 if 9 <= h <= 17 else 1.2) for h, w in enumerate(_HOURS_JA)))
        cum_en = list(itertools.accumulate(_HOURS_EN))
        out: list[tuple[datetime, str]] = []
        for day in days:
            locale = "ja" if self.rng.random() < _JA_SHARE else "en"
            if locale == "en":
                cum = cum_en
            else:
                cum = weekend_ja if self.local_date(day).weekday() >= 5 else cum_ja
            hour = self.rng.choices(range(24), cum_weights=cum)[0]
            at = self.start + timedelta(days=day, hours=hour, seconds=self.rng.uniform(0, 3600))
            out.append((at, locale))
        out.sort()
        return out

    def _intent(self, t: datetime, *, topics_only: bool = False) -> str:
        """The intent of a new conversation (or, ``topics_only``, of a follow-up question)."""
        if topics_only:
            return self.rng.choices(self._topic_profiles, cum_weights=self._cum_topics)[0].name
        cum = self._cum_incident if self._day_of(t) in self.incidents else self._cum
        return self.rng.choices(INTENTS, cum_weights=cum)[0].name

    def _confidence(self, intent: str) -> float:
        """A confidence the classifier could give a message of ``intent`` (any value)."""
        if intent in SMALL_TALK:
            return self._understood(intent)
        if intent == "out_of_scope":
            # Mostly low confidences; a few the model classified out of scope outright.
            return self.rng.betavariate(2.0, 5.0) if self.rng.random() < 0.9 else \
                self.rng.uniform(0.5, 0.9)
        clarity = PROFILES[intent].clarity
        return min(0.9999, self.rng.betavariate(clarity * 9.0, (1 - clarity) * 9.0))

    def _understood(self, intent: str) -> float:
        """A confidence at or above the threshold: a message the bot classified as ``intent``."""
        for _ in range(20):
            value = (self.rng.betavariate(9.0, 1.2) if intent in SMALL_TALK
                     else self._confidence(intent))
            if value >= THRESHOLD:
                return value
        return self.rng.uniform(THRESHOLD, 1.0)

    # -- the bot's part ---------------------------------------------------------

    def _bot_dialogue(self, chat: _Chat, intent: str) -> tuple[str, dict[str, Any] | None]:
        """The conversation with the bot. Returns (how it ended, escalation data or None):
        ``escalate``, ``resolved`` (bot_resolved) or ``left``."""
        rng = self.rng
        if rng.random() < 0.55:
            chat.typed("greet", self._confidence("greet"))
            chat.bot("utter_greet")
            chat.last_intent = "greet"
        if intent == "request_human":
            chat.typed("request_human", self._understood("request_human"))
            chat.bot("utter_request_human")
            return "escalate", {"intent": "request_human", "priority": 0}
        if intent == "complaint":
            stored = chat.typed("complaint", self._confidence("complaint"))
            if stored == "out_of_scope":
                chat.fallbacks = 1
                chat.bot("utter_fallback", buttons=chat.topic_buttons(list(TOPICS[:3])))
                chat.typed("complaint", rng.uniform(0.7, 0.99))
            chat.bot("utter_complaint")
            chat.priority = 1
            return "escalate", {"intent": "complaint", "priority": 1}
        if intent == "out_of_scope":
            chat.typed("out_of_scope", self._confidence("out_of_scope"))
            chat.fallbacks = 1
            suggestions = rng.sample(TOPICS, 3)
            chat.bot("utter_fallback", buttons=chat.topic_buttons(suggestions))
            r = rng.random()
            if r < 0.35:
                chat.typed("out_of_scope", self._confidence("out_of_scope"))
                chat.bot("utter_fallback_escalate")
                return "escalate", {"intent": "out_of_scope", "priority": 0}
            if r < 0.52:
                chat.clicked("/request_human", self.corpus.label("request_human", chat.locale),
                             "request_human")
                chat.bot("utter_request_human")
                return "escalate", {"intent": "request_human", "priority": 0}
            if r < 0.75:
                topic = rng.choice(suggestions)
                chat.clicked(f"/intent:{topic}", self.corpus.label(topic, chat.locale), topic)
                return self._answered(chat, topic, skill_factor=0.6)
            return "left", None
        return self._question(chat, intent)

    def _question(self, chat: _Chat, intent: str, *, depth: int = 0
                  ) -> tuple[str, dict[str, Any] | None]:
        """An in-scope question: understood at once, after a fallback, or after a clarification."""
        rng = self.rng
        confidence = self._confidence(intent)
        stored = chat.typed(intent, confidence)
        if stored == "out_of_scope":
            chat.fallbacks += 1
            if chat.fallbacks >= 2:
                chat.bot("utter_fallback_escalate")
                return "escalate", {"intent": "out_of_scope", "priority": 0}
            chat.bot("utter_fallback", buttons=chat.topic_buttons(
                [intent, *rng.sample([t for t in TOPICS if t != intent], 2)]))
            r = rng.random()
            if r < 0.55:
                again = max(confidence, self._confidence(intent))
                if chat.typed(intent, again) == "out_of_scope":
                    chat.bot("utter_fallback_escalate")
                    return "escalate", {"intent": "out_of_scope", "priority": 0}
            elif r < 0.85:
                chat.clicked(f"/intent:{intent}", self.corpus.label(intent, chat.locale), intent)
            else:
                return "left", None
        elif confidence < 0.68 and rng.random() < 0.35:
            other = rng.choice([t for t in TOPICS if t != intent])
            chat.bot("utter_clarify", buttons=chat.topic_buttons([intent, other]))
            chat.clicked(f"/intent:{intent}", self.corpus.label(intent, chat.locale), intent)
        return self._answered(chat, intent, depth=depth)

    def _answered(self, chat: _Chat, intent: str, *, skill_factor: float = 1.0,
                  second: bool = False, depth: int = 0) -> tuple[str, dict[str, Any] | None]:
        """The bot answers ``intent`` and asks whether it helped; the visitor's reaction."""
        rng = self.rng
        chat.bot(f"utter_{intent}", extra="utter_ask_helped")
        chat.awaiting, chat.last_intent, chat.fallbacks = intent, intent, 0
        skill = PROFILES[intent].skill * skill_factor
        p_yes = 0.05 + 0.45 * skill
        p_person = 0.06 + 0.26 * (1 - skill)
        r = rng.random()
        if r < p_yes:
            if rng.random() < 0.75:
                chat.clicked("/feedback:yes", self.corpus.label("affirm", chat.locale), "affirm")
            else:
                chat.typed("thanks", self._confidence("thanks"))
            chat.bot("utter_feedback_yes")
            chat.awaiting = None
            return "resolved", None
        if r < p_yes + p_person:
            if rng.random() < 0.8:
                chat.clicked("/feedback:no", self.corpus.label("deny", chat.locale), "deny")
            else:
                chat.typed("deny", self._confidence("deny"))
            chat.bot("utter_feedback_no")
            chat.awaiting = None
            if second or rng.random() < 0.8:
                chat.clicked("/request_human", self.corpus.label("request_human", chat.locale),
                             "request_human")
                chat.bot("utter_request_human")
                return "escalate", {"intent": "request_human", "priority": 0}
            chat.typed(intent, self._understood(intent))
            return self._answered(chat, intent, skill_factor=0.5, second=True, depth=depth)
        if depth < 3 and rng.random() < 0.55:
            # Another question instead of an answer to "did it help?".
            return self._question(chat, self._intent(chat.t, topics_only=True), depth=depth + 1)
        if rng.random() < 0.3:
            chat.typed("goodbye", self._confidence("goodbye"))
            chat.bot("utter_goodbye")
        return "left", None

    # -- the people's part ------------------------------------------------------

    def _human(self, chat: _Chat, actor: str, data: dict[str, Any]) -> str:
        """Queue, assignment and the chat with agents. Returns the outcome label."""
        rng = self.rng
        chat.wait(0.05, 0.3)
        chat.move("escalated", "queued", actor, data)
        queued = chat.t
        patience = 25.0 + 200.0 * math.exp(rng.gauss(0.0, 0.9))
        nobody_online = not self._online(queued)
        assignment = self._assign(queued, patience)
        if assignment is None:
            if rng.random() < 0.3:
                chat.t = queued + timedelta(seconds=rng.uniform(0.2, 0.9) * patience)
                chat.said(rng.choice(_VISITOR_TEXT[chat.locale]["waiting"]), 0.0)
            if nobody_online and rng.random() < 0.35:
                chat.t = max(chat.t, queued + timedelta(seconds=rng.uniform(20, 120)))
                chat.said(rng.choice(_VISITOR_TEXT[chat.locale]["offline"]), 0.0)
                chat.event("offline_message", None, None, "visitor",
                           {"name": None, "email": f"visitor{chat.visitor}@example.net"})
                chat.resolution = "offline_message"
                chat.move("closed", "closed", "visitor")
                return "offline_message"
            if rng.random() < 0.08:
                chat.t = max(chat.t, queued + timedelta(seconds=patience))
                chat.move("closed", "closed", "visitor")
                return "closed_waiting"
            chat.t = max(chat.t, queued + timedelta(seconds=patience + ABANDON_AFTER_S))
            chat.move("abandoned", "abandoned", "system", {"waited_s": ABANDON_AFTER_S})
            return "abandoned"
        agent, at = assignment
        if (at - queued).total_seconds() > 20 and rng.random() < 0.4:
            chat.t = queued + (at - queued) / 2
            chat.said(rng.choice(_VISITOR_TEXT[chat.locale]["waiting"]), 0.0)
        chat.t = at
        chat.move("assigned", "assigned", "handoff", {"agent_id": self.agent_ids[agent],
                                                      "from_agent_id": None})
        return self._with_agent(chat, agent, at)

    def _with_agent(self, chat: _Chat, agent: int, since: datetime) -> str:
        rng = self.rng
        texts_a, texts_v = _AGENT_TEXT[chat.locale], _VISITOR_TEXT[chat.locale]
        first, hello = True, True
        exchanges = 3 + min(22, int(rng.expovariate(1 / 8.5)))
        for turn in range(exchanges):
            chat.wait(22.0 if hello else 40.0, 0.8)
            if hello:
                text = rng.choice(texts_a["hello"]).format(name=AGENTS[agent].name)
                chat.message("agent", text, author=agent)
                if first:
                    chat.event("first_agent_reply", None, None, self.agent_ids[agent])
                first = hello = False
            else:
                chat.message("agent", rng.choice(texts_a["reply"]), author=agent)
            r = rng.random()
            if turn < exchanges - 1 and r < 0.035:
                # A transfer to a colleague (or to a team), who carries on.
                to_team = rng.random() < 0.3
                other = self._free_agent(chat.t, exclude=agent)
                if other is not None:
                    team = PROFILES.get(chat.last_intent or "", PROFILES["request_human"]).team
                    chat.event("transfer_requested", None, None, self.agent_ids[agent], {
                        "to_agent_id": None if to_team else self.agent_ids[other],
                        "to_team": team if to_team else None})
                    if to_team:
                        chat.team = team
                    chat.wait(0.1, 0.3)
                    chat.move("transferred", "assigned", "handoff", {
                        "agent_id": self.agent_ids[other], "from_agent_id": self.agent_ids[agent]})
                    self._hold(agent, since, chat.t)
                    agent, since, hello = other, chat.t, True
                    continue
            elif turn < exchanges - 1 and r < 0.045:
                # The agent's connection dropped past the grace period: another takes it.
                other = self._free_agent(chat.t, exclude=agent)
                if other is not None:
                    chat.wait(60.0, 0.3)
                    self._hold(agent, since, chat.t)
                    chat.move("requeued", "queued", "handoff")
                    chat.move("assigned", "assigned", "handoff", {
                        "agent_id": self.agent_ids[other], "from_agent_id": self.agent_ids[agent]})
                    agent, since, hello = other, chat.t, True
                    continue
            chat.said(rng.choice(texts_v["reply"]), 30.0)
        if rng.random() < 0.02:
            chat.wait(20.0, 0.5)
            chat.move("handed_back", "bot", self.agent_ids[agent])
            self._hold(agent, since, chat.t)
            chat.awaiting, chat.fallbacks = None, 0
            if rng.random() < 0.5:
                chat.typed("thanks", self._confidence("thanks"))
                chat.bot("utter_thanks")
            chat.wait(120.0, 0.8)
            chat.move("closed", "closed", "visitor")
            return "handed_back"
        if rng.random() < 0.85:
            chat.wait(25.0, 0.6)
            chat.message("agent", rng.choice(texts_a["bye"]), author=agent)
            chat.wait(30.0, 0.8)
            resolution = rng.choices([r for r, _ in _RESOLUTIONS],
                                     weights=[w for _, w in _RESOLUTIONS])[0]
            chat.resolution = resolution
            chat.move("closed", "closed", self.agent_ids[agent], {"resolution": resolution})
            outcome = f"agent_{resolution}"
        else:
            chat.wait(40.0, 0.8)
            chat.move("closed", "closed", "visitor")
            outcome = "agent_visitor_closed"
        self._hold(agent, since, chat.t)
        return outcome

    # -- the conversation -------------------------------------------------------

    def _conversation(self, visitor: int, created: datetime, intent: str) -> _Chat:
        rng = self.rng
        chat = _Chat(self, visitor, created)
        if intent == "request_human" and rng.random() < 0.35:
            # The widget's "talk to a person" button before typing anything.
            ended, data = "escalate", {"intent": "request_human", "priority": 0}
            actor = "visitor"
        else:
            ended, data = self._bot_dialogue(chat, intent)
            actor = "bot"
        if ended == "escalate":
            assert data is not None
            outcome = self._human(chat, actor, data)
        elif ended == "resolved":
            chat.resolution = "resolved_by_bot"
            chat.event("bot_resolved", None, None, "visitor")
            chat.move("closed", "closed", "bot")
            outcome = "bot_resolved"
        else:
            outcome = "left"
        self._finish(chat, visitor, intent, outcome)
        return chat

    def _finish(self, chat: _Chat, visitor: int, intent: str, outcome: str) -> None:
        """Close or leave open a chat left with the bot, rate it, schedule the visitor's return."""
        rng = self.rng
        back = {"bot_resolved": 0.03, "left": 0.14, "agent_resolved": 0.04,
                "agent_follow_up": 0.30, "agent_no_response": 0.15, "abandoned": 0.30,
                "closed_waiting": 0.25, "offline_message": 0.10, "agent_visitor_closed": 0.08,
                "handed_back": 0.10}.get(outcome, 0.05)
        returns = rng.random() < back
        if outcome == "left":
            if returns or rng.random() < 0.6:
                chat.wait(600.0, 1.0)  # the visitor ends the chat from the widget
                chat.move("closed", "closed", "visitor")
                outcome = "closed_with_bot"
            else:
                self.retired[visitor] = True  # still open: any return would continue it
                self.stats.left_open += 1
                outcome = "open_with_bot"
        self._csat(chat, outcome)
        self.stats.outcomes[outcome] += 1
        end = chat.t
        self.busy_until[visitor] = end
        self.last_seen[visitor] = max(self.last_seen[visitor], end)
        if returns and not self.retired[visitor]:
            within_day = rng.random() < 0.72
            delay = (min(23.5 * 3600, 1800 * math.exp(rng.gauss(1.0, 1.1))) if within_day
                     else rng.uniform(24.5, 71.5) * 3600)
            due = end + timedelta(seconds=delay)
            heapq.heappush(self.pending, (due, next(self._pending_seq), visitor, intent,
                                          within_day))

    def _csat(self, chat: _Chat, outcome: str) -> None:
        if chat.state != "closed":
            return
        share = {"bot_resolved": 0.30, "agent_resolved": 0.42, "agent_follow_up": 0.35,
                 "agent_visitor_closed": 0.25, "handed_back": 0.25, "closed_with_bot": 0.12,
                 "offline_message": 0.05}.get(outcome, 0.15)
        if self.rng.random() >= share:
            return
        weights = {"bot_resolved": (2, 3, 10, 35, 50), "agent_resolved": (3, 4, 11, 30, 52),
                   "agent_follow_up": (10, 14, 26, 28, 22),
                   "closed_with_bot": (20, 18, 26, 20, 16)}.get(outcome, (12, 12, 22, 28, 26))
        score = self.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
        chat.t = chat.t + timedelta(seconds=5.0 * math.exp(self.rng.gauss(1.2, 0.8)))
        comment = (self.rng.choice(_VISITOR_TEXT[chat.locale]["comment"])
                   if self.rng.random() < 0.12 else None)
        chat.csat = (chat.id, score, comment, self.encoding.ts(chat.t))
        chat.event("csat", None, None, "visitor", {"score": score})

    # -- batches ----------------------------------------------------------------

    def agent_rows(self, password_hash: str) -> list[Row]:
        """The agents (AGENT_COLUMNS): the eight who chat, a supervisor and an admin."""
        ts, js = self.encoding.ts, self.encoding.js
        created = ts(self.start - timedelta(days=30))
        rows = [(self.agent_ids[i], f"{a.login}@bench.example.com", a.name, password_hash,
                 "agent", a.capacity, js(sorted(a.teams)), created)
                for i, a in enumerate(AGENTS)]
        for email, name, role in ((SUPERVISOR_EMAIL, "Bench Supervisor", "supervisor"),
                                  (ADMIN_EMAIL, "Bench Admin", "admin")):
            rows.append((_hex(self.rng), email, name, password_hash, role, 4, js([]), created))
        return rows

    def batches(self, size: int) -> Iterator[Batch]:
        """The conversations in creation order, in batches of about ``size`` messages."""
        batch = _empty_batch()
        ts = self.encoding.ts
        for created, locale in self._arrivals():
            visitor: int | None = None
            intent: str | None = None
            if self.pending and self.pending[0][0] <= created:
                _, _, candidate, same, within_day = heapq.heappop(self.pending)
                if self.busy_until[candidate] < created and not self.retired[candidate]:
                    visitor, intent = candidate, same
                    if within_day and created - self.busy_until[candidate] <= timedelta(hours=24):
                        self.stats.same_intent_24h += 1
                    else:
                        self.stats.same_intent_72h += 1
            if visitor is None and self.rng.random() < 0.2:
                visitor = self._returning(locale, created)
            if visitor is None:
                visitor = self._new_visitor(locale, created)
                user = f"shop-user-{visitor}" if self.rng.random() < 0.3 else None
                batch["visitors"].append((self.visitor_ids[visitor], user, locale,
                                          self.rng.choice(_PAGES), ts(created), ts(created)))
            else:
                self.stats.returning += 1
            chat = self._conversation(visitor, created, intent or self._intent(created))
            batch["conversations"].append(chat.row())
            batch["messages"] += chat.messages
            batch["conversation_events"] += chat.events
            if chat.csat is not None:
                batch["csat"].append(chat.csat)
                self.stats.csat += 1
            self.stats.conversations += 1
            self.stats.messages += len(chat.messages)
            self.stats.events.update(e[1] for e in chat.events)
            if len(batch["messages"]) >= size:
                yield batch
                batch = _empty_batch()
        if batch["conversations"]:
            yield batch

    def visitor_updates(self) -> list[tuple[str, Any]]:
        """(visitor id, last seen) of visitors active after their first conversation began."""
        ts = self.encoding.ts
        return [(self.visitor_ids[i], ts(seen)) for i, seen in enumerate(self.last_seen)
                if seen != self.first_seen[i]]

    def status_rows(self) -> list[Row]:
        """Each shift as online, away (break), online, offline (STATUS_COLUMNS); offline
        waits for the shift's last chat to end."""
        rows: list[tuple[datetime, str, str]] = []
        for day, shifts in enumerate(self.shifts):
            for s in shifts:
                if s.on >= self.end:
                    continue
                off = max(s.off, self.shift_last.get((s.agent, day), s.off))
                off += timedelta(seconds=self.rng.uniform(5, 90))
                agent_id = self.agent_ids[s.agent]
                rows += [(s.on, agent_id, "online"), (s.away, agent_id, "away"),
                         (s.back, agent_id, "online"), (off, agent_id, "offline")]
        rows.sort()
        return [(agent_id, status, self.encoding.ts(at)) for at, agent_id, status in rows]


def _empty_batch() -> Batch:
    return {"visitors": [], "conversations": [], "messages": [], "conversation_events": [],
            "csat": []}


# -- writing --------------------------------------------------------------------

_marker_meta = sa.MetaData()
MARKER = sa.Table(MARKER_TABLE, _marker_meta,
                  sa.Column("key", sa.String(64), primary_key=True),
                  sa.Column("value", sa.Text, nullable=False))


@dataclass(frozen=True, slots=True)
class Parameters:
    """What identifies a generated data set."""

    conversations: int
    seed: int
    days: int
    end: date

    def as_dict(self) -> dict[str, str]:
        return {"version": str(GENERATOR_VERSION), "conversations": str(self.conversations),
                "seed": str(self.seed), "days": str(self.days), "end": self.end.isoformat()}


async def read_marker(conn: AsyncConnection) -> dict[str, str] | None:
    """The marker of a generated data set in this database, or None."""
    exists = await conn.run_sync(lambda c: sa.inspect(c).has_table(MARKER_TABLE))
    if not exists:
        return None
    rows = (await conn.execute(sa.select(MARKER.c.key, MARKER.c.value))).all()
    return {k: v for k, v in rows} or None


async def matches(engine: AsyncEngine, params: Parameters) -> bool:
    """True when ``engine`` already holds the data set ``params`` describes, complete."""
    async with engine.connect() as conn:
        marker = await read_marker(conn)
        if marker is None or any(marker.get(k) != v for k, v in params.as_dict().items()):
            return False
        count = await conn.scalar(sa.text("SELECT count(*) FROM conversations"))
    return marker.get("complete") == "1" and count == params.conversations


async def _status_table(conn: AsyncConnection) -> sa.Table | None:
    """``agent_status_events`` if this schema has it (migration 0007 adds it), else None."""
    table = Base.metadata.tables.get(STATUS_TABLE)

    def reflect(sync: sa.Connection) -> sa.Table | None:
        if not sa.inspect(sync).has_table(STATUS_TABLE):
            return None
        return table if table is not None else sa.Table(
            STATUS_TABLE, sa.MetaData(), autoload_with=sync)

    found = await conn.run_sync(reflect)
    if found is None:
        return None
    required = {c.name for c in found.columns
                if not c.nullable and c.server_default is None and c.default is None
                and not (c.primary_key and c.autoincrement in (True, "auto"))}
    unknown = required - {"agent_id", "status", "created_at"}
    if unknown:
        print(f"{STATUS_TABLE}: required columns {sorted(unknown)} unknown to this generator;"
              " agent presence not written", file=sys.stderr)
        return None
    return found


def encoding_for(dialect: sa.Dialect) -> Encoding:
    """Datetimes and JSON exactly as SQLAlchemy hands them to this dialect's driver.

    The rows skip SQLAlchemy's per-value type processing (it was most of the
    client's time); this checks, on sample values, that the shortcut gives what
    the application's own column types would, so the data is stored exactly as
    the gateway stores it.
    """
    if dialect.name == "sqlite":
        def ts(value: datetime) -> Any:
            return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
    else:
        def ts(value: datetime) -> Any:
            return value
    encoding = Encoding(ts=ts, js=json.dumps)
    messages = Base.metadata.tables["messages"]
    to_db_ts = messages.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    to_db_js = messages.c.quick_replies.type.dialect_impl(dialect).bind_processor(dialect)
    for when in (datetime(2026, 3, 1, 12, 0, 0, 1234, tzinfo=UTC),
                 datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)):
        if (to_db_ts(when) if to_db_ts else when) != ts(when):
            raise RuntimeError(f"{dialect.name}: datetimes would not be stored as the app does")
    for value in ([{"title": "はい", "payload": "/feedback:yes"}], {}, {"waited_s": 120.0}):
        if (to_db_js(value) if to_db_js else value) != json.dumps(value):
            raise RuntimeError(f"{dialect.name}: JSON would not be stored as the app does")
    return encoding


class BulkWriter:
    """Inserts rows (tuples in :data:`COLUMNS` order) through SQLAlchemy Core.

    PostgreSQL: one multi-row ``INSERT … SELECT FROM unnest(arrays)`` per
    5,000 rows (one statement, one plan, instead of one execution per row);
    SQLite: ``executemany`` of one prepared INSERT (a C loop in sqlite3).
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.pg = dialect.name == "postgresql"
        self.chunk = 5_000 if self.pg else 20_000
        self.tables: dict[str, sa.Table] = dict(Base.metadata.tables)
        self._sql: dict[str, str] = {}

    def sql(self, table: str) -> str:
        if table not in self._sql:
            columns = COLUMNS[table]
            quote = self.dialect.identifier_preparer.quote
            names = ", ".join(quote(c) for c in columns)
            if self.pg:
                model = self.tables[table]
                arrays, values = [], []
                for i, name in enumerate(columns, start=1):
                    column_type = model.c[name].type
                    if isinstance(column_type, sa.JSON):
                        arrays.append(f"${i}::text[]")
                        values.append(f"u.{quote(name)}::json")
                    else:
                        arrays.append(f"${i}::{column_type.compile(self.dialect)}[]")
                        values.append(f"u.{quote(name)}")
                self._sql[table] = (f"INSERT INTO {quote(table)} ({names}) SELECT "
                                    f"{', '.join(values)} FROM unnest({', '.join(arrays)}) "
                                    f"AS u({names})")
            else:
                marks = ", ".join("?" for _ in columns)
                self._sql[table] = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
        return self._sql[table]

    async def insert(self, conn: AsyncConnection, table: str, rows: list[Row]) -> None:
        statement = self.sql(table)
        for i in range(0, len(rows), self.chunk):
            chunk = rows[i:i + self.chunk]
            if self.pg:
                await conn.exec_driver_sql(statement, tuple(list(c) for c in zip(*chunk,
                                                                                  strict=True)))
            else:
                await conn.exec_driver_sql(statement, chunk)

    async def last_seen(self, conn: AsyncConnection, updates: list[tuple[str, Any]]) -> None:
        """Set ``visitors.last_seen_at`` from (id, time) pairs."""
        if not updates:
            return
        if self.pg:
            ids, times = (list(c) for c in zip(*updates, strict=True))
            await conn.exec_driver_sql(
                "UPDATE visitors AS v SET last_seen_at = u.seen FROM "
                "unnest($1::varchar[], $2::timestamptz[]) AS u(id, seen) WHERE v.id = u.id",
                (ids, times))
        else:
            await conn.exec_driver_sql("UPDATE visitors SET last_seen_at = ? WHERE id = ?",
                                       [(seen, vid) for vid, seen in updates])


async def _backend_cpu(conn: AsyncConnection) -> float | None:
    """CPU seconds the PostgreSQL server process of ``conn`` has used, when it runs on this
    machine (read from /proc); None on SQLite or elsewhere. Under a loaded machine, wall
    time says little: this says what the load cost the server."""
    if conn.dialect.name != "postgresql":
        return None
    pid = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
    await conn.commit()
    return process_cpu(int(pid))


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` on this machine, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _begin_fast(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        # Bulk load: a crash mid-way loses the batch, which the marker then reports as incomplete.
        await conn.execute(sa.text("SET LOCAL synchronous_commit = off"))


def _produce(gen: YearGenerator, size: int, out: queue.Queue[Any], cpu: list[float]) -> None:
    """Thread body: simulate the year into ``out`` (None at the end, or the exception)."""
    started = time.thread_time()
    try:
        for batch in gen.batches(size):
            out.put(batch)
        out.put(None)
    except BaseException as exc:
        out.put(exc)
    finally:
        cpu.append(time.thread_time() - started)


async def generate(url: str, params: Parameters, *, batch_size: int = 40_000,
                   quiet: bool = False) -> Stats | None:
    """Write the data set into the database at ``url`` (migrated first).

    Returns what was written, or None when the database already holds it.
    Raises SystemExit when the database holds other conversations. The
    simulation runs in a thread, a batch ahead of the inserts.
    """
    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    engine = create_engine(url)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        await migrate(engine)
        if await matches(engine, params):
            say(f"already generated: {params.as_dict()}")
            return None
        async with engine.connect() as conn:
            existing = await conn.scalar(sa.text("SELECT count(*) FROM conversations"))
            if engine.dialect.name == "sqlite":
                # This connection's page cache (not the file's): random keys in big indexes.
                await conn.exec_driver_sql("PRAGMA cache_size = -262144")
            await conn.commit()
        if existing:
            raise SystemExit(f"the database already holds {existing} conversations (and no "
                             "matching bench marker): give an empty database")
        writer = BulkWriter(engine.dialect)
        gen = YearGenerator(conversations=params.conversations, days=params.days,
                            seed=params.seed, end=params.end,
                            encoding=encoding_for(engine.dialect))
        password_hash = await asyncio.to_thread(hash_password, AGENT_PASSWORD)
        async with engine.begin() as conn:
            await conn.run_sync(_marker_meta.create_all)
            await conn.execute(MARKER.delete())
            await conn.execute(MARKER.insert(), [{"key": k, "value": v} for k, v in
                                                 {**params.as_dict(), "complete": "0"}.items()])
            await writer.insert(conn, "agents", gen.agent_rows(password_hash))
        batches: queue.Queue[Any] = queue.Queue(maxsize=2)
        cpu: list[float] = []
        producer = threading.Thread(target=_produce, args=(gen, batch_size, batches, cpu),
                                    name="report-data", daemon=True)
        producer.start()
        waited, done, server_cpu = 0.0, 0, None
        async with engine.connect() as conn:  # one connection: its server process is measured
            backend = await _backend_cpu(conn)
            while True:
                t0 = time.perf_counter()
                batch = await asyncio.to_thread(batches.get)
                waited += time.perf_counter() - t0
                if batch is None:
                    break
                if isinstance(batch, BaseException):
                    raise batch
                async with conn.begin():
                    await _begin_fast(conn)
                    for table in ("visitors", "conversations", "messages", "conversation_events",
                                  "csat"):
                        await writer.insert(conn, table, batch[table])
                before, done = done, done + len(batch["conversations"])
                if before // 20_000 != done // 20_000:
                    elapsed = time.perf_counter() - started
                    say(f"  {done:>7} conversations written ({elapsed:.0f} s)")
            producer.join()
            async with conn.begin():
                await _begin_fast(conn)
                await writer.last_seen(conn, gen.visitor_updates())
                status = await _status_table(conn)
                if status is not None:
                    writer.tables[STATUS_TABLE] = status
                    rows = gen.status_rows()
                    await writer.insert(conn, STATUS_TABLE, rows)
                    gen.stats.status_events = len(rows)
                await conn.execute(MARKER.update().where(MARKER.c.key == "complete")
                                   .values(value="1"))
                await conn.execute(MARKER.insert(), [
                    {"key": "stats", "value": json.dumps(_stats_dict(gen.stats))}])
            after = await _backend_cpu(conn)
            if backend is not None and after is not None:
                server_cpu = after - backend
        written = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a table after a bulk load: statistics, visibility map.
            async with engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(sa.text("VACUUM ANALYZE"))
        server = "" if server_cpu is None else f", database server {server_cpu:.1f} s"
        say(f"generated in {time.perf_counter() - started:.1f} s (written in {written:.1f} s"
            f"{', then VACUUM ANALYZE' if engine.dialect.name == 'postgresql' else ''}); "
            f"CPU: this process {time.process_time() - cpu_started:.1f} s (simulation "
            f"{sum(cpu):.1f} s in its thread; the writer waited {waited:.1f} s for it){server}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return gen.stats
    finally:
        await engine.dispose()


def _stats_dict(stats: Stats) -> dict[str, Any]:
    return {"conversations": stats.conversations, "messages": stats.messages,
            "visitors": stats.visitors, "returning": stats.returning,
            "same_intent_24h": stats.same_intent_24h, "same_intent_72h": stats.same_intent_72h,
            "left_open": stats.left_open, "csat": stats.csat,
            "status_events": stats.status_events, "events": dict(stats.events.most_common()),
            "outcomes": dict(stats.outcomes.most_common())}


def describe(stats: Stats) -> str:
    """A few lines on what was generated, with shares of all conversations."""
    n = max(1, stats.conversations)

    def pct(x: int) -> str:
        return f"{100 * x / n:.1f} %"

    ev = stats.events
    lines = [
        f"{stats.conversations} conversations, {stats.messages} messages "
        f"({stats.messages / n:.1f} each), {sum(ev.values())} events, {stats.csat} CSAT, "
        f"{stats.status_events} agent status events",
        f"visitors {stats.visitors}; returning conversations {pct(stats.returning)}, "
        f"same intent within 24 h {pct(stats.same_intent_24h)}, within 72 h "
        f"{pct(stats.same_intent_72h)}",
        f"escalated {pct(ev['escalated'])}, assigned {pct(ev['first_agent_reply'])}, "
        f"abandoned {pct(ev['abandoned'])}, bot_resolved {pct(ev['bot_resolved'])}, "
        f"closed {pct(ev['closed'])}, left open with the bot {pct(stats.left_open)}, "
        f"CSAT {100 * stats.csat / max(1, ev['closed']):.1f} % of closed",
        "outcomes: " + ", ".join(f"{k} {pct(v)}" for k, v in stats.outcomes.most_common()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="sqlite+aiosqlite:///path or postgresql+asyncpg://…")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END,
                        help="the day after the generated period (Asia/Tokyo), ISO date")
    parser.add_argument("--batch", type=int, default=40_000, help="messages per insert batch")
    args = parser.parse_args(argv)
    params = Parameters(args.conversations, args.seed, args.days, args.end)
    stats = asyncio.run(generate(args.database_url, params, batch_size=args.batch))
    if stats is not None:
        print(describe(stats))


if __name__ == "__main__":
    main()
