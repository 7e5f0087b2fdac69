"""The widget speaks the visitor's language, not the site's (issue 13, defect 6).

Real Chromium against a real gateway. The demo page says ``data-locale="ja"``
(a Japanese shop): a browser set to English used to get Japanese buttons
while the bot answered in English. Now the browser's language comes first,
then what the visitor writes (the gateway's ``status.locale``), relabelled
live; ``data-locale-fixed`` lets a site pin its language.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.widget import test_widget_browser as base

pytestmark = pytest.mark.timeout(120)

Widget = base.Widget
open_page = base.open_page

# The demo shop's tag, pinned to Japanese.
FIXED_PAGE = """<!doctype html><html lang="ja"><head><title>固定</title></head><body>
<script src="/widget.js" async data-locale="ja" data-locale-fixed></script>
</body></html>"""


async def _conversation_locales(database_url: str, visitor_id: str) -> list[str | None]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT locale FROM conversations WHERE visitor_id = :v ORDER BY created_at"),
                {"v": visitor_id})
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


def _labels(w: Any) -> dict[str, Any]:
    return w.page.evaluate("""() => {
      const r = document.querySelector('tsunagu-chat').shadowRoot;
      const bot = r.querySelector('.msg-bot[data-seq] .msg-author');
      return {
        lang: r.querySelector('.root').lang,
        placeholder: r.querySelector('textarea.input').placeholder,
        send: r.querySelector('.send').getAttribute('aria-label'),
        minimize: r.querySelector('header .icon-btn').getAttribute('aria-label'),
        askHuman: r.querySelector('.ask-human').textContent,
        endChat: r.querySelector('.end-chat').textContent,
        bot: bot ? bot.textContent : null,
      };
    }""")


ENGLISH = {"lang": "en", "placeholder": "Write a message…", "send": "Send",
           "minimize": "Minimize chat", "askHuman": "Talk to a person", "endChat": "End chat",
           "bot": "Assistant"}
JAPANESE = {"lang": "ja", "placeholder": "メッセージを入力…", "send": "送信",
            "minimize": "チャットを最小化", "askHuman": "担当者と話す", "endChat": "チャットを終了",
            "bot": "アシスタント"}


def test_an_english_browser_on_a_japanese_site_gets_english_then_follows_what_is_written(
    open_page: Any, gateway_process: Any, aloop: Any,
) -> None:
    w = open_page(locale="en-US", width=390, height=844)
    expect(w.launcher).to_have_attribute("aria-label", "Open chat")
    w.open()
    w.send("Hello, where is my order?")
    expect(w.stored("bot").first).to_be_visible()
    expect(w.page.locator("tsunagu-chat .ask-human")).to_be_visible()
    assert _labels(w) == ENGLISH
    base_locales = aloop.run(_conversation_locales(gateway_process.database_url, w.visitor_id()))
    assert base_locales == ["en"]  # the gateway has the visitor as English too

    # Writing Japanese relabels the widget at once, without a reload, and
    # keeps what is typed in the box.
    w.page.evaluate("window.__sameDocument = true")
    w.send("すみません、注文した商品がまだ届きません")
    expect(w.root).to_have_attribute("lang", "ja")
    w.input.fill("下書き")
    expect(w.page.locator("tsunagu-chat .ask-human")).to_have_text("担当者と話す")
    assert _labels(w) == JAPANESE
    assert w.page.evaluate("window.__sameDocument") is True
    assert w.input.input_value() == "下書き"
    assert aloop.run(_conversation_locales(gateway_process.database_url,
                                           w.visitor_id())) == ["ja"]
    w.page.screenshot(path=str(base.ARTIFACTS / "widget-relabelled-ja-mobile.png"))

    # A reload keeps the visitor's language, though the browser still says English.
    w.page.reload()
    w.online()
    expect(w.panel).to_be_visible()  # it stays open across reloads of the tab
    expect(w.stored("bot").first).to_be_visible()
    assert _labels(w) == JAPANESE


def test_a_japanese_browser_writing_english_gets_english(open_page: Any) -> None:
    w = open_page(locale="ja-JP")
    w.open()
    expect(w.input).to_have_attribute("placeholder", "メッセージを入力…")
    w.send("Hello, I would like to know your opening hours")
    expect(w.root).to_have_attribute("lang", "en")
    expect(w.stored("bot").first).to_be_visible()
    assert _labels(w) == ENGLISH


def test_data_locale_fixed_pins_the_widget_but_not_what_the_agent_learns(
    browser: Any, gateway_process: Any, widget_bundle: Any, aloop: Any,
) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 760})
    try:
        page = context.new_page()
        # A page on the gateway's own origin (always allowed) with the pinned tag.
        page.route(f"{gateway_process.url}/fixed.html",
                   lambda route: route.fulfill(status=200, content_type="text/html",
                                               body=FIXED_PAGE))
        page.goto(f"{gateway_process.url}/fixed.html")
        w = Widget(page, context)
        w.online()
        expect(w.launcher).to_have_attribute("aria-label", "チャットを開く")
        w.open()
        w.send("Hello, where is my order please?")
        expect(w.stored("bot").first).to_be_visible()
        expect(w.page.locator("tsunagu-chat .ask-human")).to_be_visible()
        assert _labels(w) == JAPANESE
        # The site pins its buttons; the agent still sees an English visitor.
        assert aloop.run(_conversation_locales(gateway_process.database_url,
                                               w.visitor_id())) == ["en"]
    finally:
        context.close()
