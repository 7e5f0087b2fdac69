"""Read receipts (issue 13) in the agent console, real Chromium against the console
tests' gateway: the console reports the chat it has in front of the agent (`read`),
and shows "Seen" under the newest agent message the visitor (a python-socketio
client) has seen — one line, there again after a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.conftest import Desk
from tests.console.test_console_browser import WAIT_MS, ask_for_person, sign_in
from tests.widget.conftest import BackgroundLoop

pytestmark = pytest.mark.timeout(150)
expect.set_options(timeout=WAIT_MS)


def test_the_console_reports_what_the_agent_read_and_shows_what_the_visitor_saw(
        browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    aoi = sign_in(browser, desk, desk.aoi, "en-US")
    visitor, chat_id = aloop.run(ask_for_person(desk.url, "my parcel is late", "en"))
    try:
        chat = aoi.chat(chat_id)
        expect(chat).to_be_visible()
        # The only chat, its tab active, the window focused: the console reads it.
        told = aloop.run(visitor.next_where("read", lambda r: r["by"] == "agent"))
        assert told["conversation_id"] == chat_id and told["seq"] >= 1

        box = aoi.composer(chat_id)
        for text in ("Let me check.", "Found it: it ships today."):
            box.fill(text)
            box.press("Enter")
            aloop.run(visitor.next_where("message", lambda m, t=text: m["text"] == t))
        agent_rows = chat.locator(".msg-agent[data-seq]")
        expect(agent_rows).to_have_count(2)
        first_seq = int(agent_rows.nth(0).get_attribute("data-seq") or 0)
        last_seq = int(agent_rows.nth(1).get_attribute("data-seq") or 0)
        expect(chat.locator(".msg-seen")).to_have_count(0)  # the visitor saw nothing yet

        assert aloop.run(visitor.call("read", {"seq": first_seq}))["ok"]
        seen = chat.locator(f'.msg-agent[data-seq="{first_seq}"] .msg-seen')
        expect(seen).to_have_text("Seen")
        assert aloop.run(visitor.call("read", {"seq": last_seq}))["ok"]
        expect(chat.locator(f'.msg-agent[data-seq="{last_seq}"] .msg-seen')).to_have_text(
            "Seen")
        expect(chat.locator(".msg-seen")).to_have_count(1)  # it moved, one line only
        aoi.page.screenshot(path=str(_artifact("console-read-receipt.png")))

        aoi.page.reload()
        aoi.online()
        expect(aoi.chat(chat_id).locator(f'.msg-agent[data-seq="{last_seq}"] .msg-seen')
               ).to_have_text("Seen")
        expect(aoi.chat(chat_id).locator(".msg-seen")).to_have_count(1)
    finally:
        try:
            aloop.run(visitor.call("close", {}))
        finally:
            aloop.run(visitor.disconnect())
            aoi.context.close()


def _artifact(name: str) -> Any:
    from tests.widget.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
