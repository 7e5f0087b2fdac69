"""The console inbox and the supervisor's live monitoring in a real Chromium (issue 13).

At 1366x768, against the console tests' gateway: an agent tags a chat from its
header, the chat ends, and the Inbox finds it by a word in it and by the tag,
opens it read-only and shows the visitor's profile; a supervisor watches a
live chat read-only, whispers (the agent sees the note, the visitor nothing),
takes it over and the visitor gets the supervisor's reply; the supervisor's
figures show today's CSAT. Screenshots: test-artifacts/console-inbox.png,
test-artifacts/console-supervisor-live.png.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.clients import VisitorClient
from tests.console.conftest import Desk
from tests.console.test_console_browser import WAIT_MS, ask_for_person, sign_in
from tests.console.test_console_defects import finish
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(180)
expect.set_options(timeout=WAIT_MS)
SIZE = {"width": 1366, "height": 768}


async def named_visitor(url: str, name: str, words: str) -> tuple[VisitorClient, str]:
    """A visitor who fills in the pre-chat form's name, writes, then asks for a person."""
    visitor = await VisitorClient(url, locale="en").connect()
    assert (await visitor.call("profile", {"name": name}))["ok"]
    assert (await visitor.send(words, uuid.uuid4().hex))["ok"]
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    ack = await visitor.call("request_human", {})
    assert ack["ok"], ack
    return visitor, ack["conversation"]["id"]


