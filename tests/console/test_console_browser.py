"""The agent console in a real Chromium against a real gateway (issue 6).

Two agents (capacities 3 and 4) sign in through the login page; eight
visitors (python-socketio) ask for a person. Each console shows exactly its
agent's chats; canned responses, notes, typing, transfer, hand-back, close
and reload are driven through the page and checked on the visitor's side and
in the database. Screenshot: test-artifacts/console-four-chats.png.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.clients import VisitorClient
from tests.console.conftest import PASSWORD, Account, Desk
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(150)

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
XSS = "<img src=x onerror=alert(1)>"


@dataclass
class Console:
    """One agent's console page, with what it reported on the side."""

    page: Page
    context: BrowserContext
    account: Account
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def chats(self) -> Locator:
        return self.page.locator(".chat[data-conversation]")

    def chat(self, conversation_id: str) -> Locator:
        return self.page.locator(f'.chat[data-conversation="{conversation_id}"]')

    def composer(self, conversation_id: str) -> Locator:
        return self.chat(conversation_id).locator(".composer textarea")

    def ids(self) -> set[str]:
        return set(self.page.eval_on_selector_all(
            ".chat[data-conversation]", "els => els.map(e => e.dataset.conversation)"))

    def online(self) -> None:
        expect(self.page.locator("body")).to_have_attribute("data-connection", "online")


