"""The console's Admin → Webhooks tab in a real Chromium against a real gateway (issue 15).

An admin subscribes an HTTP receiver on loopback (an aiohttp server this test
runs, as tests/live_chat/test_webhooks.py does; the gateway allows private
addresses for it) to ``escalated`` through the page and sees the signing
secret once. A visitor (python-socketio) asks for a person: the receiver gets
the delivery, signed with the secret read from the page, and the page's log
shows it delivered. The receiver then fails: the next escalation's delivery
shows retrying, then failed, with HTTP 500; once the receiver is back, Replay
on the page sends it again and the new delivery is delivered. The admin then
edits the subscription to ``message.created``: a visitor's words full of markup
come back in a delivery's body as text. Deactivating and deleting (after a
confirmation) end it; the Audit tab filters each of these actions.

On a gateway with the default guard, an admin's subscription to a loopback
URL is refused with the localized sentence for a private address, and a plain
agent and a supervisor have no Webhooks tab (the API answers them 403).

Screenshots: test-artifacts/admin-webhooks-{secret,log,replay,body,refused}.png.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.sync_api import Locator, Page, expect

from live_chat.webhooks.signing import HEADER, verify
from tests.conftest import spawn_gateway, stop_gateway
from tests.console.conftest import PASSWORD, Desk, _seed
from tests.console.test_console_browser import ask_for_person
from tests.live_chat.test_webhooks import Receiver
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(150)

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

# A retry pause the page's 2 s poll cannot miss, and a failure after two attempts.
RETRY_S = 4
# What a visitor types when the subscription asks for messages: markup that must stay text.
MARKUP = '<img src=x onerror="window.__xss=1"><b>太字</b> & <script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
           aloop: BackgroundLoop, console_bundle: Path) -> Iterator[Desk]:
    """A gateway whose webhooks may reach loopback, polling fast, failing after two attempts."""
    gateway = spawn_gateway(
        tmp_path_factory.mktemp("webhooks"), models_dir,
        TSUNAGU_WEBHOOK_ALLOW_PRIVATE="true", TSUNAGU_WEBHOOK_POLL="0.1",
        TSUNAGU_WEBHOOK_RETRY=str(RETRY_S), TSUNAGU_WEBHOOK_MAX_ATTEMPTS="2")
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)


@pytest.fixture
def receiver(aloop: BackgroundLoop) -> Iterator[Receiver]:
    """tests/live_chat/test_webhooks.py's receiver, served from the side loop."""
    found = Receiver()
    runner: dict[str, web.AppRunner] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", found.handle)
        runner["r"] = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner["r"].setup()
        site = web.TCPSite(runner["r"], "127.0.0.1", 0)
        await site.start()
        found.url = f"http://127.0.0.1:{runner['r'].addresses[0][1]}"

    aloop.run(start())
    yield found
    aloop.run(runner["r"].cleanup())


class Console:
    """One signed-in console page; page errors and CSP violations are collected."""

    def __init__(self, browser: Any, url: str, email: str, locale: str) -> None:
        self.context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        self.context.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>"
            " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"),
                                          d.dismiss()))
        self.page.goto(f"{url}/console")
        self.page.wait_for_url(f"{url}/login")
        self.page.locator("input[name=email]").fill(email)
        self.page.locator("input[name=password]").fill(PASSWORD)
        self.page.locator("form.login button[type=submit]").click()
        self.page.wait_for_url(f"{url}/console")
        expect(self.page.locator("body")).to_have_attribute("data-connection", "online")

    def open_webhooks(self) -> Locator:
        self.page.locator('.topbar [data-action="admin"]').click()
        tab = self.page.locator('[data-admin-tab="webhooks"]')
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        panel = self.page.locator('[data-admin-panel="webhooks"]')
        expect(panel).to_be_visible()
        return panel

    def shot(self, name: str, target: Locator | None = None) -> None:
        if target is not None:
            target.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"admin-webhooks-{name}.png"))

    def check_clean(self) -> None:
        assert self.page.evaluate("window.__csp") == []
        assert self.errors == [], self.errors


