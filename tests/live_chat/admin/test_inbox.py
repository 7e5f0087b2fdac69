# ruff: noqa: RUF001 - Japanese text uses full-width punctuation on purpose
"""The unmatched inbox (live_chat/admin/inbox.py) over real conversations.

Visitors and agents talk to a real gateway on loopback (SQLite and this
machine's PostgreSQL) through python-socketio clients; the default model
answers them. The service is then read and changed directly, as the HTTP
routes do.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from live_chat.admin import audit
from live_chat.admin.inbox import Inbox
from live_chat.errors import Forbidden, InvalidPayload, NotFound
from live_chat.store.models import Agent, BotExample, BotIntent, Message, MessageFlag, utcnow
from tests.clients import AgentClient, VisitorClient
from tests.conftest import Gateway

PASSWORD = "correct horse battery"


def cid() -> str:
    return uuid.uuid4().hex


async def add_agent(gateway: Gateway, name: str, role: str = "agent") -> Agent:
    return await gateway.ctx.agents.create(email=f"{name.lower()}@example.com", name=name,
                                           password=PASSWORD, role=role)


async def online(gateway: Gateway, agent: Agent) -> AgentClient:
    return await AgentClient.signed_in(gateway.url, agent.email, PASSWORD)


def payloads(reply: dict[str, Any]) -> list[str]:
    return [q["payload"] for q in reply["quick_replies"]]


class Chat:
    """One visitor tab and what the bot last said to it."""

    def __init__(self, visitor: VisitorClient) -> None:
        self.visitor = visitor
        self.reply: dict[str, Any] = {}
        self.conversation_id = ""

    @classmethod
    async def open(cls, gateway: Gateway, locale: str) -> Chat:
        return cls(await gateway.visitor(locale=locale).connect())

    async def say(self, text: str) -> str:
        """Type ``text``, wait for the bot's answer; returns the stored message's id."""
        ack = await self.visitor.send(text, cid())
        assert ack["ok"], ack
        self.conversation_id = ack["message"]["conversation_id"]
        self.reply = await self.visitor.next_where("message", lambda m: m["sender"] == "bot")
        return str(ack["message"]["id"])

    async def click(self, payload: str) -> None:
        """Click the quick reply with ``payload`` under the bot's last message."""
        title = next(q["title"] for q in self.reply["quick_replies"] if q["payload"] == payload)
        ack = await self.visitor.send(title, cid(), payload=payload)
        assert ack["ok"], ack


async def label(gateway: Gateway, message_id: str, intent: str, text: str) -> None:
    """Make an example of a message, as labelling it in the admin pages does."""
    async with gateway.ctx.store.begin() as tx:
        if await tx.session.get(BotIntent, intent) is None:
            tx.session.add(BotIntent(name=intent))
            await tx.session.flush()
        tx.session.add(BotExample(
            intent=intent, locale="ja", text=text, source="inbox", message_id=message_id,
            text_hash=hashlib.sha256(f"inbox test {text}".encode()).hexdigest(),
        ))


