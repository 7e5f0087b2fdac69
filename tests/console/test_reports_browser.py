"""The Reports page in a real Chromium against a real gateway (issue 10, docs/metrics.md).

One ``tsunagu serve`` process (SQLite) with the console's three accounts
(tests/console/conftest.py: Aoi an agent, Ren a supervisor, Mio an admin).
Two weeks of conversations are written straight into its database with
explicit times in Asia/Tokyo: answered by the bot (confirmed or closed),
escalated and answered by Aoi or Ren, escalated and abandoned in the queue,
out of scope, small talk only, left silent with the bot, and a visitor who
came back on the same intent three hours later; with intents and
confidences on the visitor's messages, the lifecycle events, ratings and the
agents' online hours. The week before the window gives the tiles a change
to show.

Ren signs in at /login in a browser set to Asia/Tokyo, opens Reports and
picks 7 days. The test reads the window from the page's own
``/api/reports/summary`` request, asks the same URL itself with Ren's bearer
token, and checks every tile's ``data-raw`` against it exactly — and the API
against the figures worked out here from the seeded rows. Charts, tables and
the threshold simulator are drawn and non-empty, the page meets no CSP
violation, the CSV link downloads one row per seeded conversation of the
window (with the outcome expected of it), and Aoi, a plain agent, has no
Reports button and gets 403 from the API.

Screenshot: test-artifacts/reports-week.png (the whole Reports page).
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.console.conftest import PASSWORD, Account, Desk
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(120)

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

TZ_NAME = "Asia/Tokyo"
TZ = ZoneInfo(TZ_NAME)
SCREENSHOT = "reports-week.png"
#: The KPI tiles of widget/src/console/reports/kpis.ts, each a key of the summary.
KPI_KEYS = ("conversations", "deflection", "bot_frt_p50_s", "human_frt_p50_s", "wait_p50_s",
            "answer_rate", "abandonment_rate", "aht_p50_s", "csat_mean", "fcr")
#: Business slots (local time) and the evening ones, when only the bot is there.
DAY_SLOTS = ((9, 10), (10, 25), (11, 40), (13, 5), (14, 30), (15, 50), (17, 15))
EVENING_SLOTS = ((19, 40), (21, 5))
DAY_PATTERN = ("faq_confirmed", "escalated_answered", "faq_closed", "escalated_answered",
               "out_of_scope", "escalated_abandoned", "faq_confirmed", "just_hello",
               "escalated_answered")
EVENING_PATTERN = ("faq_confirmed", "bot_silent")

TEXTS = {
    "en": {
        "greet": "hi there", "order_status": "where is my order #A-1042?",
        "shipping_fee": "how much is shipping to Osaka?",
        "refund_status": "my refund has not arrived yet",
        "billing_problem": "I was charged twice this month",
        "business_hours": "are you open on Sunday?", "cancel_order": "please cancel my order",
        "out_of_scope": "can you recommend a good ramen place?",
        "request_human": "can I talk to a person?", "bot": "Here is what I found.",
        "handoff": "Connecting you with a person.", "agent": "Hi, let me check that for you.",
        "done": "Thanks, that helps!", "fallback": "Sorry, I did not understand that.",
    },
    "ja": {
        "greet": "こんにちは", "order_status": "注文 A-1042 はいつ届きますか",
        "shipping_fee": "大阪までの送料はいくらですか", "refund_status": "返金がまだ届きません",
        "billing_problem": "今月二重に請求されています",
        "business_hours": "日曜日は営業していますか",
        "cancel_order": "注文をキャンセルしたいです",
        "out_of_scope": "おすすめのラーメン屋はありますか",
        "request_human": "担当者と話したいです", "bot": "こちらをご覧ください。",
        "handoff": "担当者におつなぎします。", "agent": "お待たせしました。確認いたします。",
        "done": "助かりました。", "fallback": "申し訳ありません、よく分かりませんでした。",
    },
}


# -- the seeded record -------------------------------------------------------------


@dataclass
class Chat:
    """One conversation to write; times are milliseconds after ``created``.

    ``outcome`` and ``fcr`` are what docs/metrics.md says of it, worked out
    by hand for its scenario; the durations are read off its rows below.
    """

    name: str
    created: datetime
    visitor: str
    locale: str
    state: str = "closed"
    team: str | None = None
    outcome: str | None = None
    fcr: int | None = None
    csat: int | None = None
    resolution: str | None = None
    # (sender, ms, text, intent, confidence, payload, agent)
    messages: list[tuple[str, int, str, str | None, float | None, str | None,
                         Account | None]] = field(default_factory=list)
    # (type, ms, from_state, to_state, actor, data)
    events: list[tuple[str, int, str | None, str | None, str | None, dict[str, Any]]] = field(
        default_factory=list)
    id: str = ""

    def say(self, ms: int, key: str, intent: str | None = None, confidence: float | None = None,
            payload: str | None = None) -> None:
        self.messages.append(("visitor", ms, TEXTS[self.locale][key], intent, confidence,
                              payload, None))

    def bot(self, ms: int, key: str = "bot") -> None:
        self.messages.append(("bot", ms, TEXTS[self.locale][key], None, None, None, None))

    def agent(self, ms: int, who: Account, key: str = "agent") -> None:
        self.messages.append(("agent", ms, TEXTS[self.locale][key], None, None, None, who))

    def event(self, kind: str, ms: int, from_state: str | None, to_state: str | None,
              actor: str | None, **data: Any) -> None:
        self.events.append((kind, ms, from_state, to_state, actor, data))

    def at(self, kind: str, **match: str) -> int | None:
        """The time (ms) of the first event of ``kind`` (whose from_state matches)."""
        for event_kind, ms, from_state, _, _, _ in self.events:
            if event_kind == kind and match.get("from_state", from_state) == from_state:
                return ms
        return None

    # Durations in seconds, as docs/metrics.md defines them.
    def bot_frt(self) -> float | None:
        visitor = [ms for sender, ms, *_ in self.messages if sender == "visitor"]
        bot = [ms for sender, ms, *_ in self.messages if sender == "bot"]
        if not visitor or not bot or min(bot) < min(visitor):
            return None
        return (min(bot) - min(visitor)) / 1000

    def between(self, start: int | None, end: int | None) -> float | None:
        return None if start is None or end is None else (end - start) / 1000

    def human_frt(self) -> float | None:
        return self.between(self.at("escalated"), self.at("first_agent_reply"))

    def wait(self) -> float | None:
        return self.between(self.at("escalated"), self.at("assigned"))

    def aht(self) -> float | None:
        return self.between(self.at("assigned"), self.at("closed", from_state="assigned"))


def scenario(kind: str, chat: Chat, rng: random.Random, agent: Account) -> None:
    """Fill ``chat`` with the messages and events of one kind of conversation."""
    if kind == "faq_confirmed":
        # Greeting (small talk) then a question; the visitor says it helped.
        chat.say(0, "greet", "greet", 0.97)
        chat.bot(rng.randint(150, 600))
        chat.say(6_000, "order_status", "order_status", round(rng.uniform(0.72, 0.95), 2))
        chat.bot(6_000 + rng.randint(300, 1_500))
        chat.say(25_000, "done", "affirm", 1.0, payload="/feedback:yes")
        chat.bot(25_300)
        chat.event("bot_resolved", 25_000, None, None, "visitor")
        chat.event("closed", 40_000, "bot", "closed", "visitor")
        chat.outcome, chat.fcr, chat.csat = "resolved_by_bot", 1, rng.choice((5, 5, 4, None))
    elif kind in ("faq_closed", "reopen_first"):
        intent = "shipping_fee" if kind == "faq_closed" else "cancel_order"
        chat.say(0, intent, intent, round(rng.uniform(0.65, 0.93), 2))
        chat.bot(rng.randint(300, 1_200))
        chat.event("closed", 90_000, "bot", "closed", "visitor")
        if kind == "faq_closed":
            chat.outcome, chat.fcr = "resolved_by_bot", 1
        else:
            # The same visitor is back on the same intent 3 h later: not resolved, no FCR.
            chat.outcome, chat.fcr = "unresolved", 0
    elif kind in ("escalated_answered", "reopen_second"):
        intent = "refund_status" if kind == "escalated_answered" else "cancel_order"
        chat.team = "support"
        chat.say(0, intent, intent, round(rng.uniform(0.4, 0.6), 2))
        chat.bot(rng.randint(400, 1_500))
        chat.say(20_000, "request_human", "request_human", 0.94)
        chat.bot(20_300, "handoff")
        escalated = 20_600
        assigned = escalated + rng.randint(8_000, 240_000)
        replied = assigned + rng.randint(5_000, 45_000)
        closed = assigned + rng.randint(180_000, 900_000)
        chat.event("escalated", escalated, "bot", "queued", "visitor")
        chat.event("assigned", assigned, "queued", "assigned", agent.id, agent_id=agent.id)
        chat.agent(replied, agent)
        chat.event("first_agent_reply", replied, None, None, agent.id)
        chat.say(replied + 30_000, "done")
        chat.resolution = rng.choice(("solved", "solved", "follow_up"))
        chat.event("closed", closed, "assigned", "closed", agent.id, resolution=chat.resolution)
        chat.outcome, chat.fcr = "escalated", 1
        chat.csat = rng.choice((5, 4, 4, 3, 2, None)) if kind == "escalated_answered" else 3
    elif kind == "escalated_abandoned":
        chat.team = "support"
        chat.state = "abandoned"
        chat.say(0, "billing_problem", "billing_problem", round(rng.uniform(0.5, 0.7), 2))
        chat.bot(rng.randint(400, 1_200))
        chat.say(12_000, "request_human", "request_human", 0.91)
        chat.bot(12_300, "handoff")
        left = 12_600 + rng.randint(3_000, 180_000)
        chat.event("escalated", 12_600, "bot", "queued", "visitor")
        chat.event("abandoned", left, "queued", "abandoned", "system", waited_s=120.0)
        chat.outcome = "escalated"
    elif kind == "out_of_scope":
        chat.say(0, "out_of_scope", "out_of_scope", round(rng.uniform(0.12, 0.3), 2))
        chat.bot(rng.randint(300, 900), "fallback")
        chat.event("closed", 300_000, "bot", "closed", "system")
        # Ended with an out-of-scope intent: unresolved; closed with an intent, not reopened.
        chat.outcome, chat.fcr = "unresolved", 1
    elif kind == "just_hello":
        chat.say(0, "greet", "greet", 0.96)
        chat.bot(rng.randint(150, 500))
        chat.event("closed", 600_000, "bot", "closed", "system")
        # Small talk only: no intent, ended, so unresolved; FCR does not count it.
        chat.outcome, chat.fcr = "unresolved", None
    elif kind == "bot_silent":
        chat.state = "bot"
        chat.say(0, "business_hours", "business_hours", round(rng.uniform(0.7, 0.9), 2))
        chat.bot(rng.randint(300, 900))
        # Still with the bot, in scope, the visitor silent for more than 30 minutes.
        chat.outcome = "abandoned_with_bot"
    else:  # pragma: no cover - a typo in the patterns above
        raise AssertionError(kind)


def plan(now: datetime, aoi: Account, ren: Account) -> list[Chat]:
    """Fourteen local days up to now: the week of the window and the week before it."""
    today = now.astimezone(TZ).date()
    chats: list[Chat] = []
    agents = (aoi, ren)
    n = 0

    def add(kind: str, day: date, hm: tuple[int, int], rng: random.Random,
            visitor: str | None = None, locale: str | None = None) -> Chat | None:
        nonlocal n
        created = datetime.combine(day, clock(*hm), TZ) + timedelta(seconds=rng.randint(0, 240))
        # Everything it does (up to ~20 min) has happened, and a silent one is silent for 30.
        if created + timedelta(minutes=45) > now:
            return None
        n += 1
        chat = Chat(f"{kind}-{day.isoformat()}-{n}", created.astimezone(UTC),
                    visitor or f"v{n:03d}".ljust(32, "0"),
                    locale or ("ja" if n % 3 == 0 else "en"))
        scenario(kind, chat, rng, agents[n % 2])
        chats.append(chat)
        return chat

    for back in range(14):
        day = today - timedelta(days=back)
        rng = random.Random(1000 + back)
        busy = back < 7  # the week before is quieter
        for i, hm in enumerate(DAY_SLOTS[: None if busy else 5]):
            add(DAY_PATTERN[(i + back) % len(DAY_PATTERN)], day, hm, rng)
        for i, hm in enumerate(EVENING_SLOTS[: None if busy else 1]):
            add(EVENING_PATTERN[i], day, hm, rng)
        if back in (1, 3, 5, 9):
            # Back three hours later on the same intent, and asks for a person.
            first = add("reopen_first", day, (10, 50), rng)
            assert first is not None
            add("reopen_second", day, (13, 50), rng, visitor=first.visitor, locale=first.locale)
    return chats


def online_hours(now: datetime) -> list[tuple[datetime, str]]:
    """When the agents came online and went offline: 08:55-18:30 local on past days."""
    today = now.astimezone(TZ).date()
    rows = []
    for back in range(1, 14):
        day = today - timedelta(days=back)
        rows.append((datetime.combine(day, clock(8, 55), TZ).astimezone(UTC), "online"))
        rows.append((datetime.combine(day, clock(18, 30), TZ).astimezone(UTC), "offline"))
    return rows


async def seed(database_url: str, chats: list[Chat], agents: list[Account],
               now: datetime) -> None:
    """Write ``chats`` (their visitors, messages, events, ratings) and the agents' hours."""
    from live_chat.store.database import create_engine
    from live_chat.store.models import (
        AgentStatusEvent,
        Conversation,
        ConversationEvent,
        Csat,
        Message,
        Visitor,
    )
    from live_chat.store.repository import Store

    engine = create_engine(database_url)
    try:
        store = Store(engine)
        async with store.begin() as tx:
            session = tx.session
            visitors: set[str] = set()
            for chat in chats:
                def t(ms: int, chat: Chat = chat) -> datetime:
                    return chat.created + timedelta(milliseconds=ms)

                if chat.visitor not in visitors:
                    visitors.add(chat.visitor)
                    session.add(Visitor(id=chat.visitor, locale=chat.locale,
                                        page_url="https://shop.example.com/orders",
                                        created_at=chat.created, last_seen_at=chat.created))
                    await session.flush()
                last = max([ms for _, ms, *_ in chat.messages]
                           + [ms for _, ms, *_ in chat.events])
                conversation = Conversation(
                    visitor_id=chat.visitor, state=chat.state, locale=chat.locale,
                    team=chat.team, resolution=chat.resolution, last_seq=len(chat.messages),
                    queued_at=t(chat.at("escalated")) if chat.at("escalated") else None,
                    assigned_at=t(chat.at("assigned")) if chat.at("assigned") else None,
                    closed_at=t(chat.at("closed")) if chat.at("closed") else None,
                    created_at=chat.created, updated_at=t(last))
                session.add(conversation)
                await session.flush()
                chat.id = conversation.id
                ordered = sorted(chat.messages, key=lambda m: m[1])
                for seq, (sender, ms, words, intent, confidence, payload, who) in enumerate(
                        ordered, start=1):
                    session.add(Message(
                        conversation_id=chat.id, seq=seq, sender=sender, text=words,
                        payload=payload, intent=intent, confidence=confidence,
                        author_id=who.id if who else None,
                        author_name=who.name if who else None, created_at=t(ms)))
                session.add(ConversationEvent(conversation_id=chat.id, type="created",
                                              to_state="bot", actor="visitor",
                                              created_at=chat.created))
                for kind, ms, from_state, to_state, actor, data in sorted(
                        chat.events, key=lambda e: e[1]):
                    session.add(ConversationEvent(
                        conversation_id=chat.id, type=kind, from_state=from_state,
                        to_state=to_state, actor=actor, data=data, created_at=t(ms)))
                if chat.csat is not None:
                    session.add(Csat(conversation_id=chat.id, score=chat.csat,
                                     created_at=t(last + 5_000)))
                # A rating or a later visitor row must never fall in the future.
                assert t(last + 5_000) < now, chat.name
            for agent in agents:
                for when, status in online_hours(now):
                    session.add(AgentStatusEvent(agent_id=agent.id, status=status,
                                                 created_at=when))
    finally:
        await engine.dispose()


