"""Transcript by e-mail in a real Chromium (390 x 844) against a real gateway process
with SMTP settings pointing at a real SMTP server (aiosmtpd) started by the test:
when the agent ends the chat the form appears beside the rating card, a bad
address is refused with the reason, and the e-mail arrives with the chat."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.clients import AgentClient
from tests.conftest import free_port, spawn_gateway, stop_gateway
from tests.widget.conftest import BackgroundLoop
from tests.widget.test_widget_browser import _add_agent, shop_widget

pytestmark = pytest.mark.timeout(150)


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_the_transcript_form_shows_at_close_and_the_email_arrives(
        browser: Any, widget_bundle: Path, models_dir: Path, aloop: BackgroundLoop,
        tmp_path_factory: pytest.TempPathFactory, mail: tuple[int, Inbox]) -> None:
    port, inbox = mail
    gateway = spawn_gateway(
        tmp_path_factory.mktemp("transcript"), models_dir, TSUNAGU_SMTP_HOST="127.0.0.1",
        TSUNAGU_SMTP_PORT=str(port), TSUNAGU_SMTP_STARTTLS="false",
        TSUNAGU_MAIL_FROM="support@shop.example")
    agent: Any = None
    w = None
    try:
        _add_agent(gateway, "sato@example.com", "Sato", "correct-horse-42", capacity=2)
        agent = aloop.run(
            AgentClient.signed_in(gateway.url, "sato@example.com", "correct-horse-42"))
        w = shop_widget(browser, gateway.url, "en")
        w.open()
        form = w.page.locator("tsunagu-chat form.transcript")
        w.send("Hello, where is order 4711?")
        expect(w.stored("bot").first).to_be_visible()
        expect(form).to_be_hidden()  # not while the chat is open
        w.page.locator("tsunagu-chat .ask-human").click()
        assigned = aloop.run(agent.next("assigned"))
        chat = assigned["conversation"]["id"]
        ack = aloop.run(agent.call("message", {"conversation_id": chat,
                                               "client_id": str(uuid.uuid4()),
                                               "text": "It ships tomorrow."}))
        assert ack["ok"], ack
        expect(w.stored("agent")).to_have_count(1)
        ack = aloop.run(agent.call("close", {"conversation_id": chat}))
        assert ack["ok"], ack

        expect(w.page.locator("tsunagu-chat .csat")).to_be_visible()
        expect(form).to_be_visible()
        expect(form).to_contain_text("Email me this transcript")
        field = form.locator("input[type=email]")
        field.fill("not-an-address")
        form.locator("button[type=submit]").click()
        expect(form.locator(".done")).to_have_text(
            "Please enter an email address like name@example.com.")
        field.fill("visitor@example.com")
        form.locator("button[type=submit]").click()
        expect(form.locator(".done")).to_have_text("The transcript is on its way to your inbox.")
        box = w.page.locator("tsunagu-chat .panel").bounding_box()
        shown = form.bounding_box()
        assert box and shown and shown["y"] + shown["height"] <= box["y"] + box["height"] + 1

        deadline = time.monotonic() + 20
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(inbox.received) == 1, gateway.log()
        recipients, message = inbox.received[0]
        assert recipients == ["visitor@example.com"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Hello, where is order 4711?" in text and "It ships tomorrow." in text
    finally:
        if w is not None:
            w.context.close()
        if agent is not None:
            aloop.run(agent.disconnect())
        stop_gateway(gateway)


def test_the_form_is_prefilled_with_the_prechat_email_and_speaks_japanese(
        browser: Any, widget_bundle: Path, models_dir: Path,
        tmp_path_factory: pytest.TempPathFactory, mail: tuple[int, Inbox]) -> None:
    port, inbox = mail
    before = len(inbox.received)
    gateway = spawn_gateway(
        tmp_path_factory.mktemp("transcript-ja"), models_dir, TSUNAGU_SMTP_HOST="127.0.0.1",
        TSUNAGU_SMTP_PORT=str(port), TSUNAGU_SMTP_STARTTLS="false",
        TSUNAGU_MAIL_FROM="support@shop.example", TSUNAGU_PRECHAT="email")
    w = None
    try:
        w = shop_widget(browser, gateway.url, "ja")
        w.open()
        prechat = w.page.locator("tsunagu-chat form.prechat")
        prechat.locator("input[name=email]").fill("hanako@example.jp")
        prechat.locator("button[type=submit]").click()
        expect(prechat).to_be_hidden()
        w.send("こんにちは")
        expect(w.stored("bot").first).to_be_visible()
        w.page.locator("tsunagu-chat .end-chat").click()
        form = w.page.locator("tsunagu-chat form.transcript")
        expect(form).to_be_visible()
        expect(form).to_contain_text("この会話の記録をメールで受け取る")
        expect(form.locator("input[type=email]")).to_have_value("hanako@example.jp")
        form.locator("button[type=submit]").click()
        expect(form.locator(".done")).to_have_text("会話の記録をメールでお送りします。")
        deadline = time.monotonic() + 20
        while len(inbox.received) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(inbox.received) == before + 1, gateway.log()
        recipients, message = inbox.received[-1]
        assert recipients == ["hanako@example.jp"]
        assert "会話" in str(message["Subject"])
        assert "こんにちは" in message.get_body(preferencelist=("plain",)).get_content()
    finally:
        if w is not None:
            w.context.close()
        stop_gateway(gateway)
