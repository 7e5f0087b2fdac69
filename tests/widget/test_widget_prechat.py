"""The pre-chat form and the site's signed identity, in a real Chromium (mobile
viewport) against a real gateway, with the agent's console in another Chromium.

- ``TSUNAGU_PRECHAT=name,email*``: the form comes before the first message; a
  bad e-mail is refused with the reason and nothing is stored; the agent's
  console names the visitor.
- A page that passes a signed identity (data-user-*) gets no form; the
  console names the signed-in user; when they come back for another chat the
  console says "returning visitor · 1 past conversation".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from live_chat.store.models import Visitor
from tests.conftest import spawn_gateway, stop_gateway
from tests.console.conftest import Desk, _seed
from tests.console.test_console_browser import sign_in
from tests.widget.conftest import ARTIFACTS, BackgroundLoop
from tests.widget.test_widget_browser import Widget, shop_widget

pytestmark = pytest.mark.timeout(150)

MOBILE = {"width": 390, "height": 844}
SECRET = "site-identity-secret-for-tests"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
         aloop: BackgroundLoop, widget_bundle: Path) -> Iterator[Desk]:
    gateway = spawn_gateway(tmp_path_factory.mktemp("prechat"), models_dir,
                            TSUNAGU_PRECHAT="name,email*", TSUNAGU_IDENTITY_SECRET=SECRET)
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)


async def _visitor_names(database_url: str) -> list[str | None]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(Visitor.name))).scalars())
    finally:
        await engine.dispose()


def _form(page: Page) -> Any:
    return page.locator("tsunagu-chat form.prechat")


def test_prechat_form_refuses_a_bad_email_then_the_agent_sees_the_name(
        browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    console = sign_in(browser, desk, desk.aoi, "en-US")
    w = shop_widget(browser, desk.url, "en")
    try:
        w.open()
        form = _form(w.page)
        expect(form).to_be_visible()
        expect(w.page.locator("tsunagu-chat form.composer")).to_be_hidden()
        expect(form.locator("label").nth(1)).not_to_contain_text("(optional)")  # email*
        form.locator("input[name=name]").fill("Taro Yamada")
        form.locator("input[name=email]").fill("taro-at-example")
        form.locator("button[type=submit]").click()
        error = form.locator(".form-error")
        expect(error).to_have_text(
            "That e-mail address does not look right: write it like name@example.com.")
        expect(form.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
        w.page.screenshot(path=str(ARTIFACTS / "widget-prechat-mobile.png"))
        assert "Taro Yamada" not in aloop.run(_visitor_names(desk.gateway.database_url))

        form.locator("input[name=email]").fill("taro@example.com")
        form.locator("button[type=submit]").click()
        expect(form).to_be_hidden()
        expect(w.input).to_be_visible()
        assert "Taro Yamada" in aloop.run(_visitor_names(desk.gateway.database_url))

        w.send("Hello, a question about my order")
        expect(w.stored("bot").first).to_be_visible()
        w.page.locator("tsunagu-chat .ask-human").click()
        chat = console.chats.filter(has_text="Hello, a question about my order")
        expect(chat.locator(".who")).to_have_text("Taro Yamada")
        expect(console.page.locator(".tab-name", has_text="Taro Yamada")).to_have_count(1)

        # A reload of the same browser: the form is not asked again.
        w.page.reload()
        w.online()
        expect(w.input).to_be_visible()
        expect(_form(w.page)).to_be_hidden()
    finally:
        w.context.close()
        console.context.close()


def _identity_page(name: str, email: str, user_id: str) -> str:
    signed = f"{user_id}\n{name}\n{email}".encode()
    digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>My account</title></head>"
        "<body><h1>My account</h1>"
        f'<script src="/widget.js" async data-title="Support" data-user-id="{user_id}" '
        f'data-user-name="{name}" data-user-email="{email}" data-user-hmac="{digest}">'
        "</script></body></html>"
    )


def test_signed_identity_skips_the_form_and_a_returning_visitor_is_recognised(
        browser: Any, desk: Desk) -> None:
    console = sign_in(browser, desk, desk.aoi, "en-US")
    context = browser.new_context(locale="en-US", viewport=MOBILE)
    html = _identity_page("Keiko Mori", "keiko@example.com", "customer-42")
    context.route(f"{desk.url}/account", lambda route: route.fulfill(
        status=200, content_type="text/html", body=html))
    page = context.new_page()
    page.goto(f"{desk.url}/account")
    w = Widget(page, context)
    try:
        w.online()
        w.open()
        expect(w.input).to_be_visible()
        expect(_form(page)).to_be_hidden()
        w.send("Where is my parcel?")
        expect(w.stored("bot").first).to_be_visible()
        page.locator("tsunagu-chat .ask-human").click()
        first = console.chats.filter(has_text="Where is my parcel?")
        expect(first.locator(".who")).to_have_text("Keiko Mori")
        expect(first.locator(".visitor-facts")).not_to_contain_text("returning")

        # The visitor ends the chat, then (another day, another browser) comes back.
        page.locator("tsunagu-chat .end-chat").click()
        expect(page.locator("tsunagu-chat .csat")).to_be_visible()
        context.close()
        context = browser.new_context(locale="en-US", viewport=MOBILE)
        context.route(f"{desk.url}/account", lambda route: route.fulfill(
            status=200, content_type="text/html", body=html))
        page = context.new_page()
        page.goto(f"{desk.url}/account")
        w = Widget(page, context)
        w.online()
        w.open()
        expect(_form(page)).to_be_hidden()
        w.send("Me again: where is my parcel?")
        expect(w.stored("bot").first).to_be_visible()
        page.locator("tsunagu-chat .ask-human").click()
        again = console.chats.filter(has_text="Me again: where is my parcel?")
        expect(again.locator(".who")).to_have_text("Keiko Mori")
        expect(again.locator(".visitor-facts")).to_contain_text(
            "returning visitor · 1 past conversation")
        # The past transcript opens read-only in the chat.
        again.locator(".earlier summary").first.click()
        expect(again.locator(".earlier-log")).to_contain_text("Where is my parcel?")
        console.page.screenshot(path=str(ARTIFACTS / "console-returning-visitor.png"))
    finally:
        context.close()
        console.context.close()
