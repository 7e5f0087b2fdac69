"""Answering an offline message by e-mail from the console, reached by the link the
team's e-mail carries (issue 15), in a real Chromium against a real ``tsunagu serve``
that sends through a real SMTP server (aiosmtpd) on a loopback port.

A visitor leaves an offline message with their address while nobody is online;
the team's e-mail links to ``/console#conversation=<id>``; an agent, signed out,
opens that link, signs in, lands on the conversation in the inbox reader, and
replies by e-mail. The first answer of the gateway is lost on the way back (the
request reached it): Send again re-uses the reply's client_id, so the visitor gets
exactly one e-mail. A chat the agent holds opens as its tab; an open chat shows no
e-mail box; a bad or unknown id is said so. Screenshot:
test-artifacts/console-email-reply.png.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from tests.clients import VisitorClient
from tests.conftest import free_port, spawn_gateway, stop_gateway
from tests.console.conftest import PASSWORD, Desk, _seed
from tests.console.test_console_browser import WAIT_MS, ask_for_person, sign_in
from tests.console.test_console_defects import finish
from tests.live_chat.test_transcript_email import Inbox, body_text, start_smtp
from tests.widget.conftest import ARTIFACTS, BackgroundLoop

pytestmark = pytest.mark.timeout(180)
expect.set_options(timeout=WAIT_MS)
SIZE = {"width": 1366, "height": 768}
TEAM = "team@shop.example"
PUBLIC = "https://support.shop.example"
OFFLINE_TEXT = "Please call me about order 4711 <b>today</b>"
REPLY = "We will call you this afternoon, Taro."
PS = "P.S. The courier comes before 17:00."


@pytest.fixture(scope="module")
def smtp_inbox() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = start_smtp(port)
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory: pytest.TempPathFactory, models_dir: Any, aloop: BackgroundLoop,
              console_bundle: Any, smtp_inbox: tuple[int, Inbox]) -> Iterator[Desk]:
    """The console tests' agents on a gateway of this module's that sends e-mail."""
    port, _ = smtp_inbox
    gateway = spawn_gateway(
        tmp_path_factory.mktemp("console-mail"), models_dir,
        TSUNAGU_SMTP_HOST="127.0.0.1", TSUNAGU_SMTP_PORT=str(port),
        TSUNAGU_SMTP_STARTTLS="false", TSUNAGU_MAIL_FROM="support@shop.example",
        TSUNAGU_TEAM_EMAIL=TEAM, TSUNAGU_PUBLIC_URL=PUBLIC)
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)


async def leave_offline_message(url: str) -> tuple[VisitorClient, str]:
    """Nobody is online: the visitor asks for a person, then leaves a message and address."""
    visitor = await VisitorClient(url, locale="en").connect()
    assert (await visitor.send("hello", uuid.uuid4().hex))["ok"]
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    left = await visitor.call("leave_message", {
        "client_id": uuid.uuid4().hex, "text": OFFLINE_TEXT,
        "name": "Taro Yamada", "email": "taro@example.jp"})
    assert left["ok"], left
    return visitor, left["conversation"]["id"]


def wait_mail(aloop: BackgroundLoop, inbox: Inbox, count: int) -> None:
    """Waits for ``count`` e-mails, then a little more to see that no other comes."""
    aloop.run(inbox.wait_for(count))
    time.sleep(1.0)
    assert len(inbox.received) == count, [to for to, _ in inbox.received]


def test_an_offline_message_is_answered_by_email_from_the_link_through_sign_in(
        browser: Any, mail_desk: Desk, aloop: BackgroundLoop,
        smtp_inbox: tuple[int, Inbox]) -> None:
    _, inbox = smtp_inbox
    url = mail_desk.url
    visitor, conversation_id = aloop.run(leave_offline_message(url))
    aloop.run(visitor.disconnect())
    wait_mail(aloop, inbox, 1)
    assert inbox.received[0][0] == [TEAM]
    link = re.search(r"https://\S+", body_text(inbox.received[0][1]))
    assert link and link.group(0) == f"{PUBLIC}/console#conversation={conversation_id}"

    # The team's link, on this gateway, opened signed out: the login page keeps it.
    context = browser.new_context(locale="en-US", viewport=SIZE)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(link.group(0).replace(PUBLIC, url))
    page.wait_for_url(f"{url}/login#conversation={conversation_id}")
    page.locator("input[name=email]").fill(mail_desk.aoi.email)  # a plain agent
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(f"{url}/console")))

    # The console opens on that conversation, in the inbox's reader.
    inbox_page = page.locator("section.inbox")
    expect(inbox_page).to_be_visible()
    reader = inbox_page.locator(".inbox-reader")
    expect(reader.locator(".reader-head")).to_have_attribute("data-conversation", conversation_id)
    expect(reader.locator(".msg-visitor .msg-bubble").last).to_have_text(OFFLINE_TEXT)
    expect(reader.locator(".reader-head .meta")).to_contain_text("Offline message")
    expect(page).to_have_url(f"{url}/console")  # followed once: a reload does not again
    # ... and the inbox list marks offline messages, which every agent may read.
    row = inbox_page.locator(f'.inbox-row[data-conversation="{conversation_id}"]')
    expect(row.locator(".chips .offline")).to_have_text("Offline message")

    box = reader.locator("form.email-reply")
    expect(box.locator(".email-to")).to_have_text("To: taro@example.jp")
    send = box.locator("button[type=submit]")

    # The first answer is lost on its way back: the gateway has stored and mailed it.
    bodies: list[dict[str, Any]] = []

    def lose_first_answer(route: Route) -> None:
        bodies.append(route.request.post_data_json)
        if len(bodies) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/conversations/*/reply", lose_first_answer)
    box.locator("textarea").fill(REPLY)
    send.click()
    expect(box).to_have_attribute("data-state", "unsure")
    expect(box.locator(".email-status")).to_have_text(
        "The server did not answer, so the e-mail may or may not have gone. "
        "Send again: it will not be sent twice.")
    expect(box.locator("textarea")).to_have_value(REPLY)
    expect(send).to_be_enabled()
    send.click()  # the retry
    expect(box).to_have_attribute("data-state", "sent")
    expect(box.locator(".email-status")).to_have_text(
        "Sent to taro@example.jp. It is in the conversation above.")
    expect(reader.locator(".msg-agent .msg-bubble")).to_have_text([REPLY])
    assert len(bodies) == 2 and bodies[0]["client_id"] == bodies[1]["client_id"], bodies
    wait_mail(aloop, inbox, 2)  # the team's, and one reply
    to, reply_mail = inbox.received[1]
    assert to == ["taro@example.jp"]
    assert REPLY in body_text(reply_mail) and "> " + OFFLINE_TEXT in body_text(reply_mail)

    # Send on an emptied box sends nothing; a double click sends a new reply once.
    send.click()
    expect(box.locator(".email-status")).to_have_text("Write your answer first.")
    box.locator("textarea").fill(PS)
    send.dblclick()
    expect(reader.locator(".msg-agent .msg-bubble")).to_have_text([REPLY, PS])
    assert len(bodies) == 3 and bodies[2]["client_id"] != bodies[0]["client_id"], bodies
    wait_mail(aloop, inbox, 3)
    assert inbox.received[2][0] == ["taro@example.jp"] and PS in body_text(inbox.received[2][1])
    ARTIFACTS.mkdir(exist_ok=True)
    box.locator(".email-status").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "console-email-reply.png"))

    # Read back from the record: both replies are stored in the conversation.
    row.click()
    expect(reader.locator(".msg-agent .msg-bubble")).to_have_text([REPLY, PS])
    expect(reader.locator(".msg-agent").first).to_contain_text("Aoi")

    # A link to nothing this agent may read, and a malformed one, say so.
    page.evaluate("location.hash = 'conversation=c-does-not-exist'")
    expect(reader.locator(".reader-problem")).to_have_text(
        "No conversation c-does-not-exist that you may read: the link may be wrong, "
        "or the chat is another agent's.")
    page.evaluate("location.hash = 'conversation=%3Cb%3Ebold%3C%2Fb%3E'")
    expect(reader.locator(".reader-problem")).to_have_text(
        'This link does not name a conversation ("<b>bold</b>"). Ask for the link again.')
    expect(reader.locator("b")).to_have_count(0)
    assert errors == []
    context.close()


def test_a_link_to_a_held_chat_opens_its_tab_and_an_open_chat_offers_no_email(
        browser: Any, mail_desk: Desk, aloop: BackgroundLoop,
        smtp_inbox: tuple[int, Inbox]) -> None:
    _, inbox = smtp_inbox
    aoi = sign_in(browser, mail_desk, mail_desk.aoi, "en-US", **SIZE)
    visitor, chat_id = aloop.run(ask_for_person(mail_desk.url, "my parcel is late", "en"))
    aloop.run(visitor.call("profile", {"email": "late@example.jp"}))
    mio = None
    try:
        expect(aoi.chat(chat_id)).to_be_visible()
        # With the Inbox covering the chats, the link brings back the chat's tab.
        aoi.page.locator("button.inbox-toggle").click()
        expect(aoi.page.locator("section.inbox")).to_be_visible()
        aoi.page.evaluate(f"location.hash = 'conversation={chat_id}'")
        expect(aoi.page.locator("section.inbox")).to_be_hidden()
        expect(aoi.page.locator(f'.tab[data-conversation="{chat_id}"]')).to_have_attribute(
            "aria-selected", "true")
        expect(aoi.composer(chat_id)).to_be_focused()

        # An admin follows the same link: the open chat reads back, with no e-mail box.
        mio = sign_in(browser, mail_desk, mail_desk.mio, "ja-JP", **SIZE)
        mio.page.evaluate(f"location.hash = 'conversation={chat_id}'")
        reader = mio.page.locator(".inbox-reader")
        expect(reader.locator(".reader-head")).to_have_attribute("data-conversation", chat_id)
        expect(reader.locator(".reader-head")).to_have_attribute("data-state", "assigned")
        expect(reader.locator(".msg-visitor .msg-bubble").first).to_have_text("my parcel is late")
        expect(reader.locator("form.email-reply")).to_have_count(0)
        # The gateway refuses it too (the reply route's own test covers each code).
        refused = mio.page.evaluate(
            """async (id) => {
                const csrf = (await (await fetch('/api/auth/session')).json()).csrf;
                const r = await fetch(`/api/conversations/${id}/reply`, {method: 'POST',
                  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                  body: JSON.stringify({client_id: 'x-1', text: 'hello'})});
                return [r.status, (await r.json()).error];
            }""", chat_id)
        assert refused == [409, "conflict"]
        # Japanese console: the unknown-link sentence in Japanese.
        mio.page.evaluate("location.hash = 'conversation=nope'")
        expect(reader.locator(".reader-problem")).to_contain_text("会話 nope は見つからないか")
        aloop.run(asyncio.sleep(0.3))
        assert all(to != ["late@example.jp"] for to, _ in inbox.received)
    finally:
        finish(aloop, [visitor], [c for c in (aoi, mio) if c is not None])
