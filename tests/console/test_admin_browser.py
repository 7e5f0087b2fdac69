"""The admin's loop in a real Chromium against two gateway processes (docs/admin.md).

Two ``tsunagu serve`` processes share this machine's PostgreSQL and Redis;
the second has an empty models folder of its own, so it can only serve what
the database holds. Visitors (python-socketio) ask process one about gift
wrapping, which the default model does not know (it falls back); an admin
signs in on process one, finds those questions in one Inbox card, makes a
new intent of them, trains, reads the gate report and activates the new
version. A visitor on process two then asks in words that are not in the
training data and gets the new answer within 5 s of the click. That
paraphrase was asked once on process two before, to see the old answer (the
bot fell back): it reaches the Inbox too (one database), on a card of its own,
which the admin leaves alone. The Intents and Audit tabs show what was done; the
console page meets no CSP violation.

Screenshots: test-artifacts/admin-{inbox,new-intent,training,gate-report,
gate-replay,intents,audit}.png.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.clients import VisitorClient
from tests.conftest import (
    REDIS_TEST_URL,
    GatewayProcess,
    _create_pg_database,
    _drop_pg_database,
    spawn_gateway,
    stop_gateway,
)
from tests.integration.test_admin_two_processes import PASSWORD, add_admin
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(150)

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

INTENT = "gift_wrapping"
# One need in several words. The inbox groups by shared characters (bot/grouping.py),
# so these share ギフト包装…できますか; synonyms alone (ラッピング, 包んで) would stay apart.
GIFT = [
    "ギフト包装はできますか",
    "ギフト包装もできますか",
    "商品のギフト包装はできますか",
    "プレゼント用のギフト包装はできますか",
    "ギフト包装ってできますか",
]
# Unrelated questions the default model does not handle either: cards of their own.
OTHERS = [("駐車場はありますか", "ja"), ("Do you have a parking lot?", "en")]
# Not one of the examples: the new model has to generalise to it.
UNSEEN = "ギフト包装は可能ですか"
ANSWER_JA = "ギフト包装は1点300円で承ります。ご注文の際にお申し付けください。"
ANSWER_EN = "Gift wrapping is 300 yen per item; just ask for it when you order."
ACTIVATION_BUDGET_S = 5.0


@dataclass
class Pair:
    """Two gateway processes on one PostgreSQL and Redis, and the admin's e-mail."""

    one: GatewayProcess
    two: GatewayProcess
    models_two: Path
    admin_email: str


# tests/conftest.py's pg_url and redis_url, run on the side loop: they are async
# fixtures, and pytest-asyncio cannot run one on the test thread while Playwright's
# sync API (the module's browser) holds an event loop there.
@pytest.fixture
def pg_url(aloop: BackgroundLoop) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name, url = aloop.run(_create_pg_database())
    yield url
    aloop.run(_drop_pg_database(name))


@pytest.fixture
def redis_url(aloop: BackgroundLoop) -> str:
    """This machine's Redis, flushed of nothing: the gateways get their own channel and keys."""
    from redis.asyncio import Redis

    async def ping() -> None:
        client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
        try:
            await client.ping()
        except Exception as exc:
            pytest.fail(f"Redis is not reachable at {REDIS_TEST_URL} ({exc}): start it with "
                        "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' "
                        "--appendonly no` or point TSUNAGU_TEST_REDIS at a server.",
                        pytrace=False)
        finally:
            await client.aclose()

    aloop.run(ping())
    return REDIS_TEST_URL


@pytest.fixture
def pair(tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str,
         aloop: BackgroundLoop, console_bundle: Path) -> Iterator[Pair]:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "TSUNAGU_GATE_FOLDS": "2",
           "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{uuid.uuid4().hex}",
           "TSUNAGU_HANDOFF_PREFIX": f"tsunagu-test-{uuid.uuid4().hex}:"}
    one = spawn_gateway(tmp_path / "one", models_dir, **env)
    two = None
    try:
        # Its own, empty models folder: everything process two serves comes from the database.
        models_two = tmp_path / "models-two"
        models_two.mkdir()
        two = spawn_gateway(tmp_path / "two", models_two, **env)
        email = aloop.run(add_admin(pg_url))
        yield Pair(one, two, models_two, email)
    finally:
        stop_gateway(one)
        if two is not None:
            stop_gateway(two)