# -- figures worked out from the seeded rows -----------------------------------------


def percentile(values: list[float], k: int, d: int) -> float | None:
    """The k/d quantile by linear interpolation between the closest ranks (docs/metrics.md)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * k
    low, high = position // d, -(-position // d)
    return ordered[low] + (ordered[high] - ordered[low]) * (position % d) / d


def by_hand(chats: list[Chat]) -> dict[str, Any]:
    """The summary's figures of ``chats`` (all of one window), from docs/metrics.md."""

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def median(values: list[float | None]) -> float | None:
        found = percentile([v for v in values if v is not None], 1, 2)
        return None if found is None else round(found, 3)

    outcomes = [c.outcome for c in chats]
    escalated = [c for c in chats if c.at("escalated") is not None]
    ratings = [c.csat for c in chats if c.csat is not None]
    fcr = [c.fcr for c in chats if c.fcr is not None]
    with_outcome = [o for o in outcomes if o is not None]
    return {
        "conversations": len(chats),
        "outcomes": {name: outcomes.count(name) for name in (
            "resolved_by_bot", "escalated", "abandoned_with_bot", "unresolved")}
        | {"none": outcomes.count(None)},
        "deflection": share(with_outcome.count("resolved_by_bot"), len(with_outcome)),
        "bot_frt_p50_s": median([c.bot_frt() for c in chats]),
        "human_frt_p50_s": median([c.human_frt() for c in chats]),
        "wait_p50_s": median([c.wait() for c in chats]),
        "answer_rate": share(sum(c.at("first_agent_reply") is not None for c in escalated),
                             len(escalated)),
        "abandonment_rate": share(sum(c.at("abandoned") is not None for c in escalated),
                                  len(escalated)),
        "aht_p50_s": median([c.aht() for c in chats]),
        "csat_mean": round(sum(ratings) / len(ratings), 4) if ratings else None,
        "csat_responses": len(ratings),
        "fcr": share(sum(fcr), len(fcr)),
    }