async def arrival(receiver: Receiver, wanted: Any, timeout: float = 10.0) -> Any:
    """The first request the receiver got for which ``wanted(request)`` holds, once it came."""
    async with receiver.arrived:
        await asyncio.wait_for(receiver.arrived.wait_for(
            lambda: any(wanted(r) for r in receiver.requests)), timeout)
    return next(r for r in receiver.requests if wanted(r))


def delivery_id(request: Any) -> str:
    return str(request.headers["X-Tsunagu-Delivery"])


def states_until(panel: Locator, row: Locator, final: str, timeout: float = 30) -> list[str]:
    """The states ``row`` shows (clicking Refresh between looks) until ``final``."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = row.get_attribute("data-state", timeout=1000) if row.count() else None
        if state and (not seen or seen[-1] != state):
            seen.append(state)
        if state == final:
            return seen
        panel.locator('[data-action="refresh-log"]').click()
        time.sleep(0.3)
    raise AssertionError(f"the row never showed {final}: {seen}")


def test_an_admin_subscribes_reads_the_log_and_replays_a_failed_delivery(
        browser: Any, hooked: Desk, receiver: Receiver, aloop: BackgroundLoop) -> None:
    console = Console(browser, hooked.url, hooked.mio.email, "ja-JP")
    page = console.page
    try:
        panel = console.open_webhooks()
        expect(panel.locator(".webhook-table .empty")).to_be_visible()

        # -- subscribe the receiver to `escalated`; the secret shows once -----------------
        panel.locator('[data-action="new-webhook"]').click()
        form = panel.locator("form.webhook-form")
        form.locator("input[name=url]").fill(receiver.url + "/hooks")
        # Nothing ticked: the form says so in Japanese and sends nothing.
        form.locator('[data-action="create-webhook"]').click()
        expect(form.locator(".admin-error")).to_have_text("イベントを 1 つ以上選んでください。")
        form.locator('input[name=event][value="escalated"]').check()
        with page.expect_response(lambda r: r.url.endswith("/api/admin/webhooks")
                                  and r.request.method == "POST") as created:
            form.locator('[data-action="create-webhook"]').click()
        assert created.value.status == 200
        box = panel.locator(".secret-once")
        expect(box).to_be_visible()
        expect(box.locator(".once")).to_contain_text("表示されるのは今だけです")
        secret = box.locator("[data-secret]").text_content() or ""
        assert secret.startswith("whsec_") and len(secret) > 30, secret
        box.locator('[data-action="copy-secret"]').click()
        expect(box.locator('[role="status"]')).to_have_text("コピーしました。")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        row = panel.locator(".webhook-table tr[data-webhook-id]")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text(receiver.url + "/hooks")
        expect(row.locator("td").nth(2)).to_have_text("escalated")
        expect(row).to_have_attribute("data-active", "true")
        console.shot("secret", box)
        box.locator('[data-action="dismiss-secret"]').click()
        expect(box).to_be_hidden()
        assert secret not in page.content()  # gone from the page: shown once

        # -- a visitor asks for a person: a signed delivery, logged as delivered -----------
        visitor, _ = aloop.run(ask_for_person(hooked.url, "Where is my order?", "en"))
        [first] = aloop.run(receiver.wait_for(1))
        assert first.path == "/hooks" and first.json["event"] == "escalated"
        assert verify(secret, first.body, first.headers[HEADER])
        assert not verify("whsec_" + "x" * 43, first.body, first.headers[HEADER])
        log = panel.locator(".delivery-table")
        delivered = log.locator(f'tr[data-delivery-id="{delivery_id(first)}"]')
        expect(delivered).to_have_attribute("data-state", "delivered")
        expect(delivered.locator("td.attempts")).to_have_text("1")
        expect(delivered.locator("td.code")).to_have_text("204")
        expect(delivered.locator("td").nth(1)).to_have_text(receiver.url + "/hooks")

        # -- the receiver fails: retrying, then failed, with the status code ---------------
        receiver.failures = 100
        second_visitor, _ = aloop.run(ask_for_person(hooked.url, "Where is my parcel?", "en"))
        [_, failing] = aloop.run(receiver.wait_for(2))
        bad = log.locator(f'tr[data-delivery-id="{delivery_id(failing)}"]')
        seen = states_until(panel, bad, "failed")
        print(f"\nthe failing delivery showed: {seen}")
        assert "retrying" in seen, seen
        expect(bad.locator("td.code")).to_have_text("500")
        expect(bad.locator("td.attempts")).to_have_text("2")
        expect(bad.locator("td.error")).to_contain_text("HTTP 500: receiver is down")
        assert len(receiver.requests) == 3  # two attempts of the second delivery
        # The status filter: only the failed one.
        panel.locator("select[name=status]").select_option("failed")
        expect(log.locator("tr[data-delivery-id]")).to_have_count(1)
        expect(log.locator("tr[data-delivery-id]")).to_have_attribute(
            "data-delivery-id", delivery_id(failing))
        panel.locator("select[name=status]").select_option("")
        expect(log.locator("tr[data-delivery-id]")).to_have_count(2)
        console.shot("log", log)

        # -- the receiver recovers; Replay from the detail view delivers it -----------------
        bad.locator('[data-action="delivery-details"]').click()
        detail = panel.locator(".delivery-detail")
        expect(detail).to_have_attribute("data-delivery-id", delivery_id(failing))
        expect(detail.locator("pre.delivery-body")).to_have_text(failing.body.decode())
        conversation_id = failing.json["conversation"]["id"]
        expect(detail.locator(f'.facts a[href="#conversation={conversation_id}"]')).to_have_text(
            conversation_id)
        receiver.failures = 0
        detail.locator('[data-action="replay"]').click()
        expect(detail).not_to_have_attribute("data-delivery-id", delivery_id(failing))
        replay_id = detail.get_attribute("data-delivery-id")
        expect(panel.locator(".webhook-log > .admin-status")).to_have_text(
            f"配信 {replay_id} として再送しました。")
        expect(detail).to_have_attribute("data-state", "delivered")
        expect(detail.locator(".meta")).to_have_text(f"配信 {delivery_id(failing)} の再送")
        replayed = aloop.run(receiver.wait_for(4))[3]
        assert delivery_id(replayed) == replay_id
        assert replayed.body == failing.body  # the same bytes, signed anew
        assert verify(secret, replayed.body, replayed.headers[HEADER])
        new_row = log.locator(f'tr[data-delivery-id="{replay_id}"]')
        expect(new_row).to_have_attribute("data-state", "delivered")
        expect(new_row.locator("td.code")).to_have_text("204")
        expect(bad).to_have_attribute("data-state", "failed")  # the original stays failed
        console.shot("replay", detail)

        # -- edit: messages instead of escalations; a body with markup is shown as text ------
        row.locator('[data-action="edit-webhook"]').click()
        editor = panel.locator("tr.webhook-edit")
        editor.locator('input[value="escalated"]').uncheck()
        editor.locator('input[value="message.created"]').check()
        editor.locator('[data-action="save-webhook"]').click()
        expect(row.locator("td").nth(2)).to_have_text("message.created")
        aloop.run(visitor.send(MARKUP, uuid.uuid4().hex))
        said = aloop.run(arrival(receiver, lambda r: r.json["event"] == "message.created"
                                 and r.json["data"]["message"]["text"] == MARKUP))
        said_row = log.locator(f'tr[data-delivery-id="{delivery_id(said)}"]')
        expect(said_row).to_have_attribute("data-state", "delivered")
        said_row.locator('[data-action="delivery-details"]').click()
        body = detail.locator("pre.delivery-body")
        expect(body).to_have_text(said.body.decode())
        assert "<b>太字</b> & <script>" in (body.text_content() or "")  # JSON escapes only quotes
        assert json.loads(body.text_content() or "")["data"]["message"]["text"] == MARKUP
        assert body.evaluate("e => e.children.length") == 0  # no element was made of it
        assert page.evaluate("window.__xss") is None
        console.shot("body", detail)

        # -- deactivate, then delete after the confirmation ---------------------------------
        row.locator('[data-action="edit-webhook"]').click()
        editor.locator("input[name=active]").uncheck()
        editor.locator('[data-action="save-webhook"]').click()
        expect(row).to_have_attribute("data-active", "false")
        row.locator('[data-action="delete-webhook"]').click()
        expect(row.locator(".confirm")).to_contain_text("配信ログも削除され")
        row.locator(".confirm [data-action=cancel]").click()
        expect(row).to_have_count(1)
        row.locator('[data-action="delete-webhook"]').click()
        row.locator('[data-action="confirm-delete"]').click()
        expect(panel.locator(".webhook-table tr[data-webhook-id]")).to_have_count(0)
        panel.locator('[data-action="refresh-log"]').click()
        expect(log.locator("tr[data-delivery-id]")).to_have_count(0)
        # The Audit tab's filter knows the webhook actions: all four were recorded as Mio's.
        page.locator('[data-admin-tab="audit"]').click()
        audit = page.locator('[data-admin-panel="audit"]')
        for action, count in (("webhook.create", 1), ("webhook.update", 2),
                              ("webhook.replay", 1), ("webhook.delete", 1)):
            audit.locator("select[name=action]").select_option(action)
            rows = audit.locator(f'tr[data-audit-action="{action}"]')
            expect(rows).to_have_count(count)
            expect(rows.first.locator("td").nth(1)).to_have_text("Mio")
        console.check_clean()
        for client in (visitor, second_visitor):
            aloop.run(client.disconnect())
    finally:
        console.context.close()


def test_a_private_url_is_refused_in_words_and_only_admins_see_webhooks(
        browser: Any, desk: Desk) -> None:
    # The default guard: no private addresses.
    admin = Console(browser, desk.url, desk.mio.email, "en-US")
    try:
        panel = admin.open_webhooks()
        panel.locator('[data-action="new-webhook"]').click()
        form = panel.locator("form.webhook-form")
        form.locator("input[name=url]").fill("http://127.0.0.1:9/hooks")
        form.locator('input[name=event][value="closed"]').check()
        with admin.page.expect_response(lambda r: r.url.endswith("/api/admin/webhooks")
                                        and r.request.method == "POST") as refused:
            form.locator('[data-action="create-webhook"]').click()
        answer = refused.value.json()
        assert (refused.value.status, answer["error"], answer["reason"]) == (
            400, "invalid", "private_address")
        problem = form.locator(".admin-error")
        expect(problem).to_contain_text("posts only to public addresses")
        expect(problem).to_contain_text("TSUNAGU_WEBHOOK_ALLOW_PRIVATE")
        assert answer["message"] not in (problem.text_content() or "")
        expect(panel.locator(".secret-once")).to_be_hidden()
        expect(panel.locator(".webhook-table tr[data-webhook-id]")).to_have_count(0)
        admin.shot("refused", form)
        admin.check_clean()
    finally:
        admin.context.close()

    for who in (desk.aoi, desk.ren):
        other = Console(browser, desk.url, who.email, "en-US")
        try:
            expect(other.page.locator(".topbar")).to_be_visible()
            expect(other.page.locator('[data-action="admin"]')).to_have_count(0)
            expect(other.page.locator('[data-admin-tab="webhooks"]')).to_have_count(0)
            status = other.page.evaluate(
                "fetch('/api/admin/webhooks').then(r => r.status)")
            assert status == 403, (who.role, status)
            other.check_clean()
        finally:
            other.context.close()