def payloads(reply: dict[str, Any]) -> list[str]:
    return [q["payload"] for q in reply.get("quick_replies") or []]


async def ask(url: str, text: str, locale: str) -> dict[str, Any]:
    """A new visitor types ``text``; when the bot answers it (wrongly), they say it did not help.

    Returns the bot's first reply. Only the typed question counts for the
    gate's replay (a click carries a payload).
    """
    async with VisitorClient(url, locale=locale) as visitor:
        ack = await visitor.send(text, uuid.uuid4().hex)
        assert ack["ok"], ack
        reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
        if "/feedback:no" in payloads(reply):
            title = next(q["title"] for q in reply["quick_replies"]
                         if q["payload"] == "/feedback:no")
            ack = await visitor.send(title, uuid.uuid4().hex, payload="/feedback:no")
            assert ack["ok"], ack
            await visitor.next_where("message", lambda m: m["sender"] == "bot")
        # Nobody was queued for a person (the admin signs in as an agent of capacity 1).
        assert all(s.get("state") not in ("queued", "assigned")
                   for s in visitor.pending("status")), "a visitor was escalated"
    return dict(reply)


async def bot_says(url: str, text: str) -> str:
    """A brand-new visitor on ``url`` asks ``text`` in Japanese: the bot's reply."""
    async with VisitorClient(url, locale="ja") as visitor:
        ack = await visitor.send(text, uuid.uuid4().hex)
        assert ack["ok"], ack
        reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
    return str(reply["text"])


@dataclass
class AdminPage:
    page: Page
    errors: list[str] = field(default_factory=list)

    def tab(self, name: str) -> Locator:
        return self.page.locator(f'[data-admin-tab="{name}"]')

    def panel(self, name: str) -> Locator:
        return self.page.locator(f'[data-admin-panel="{name}"]')

    def open_tab(self, name: str) -> Locator:
        self.tab(name).click()
        expect(self.tab(name)).to_have_attribute("aria-selected", "true")
        expect(self.panel(name)).to_be_visible()
        return self.panel(name)

    def shot(self, name: str, target: Locator | None = None) -> None:
        """The viewport (the console scrolls inside it), ``target`` scrolled into view."""
        if target is not None:
            target.scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"))

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp"))


