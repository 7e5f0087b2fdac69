"""Issue 13, defects 8 and 9 in a real Chromium: the agent sees whether the visitor
is still there, and both sides see transfers as lines in the transcript.

A shop page embeds the widget (``data-idle-after="2"``); the gateway counts a
visitor as gone one second after their last tab closed
(``TSUNAGU_VISITOR_GRACE=1``). The visitor talks to Aoi, is transferred to
Ren; Ren's console shows the visitor idle, active again, then left when the
page is closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import GatewayProcess, spawn_gateway, stop_gateway
from tests.console.conftest import Desk, _seed
from tests.console.test_console_browser import WAIT_MS, Console, sign_in
from tests.widget import conftest as widget_fixtures
from tests.widget.conftest import BackgroundLoop
from tests.widget.test_widget_browser import Widget, _serve_page

widget_bundle = widget_fixtures.widget_bundle  # the built widget.js, checked once

pytestmark = pytest.mark.timeout(150)
expect.set_options(timeout=WAIT_MS)

SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Shop</title></head><body><h1>Shop</h1>
<script src="{gateway}/widget.js" async data-locale="en" data-idle-after="2"></script>
</body></html>"""


@dataclass
class Shop:
    origin: str
    desk: Desk


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
         aloop: BackgroundLoop, console_bundle: Path, widget_bundle: Any) -> Iterator[Shop]:
    box: dict[str, GatewayProcess] = {}
    server = _serve_page(lambda: SHOP_PAGE.format(gateway=box["gateway"].url))
    origin = f"http://localhost:{server.server_address[1]}"
    try:
        box["gateway"] = spawn_gateway(tmp_path_factory.mktemp("presence"), models_dir,
                                       TSUNAGU_ALLOWED_ORIGINS=origin,
                                       TSUNAGU_VISITOR_GRACE="1")
        aoi, ren, mio = aloop.run(_seed(box["gateway"].database_url))
        yield Shop(origin, Desk(box["gateway"], aoi, ren, mio))
    finally:
        if "gateway" in box:
            stop_gateway(box["gateway"])
        server.shutdown()
        server.server_close()


def presence(console: Console, chat_id: str) -> Any:
    return console.chat(chat_id).locator(".visitor-presence")


def tab_dot(console: Console, chat_id: str) -> Any:
    return console.page.locator(f'.tab[data-conversation="{chat_id}"] .presence-dot')


def test_transfer_lines_and_the_visitors_presence(browser: Any, shop: Shop) -> None:
    desk = shop.desk
    aoi = sign_in(browser, desk, desk.aoi, "en-US")
    ren = sign_in(browser, desk, desk.ren, "en-US")
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    try:
        ren.page.locator(".topbar .presence").select_option("away")  # Aoi takes the chat
        expect(ren.page.locator(".topbar .presence")).to_have_attribute("data-status", "away")
        page = context.new_page()
        page.goto(f"{shop.origin}/")
        w = Widget(page, context)
        w.online()
        w.open()
        w.send("What are your business hours?")
        expect(w.stored("bot").first).to_be_visible()
        page.locator("tsunagu-chat .ask-human").click()

        expect(aoi.chats).to_have_count(1)
        chat_id = aoi.chats.first.get_attribute("data-conversation")
        assert chat_id
        # An agent joining is a centred line on both sides (text only, no label).
        expect(aoi.chat(chat_id).locator(".msg-system .msg-bubble")).to_have_text(
            ["Aoi joined the chat."])
        expect(w.stored("system").locator(".msg-bubble")).to_have_text(["Aoi joined the chat."])

        ren.page.locator(".topbar .presence").select_option("online")
        expect(ren.page.locator(".topbar .presence")).to_have_attribute("data-status", "online")
        aoi.chat(chat_id).locator("button.transfer").click()
        aoi.chat(chat_id).locator(".transfer-form select").select_option(f"agent:{desk.ren.id}")
        aoi.chat(chat_id).locator(".transfer-form button[type=submit]").click()
        expect(aoi.chat(chat_id)).to_have_count(0)

        lines = ["Aoi joined the chat.", "You are being transferred to Ren.",
                 "Ren joined the chat."]
        expect(w.stored("system").locator(".msg-bubble")).to_have_text(lines)
        expect(ren.chat(chat_id).locator(".msg-system .msg-bubble")).to_have_text(lines)
        row = w.stored("system").nth(1)
        assert row.evaluate("el => getComputedStyle(el).alignSelf") == "center"

        # Nothing done on the shop page for two seconds: idle, in the header and on the tab.
        expect(presence(ren, chat_id)).to_have_attribute("data-presence", "idle")
        expect(presence(ren, chat_id)).to_have_text("idle")
        expect(presence(ren, chat_id)).to_have_attribute("title", "Visitor idle")
        expect(tab_dot(ren, chat_id)).to_have_attribute("data-presence", "idle")
        # The visitor moves the mouse: online again.
        page.mouse.move(40, 40)
        page.mouse.move(80, 90)
        expect(presence(ren, chat_id)).to_have_attribute("data-presence", "online")
        expect(tab_dot(ren, chat_id)).to_have_attribute("data-presence", "online")
        # The visitor closes the tab: left, after the one-second grace.
        page.close()
        expect(presence(ren, chat_id)).to_have_attribute("data-presence", "left")
        expect(presence(ren, chat_id)).to_have_text("left")
        expect(tab_dot(ren, chat_id)).to_have_attribute("data-presence", "left")
        # A reloaded console shows the same.
        ren.page.reload()
        expect(presence(ren, chat_id)).to_have_attribute("data-presence", "left")
        assert not aoi.errors and not ren.errors
    finally:
        context.close()
        aoi.context.close()
        ren.context.close()


def test_japanese_console_names_the_presence(browser: Any, shop: Shop,
                                             aloop: BackgroundLoop) -> None:
    from tests.console.test_console_browser import ask_for_person

    desk = shop.desk
    mio = sign_in(browser, desk, desk.mio, "ja-JP")
    try:
        mio.page.locator(".topbar .presence").select_option("online")
        visitor, chat_id = aloop.run(ask_for_person(desk.url, "担当者と話したい", "ja"))
        expect(presence(mio, chat_id)).to_have_text("オンライン")
        expect(presence(mio, chat_id)).to_have_attribute("title", "お客様はオンライン")
        expect(mio.chat(chat_id).locator(".msg-system .msg-bubble")).to_have_text(
            ["Mioが対応します。"])
        aloop.run(visitor.call("activity", {"idle": True}))
        expect(presence(mio, chat_id)).to_have_text("離席中")
        aloop.run(visitor.disconnect())
        expect(presence(mio, chat_id)).to_have_text("退出")
    finally:
        mio.context.close()
