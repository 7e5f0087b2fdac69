"""E-mail around offline messages, on a real gateway and a real SMTP server (aiosmtpd)
on a loopback port: a visitor's offline message reaches the team's address, and an
agent's reply from the console (``POST /api/conversations/{id}/reply``) reaches the
visitor, each exactly once, with the refusals of the reply route."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from live_chat.store.models import Message, OutgoingMail
from tests.clients import VisitorClient, cid, login
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent, agent
from tests.live_chat.test_inbox import api
from tests.live_chat.test_transcript_email import Inbox, body_text, smtp, smtp_settings

__all__ = ["smtp"]  # the fixture, imported for this module's tests

TEAM = "team@shop.example"


def mail_settings(port: int) -> dict[str, Any]:
    return {**smtp_settings(port), "team_email": TEAM,
            "public_url": "https://support.shop.example"}


async def offline_message(gateway: Gateway, text: str, **contact: str) -> tuple[VisitorClient,
                                                                               str]:
    """A visitor asks for a person while nobody is online and leaves ``text``."""
    visitor = await gateway.visitor(locale="en").connect()
    await visitor.send("hello", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    left = await visitor.call("leave_message", {"client_id": cid(), "text": text, **contact})
    assert left["ok"], left
    return visitor, left["conversation"]["id"]


async def outgoing(gateway: Gateway, conversation_id: str) -> list[OutgoingMail]:
    async with gateway.ctx.store.begin() as tx:
        return list((await tx.session.scalars(
            select(OutgoingMail).where(OutgoingMail.conversation_id == conversation_id)
            .order_by(OutgoingMail.id))).all())


async def test_the_offline_message_reaches_the_team_and_the_reply_reaches_the_visitor(
        start_gateway: GatewayFactory, database_url: str | None,
        smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    db = {"database_url": database_url} if database_url else {}
    gateway = await start_gateway(**mail_settings(port), **db)
    visitor, conversation_id = await offline_message(
        gateway, "Please call me about order 4711 <b>today</b>", name="Taro Yamada",
        email="taro@example.jp")
    await visitor.disconnect()

    await inbox.wait_for(1)
    recipients, team_mail = inbox.received[0]
    assert recipients == [TEAM]
    assert team_mail["Reply-To"] == "taro@example.jp"
    assert "Taro Yamada" in str(team_mail["Subject"])
    text = body_text(team_mail)
    assert "Please call me about order 4711 <b>today</b>" in text
    assert f"https://support.shop.example/console#conversation={conversation_id}" in text
    assert team_mail.get_body(preferencelist=("html",)) is None  # user text never as HTML

    # Any agent may answer it: offline messages are the team's.
    hanako = await agent(gateway, "Hanako")
    status, read = await api(gateway, "GET", f"/api/conversations/{conversation_id}",
                             hanako.token)
    assert status == 200 and read["reply_to"] == "taro@example.jp", read
    reply = {"client_id": "reply-1", "text": "We will call you this afternoon."}
    path = f"/api/conversations/{conversation_id}/reply"
    status, sent = await api(gateway, "POST", path, hanako.token, reply)
    assert status == 200, sent
    assert sent["message"]["sender"] == "agent" and sent["message"]["author"]["name"] == "Hanako"
    status, again = await api(gateway, "POST", path, hanako.token, reply)  # a retry
    assert status == 200 and again["message"]["id"] == sent["message"]["id"]

    await inbox.wait_for(2)
    await asyncio.sleep(0.5)  # nothing more comes
    assert len(inbox.received) == 2
    recipients, reply_mail = inbox.received[1]
    assert recipients == ["taro@example.jp"]
    assert reply_mail["From"] == "support@shop.example" and reply_mail["Reply-To"] == TEAM
    reply_text = body_text(reply_mail)
    assert "We will call you this afternoon." in reply_text and "Hanako" in reply_text
    assert "> Please call me about order 4711 <b>today</b>" in reply_text

    rows = await outgoing(gateway, conversation_id)
    assert [(r.kind, r.to_address) for r in rows] == [
        ("offline_message", TEAM), ("agent_reply", "taro@example.jp")]
    assert all(r.sent_at is not None for r in rows)
    async with gateway.ctx.store.begin() as tx:
        stored = (await tx.session.scalars(
            select(Message.text).where(Message.conversation_id == conversation_id,
                                       Message.sender == "agent"))).all()
    assert stored == ["We will call you this afternoon."]
    await hanako.disconnect()


async def test_the_reply_route_refuses_what_it_cannot_send(
        start_gateway: GatewayFactory, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    gateway = await start_gateway(**mail_settings(port))
    hanako = await agent(gateway, "Hanako")
    reply = {"client_id": cid(), "text": "Hello"}

    # An open chat is answered in the chat.
    visitor = await gateway.visitor().connect()
    await visitor.send("I need a person", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    held = (await hanako.next("assigned"))["conversation"]["id"]
    status, body = await api(gateway, "POST", f"/api/conversations/{held}/reply",
                             hanako.token, reply)
    assert (status, body["error"]) == (409, "conflict"), body

    # Ended, but the visitor left no address.
    assert (await hanako.call("close", {"conversation_id": held}))["ok"]
    status, read = await api(gateway, "GET", f"/api/conversations/{held}", hanako.token)
    assert read["reply_to"] is None
    status, body = await api(gateway, "POST", f"/api/conversations/{held}/reply",
                             hanako.token, reply)
    assert (status, body["error"]) == (409, "no_email"), body

    # Blank text, and a conversation this agent may not read.
    left, offline = await offline_message(gateway, "call me", email="a@example.com")
    await left.disconnect()
    status, body = await api(gateway, "POST", f"/api/conversations/{offline}/reply",
                             hanako.token, {"client_id": cid(), "text": "   "})
    assert (status, body["error"]) == (400, "invalid"), body
    other = await agent(gateway, "Jiro")
    status, body = await api(gateway, "POST", f"/api/conversations/{held}/reply",
                             other.token, reply)
    assert (status, body["error"]) == (404, "not_found"), body
    status, _ = await api(gateway, "POST", f"/api/conversations/{offline}/reply", None, reply)
    assert status == 401
    await inbox.wait_for(1)  # the offline message to the team, and no reply
    await asyncio.sleep(0.3)
    assert [to for to, _ in inbox.received] == [[TEAM]]
    for client in (hanako, other, visitor):
        await client.disconnect()


async def test_without_smtp_nothing_is_queued_and_the_reply_is_unavailable(
        start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(team_email=TEAM)
    visitor, conversation_id = await offline_message(gateway, "call me", email="a@example.com")
    await visitor.disconnect()
    assert await outgoing(gateway, conversation_id) == []
    token = (await login(gateway.url, await add_agent(gateway, "Boss", role="supervisor"),
                         PASSWORD))[1]["token"]
    status, read = await api(gateway, "GET", f"/api/conversations/{conversation_id}", token)
    assert status == 200 and read["reply_to"] is None
    status, body = await api(gateway, "POST", f"/api/conversations/{conversation_id}/reply",
                             token, {"client_id": cid(), "text": "Hello"})
    assert (status, body["error"]) == (503, "mail_unavailable"), body
