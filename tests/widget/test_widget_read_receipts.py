"""Read receipts (issue 13) in the visitor widget, real Chromium (390 x 844, Japanese)
against a gateway process, the agent a python-socketio client: the widget reports
what the visitor has in view (`read`), and shows 「既読」 under the newest visitor
message the agent has read — one line, there again after a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.clients import AgentClient, cid
from tests.widget.conftest import ARTIFACTS, BackgroundLoop
from tests.widget.test_widget_browser import _add_agent, shop_widget

pytestmark = pytest.mark.timeout(120)


def test_the_widget_reports_what_the_visitor_saw_and_shows_what_the_agent_read(
    browser: Any, widget_bundle: Any, gateway_process: Any, aloop: BackgroundLoop
) -> None:
    gateway = gateway_process
    _add_agent(gateway, "kana@example.com", "Kana", "correct-horse-42", capacity=2)
    agent = aloop.run(AgentClient.signed_in(gateway.url, "kana@example.com", "correct-horse-42"))
    w = shop_widget(browser, gateway.url, "ja")
    try:
        w.open()
        w.send("荷物が届きません")
        expect(w.stored("bot")).not_to_have_count(0)
        w.page.locator("tsunagu-chat .ask-human").click()
        held = aloop.run(agent.next("assigned"))["conversation"]["id"]
        reply = aloop.run(agent.call("message", {"conversation_id": held, "client_id": cid(),
                                                 "text": "確認します。"}))
        assert reply["ok"], reply
        expect(w.stored("agent")).to_have_count(1)
        # The panel is open on a visible page: the widget says the visitor saw the reply.
        told = aloop.run(agent.next_where(
            "read", lambda r: r["by"] == "visitor" and r["seq"] >= reply["message"]["seq"]))
        assert told["conversation_id"] == held
        seen = w.page.locator("tsunagu-chat .msg-seen")
        expect(seen).to_have_count(0)  # the agent has read nothing yet

        w.send("まだですか")
        newest = aloop.run(agent.next_where("message", lambda m: m["text"] == "まだですか"))
        first_visitor = int(w.stored("visitor").first.get_attribute("data-seq") or 0)
        assert aloop.run(agent.call("read", {"conversation_id": held,
                                             "seq": first_visitor}))["ok"]
        expect(w.page.locator(f'tsunagu-chat .msg-visitor[data-seq="{first_visitor}"] '
                              ".msg-seen")).to_have_text("既読")
        assert aloop.run(agent.call("read", {"conversation_id": held,
                                             "seq": newest["seq"]}))["ok"]
        last = w.page.locator(f'tsunagu-chat .msg-visitor[data-seq="{newest["seq"]}"] .msg-seen')
        expect(last).to_have_text("既読")
        expect(seen).to_have_count(1)  # one line, under the newest one read
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        w.page.screenshot(path=str(ARTIFACTS / "widget-read-receipt.png"))

        w.page.reload()
        w.online()
        expect(w.panel).to_be_visible()  # kept open across the reload (same tab)
        expect(last).to_have_text("既読")
        expect(seen).to_have_count(1)
    finally:
        w.context.close()
        aloop.run(agent.disconnect())