def sign_in(browser: Any, desk: Desk, account: Account, locale: str,
            width: int = 1600, height: int = 900, away: bool = False) -> Console:
    """Through the login page, as an agent would (``away``: ticks "sign in as away")."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    # Counts the console's WebAudio chimes (each is two oscillator notes).
    context.add_init_script(
        "window.__notes = 0; const start = OscillatorNode.prototype.start;"
        "OscillatorNode.prototype.start = function (...a) { window.__notes++;"
        " return start.apply(this, a); };"
        # The most chats the page ever showed at once (never more than capacity).
        "window.__maxChats = 0; new MutationObserver(() => { window.__maxChats = Math.max("
        "window.__maxChats, document.querySelectorAll('.chat[data-conversation]').length);"
        " }).observe(document, {childList: true, subtree: true});")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    console = Console(page, context, account)
    page.on("dialog", lambda d: (console.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: console.errors.append(str(e)))
    page.on("console", lambda m: console.errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{desk.url}/console")
    page.wait_for_url(f"{desk.url}/login")  # no session yet
    page.locator("input[name=email]").fill(account.email)
    page.locator("input[name=password]").fill(PASSWORD)
    if away:
        page.locator("form.login input[name=away]").check()
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(f"{desk.url}/console")
    console.online()
    expect(page.locator(".topbar .me")).to_have_text(account.name)
    return console


async def ask_for_person(url: str, words: str, locale: str,
                         token: str | None = None) -> tuple[VisitorClient, str]:
    """A visitor who says something, hears the bot, then asks for a person."""
    visitor = await VisitorClient(url, locale=locale, token=token).connect()
    sent = await visitor.send(words, uuid.uuid4().hex)
    assert sent["ok"], sent
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    ack = await visitor.call("request_human", {})
    assert ack["ok"], ack
    return visitor, ack["conversation"]["id"]


async def closed_resolution(database_url: str, conversation_id: str) -> Any:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT data FROM conversation_events WHERE conversation_id = :c "
                "AND type = 'closed'"), {"c": conversation_id})).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1, rows
    data = rows[0][0]
    return (json.loads(data) if isinstance(data, str) else data).get("resolution")


def test_two_agents_work_eight_visitors(browser: Any, desk: Desk, aloop: BackgroundLoop) -> None:
    started = time.monotonic()
    ARTIFACTS.mkdir(exist_ok=True)
    aoi = sign_in(browser, desk, desk.aoi, "en-US")
    ren = sign_in(browser, desk, desk.ren, "ja-JP")
    # A supervisor signs in away and opts in to taking chats.
    presence = ren.page.locator("select.presence")
    expect(presence).to_have_value("away")
    presence.select_option("online")
    expect(presence).to_have_attribute("data-status", "online")
    consoles = (aoi, ren)

    # -- eight visitors ask for a person; seven seats -------------------------
    questions = [
        (XSS, "en"), ("where is my order?", "en"), ("I want a refund", "en"),
        ("how long is shipping?", "en"), ("注文をキャンセルしたい", "ja"),
        ("can I change my address?", "en"), ("返品できますか", "ja"), ("do you ship abroad?", "en"),
    ]

    async def all_visitors() -> list[tuple[VisitorClient, str]]:
        # The markup visitor asks first, so an agent holds that chat (the
        # other seven arrive at once, and any of them may be the eighth).
        first = await ask_for_person(desk.url, *questions[0])
        return [first, *await asyncio.gather(*(ask_for_person(desk.url, q, lang)
                                               for q, lang in questions[1:]))]

    pairs = aloop.run(all_visitors(), timeout=60)
    visitors = {conversation: visitor for visitor, conversation in pairs}
    first_words = {conversation: q for (_, conversation), (q, _) in zip(pairs, questions,
                                                                         strict=True)}
    assert len(visitors) == 8

    expect(aoi.chats).to_have_count(3)
    expect(ren.chats).to_have_count(4)
    # Tabs (the narrow-screen switcher) list the same chats.
    expect(aoi.page.locator(".tab")).to_have_count(3)
    expect(aoi.page.locator(".topbar .load")).to_have_text("3 / 3 chats")
    expect(ren.page.locator(".topbar .load")).to_have_text("4 / 4 件")

    # The supervisor sees the eighth waiting, and both agents full.
    ren.page.locator(".sup-toggle").click()
    queue_row = ren.page.locator(".supervisor .queue tr[data-conversation]")
    expect(queue_row).to_have_count(1)
    waiting = queue_row.get_attribute("data-conversation")
    assert waiting in visitors
    expect(queue_row.locator("td").nth(1)).to_have_text(re.compile(r"\d+ (秒|分)"))
    agents_table = ren.page.locator(".supervisor .agents")
    expect(agents_table.locator(f'tr[data-agent="{desk.aoi.id}"] td').nth(2)).to_have_text("3 / 3")
    expect(agents_table.locator(f'tr[data-agent="{desk.ren.id}"] td').nth(2)).to_have_text("4 / 4")
    expect(ren.page.locator('.supervisor [data-figure="conversations"]')).to_have_text("8")

    # Each console shows exactly its agent's chats: the gateway's own word.
    held_by_aoi, held_by_ren = aoi.ids(), ren.ids()
    assert not held_by_aoi & held_by_ren
    assert held_by_aoi | held_by_ren == set(visitors) - {waiting}
    for conversation in held_by_aoi | held_by_ren:
        assigned = aloop.run(visitors[conversation].next_where(
            "status", lambda s: s["state"] == "assigned"))
        owner = desk.aoi if conversation in held_by_aoi else desk.ren
        assert assigned["agent"]["id"] == owner.id, assigned

    # The whole transcript with the bot part, and the bot's intent + confidence.
    for console in consoles:
        for conversation in console.ids():
            chat = console.chat(conversation)
            expect(chat.locator(".msg-visitor .msg-bubble").first).to_have_text(
                first_words[conversation])
            expect(chat.locator(".msg-bot").first).to_be_visible()
            expect(chat.locator(".msg-visitor .intent").first).to_have_text(
                re.compile(r"^\S+ \d{1,3}%( · .+)?$"))

    # A visitor's markup is text in whichever console holds it.
    xss_chat = next(c for c, q in first_words.items() if q == XSS)
    holder = aoi if xss_chat in held_by_aoi else ren
    bubble = holder.chat(xss_chat).locator(".msg-visitor .msg-bubble").first
    expect(bubble).to_have_text(XSS)
    expect(holder.chat(xss_chat).locator(".log img")).to_have_count(0)

    # -- Aoi answers with a canned response, placeholders filled -------------------
    english = [c for c in sorted(held_by_aoi) if c != xss_chat
               and visitors[c].auth.get("locale") == "en"]
    x = english[0]
    visitor_x = visitors[x]
    composer = aoi.composer(x)
    composer.click()
    composer.fill("/gre")
    chosen = aoi.chat(x).locator(".suggest li[aria-selected=true]")
    expect(chosen).to_have_attribute("data-shortcut", "greet")
    expect(chosen).to_have_attribute("data-locale", "en")  # the visitor's language first
    composer.press("Enter")  # inserts
    filled = "Hi there, this is Aoi. How can I help?"
    expect(composer).to_have_value(filled)
    typing = aloop.run(visitor_x.next_where(
        "typing", lambda e: e.get("typing") is True and e.get("sender") == "agent"))
    assert typing["typing"] is True
    composer.press("Enter")  # sends
    heard = aloop.run(visitor_x.next_where("message", lambda m: m["sender"] == "agent"))
    assert heard["text"] == filled and heard["author"]["name"] == "Aoi"
    expect(aoi.chat(x).locator(".msg-agent[data-seq] .msg-bubble")).to_have_text([filled])
    expect(composer).to_have_value("")

    # The visitor typing shows in that chat, and their words arrive live.
    aloop.run(visitor_x.emit("typing", {"typing": True}))
    expect(aoi.chat(x).locator(".typing")).to_have_text("Visitor is typing…")
    aloop.run(visitor_x.send("thanks, order 1234", uuid.uuid4().hex))
    expect(aoi.chat(x).locator(".msg-visitor .msg-bubble").last).to_have_text(
        "thanks, order 1234")
    expect(aoi.chat(x).locator(".typing")).to_have_text("")

    # -- an internal note: shown to agents, never to the visitor -----------------
    aoi.chat(x).locator(".composer .note-mode").click()
    secret = "VIP customer — check order 1234 before answering"
    composer.fill(secret)
    composer.press("Enter")
    expect(aoi.chat(x).locator(".note .msg-bubble")).to_have_text([secret])
    expect(aoi.chat(x).locator(".composer .reply-mode")).to_have_attribute("aria-pressed", "true")
    synced = aloop.run(visitor_x.call("sync", {"since_seq": 0}))
    assert synced["ok"] and all("VIP" not in m["text"] for m in synced["messages"])
    assert all("VIP" not in m["text"] for m in visitor_x.pending("message"))

    # -- the network drops: the reply waits in the outbox and arrives once ---------
    aoi.context.set_offline(True)
    expect(aoi.page.locator(".net")).to_be_visible()
    later = "Still checking, one moment please."
    composer.fill(later)
    composer.press("Enter")
    expect(aoi.chat(x).locator(".msg.pending")).to_have_count(1)
    aoi.context.set_offline(False)
    aoi.online()
    heard = aloop.run(visitor_x.next_where("message", lambda m: m["sender"] == "agent"))
    assert heard["text"] == later
    expect(aoi.chat(x).locator(".msg.pending")).to_have_count(0)
    expect(aoi.chat(x).locator(".msg-agent[data-seq] .msg-bubble")).to_have_text([filled, later])
    expect(aoi.page.locator(".net")).to_be_hidden()

    # -- presence: away shows on the supervisor's board; back online --------------
    presence = aoi.page.locator(".topbar .presence")
    presence.select_option("away")
    expect(presence).to_have_attribute("data-status", "away")  # set from the gateway's ack
    expect(agents_table.locator(f'tr[data-agent="{desk.aoi.id}"] td').nth(1)).to_have_text("離席中")
    presence.select_option("online")
    # Acked before anything else is sent: an away agent would not get the next chat.
    expect(presence).to_have_attribute("data-status", "online")

    # -- Aoi closes a chat (keyboard) with a resolution; the waiting one arrives ----
    c = next(c for c in sorted(held_by_aoi) if c not in (x, xss_chat))
    aoi.composer(c).click()
    aoi.page.keyboard.press("Alt+KeyK")
    resolution = aoi.chat(c).locator(".close-form select")
    expect(resolution).to_be_focused()
    resolution.select_option("resolved")
    aoi.chat(c).locator(".close-form button[type=submit]").click()
    expect(aoi.chat(c)).to_have_count(0)
    expect(aoi.chat(waiting)).to_be_visible()
    expect(aoi.chats).to_have_count(3)
    assert aoi.page.title().startswith("●")
    expect(aoi.page.locator(".announcer")).to_contain_text("New chat assigned")
    closed = aloop.run(visitors[c].next_where("status", lambda s: s["state"] == "closed"))
    assert closed["id"] == c
    assert aloop.run(closed_resolution(desk.gateway.database_url, c)) == "resolved"
    expect(queue_row).to_have_count(0)
    expect(aoi.page.locator(".notice")).to_be_hidden()  # its own close needs no notice

    # -- Ren hands one back to the bot --------------------------------------------
    h = next(c for c in sorted(held_by_ren) if c != xss_chat)
    ren.chat(h).locator("button.handback").click()
    expect(ren.chat(h)).to_have_count(0)
    back = aloop.run(visitors[h].next_where("status", lambda s: s["state"] == "bot"))
    assert back["agent"] is None
    # The slot is freed just after the visitor hears it: wait for the board to say so.
    expect(agents_table.locator(f'tr[data-agent="{desk.ren.id}"] td').nth(2)).to_have_text("3 / 4")

    # -- Aoi transfers X to Ren while Ren is typing: focus and draft stay put -------
    d = next(c for c in sorted(held_by_ren) if c != h)
    chimes_before = ren.page.evaluate("window.__notes")
    ren.composer(d).click()
    ren.composer(d).fill("下書きです")
    aoi.chat(x).locator("button.transfer").click()
    target = aoi.chat(x).locator(".transfer-form select")
    expect(target.locator(f'option[value="agent:{desk.ren.id}"]')).to_be_enabled()
    target.select_option(f"agent:{desk.ren.id}")
    aoi.chat(x).locator(".transfer-form button[type=submit]").click()
    expect(aoi.chat(x)).to_have_count(0)
    expect(ren.chat(x)).to_be_visible()
    expect(ren.chat(x).locator(".msg-agent .msg-bubble")).to_have_text([filled, later])
    expect(ren.chat(x).locator(".msg-visitor .msg-bubble").first).to_have_text(first_words[x])
    expect(ren.chat(x)).to_have_class(re.compile(r"\bfresh\b"))
    assert ren.page.evaluate(
        "(id) => document.activeElement === document.querySelector("
        "`.chat[data-conversation=\"${id}\"] textarea`)", d)
    expect(ren.composer(d)).to_have_value("下書きです")
    assert ren.page.title().startswith("●")
    assert ren.page.evaluate("window.__notes") > chimes_before  # the chime played
    expect(ren.chats).to_have_count(4)
    # Ren can answer the transferred chat at once.
    ren.composer(x).fill("引き継ぎました / Ren here.")
    ren.composer(x).press("Enter")
    heard = aloop.run(visitor_x.next_where("message", lambda m: m["sender"] == "agent"))
    assert heard["author"]["name"] == "Ren"

    # Never more than capacity at any moment so far (counted on every DOM change).
    for console in consoles:
        assert console.page.evaluate("window.__maxChats") == console.account.capacity

    # -- reload keeps everything (the state is the server's) ------------------------
    before = ren.ids()
    ren.page.reload()
    ren.online()
    expect(ren.chats).to_have_count(4)
    assert ren.ids() == before
    expect(ren.chat(x).locator(".msg-agent .msg-bubble")).to_have_text(
        [filled, later, "引き継ぎました / Ren here."])
    expect(ren.chat(x).locator(".note .msg-bubble")).to_have_text([secret])  # notes follow
    second_tab = ren.context.new_page()  # the same agent in a second tab sees the same
    second_tab.goto(f"{desk.url}/console")
    second = Console(second_tab, ren.context, desk.ren)
    second.online()
    expect(second.chats).to_have_count(4)
    assert second.ids() == before
    expect(second.chat(x).locator(".note .msg-bubble")).to_have_text([secret])
    second_tab.close()
    if xss_chat in before:
        expect(ren.chat(xss_chat).locator(".msg-visitor .msg-bubble").first).to_have_text(XSS)
    aoi.page.reload()
    aoi.online()
    expect(aoi.chats).to_have_count(2)

    # -- a narrow screen: one chat at a time, tabs with unread counts ----------------
    aoi.page.set_viewport_size({"width": 600, "height": 800})
    expect(aoi.page.locator(".chat:visible")).to_have_count(1)
    shown = aoi.page.locator(".chat.active").get_attribute("data-conversation")
    other = next(c for c in aoi.ids() if c != shown)
    aloop.run(visitors[other].send("are you still there?", uuid.uuid4().hex))
    tab = aoi.page.locator(f'.tab[data-conversation="{other}"]')
    expect(tab.locator(".count")).to_have_text("1")
    expect(aoi.chat(other)).to_be_hidden()
    tab.click()
    expect(aoi.chat(other)).to_be_visible()
    expect(aoi.composer(other)).to_be_focused()
    expect(tab.locator(".count")).to_have_count(0)
    aoi.page.keyboard.press("Alt+KeyN")  # next chat, from the keyboard
    expect(aoi.composer(shown)).to_be_focused()
    expect(aoi.chat(other)).to_be_hidden()
    aoi.page.screenshot(path=str(ARTIFACTS / "console-narrow.png"))
    # The visitor ends a chat: it leaves the console with a word of why.
    aloop.run(visitors[other].call("close", {}))
    expect(aoi.chat(other)).to_have_count(0)
    expect(aoi.page.locator(".notice")).to_contain_text("it was closed")
    expect(aoi.chats).to_have_count(1)

    ren.page.locator(".chat .log").first.wait_for()
    ren.page.screenshot(path=str(ARTIFACTS / "console-four-chats.png"))

    # -- signing out ends the session for the page and its socket ---------------------
    aoi.page.locator(".topbar .sign-out").click()
    aoi.page.wait_for_url(f"{desk.url}/login")
    aoi.page.goto(f"{desk.url}/console")
    aoi.page.wait_for_url(f"{desk.url}/login")

    for console in consoles:
        assert console.dialogs == [], console.dialogs
        assert console.errors == [], console.errors
        console.context.close()
    for visitor in visitors.values():
        # Ended by the visitors, so no chat goes back to the queue after the agents' grace.
        aloop.run(visitor.call("close", {}))
        aloop.run(visitor.disconnect())
    assert time.monotonic() - started < 120


def test_admin_manages_canned_responses_and_uses_one(
    browser: Any, desk: Desk, aloop: BackgroundLoop
) -> None:
    """Wrong password is refused on the page; an admin adds, edits and deletes canned answers."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{desk.url}/login")
        page.locator("input[name=email]").fill(desk.mio.email)
        page.locator("input[name=password]").fill("not-the-password")
        page.locator("form.login button[type=submit]").click()
        expect(page.locator("form.login .error")).to_have_text("wrong e-mail or password")
        assert page.url == f"{desk.url}/login"
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form.login button[type=submit]").click()
        page.wait_for_url(f"{desk.url}/console")
        expect(page.locator("body")).to_have_attribute("data-connection", "online")
        # Admins start away; this one takes chats too.
        page.locator("select.presence").select_option("online")
        expect(page.locator("select.presence")).to_have_attribute("data-status", "online")

        page.locator(".canned-toggle").click()
        panel = page.locator(".canned-admin")
        expect(panel.locator("form[data-canned]:not([data-canned=new])")).to_have_count(3)
        new = panel.locator("form[data-canned=new]")
        new.locator("input[name=shortcut]").fill("thanks")
        new.locator("select[name=locale]").select_option("en")
        new.locator("input[name=title]").fill("Thank you")
        new.locator("textarea[name=text]").fill("Thanks, {visitor_name}!")
        new.locator("button[type=submit]").click()
        added = panel.locator("form.canned-item").filter(
            has=page.locator("input[name=shortcut][value=thanks]"))
        expect(added).to_have_count(1)
        added.locator("textarea[name=text]").fill("Thank you, {visitor_name}! — {agent_name}")
        added.locator("button[type=submit]").click()
        expect(panel.locator(".canned-status")).to_have_text("Saved.")
        refund = panel.locator("form.canned-item").filter(
            has=page.locator("input[name=shortcut][value=refund]"))
        refund.locator("button.danger").click()
        expect(refund).to_have_count(0)
        stored = page.evaluate(
            "() => fetch('/api/canned').then(r => r.json()).then(b => b.canned.map("
            "c => [c.shortcut, c.locale, c.text]))")
        assert ["thanks", "en", "Thank you, {visitor_name}! — {agent_name}"] in stored
        assert not any(s == "refund" for s, _, _ in stored)

        # The admin is an agent too: a returning visitor's chat, with the earlier
        # conversation readable from the context, answered with the new response.
        async def returning_visitor() -> tuple[VisitorClient, str]:
            first = await VisitorClient(desk.url, locale="en").connect()
            await first.send("my parcel is late", uuid.uuid4().hex)
            await first.next_where("message", lambda m: m["sender"] == "bot")
            assert (await first.call("close", {}))["ok"]
            token = first.session["visitor_token"]
            await first.disconnect()
            return await ask_for_person(desk.url, "hello again?", "en", token=token)

        visitor, conversation = aloop.run(returning_visitor())
        chat = page.locator(f'.chat[data-conversation="{conversation}"]')
        earlier = chat.locator(".earlier details")
        expect(earlier).to_have_count(1)
        expect(earlier.locator("summary")).to_contain_text("closed")
        earlier.locator("summary").click()
        expect(earlier.locator('.earlier-msg[data-sender="visitor"] .msg-bubble')).to_have_text(
            ["my parcel is late"])
        expect(chat.locator(".context")).to_contain_text("Waited for an agent")
        expect(chat.locator(".context")).not_to_contain_text("estimate")
        composer = chat.locator("textarea")
        composer.fill("/than")
        composer.press("Tab")
        expect(composer).to_have_value("Thank you, there! — Mio")
        composer.press("Enter")
        heard = aloop.run(visitor.next_where("message", lambda m: m["sender"] == "agent"))
        assert heard["text"] == "Thank you, there! — Mio"
        aloop.run(visitor.disconnect())
    finally:
        context.close()