def sign_in(browser: Any, url: str, email: str) -> tuple[Any, AdminPage]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 768})
    # Every CSP violation the page sees, whether or not it reaches the console.
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    admin = AdminPage(page)
    page.on("pageerror", lambda e: admin.errors.append(str(e)))
    page.on("console", lambda m: admin.errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda d: (admin.errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(f"{url}/console")
    page.wait_for_url(f"{url}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(f"{url}/console")
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    return context, admin


def test_admin_teaches_the_bot_and_process_two_answers(
    browser: Any, pair: Pair, aloop: BackgroundLoop
) -> None:
    started = time.monotonic()
    ARTIFACTS.mkdir(exist_ok=True)
    one, two = pair.one, pair.two

    # -- visitors on process one ask what the default model does not know ---------------
    typed = 0
    for text in GIFT:
        aloop.run(ask(one.url, text, "ja"))
        typed += 1
    for text, locale in OTHERS:
        aloop.run(ask(one.url, text, locale))
        typed += 1
    before = aloop.run(bot_says(two.url, UNSEEN))
    typed += 1
    assert ANSWER_JA not in before

    context, admin = sign_in(browser, one.url, pair.admin_email)
    page = admin.page
    try:
        # -- Admin → Inbox: the gift questions are one card --------------------------
        page.locator('.topbar [data-action="admin"]').click()
        inbox = admin.panel("inbox")
        expect(admin.tab("inbox")).to_have_attribute("aria-selected", "true")
        expect(inbox).to_be_visible()
        card = inbox.locator("[data-group-id]").filter(
            has=page.get_by_text(GIFT[0], exact=True))
        expect(card).to_have_count(1)
        texts = card.locator("li[data-message-id] .text")
        expect(texts).to_have_count(len(GIFT))
        assert sorted(texts.all_text_contents()) == sorted(GIFT)
        expect(card.locator("h3")).to_have_text("5 件のメッセージ")
        # Elsewhere, on cards of their own (process two's visitor too: one database).
        for text, _ in [*OTHERS, (UNSEEN, "ja")]:
            other = inbox.locator("[data-group-id]").filter(has=page.get_by_text(text, exact=True))
            expect(other).to_have_count(1)
            expect(other.locator("li[data-message-id]")).to_have_count(1)
        admin.shot("inbox", card)

        # -- New intent from the card ----------------------------------------------
        card.locator('[data-action="new-intent"]').click()
        form = card.locator("form.new-intent-form")
        expect(form).to_be_visible()
        form.locator("input[name=name]").fill(INTENT)
        form.locator("textarea[name=ja]").fill(ANSWER_JA)
        form.locator("textarea[name=en]").fill(ANSWER_EN)
        admin.shot("new-intent", form)
        form.locator('[data-action="create-intent"]').click()
        expect(card).to_have_count(0)  # labelled: it leaves the inbox
        expect(inbox.locator(".admin-inbox > .admin-status")).to_contain_text(INTENT)

        # -- Training: the job runs, its bar moves ---------------------------------
        training = admin.open_tab("training")
        training.locator('[data-action="train"]').click()
        job = training.locator(".job[data-job-state]")
        expect(job).to_be_visible()
        seen: list[tuple[str, int, str]] = []
        shot_taken = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # One read of the three, so they belong to the same rendering.
            state, value, stage = job.evaluate(
                "el => [el.dataset.jobState, Number(el.querySelector('progress').value),"
                " el.querySelector('.stage').textContent]")
            if not seen or seen[-1] != (state, value, stage):
                seen.append((state, value, stage))
            if state == "running" and 0 < value < 100 and not shot_taken:
                admin.shot("training", job)
                shot_taken = True
            if state in ("done", "failed"):
                break
            time.sleep(0.1)
        assert seen[-1][0] == "done", seen
        states = [s for s, _, _ in seen]
        assert "running" in states and states.index("running") < states.index("done"), seen
        running_values = [v for s, v, _ in seen if s == "running"]
        assert len(set(running_values)) >= 2, f"the bar did not move while running: {seen}"
        assert running_values == sorted(running_values), seen
        assert seen[-1][1] == 100
        expect(job.locator(".pct")).to_have_text("100%")
        if not shot_taken:
            admin.shot("training", job)
        job_id = job.get_attribute("data-job-id")
        version = page.evaluate(
            "id => fetch(`/api/admin/train/${id}`).then(r => r.json()).then(b => b.job.version)",
            job_id)
        assert version

        # -- the new version's gate report --------------------------------------------
        row = training.locator(f'tr[data-version="{version}"]')
        expect(row).to_have_attribute("data-active", "false")
        row.locator('[data-action="report"]').click()
        gate = training.locator(f'.gate[data-gate-report="{version}"]')
        expect(gate).to_be_visible()
        expect(gate.locator("#gate-title")).to_contain_text(version)
        in_scope = gate.locator('tr[data-figure="in_scope"] td')
        share = re.compile(r"^\d{1,3}\.\d\s?%$")
        expect(in_scope.nth(1)).to_have_text(share)  # the active model
        expect(in_scope.nth(2)).to_have_text(share)  # the candidate
        expect(gate.locator('tr[data-figure="folds"] td').nth(2)).to_have_text("2")
        expect(gate.locator(f'tr[data-intent="{INTENT}"]')).to_have_count(1)
        replay = gate.locator(".replay-summary")
        expect(replay).to_have_attribute("data-messages", str(typed))
        expect(replay).to_contain_text(f"{typed} 件中")
        changed = int(replay.get_attribute("data-changed") or "0")
        assert changed >= 1, "the gift questions should now get another answer"
        expect(gate.locator(".replay-table tr[data-message-id]").filter(
            has_text=INTENT).first).to_be_visible()
        admin.shot("gate-report", gate)
        admin.shot("gate-replay", replay)
        passed = gate.locator(".verdict").get_attribute("data-passed")
        print(f"\ntraining job: {seen}\ngate passed: {passed}; replay changed {changed} of {typed}")

        # -- Activate (with a reason if the gate refused) --------------------------------
        activate = gate.locator('[data-action="activate"]')
        if passed == "true":
            clicked = time.monotonic()
            with page.expect_response(lambda r: r.url.endswith(f"/{version}/activate")) as resp:
                activate.click()
        else:
            with page.expect_response(lambda r: r.url.endswith(f"/{version}/activate")) as first:
                activate.click()
            assert first.value.status == 409
            ask_form = gate.locator("form.ask-reason")
            expect(ask_form).to_be_visible()
            ask_form.locator("textarea[name=reason]").fill(
                "新しいインテントを追加したため。全体の正解率の低下は確認済み。")
            clicked = time.monotonic()
            with page.expect_response(lambda r: r.url.endswith(f"/{version}/activate")) as resp:
                ask_form.locator('[data-action="activate-anyway"]').click()
        assert resp.value.status == 200, resp.value.text()

        # -- process two answers a paraphrase nobody typed, within 5 s -------------------
        polls = 0
        while True:
            polls += 1
            heard = aloop.run(bot_says(two.url, UNSEEN))
            elapsed = time.monotonic() - clicked
            if heard.startswith(ANSWER_JA):  # then the bot's "did that help?"
                break
            assert elapsed < ACTIVATION_BUDGET_S, (
                f"process two still answers {heard!r} {elapsed:.1f} s after the activation")
            time.sleep(0.1)
        print(f"\nprocess two gave the new answer {elapsed:.2f} s after the click "
              f"({polls} visitors asked)")
        assert elapsed < ACTIVATION_BUDGET_S
        assert (pair.models_two / version / "classifier.npz").is_file()
        expect(row).to_have_attribute("data-active", "true")
        expect(training.locator(".admin-training > .admin-status")).to_contain_text(version)

        # -- Intents: the new one with its examples -------------------------------------
        intents = admin.open_tab("intents")
        entry = intents.locator(f'.intent-list [data-intent="{INTENT}"]')
        expect(entry).to_be_visible()
        expect(entry.locator(".counts")).to_have_text(f"ja {len(GIFT)} · en 0")
        entry.click()
        detail = intents.locator(f'[data-intent-detail="{INTENT}"]')
        examples = detail.locator('[data-locale="ja"] li[data-example-id] .text')
        expect(examples).to_have_count(len(GIFT))
        assert sorted(examples.all_text_contents()) == sorted(GIFT)
        expect(detail.locator("textarea").first).to_be_visible()
        answers = detail.locator("textarea").evaluate_all("els => els.map(e => e.value)")
        assert ANSWER_JA in answers and ANSWER_EN in answers, answers
        admin.shot("intents", detail)

        # -- Audit: who created it and who activated the version -------------------------
        audit = admin.open_tab("audit")
        created = audit.locator('tr[data-audit-action="intent.create"]').filter(has_text=INTENT)
        expect(created).to_have_count(1)
        expect(created.locator("td").nth(1)).to_have_text("Mio")
        activated = audit.locator('tr[data-audit-action="model.activate"]').filter(
            has_text=version)
        expect(activated).to_have_count(1)
        expect(activated.locator("td").nth(1)).to_have_text("Mio")
        admin.shot("audit")

        assert admin.csp_violations() == []
        assert admin.errors == [], admin.errors
    finally:
        context.close()
    assert time.monotonic() - started < 90
