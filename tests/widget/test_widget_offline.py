"""Nobody online (issue 13, defect 7), in a real Chromium on a 390x844 phone viewport
against a real gateway subprocess with no agent signed in.

"Talk to a person" used to replace the chat with a leave-a-message form: no way to
keep talking to the bot or to wait, the message box hidden after the form until a
reload, and a rating asked (after a reload) for a chat nobody handled.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.widget import test_widget_browser as base
from tests.widget.conftest import ARTIFACTS

pytestmark = pytest.mark.timeout(120)

open_page = base.open_page
MOBILE = {"width": 390, "height": 844}


def _ask_for_a_person(w: Any) -> Any:
    """A visitor writes, the bot answers, they ask for a person: the choices card."""
    w.open()
    w.send("こんにちは")
    expect(w.stored("bot").first).to_be_visible()
    w.page.locator("tsunagu-chat .ask-human").click()
    choices = w.page.locator("tsunagu-chat .card.choices")
    expect(choices).to_be_visible()
    return choices


def _in_viewport(w: Any, selector: str) -> bool:
    """The element lies wholly inside the phone's screen."""
    return bool(w.page.evaluate(
        """(sel) => {
             const el = document.querySelector('tsunagu-chat').shadowRoot.querySelector(sel);
             const r = el.getBoundingClientRect();
             return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0
               && r.right <= innerWidth; }""", selector))


async def _events(database_url: str, visitor_id: str) -> list[tuple[str, str | None]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT e.type, e.actor FROM conversation_events e JOIN conversations c"
                " ON c.id = e.conversation_id WHERE c.visitor_id = :v ORDER BY e.id"),
                {"v": visitor_id})
            return [(r[0], r[1]) for r in rows]
    finally:
        await engine.dispose()


def test_nobody_online_offers_three_choices_and_keeping_the_bot_works(
    open_page: Any, gateway_process: Any, aloop: Any
) -> None:
    w = open_page(locale="ja-JP", **MOBILE)
    choices = _ask_for_a_person(w)
    buttons = choices.locator("button[data-choice]")
    expect(buttons).to_have_text(["メッセージを残す", "アシスタントとのチャットを続ける",
                                  "担当者を待つ"])
    expect(choices).to_contain_text("ただいま対応できる担当者がいません")
    # The chat stays: the transcript, and the message box, on screen with the card.
    expect(w.stored("visitor").filter(has_text="こんにちは")).to_be_visible()
    expect(w.input).to_be_visible()
    expect(w.page.locator("tsunagu-chat form.offline")).to_be_hidden()
    assert _in_viewport(w, ".card.choices") and _in_viewport(w, "textarea.input")
    ARTIFACTS.mkdir(exist_ok=True)
    w.page.screenshot(path=str(ARTIFACTS / "widget-offline-choices-mobile.png"))

    bots = w.stored("bot").count()
    choices.locator("button[data-choice=bot]").click()
    expect(choices).to_be_hidden()
    expect(w.page.locator("tsunagu-chat .ask-human")).to_be_visible()  # a person, later
    w.send("営業時間を教えてください")
    expect(w.stored("bot")).to_have_count(bots + 1)
    events = aloop.run(_events(gateway_process.database_url, w.visitor_id()))
    assert ("handed_back", "visitor") in events
    assert events[-1][0] != "closed"  # the same chat goes on with the bot


def test_waiting_for_a_person_keeps_the_chat_queued(
    open_page: Any, gateway_process: Any, aloop: Any
) -> None:
    w = open_page(locale="ja-JP", **MOBILE)
    choices = _ask_for_a_person(w)
    choices.locator("button[data-choice=wait]").click()
    expect(choices).to_be_hidden()
    banner = w.page.locator("tsunagu-chat .banner.state")
    expect(banner).to_contain_text("担当者が対応できるようになり次第おつなぎします")
    expect(w.input).to_be_visible()
    w.send("まだ待っています")
    expect(w.stored("visitor").filter(has_text="まだ待っています")).to_have_count(1)
    events = aloop.run(_events(gateway_process.database_url, w.visitor_id()))
    assert events[-1][0] == "escalated"  # still waiting for a person


