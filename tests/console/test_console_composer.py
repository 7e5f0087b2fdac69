"""Issue 13 (composer part), agent console: Enter that confirms an IME
conversion (Japanese input) does not send the reply; a plain Enter then does.
Real gateway (the console tests' desk), real Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.conftest import Desk
from tests.console.test_console_browser import WAIT_MS, ask_for_person, sign_in
from tests.widget.conftest import BackgroundLoop
from tests.widget.test_widget_composer import IME_ENTER_JS

pytestmark = pytest.mark.timeout(150)
expect.set_options(timeout=WAIT_MS)


def test_enter_while_an_ime_is_composing_does_not_send_the_reply(
        browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    aoi = sign_in(browser, desk, desk.aoi, "ja-JP")
    visitor, chat_id = aloop.run(ask_for_person(desk.url, "住所を変更したい", "ja"))
    try:
        chat = aoi.chat(chat_id)
        box = aoi.composer(chat_id)
        box.fill("かしこまりました")
        box.evaluate(IME_ENTER_JS, True)  # Enter confirming the kana→kanji conversion
        aoi.page.wait_for_timeout(500)
        expect(chat.locator(".msg-agent")).to_have_count(0)
        expect(box).to_have_value("かしこまりました")

        box.evaluate(IME_ENTER_JS, False)  # the next, plain Enter sends
        expect(chat.locator(".msg-agent[data-seq]")).to_have_count(1)
        expect(box).to_have_value("")
    finally:
        try:
            aloop.run(visitor.call("close", {}))
        finally:
            aloop.run(visitor.disconnect())
            aoi.context.close()