def test_inbox_finds_a_closed_conversation_by_a_word_and_by_tag(
        browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    aoi = sign_in(browser, desk, desk.aoi, "en-US", **SIZE)
    visitor, chat_id = aloop.run(named_visitor(desk.url, "Sato Yui",
                                               "my umbrella broke in the storm"))
    try:
        chat = aoi.chat(chat_id)
        expect(chat).to_be_visible()
        # The tab names the visitor (pre-chat form) and says how long they wait.
        tab = aoi.page.locator(f'.tab[data-conversation="{chat_id}"]')
        expect(tab.locator(".tab-name")).to_have_text("Sato Yui")
        expect(tab.locator(".tab-wait")).to_be_visible()
        # Tag it from the chat header.
        chat.locator("details.visitor-details summary").click()
        chat.locator(".tags input[name=tag]").fill("Warranty")
        chat.locator(".tags input[name=tag]").press("Enter")
        expect(chat.locator('.tag-list .tag[data-tag="warranty"]')).to_be_visible()
        expect(chat.locator(".visitor-facts")).to_contain_text("#warranty")
        chat.locator(".tags input[name=tag]").fill("no spaces allowed")
        chat.locator(".tags input[name=tag]").press("Enter")
        expect(chat.locator(".tag-error")).to_have_text(
            "A tag is 1\u201332 letters, digits, - or _.")
        aoi.composer(chat_id).fill("Sorry to hear that, a new one is on its way.")
        aoi.composer(chat_id).press("Enter")
        expect(chat.locator(".msg-agent[data-seq]")).to_have_count(1)
        aloop.run(visitor.call("close", {}))
        expect(chat).to_have_count(0)

        # The Inbox finds the closed chat by a word in it.
        aoi.page.locator("button.inbox-toggle").click()
        inbox = aoi.page.locator("section.inbox")
        expect(inbox).to_be_visible()
        inbox.locator("input[name=q]").fill("UMBRELLA")
        inbox.locator("form.inbox-filters button[type=submit]").click()
        row = inbox.locator(".inbox-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-conversation", chat_id)
        expect(row).to_have_attribute("data-state", "closed")
        expect(row.locator(".first")).to_have_text("my umbrella broke in the storm")
        expect(row.locator(".who")).to_have_text("Sato Yui")
        expect(row.locator(".chips .tag")).to_have_text(["#warranty"])
        row.click()
        reader = inbox.locator(".inbox-reader")
        expect(reader.locator(".reader-head")).to_have_attribute("data-conversation", chat_id)
        expect(reader.locator(".msg-visitor .msg-bubble").first).to_have_text(
            "my umbrella broke in the storm")
        expect(reader.locator(".msg-agent .msg-bubble")).to_have_text(
            ["Sorry to hear that, a new one is on its way."])
        expect(reader.locator("textarea")).to_have_count(0)  # read-only: no composer
        expect(reader.locator('.tag-list .tag[data-tag="warranty"]')).to_be_visible()

        # ... and by its tag (nothing else carries it).
        inbox.locator("form.inbox-filters button[type=reset]").click()
        inbox.locator("form.inbox-filters input[name=tag]").fill("warranty")
        inbox.locator("form.inbox-filters button[type=submit]").click()
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-conversation", chat_id)
        inbox.locator("form.inbox-filters button[type=reset]").click()
        inbox.locator("form.inbox-filters input[name=visitor]").fill("sato yui")
        inbox.locator("form.inbox-filters button[type=submit]").click()
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-conversation", chat_id)
        inbox.locator("form.inbox-filters input[name=visitor]").fill("")
        inbox.locator("form.inbox-filters input[name=tag]").fill("nothing-has-this")
        inbox.locator("form.inbox-filters button[type=submit]").click()
        expect(row).to_have_count(0)
        expect(inbox.locator(".inbox-count")).to_have_text("No conversation matches.")

        # The visitor's profile lists the conversation; it opens read-only again.
        inbox.locator("form.inbox-filters input[name=tag]").fill("warranty")
        inbox.locator("form.inbox-filters button[type=submit]").click()
        row.click()
        reader.locator("button.profile").click()
        expect(reader.locator(".profile-head")).to_have_attribute(
            "data-visitor", visitor.session["visitor_id"])
        reader.locator(f'.profile-conversations button[data-conversation="{chat_id}"]').click()
        expect(reader.locator(".reader-head")).to_have_attribute("data-conversation", chat_id)
        ARTIFACTS.mkdir(exist_ok=True)
        aoi.page.screenshot(path=str(ARTIFACTS / "console-inbox.png"))
        assert not aoi.errors, aoi.errors
    finally:
        finish(aloop, [visitor], [aoi])


def test_supervisor_watches_whispers_takes_over_and_sees_csat(
        browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    aoi = sign_in(browser, desk, desk.aoi, "en-US", **SIZE)
    visitor, chat_id = aloop.run(ask_for_person(desk.url, "the app logs me out", "en"))
    ren = sign_in(browser, desk, desk.ren, "en-US", **SIZE)  # a supervisor, away
    try:
        expect(aoi.chat(chat_id)).to_be_visible()
        ren.page.locator(".sup-toggle").click()
        panel = ren.page.locator("aside.supervisor")
        live = panel.locator(f'.live tr[data-conversation="{chat_id}"]')
        expect(live).to_be_visible()
        expect(live).to_have_attribute("data-state", "assigned")
        expect(live.locator("td.agent")).to_have_text("Aoi")

        # Watch it read-only, live.
        live.locator("button.watch-btn").click()
        watch = panel.locator(f'section.watch[data-conversation="{chat_id}"]')
        expect(watch.locator(".msg-visitor .msg-bubble").first).to_have_text("the app logs me out")
        aloop.run(visitor.send("it happens every hour", uuid.uuid4().hex))
        expect(watch.locator(".msg-visitor .msg-bubble").last).to_have_text(
            "it happens every hour")

        # Whisper: Aoi sees the note; the visitor sees nothing of it.
        whisper = "Ask which phone model first"
        watch.locator("textarea[name=whisper]").fill(whisper)
        watch.locator("form.whisper button[type=submit]").click()
        expect(aoi.chat(chat_id).locator(".note .msg-bubble")).to_have_text([whisper])
        expect(aoi.chat(chat_id).locator(".note .note-tag")).to_contain_text("Ren")
        expect(watch.locator(".note .msg-bubble")).to_have_text([whisper])
        time.sleep(0.5)
        assert all(whisper not in m["text"] for m in visitor.pending("message"))
        synced = aloop.run(visitor.call("sync", {"since_seq": 0}))
        assert all(whisper not in m["text"] for m in synced["messages"])

        # Take over: the chat leaves Aoi and arrives among Ren's chats.
        ARTIFACTS.mkdir(exist_ok=True)
        panel.evaluate("el => { el.scrollTop = 0; }")
        ren.page.screenshot(path=str(ARTIFACTS / "console-supervisor-live.png"))
        watch.locator("button.takeover").click()
        expect(ren.chat(chat_id)).to_be_visible()
        expect(aoi.chat(chat_id)).to_have_count(0)
        expect(watch).to_have_attribute("data-agent", desk.ren.id)
        ren.composer(chat_id).fill("Hello, I am Ren, the supervisor. Let me fix this.")
        ren.composer(chat_id).press("Enter")
        reply = aloop.run(visitor.next_where(
            "message", lambda m: m["sender"] == "agent" and "Ren, the supervisor" in m["text"]))
        assert reply["author"]["name"] == "Ren"

        # Ended and rated: today's CSAT shows in the supervisor's figures.
        aloop.run(visitor.call("close", {}))
        expect(ren.chat(chat_id)).to_have_count(0)
        assert aloop.run(visitor.call("csat", {"score": 5}))["ok"]
        figures = panel.locator(".figures.today")
        expect(figures.locator('dd[data-figure="csat_count"]')).not_to_have_text(
            "0", timeout=30_000)
        expect(figures.locator('dd[data-figure="csat_mean"]')).not_to_have_text("—")
        expect(figures.locator('dt').filter(has_text="CSAT")).to_be_visible()
        assert not ren.errors and not aoi.errors, (ren.errors, aoi.errors)
    finally:
        finish(aloop, [visitor], [aoi, ren])


def test_inbox_and_live_view_speak_japanese(browser: Any, desk: Desk) -> None:
    ren = sign_in(browser, desk, desk.ren, "ja-JP", **SIZE)
    try:
        page = ren.page
        page.locator("button.inbox-toggle").click()
        inbox = page.locator("section.inbox")
        expect(inbox.locator("h2")).to_have_text("受信箱 — すべての会話")
        expect(inbox.locator("form.inbox-filters button[type=submit]")).to_have_text("検索")
        expect(inbox.locator(".inbox-row")).not_to_have_count(0)  # the earlier tests' chats
        inbox.locator(".inbox-row").first.click()
        expect(inbox.locator(".inbox-reader .read-only")).to_have_text("閲覧専用の会話記録")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "console-inbox-ja.png"))
        inbox.locator("button.admin-back").click()
        page.locator(".sup-toggle").click()
        panel = page.locator("aside.supervisor")
        expect(panel.locator("h3").filter(has_text="進行中のチャット")).to_be_visible()
        csat = "CSAT\uff085点満点の平均\uff09"  # full-width parentheses, as Japanese writes them
        expect(panel.locator(".figures dt").filter(has_text=csat)).to_be_visible()
        assert not ren.errors, ren.errors
    finally:
        ren.context.close()
