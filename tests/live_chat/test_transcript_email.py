"""Transcript by e-mail on a real gateway, delivered to a real SMTP server (aiosmtpd)
started by the test on a loopback port: what the message holds (and never holds),
the refusals, and exactly one delivery after the SMTP server was down at first."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from live_chat.store.models import TranscriptRequest
from live_chat.store.retention import forget_visitor
from tests.clients import VisitorClient, cid
from tests.conftest import Gateway, GatewayFactory, free_port
from tests.live_chat.test_agent_protocol import agent, waiting_visitor


@dataclass
class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < count:
            assert asyncio.get_running_loop().time() < deadline, self.received
            await asyncio.sleep(0.05)


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = start_smtp(port)
    yield port, inbox
    controller.stop()


def smtp_settings(port: int) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
            "mail_from": "support@shop.example"}


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


async def closed_agent_chat(gateway: Gateway) -> VisitorClient:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway, "Where is my order 4711?")
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    await hanako.call("message", {"conversation_id": conversation_id, "client_id": "r1",
                                  "text": "It ships tomorrow <b>for sure</b>."})
    note = await hanako.call("note", {"conversation_id": conversation_id,
                                      "text": "SECRET-NOTE customer was rude"})
    assert note["ok"], note
    closed = await hanako.call("close", {"conversation_id": conversation_id,
                                         "resolution": "answered"})
    assert closed["ok"], closed
    await visitor.next_where("status", lambda s: s["state"] == "closed")
    return visitor


async def test_the_transcript_reaches_the_address_without_the_internal_note(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    gateway = await start_gateway(**smtp_settings(port))
    visitor = await closed_agent_chat(gateway)
    assert visitor.session["site"]["transcript_email"] is True

    ack = await visitor.call("email_transcript", {"email": "hanako@example.com"})
    assert ack == {"ok": True, "status": "queued"}, ack
    await inbox.wait_for(1)
    await asyncio.sleep(0.5)  # nothing more comes
    assert len(inbox.received) == 1
    recipients, message = inbox.received[0]
    assert recipients == ["hanako@example.com"]
    assert message["To"] == "hanako@example.com"
    assert message["From"] == "support@shop.example"
    text = body_text(message)
    assert "Where is my order 4711?" in text
    assert "It ships tomorrow <b>for sure</b>." in text
    assert "Hanako" in text
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    markup = html.get_content()
    assert "&lt;b&gt;for sure&lt;/b&gt;" in markup and "<b>for sure" not in markup
    assert "SECRET-NOTE" not in message.as_string()


async def test_a_transcript_asked_for_while_open_is_sent_at_close(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    gateway = await start_gateway(**smtp_settings(port))
    visitor = await gateway.visitor(locale="ja").connect()
    await visitor.send("こんにちは", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    ack = await visitor.call("email_transcript", {"email": "taro@example.jp"})
    assert ack == {"ok": True, "status": "queued"}, ack
    await asyncio.sleep(1.5)
    assert inbox.received == []  # not before the chat ends
    assert (await visitor.call("close", {}))["ok"]
    await inbox.wait_for(1)
    _, message = inbox.received[0]
    assert "こんにちは" in body_text(message)
    assert "会話" in str(message["Subject"])  # the conversation's language


async def test_a_bad_address_and_too_many_requests_are_refused(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    gateway = await start_gateway(**smtp_settings(port))
    visitor = await closed_agent_chat(gateway)
    bad = await visitor.call("email_transcript", {"email": "not an address"})
    assert bad["ok"] is False and bad["error"] == "invalid", bad
    header = await visitor.call("email_transcript", {"email": "a@example.com\r\nBcc: x@y.z"})
    assert header["ok"] is False and header["error"] == "invalid", header
    for n in range(3):
        assert (await visitor.call("email_transcript",
                                   {"email": f"v{n}@example.com"}))["ok"]
    fourth = await visitor.call("email_transcript", {"email": "v4@example.com"})
    assert fourth["ok"] is False and fourth["error"] == "rate_limited", fourth
    await inbox.wait_for(3)
    await asyncio.sleep(0.5)
    assert sorted(r[0][0] for r in inbox.received) == [f"v{n}@example.com" for n in range(3)]


async def test_a_visitor_without_a_conversation_is_told_so(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, _ = smtp
    gateway = await start_gateway(**smtp_settings(port))
    async with gateway.visitor() as visitor:
        ack = await visitor.call("email_transcript", {"email": "a@example.com"})
        assert ack["ok"] is False and ack["error"] == "not_found", ack


async def test_without_smtp_the_option_is_not_offered(gateway: Gateway) -> None:
    visitor = await closed_agent_chat(gateway)
    assert visitor.session["site"]["transcript_email"] is False
    ack = await visitor.call("email_transcript", {"email": "hanako@example.com"})
    assert ack["ok"] is False and ack["error"] == "transcript_unavailable", ack


async def test_a_transcript_is_delivered_once_after_the_smtp_server_was_down(
        start_gateway: GatewayFactory, database_url: str | None) -> None:
    port = free_port()  # nothing listens here yet
    database = {"database_url": database_url} if database_url else {}
    gateway = await start_gateway(**smtp_settings(port), **database)
    visitor = await closed_agent_chat(gateway)
    ack = await visitor.call("email_transcript", {"email": "later@example.com"})
    assert ack["ok"], ack
    await asyncio.sleep(1.5)  # the first attempt fails: connection refused
    async with gateway.ctx.store.begin() as tx:
        request = (await tx.session.scalars(select(TranscriptRequest))).one()
    assert request.attempts >= 1 and request.sent_at is None and request.last_error
    controller, inbox = start_smtp(port)
    try:
        await inbox.wait_for(1, timeout=20)
        await asyncio.sleep(2.5)  # a later retry must not send it again
        assert len(inbox.received) == 1
        assert inbox.received[0][0] == ["later@example.com"]
    finally:
        controller.stop()
    async with gateway.ctx.store.begin() as tx:
        request = (await tx.session.scalars(select(TranscriptRequest))).one()
    assert request.sent_at is not None and request.failed_at is None
    # Forgetting the visitor forgets where their transcript went.
    await forget_visitor(gateway.ctx.store, visitor.session["visitor_id"],
                         gateway.ctx.attachments.blobs)
    async with gateway.ctx.store.begin() as tx:
        assert (await tx.session.scalars(select(TranscriptRequest))).all() == []


async def test_a_request_survives_a_restart_of_the_gateway(
        start_gateway: GatewayFactory, tmp_path: Any, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    data_dir = tmp_path / "kept"
    # First process: no SMTP server where it looks, so nothing is sent before it stops.
    first = await start_gateway(data_dir=data_dir, **smtp_settings(free_port()))
    visitor = await closed_agent_chat(first)
    assert (await visitor.call("email_transcript", {"email": "kept@example.com"}))["ok"]
    await visitor.disconnect()
    await first.runner.cleanup()
    assert inbox.received == []
    # The next process, with the SMTP server reachable, sends what was asked.
    await start_gateway(data_dir=data_dir, **smtp_settings(port))
    await inbox.wait_for(1, timeout=20)
    await asyncio.sleep(0.5)
    assert [r[0] for r in inbox.received] == [["kept@example.com"]]
    assert "It ships tomorrow" in body_text(inbox.received[0][1])