def test_after_leaving_a_message_the_message_box_is_back_at_once(
    open_page: Any, gateway_process: Any, aloop: Any
) -> None:
    w = open_page(locale="ja-JP", **MOBILE)
    choices = _ask_for_a_person(w)
    choices.locator("button[data-choice=leave]").click()
    form = w.page.locator("tsunagu-chat form.offline")
    expect(form).to_be_visible()
    expect(choices).to_be_hidden()
    form.locator("input[name=email]").fill("ken@example.com")
    form.locator("textarea[name=message]").fill("注文について連絡をください")
    form.locator("button[type=submit]").click()
    expect(form.locator("[role=status]")).to_be_visible()
    # No reload: the message box is there right after the thanks, and works.
    expect(w.input).to_be_visible()
    expect(w.page.locator("tsunagu-chat .card.csat")).to_be_hidden()
    bots = w.stored("bot").count()
    w.send("もう一つ質問があります")
    expect(w.stored("visitor").filter(has_text="もう一つ質問があります")).to_have_count(1)
    expect(w.stored("bot")).to_have_count(bots + 1)
    rows = aloop.run(base._stored_messages(gateway_process.database_url, w.visitor_id()))
    assert len({r["conversation_id"] for r in rows}) == 2  # a new chat, with the bot
    expect(form).to_be_hidden()


def test_no_rating_for_a_chat_only_the_bot_had_even_after_a_reload(
    open_page: Any, gateway_process: Any, aloop: Any
) -> None:
    w = open_page(locale="ja-JP", **MOBILE)
    w.open()
    w.send("こんにちは")
    expect(w.stored("bot").first).to_be_visible()
    w.page.locator("tsunagu-chat .end-chat").click()
    banner = w.page.locator("tsunagu-chat .banner.state")
    expect(banner).to_have_text("チャットは終了しました。")
    csat = w.page.locator("tsunagu-chat .card.csat")
    expect(csat).to_be_hidden()
    w.page.reload()
    w.online()
    expect(w.stored("bot").first).to_be_visible()  # the history is back …
    expect(banner).to_have_text("チャットは終了しました。")
    w.page.wait_for_timeout(500)
    expect(csat).to_be_hidden()  # … without a rating nobody could give
    expect(w.input).to_be_visible()
    assert aloop.run(base._csat_scores(gateway_process.database_url, w.visitor_id())) == []


def test_the_visitor_sees_why_when_their_agent_is_gone(
    browser: Any, widget_bundle: Any, models_dir: Any, tmp_path: Any, aloop: Any
) -> None:
    """The agent's grace ends mid-chat: a muted, centred line says so, then the choices."""
    from tests.clients import AgentClient
    from tests.conftest import spawn_gateway, stop_gateway

    gateway = spawn_gateway(tmp_path / "grace", models_dir, TSUNAGU_AGENT_GRACE="1")
    context = browser.new_context(locale="ja-JP", viewport=MOBILE)
    try:
        base._add_agent(gateway, "sato@example.com", "佐藤 <b>美咲</b>", "correct-horse-42",
                        capacity=2)
        agent = aloop.run(
            AgentClient.signed_in(gateway.url, "sato@example.com", "correct-horse-42"))
        page = context.new_page()
        page.goto(f"{gateway.url}/")
        w = base.Widget(page, context)
        w.online()
        w.open()
        w.send("こんにちは")
        expect(w.stored("bot").first).to_be_visible()
        page.locator("tsunagu-chat .ask-human").click()
        aloop.run(agent.next("assigned"))
        expect(page.locator("tsunagu-chat .banner.state")).to_contain_text("参加しました")

        aloop.run(agent.disconnect())  # gone for good: the grace (1 s) runs out
        gone = "は対応できなくなりました"
        line = w.stored("system").filter(has_text=gone)
        expect(line).to_have_count(1, timeout=20_000)
        expect(line.locator(".msg-bubble")).to_have_text(
            "佐藤 <b>美咲</b>は対応できなくなりました。別の担当者をお探ししています。")
        expect(line.locator("b")).to_have_count(0)  # the name is text
        look = line.evaluate("""(row) => { const b = row.querySelector('.msg-bubble');
            const s = getComputedStyle(b), r = row.getBoundingClientRect(),
                  log = row.parentElement.getBoundingClientRect();
            return {align: s.textAlign, italic: s.fontStyle, size: s.fontSize,
                    centre: Math.abs((r.left + r.right) / 2 - (log.left + log.right) / 2)}; }""")
        assert look["align"] == "center" and look["italic"] == "italic", look
        assert look["size"] == "12px" and look["centre"] <= 12, look
        # Nobody else is online: the choices come back, the chat stays.
        expect(page.locator("tsunagu-chat .card.choices")).to_be_visible()
        expect(w.input).to_be_visible()
        # A reload shows the line again, once.
        page.reload()
        w.online()
        expect(w.stored("system").filter(has_text=gone)).to_have_count(1)
    finally:
        context.close()
        stop_gateway(gateway)
