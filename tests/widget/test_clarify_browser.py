"""A question the bot is not sure of, in a real Chromium: the widget shows topic buttons,
a click answers, the choice reaches the admin inbox, and the agent console's
intent chip shows the stored confidence and what the bot did.

The gateway is a real ``tsunagu serve`` subprocess with its own SQLite store
and ``TSUNAGU_ANSWER_THRESHOLD=0.999``: a vague in-scope question then lands
between the answer and the out-of-scope thresholds whatever the default
model's exact confidence.
"""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import spawn_gateway, stop_gateway
from tests.console.conftest import PASSWORD, Desk, _seed
from tests.console.test_console_browser import sign_in
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(150)

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
VAGUE = "注文の件で相談があります"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
         aloop: BackgroundLoop, widget_bundle: Path) -> Iterator[Desk]:
    gateway = spawn_gateway(tmp_path_factory.mktemp("clarify"), models_dir,
                            TSUNAGU_ANSWER_THRESHOLD="0.999")
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)


async def _visitor_messages(database_url: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT id, text, payload, intent, confidence FROM messages "
                "WHERE sender = 'visitor' ORDER BY created_at, seq"))).mappings().all()
            return [dict(r) for r in rows]
    finally:
        await engine.dispose()


def _http_json(url: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_medium_confidence_question_is_answered_with_topic_buttons(
    browser: Any, desk: Desk, aloop: BackgroundLoop
) -> None:
    console = sign_in(browser, desk, desk.aoi, "en-US")
    context = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 760})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{desk.url}/")
        expect(page.locator("tsunagu-chat .root")).to_have_attribute("data-connection", "online")
        page.locator("tsunagu-chat .launcher").click()
        page.locator("tsunagu-chat textarea.input").fill(VAGUE)
        page.locator("tsunagu-chat textarea.input").press("Enter")

        # The bot asks: the likeliest topics, then "something else".
        bot = page.locator("tsunagu-chat .msg-bot[data-seq]")
        expect(bot).to_have_count(1)
        buttons = page.locator("tsunagu-chat .quick button")
        expect(buttons.last).to_have_text("その他")
        titles = buttons.all_text_contents()
        assert 2 <= len(titles) <= 4, titles
        assert "キャンセル" not in (bot.first.text_content() or "")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "clarify-widget-topics.png"))

        # Choosing a topic answers it (and asks whether it helped).
        chosen = titles[0]
        buttons.first.click()
        expect(bot).to_have_count(2)
        expect(bot.last).to_contain_text("解決しましたか")

        # The choice is stored: the click names the intent, the inbox shows the
        # question the visitor typed with the reason "clarified".
        rows = aloop.run(_visitor_messages(desk.gateway.database_url))
        question, click = rows[0], rows[1]
        assert question["text"] == VAGUE and question["payload"] is None
        assert click["text"] == chosen and click["payload"].startswith("/intent:")
        assert click["intent"] == click["payload"].removeprefix("/intent:")
        admin = _http_json(f"{desk.url}/api/auth/login",
                           body={"email": desk.mio.email, "password": PASSWORD})["token"]
        groups = _http_json(f"{desk.url}/api/admin/unmatched", admin)["groups"]
        examples = {e["message_id"]: e for g in groups for e in g["examples"]}
        assert examples[question["id"]]["reason"] == "clarified"
        assert examples[question["id"]]["text"] == VAGUE

        # A person joins: the console's chips show the stored confidence and
        # what the bot did with each message.
        page.locator("tsunagu-chat .ask-human").click()
        expect(console.chats).to_have_count(1)
        chips = console.chats.first.locator(".msg-visitor .intent")
        expect(chips).to_have_count(2)
        pct = math.floor(question["confidence"] * 100)
        assert pct < 100
        expect(chips.first).to_have_attribute("data-action", "clarify")
        expect(chips.first).to_have_text(f"{question['intent']} {pct}% · asked which topic")
        expect(chips.first).to_have_attribute("data-confidence", str(question["confidence"]))
        expect(chips.last).to_have_attribute("data-action", "answer")
        expect(chips.last).to_have_text(f"{click['intent']} 100% · answered")
        console.page.screenshot(path=str(ARTIFACTS / "clarify-console-chips.png"))
        assert console.errors == [] and console.dialogs == []
    finally:
        context.close()
        console.context.close()
