"""The agent sees the visitor's language, not the site's (issue 13, defect 6).

A real gateway subprocess, Debian's Chromium for the console and a
python-socketio visitor whose widget connects with ``locale: "ja"`` (a
Japanese site's setting) but who writes English: the console used to show
``ja`` and offer the Japanese canned response first.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.clients import VisitorClient
from tests.console.conftest import Desk
from tests.console.test_console_browser import sign_in
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(150)


async def _english_visitor(url: str) -> tuple[VisitorClient, str]:
    visitor = await VisitorClient(url, locale="ja").connect()
    sent = await visitor.send("Hello, my parcel has not arrived yet", uuid.uuid4().hex)
    assert sent["ok"], sent
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    ack = await visitor.call("request_human", {})
    assert ack["ok"], ack
    return visitor, ack["conversation"]["id"]


async def _say(visitor: VisitorClient, text: str) -> None:
    ack = await visitor.send(text, uuid.uuid4().hex)
    assert ack["ok"], ack


def test_the_console_shows_the_visitors_language_and_offers_canned_replies_in_it(
    browser: Any, desk: Desk, aloop: BackgroundLoop,
) -> None:
    # The agent's own console is Japanese: the badge and the order of canned
    # responses follow the visitor, not the agent.
    aoi = sign_in(browser, desk, desk.aoi, "ja-JP", width=1366, height=768)
    try:
        visitor, conversation_id = aloop.run(_english_visitor(desk.url))
        chat = aoi.chat(conversation_id)
        badge = chat.locator("h2 .lang-badge")
        expect(badge).to_have_text("EN")
        expect(badge).to_have_attribute("title", "お客様の言語: 英語")
        expect(chat.locator(".visitor-details summary")).to_contain_text("en ·")

        composer = aoi.composer(conversation_id)
        composer.click()
        composer.fill("/gre")
        first = chat.locator(".suggest li").first
        expect(first).to_have_attribute("data-locale", "en")
        expect(chat.locator(".suggest li[aria-selected=true]")).to_have_attribute(
            "data-locale", "en")
        composer.press("Enter")
        expect(composer).to_have_value("Hi there, this is Aoi. How can I help?")
        aoi.page.screenshot(path=str(ARTIFACTS / "console-language-en.png"))
        composer.fill("")

        # The visitor switches to Japanese: the console follows without a reload.
        aloop.run(_say(visitor, "やっぱり日本語で話してもいいですか"))
        expect(chat.locator(".msg-visitor .msg-bubble").last).to_have_text(
            "やっぱり日本語で話してもいいですか")
        expect(badge).to_have_text("JA")
        composer.fill("/gre")
        expect(chat.locator(".suggest li").first).to_have_attribute("data-locale", "ja")
        composer.press("Enter")
        expect(composer).to_have_value("お客様、担当のAoiです。")
        aloop.run(visitor.disconnect())
    finally:
        aoi.context.close()