def by_text(groups: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every example's text -> (its group, the example)."""
    return {e["text"]: (g, e) for g in groups for e in g["examples"]}


async def test_inbox_groups_reasons_suggestions_ignore_and_labels(
    any_db_gateway: Gateway,
) -> None:
    gateway = any_db_gateway
    hanako = await add_agent(gateway, "Hanako")
    boss = await add_agent(gateway, "Boss", role="supervisor")
    admin = await add_agent(gateway, "Admin", role="admin")

    # Gift wrapping, asked by several visitors in several words. No intent
    # covers it: the bot falls back and offers some topics.
    v1 = await Chat.open(gateway, "ja")
    picked_topic = await v1.say("ギフト包装はできますか")
    topic = next(p for p in payloads(v1.reply) if p.startswith("/intent:"))
    await v1.click(topic)  # the visitor tries the first topic offered

    v2 = await Chat.open(gateway, "ja")
    escalated = await v2.say("ギフト包装をお願いできますか")
    assert (await v2.visitor.call("request_human", {}))["ok"]

    v3 = await Chat.open(gateway, "ja")
    fell_back = await v3.say("ｷﾞﾌﾄ包装できますか？")
    assert "/request_human" in payloads(v3.reply) and "/feedback:no" not in payloads(v3.reply)

    v4 = await Chat.open(gateway, "ja")
    flagged = await v4.say("ギフト包装できますか")

    v9 = await Chat.open(gateway, "en")
    unsure = await v9.say("wrong amount")

    # Answered (the bot took it for a question it knows), and the visitor
    # clicked "no".
    v6 = await Chat.open(gateway, "ja")
    answered_wrong = await v6.say("ギフト包装の料金はいくらですか")
    assert "/feedback:no" in payloads(v6.reply), "the bot answers this"
    await v6.click("/feedback:no")

    # Two visitors had to pick between billing_problem and refund_status.
    clarified, hesitant = [], []
    for _ in range(2):
        chat = await Chat.open(gateway, "en")
        hesitant.append(chat)
        clarified.append(await chat.say("I was charged twice and want a refund"))
        assert "/intent:refund_status" in payloads(chat.reply), "the model hesitates here"
        await chat.click("/intent:refund_status")

    # Answered, and the visitor typed "no".
    v7 = await Chat.open(gateway, "en")
    not_helped = await v7.say("how much does shipping to Canada cost")
    assert "/feedback:no" in payloads(v7.reply)
    typed_no = await v7.say("no")

    # Greeted, fell back, asked for a person; an agent answered and closed it.
    v8 = await Chat.open(gateway, "ja")
    greeting = await v8.say("こんにちは")
    resolved = await v8.say("カナダに発送できますか")
    assert (await v8.visitor.call("request_human", {}))["ok"]
    desk = await online(gateway, hanako)
    taken = await desk.next_where(
        "assigned", lambda a: a["conversation"]["id"] == v8.conversation_id)
    conversation_id = taken["conversation"]["id"]
    assert (await desk.call("message", {"conversation_id": conversation_id, "client_id": "a1",
                                        "text": "はい、カナダにも発送します。"}))["ok"]
    ack = await v8.visitor.send("それと、ギフト包装もできますか", cid())
    told_agent = ack["message"]["id"]
    closed = await desk.call("close", {"conversation_id": conversation_id,
                                       "resolution": "shipping_fee"})
    assert closed["ok"], closed
    await gateway.ctx.conversations.drain()

    inbox = Inbox(gateway.ctx.store, gateway.ctx.bot)
    await inbox.flag(flagged, boss, "gift_wrapping")
    await inbox.flag(told_agent, hanako, "gift_wrapping")

    groups = await inbox.groups()
    found = by_text(groups)
    reasons = {text: example["reason"] for text, (_, example) in found.items()}
    assert reasons == {
        "ギフト包装はできますか": "clarified",
        "ギフト包装をお願いできますか": "escalated",
        "ｷﾞﾌﾄ包装できますか？": "out_of_scope",
        "ギフト包装できますか": "flagged",
        "それと、ギフト包装もできますか": "flagged",
        "ギフト包装の料金はいくらですか": "not_helped",
        "wrong amount": "low_confidence",
        "I was charged twice and want a refund": "clarified",
        "how much does shipping to Canada cost": "not_helped",
        "カナダに発送できますか": "agent_resolved",
    }
    # Greetings, a typed "no", clicks and the agent's words are never candidates.
    assert "こんにちは" not in found and "no" not in found and "いいえ" not in found
    assert all(e["message_id"] not in (greeting, typed_no) for _, e in found.values())

    gift = found["ギフト包装はできますか"][0]
    assert [g["size"] for g in groups] == [5, 2, 1, 1, 1, 1]
    assert groups[0] is gift
    assert {e["message_id"] for e in gift["examples"]} == {
        picked_topic, escalated, fell_back, flagged, told_agent}
    assert gift["suggested_intent"] == "gift_wrapping"
    assert gift["locales"] == {"ja": 5, "en": 0}
    assert gift["first_seen"] <= gift["last_seen"]
    assert len(gift["guesses"]) == 3
    assert all(g["intent"] != "out_of_scope" and 0 < g["confidence"] <= 1
               for g in gift["guesses"])
    assert [g["confidence"] for g in gift["guesses"]] == sorted(
        (g["confidence"] for g in gift["guesses"]), reverse=True)
    example = next(e for e in gift["examples"] if e["message_id"] == picked_topic)
    assert example["intent"] == "out_of_scope" and example["locale"] == "ja"
    assert example["conversation_id"] == v1.conversation_id
    assert set(example) == {"message_id", "text", "locale", "intent", "confidence", "reason",
                            "ts", "conversation_id"}
    assert set(gift) == {"id", "size", "suggested_intent", "locales", "first_seen",
                         "last_seen", "guesses", "examples"}

    refund = found["I was charged twice and want a refund"][0]
    assert refund["size"] == 2 and refund["suggested_intent"] == "refund_status"
    assert {e["message_id"] for e in refund["examples"]} == set(clarified)
    assert refund["locales"] == {"ja": 0, "en": 2}
    assert {g["intent"] for g in refund["guesses"][:2]} == {"billing_problem", "refund_status"}
    # The agent's resolution names the intent; the answer the visitor refused is
    # never suggested back; a doubtful guess is no suggestion.
    assert found["カナダに発送できますか"][0]["suggested_intent"] == "shipping_fee"
    assert found["how much does shipping to Canada cost"][0]["suggested_intent"] is None
    assert found["ギフト包装の料金はいくらですか"][0]["suggested_intent"] is None
    assert found["ギフト包装の料金はいくらですか"][1]["message_id"] == answered_wrong
    assert found["wrong amount"][0]["suggested_intent"] is None
    assert found["wrong amount"][1]["message_id"] == unsure
    # Singletons of the same size: the most recently asked first.
    assert [g["examples"][0]["text"] for g in groups[2:]] == [
        "カナダに発送できますか", "how much does shipping to Canada cost",
        "ギフト包装の料金はいくらですか", "wrong amount"]

    # Same messages, same ids; a language filter keeps that language's messages.
    assert [g["id"] for g in await inbox.groups()] == [g["id"] for g in groups]
    english = await inbox.groups(locale="en")
    assert {e["text"] for g in english for e in g["examples"]} == {
        "I was charged twice and want a refund", "how much does shipping to Canada cost",
        "wrong amount"}

    # Ignoring takes messages out, once, with an audit entry.
    assert await inbox.ignore([*clarified, "not-a-message-id", uuid.uuid4().hex], admin) == 2
    assert await inbox.ignore(clarified, admin) == 0
    after = by_text(await inbox.groups())
    assert "I was charged twice and want a refund" not in after
    async with gateway.ctx.store.begin() as tx:
        entries = await audit.entries(tx.session, action="inbox.ignore")
    assert len(entries) == 1
    assert entries[0]["actor"] == {"id": admin.id, "name": "Admin"}
    assert sorted(entries[0]["after"]["message_ids"]) == sorted(clarified)

    # A message made into an example leaves; the rest of its group stays.
    await label(gateway, resolved, "shipping_fee", "カナダに発送できますか")
    await label(gateway, picked_topic, "gift_wrapping", "ギフト包装はできますか")
    after = by_text(await inbox.groups())
    assert "カナダに発送できますか" not in after and "ギフト包装はできますか" not in after
    gift_now = after["ギフト包装できますか"][0]
    assert gift_now["size"] == 4 and gift_now["id"] != gift["id"]

    # Only the period asked for.
    async with gateway.ctx.store.begin() as tx:
        await tx.session.execute(update(Message).where(Message.id == not_helped)
                                 .values(created_at=utcnow() - timedelta(days=40)))
    assert "how much does shipping to Canada cost" not in by_text(await inbox.groups(days=30))
    assert "how much does shipping to Canada cost" in by_text(await inbox.groups(days=60))

    for client in (v1, v2, v3, v4, v6, v7, v8, v9, *hesitant):
        await client.visitor.disconnect()
    await desk.disconnect()


async def test_flag_needs_the_conversation_or_a_supervisor(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    hanako = await add_agent(gateway, "Hanako")
    taro = await add_agent(gateway, "Taro")
    boss = await add_agent(gateway, "Boss", role="supervisor")

    chat = await Chat.open(gateway, "ja")
    question = await chat.say("ギフト包装はできますか")
    bot_message = chat.reply["id"]
    assert (await chat.visitor.call("request_human", {}))["ok"]
    desk = await online(gateway, hanako)
    conversation_id = (await desk.next("assigned"))["conversation"]["id"]
    clicked = (await chat.visitor.send("ほかの質問", cid(), payload="/intent:shipping_fee"))
    inbox = Inbox(gateway.ctx.store, gateway.ctx.bot)

    # While Hanako holds it, and after she closed it (the record no longer
    # names her on the conversation, its events still do).
    await inbox.flag(question, hanako, None)
    assert (await desk.call("close", {"conversation_id": conversation_id}))["ok"]
    await inbox.flag(question, hanako, "gift_wrapping")  # a second flag is a no-op
    with pytest.raises(Forbidden):
        await inbox.flag(question, taro, "gift_wrapping")
    await inbox.flag(question, boss, "gift_wrapping")
    with pytest.raises(NotFound):
        await inbox.flag(bot_message, boss, None)
    with pytest.raises(NotFound):
        await inbox.flag(uuid.uuid4().hex, boss, None)
    with pytest.raises(NotFound):
        await inbox.flag("../not-an-id", boss, None)
    with pytest.raises(InvalidPayload):
        await inbox.flag(clicked["message"]["id"], hanako, None)
    with pytest.raises(InvalidPayload):
        await inbox.flag(question, boss, "Gift Wrapping!")

    async with gateway.ctx.store.begin() as tx:
        rows = (await tx.session.execute(
            select(MessageFlag.agent_id, MessageFlag.intent).order_by(MessageFlag.id))).all()
        assert await tx.session.scalar(select(func.count()).select_from(MessageFlag)) == 2
    assert [tuple(r) for r in rows] == [(hanako.id, None), (boss.id, "gift_wrapping")]

    groups = await inbox.groups()
    assert len(groups) == 1 and groups[0]["size"] == 1
    assert groups[0]["examples"][0]["reason"] == "flagged"
    assert groups[0]["suggested_intent"] == "gift_wrapping"
    await chat.visitor.disconnect()
    await desk.disconnect()