# -- HTTP and the browser ------------------------------------------------------------


def http(url: str, token: str | None = None, data: dict[str, Any] | None = None
         ) -> tuple[int, bytes, str]:
    """Status, body and content type of one request (a JSON POST when ``data``)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def api_token(desk: Desk, account: Account) -> str:
    status, body, _ = http(f"{desk.url}/api/auth/login",
                           data={"email": account.email, "password": PASSWORD})
    assert status == 200, body
    return str(json.loads(body)["token"])


@dataclass
class Browser:
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp"))


def sign_in(browser: Any, desk: Desk, account: Account) -> Browser:
    """Through /login, in English, in Tokyo, at 1366 x 900."""
    context = browser.new_context(locale="en-US", timezone_id=TZ_NAME,
                                  viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    seen = Browser(context, page)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("console", lambda m: seen.errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{desk.url}/login")
    page.locator("input[name=email]").fill(account.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(f"{desk.url}/console")
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    expect(page.locator(".topbar .me")).to_have_text(account.name)
    return seen


def is_current_summary(url: str) -> bool:
    """The page's summary of the chosen range, not of the period before it: a range of
    whole days ends at a date, the previous period of one under way at a time of day."""
    parsed = urlparse(url)
    if parsed.path != "/api/reports/summary":
        return False
    until = parse_qs(parsed.query).get("until", [""])[0]
    return len(until) == 10


# -- the test ----------------------------------------------------------------------


@dataclass
class Week:
    chats: list[Chat]
    now: datetime


@pytest.fixture(scope="module")
def week(desk: Desk, aloop: BackgroundLoop) -> Week:
    now = datetime.now(UTC)
    chats = plan(now, desk.aoi, desk.ren)
    aloop.run(seed(desk.gateway.database_url, chats, [desk.aoi, desk.ren], now))
    return Week(chats, now)


def test_reports_week_tiles_match_the_api(browser: Any, desk: Desk, week: Week) -> None:
    started = time.monotonic()
    ARTIFACTS.mkdir(exist_ok=True)
    ren = sign_in(browser, desk, desk.ren)
    page = ren.page
    aoi: Browser | None = None
    try:
        # -- Reports, 7 days ------------------------------------------------------------
        section = page.locator("section.reports")
        page.locator('.topbar [data-action="reports"]').click()
        expect(section).to_be_visible()
        expect(section).to_have_attribute("data-state", "ready")
        with page.expect_response(lambda r: is_current_summary(r.url)) as caught:
            page.locator('[data-range="7d"]').click()
        expect(page.locator('[data-range="7d"]')).to_have_attribute("aria-pressed", "true")
        expect(section).to_have_attribute("data-state", "ready")
        assert caught.value.status == 200, caught.value.text()
        page_summary = caught.value.json()

        # The window the page asked for: the last 7 local days, in the browser's zone.
        query = {k: v[0] for k, v in parse_qs(urlparse(caught.value.url).query).items()}
        today = datetime.now(TZ).date()
        assert query == {"since": (today - timedelta(days=6)).isoformat(),
                         "until": (today + timedelta(days=1)).isoformat(),
                         "tz": TZ_NAME}, query
        since = datetime.combine(date.fromisoformat(query["since"]), clock(0), TZ)
        until = datetime.combine(date.fromisoformat(query["until"]), clock(0), TZ)
        in_window = [c for c in week.chats if since <= c.created < until]
        assert len(in_window) >= 40, len(in_window)

        # -- the same question, asked with the supervisor's token ------------------------
        token = api_token(desk, desk.ren)
        summary_url = f"{desk.url}/api/reports/summary?{urlencode(query)}"
        status, body, _ = http(summary_url, token)
        assert status == 200, body
        api = json.loads(body)
        assert api == page_summary, "the page's summary and ours differ"
        assert api["tz"] == TZ_NAME

        # ... and the figures worked out from the seeded rows.
        expected = by_hand(in_window)
        got = {key: api[key] for key in expected}
        mismatched = {key: (got[key], expected[key]) for key in expected
                      if got[key] != expected[key]}
        assert not mismatched, f"GET {summary_url}: (API, by hand) {mismatched}"

        # -- every tile: data-raw is the API's number, exactly -----------------------------
        tiles = section.locator("[data-kpi]")
        expect(tiles).to_have_count(len(KPI_KEYS))
        raw = dict(tiles.evaluate_all(
            "els => els.map(e => [e.dataset.kpi, e.querySelector('[data-value]').dataset.raw])"))
        assert set(raw) == set(KPI_KEYS), raw
        for key in KPI_KEYS:
            assert api[key] is not None, f"{key} has no value for the seeded week"
            assert raw[key] != "", f"tile {key} shows no figure"
            assert float(raw[key]) == api[key], (key, raw[key], api[key])
            expect(section.locator(f'[data-kpi="{key}"] [data-value]')).not_to_have_text("")
        # The week before was seeded too: every tile shows a change with its tone.
        deltas = section.locator("[data-kpi] [data-delta][data-tone]")
        expect(deltas).to_have_count(len(KPI_KEYS))
        tones = dict(tiles.evaluate_all(
            "els => els.map(e => [e.dataset.kpi,"
            " (e.querySelector('[data-delta]') || {dataset: {}}).dataset.tone])"))
        assert tones["conversations"] == "neutral", tones

        # -- charts, tables, simulator ---------------------------------------------------
        for name in ("conversations", "frt", "wait"):
            chart = section.locator(f'figure[data-chart="{name}"]')
            expect(chart).to_have_attribute("data-points", "7")
            expect(chart.locator("canvas").first).to_be_visible()
        thresholds_chart = section.locator('figure[data-chart="thresholds"]')
        expect(thresholds_chart).to_be_visible()
        assert int(thresholds_chart.get_attribute("data-points") or "0") > 0
        expect(thresholds_chart.locator("canvas").first).to_be_visible()
        # The daily conversations add up to the summary's count.
        status, body, _ = http(f"{desk.url}/api/reports/timeseries?"
                               f"{urlencode({**query, 'metric': 'conversations'})}"
                               "&interval=day", token)
        assert status == 200, body
        points = json.loads(body)["points"]
        assert len(points) == 7 and sum(p["value"] for p in points) == api["conversations"], points

        intents = section.locator('[data-table="intents"] [data-intent-row]')
        expect(intents).to_have_count(len(api["by_intent"]))
        assert intents.first.get_attribute("data-intent-row") == (
            api["by_intent"][0]["intent"] or "")
        agents = section.locator('[data-table="agents"] [data-agent-row]')
        expect(agents).to_have_count(2)
        assert {a.get_attribute("data-agent-row") for a in agents.all()} == {
            desk.aoi.id, desk.ren.id}
        expect(section.locator('[data-table="waits"] [data-bucket]')).to_have_count(
            len(api["wait_histogram"]))
        expect(section.locator('[data-table="thresholds"] [data-intent-row]').first).to_be_visible()

        # -- the CSV of the same window ------------------------------------------------
        link = section.locator('[data-action="csv"]')
        href = link.get_attribute("href") or ""
        assert urlparse(href).path == "/api/reports/conversations.csv", href
        assert {k: v[0] for k, v in parse_qs(urlparse(href).query).items()} == query, href
        with page.expect_download() as download:
            link.click()
        path = download.value.path()
        assert path is not None
        text = Path(path).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(in_window) == api["conversations"]
        outcomes = {row["id"]: row["outcome"] for row in rows}
        assert outcomes == {c.id: c.outcome or "" for c in in_window}

        # -- the whole page, as a supervisor sees it -------------------------------------
        assert ren.csp_violations() == []
        assert ren.errors == [], ren.errors
        screenshot(page, section)

        # -- a plain agent: no Reports button, and 403 ------------------------------------
        aoi = sign_in(browser, desk, desk.aoi)
        expect(aoi.page.locator('[data-action="reports"]')).to_have_count(0)
        status, body, _ = http(summary_url, api_token(desk, desk.aoi))
        assert status == 403, body
        assert json.loads(body)["error"] == "forbidden", body
        in_page = aoi.page.evaluate(
            "url => fetch(url).then(r => r.status)", f"/api/reports/summary?{urlencode(query)}")
        assert in_page == 403
        assert aoi.csp_violations() == []
    finally:
        ren.context.close()
        if aoi is not None:
            aoi.context.close()
    elapsed = time.monotonic() - started
    print(f"\nreports week: {len(in_window)} conversations in the window, {elapsed:.1f} s")
    assert elapsed < 60


def screenshot(page: Page, section: Any) -> None:
    """The whole Reports page: the console scrolls inside the viewport, so the viewport is
    made as tall as the page for the shot, then put back."""
    page.evaluate("window.scrollTo(0, 0)")
    height = int(page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('*')].map(e => e.scrollHeight > e.clientHeight"
        " && getComputedStyle(e).overflowY !== 'visible'"
        " ? e.scrollHeight + e.getBoundingClientRect().top : 0))"))
    page.set_viewport_size({"width": 1366, "height": max(900, min(height + 40, 8000))})
    expect(section).to_have_attribute("data-state", "ready")
    page.wait_for_timeout(300)  # uPlot redraws at the new size
    page.screenshot(path=str(ARTIFACTS / SCREENSHOT), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
