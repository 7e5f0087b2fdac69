"""Transfers, agents joining and hand-backs are lines in both transcripts (issue 13, defect 9).

Before, a visitor saw at most a banner change; now each move stores one
``sender: "system"`` message, in the conversation's language, that the
visitor and the agent see live and after a sync. The lines are not agent or
visitor messages for the reports, nor material for training the bot.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

import aiohttp
from sqlalchemy import func, select

from live_chat.store.models import ConversationEvent, Message, ReportFact
from live_chat.store.report_facts import refresh_facts
from tests.clients import VisitorClient, cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import agent, waiting_visitor


def system(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m["sender"] == "system"]


async def stored_lines(gateway: Gateway, conversation_id: str) -> list[str]:
    async with gateway.ctx.store.begin() as tx:
        rows = await tx.session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation_id, Message.sender == "system")
            .order_by(Message.seq))
        return list(rows.all())


async def next_line(visitor: VisitorClient, text: str) -> dict[str, Any]:
    return await visitor.next_where(
        "message", lambda m: m["sender"] == "system" and m["text"] == text)


async def test_an_agent_joining_is_a_line_for_both(gateway: Gateway) -> None:
    visitor = await waiting_visitor(gateway)
    hanako = await agent(gateway, "Hanako")
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    assert system(assigned["messages"]) == ["Hanako joined the chat."]
    line = await next_line(visitor, "Hanako joined the chat.")
    assert line["author"] is None and line["client_id"] is None
    assert line["seq"] == assigned["messages"][-1]["seq"]
    # The agent has it in the assignment, not a second time as a live message.
    reply = await hanako.call("message", {"conversation_id": conversation_id,
                                          "client_id": cid(), "text": "Hello!"})
    live = await hanako.next("message", timeout=1) if not hanako.events["message"].empty() \
        else None
    assert live is None or live["sender"] != "system"
    assert reply["message"]["seq"] == line["seq"] + 1
    synced = await visitor.call("sync", {"since_seq": 0})
    assert system(synced["messages"]) == ["Hanako joined the chat."]
    agent_sync = await hanako.call("sync", {"conversation_id": conversation_id, "since_seq": 0})
    assert system(agent_sync["messages"]) == ["Hanako joined the chat."]
    assert await stored_lines(gateway, conversation_id) == ["Hanako joined the chat."]
    await visitor.disconnect()
    await hanako.disconnect()


async def test_a_transfer_is_announced_to_the_visitor_and_the_new_agent(
    gateway: Gateway,
) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro")
    ack = await hanako.call("transfer", {"conversation_id": conversation_id,
                                         "to_agent_id": taro.hello["agent"]["id"]})
    assert ack["ok"], ack
    assigned = await taro.next("assigned")
    lines = ["Hanako joined the chat.", "You are being transferred to Taro.",
             "Taro joined the chat."]
    assert system(assigned["messages"]) == lines
    await next_line(visitor, "You are being transferred to Taro.")
    await next_line(visitor, "Taro joined the chat.")
    synced = await visitor.call("sync", {"since_seq": 0})
    assert system(synced["messages"]) == lines
    assert await stored_lines(gateway, conversation_id) == lines
    await visitor.disconnect()
    await hanako.disconnect()
    await taro.disconnect()


async def test_a_transfer_with_nobody_free_says_so_then_who_joins(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    ack = await hanako.call("transfer", {"conversation_id": conversation_id,
                                         "to_team": "billing"})
    assert ack["ok"], ack
    await next_line(visitor, "You are being transferred to another person.")
    billing = await agent(gateway, "Jiro", teams=("billing",))
    assigned = await billing.next("assigned")
    assert system(assigned["messages"])[-2:] == [
        "You are being transferred to another person.", "Jiro joined the chat."]
    await next_line(visitor, "Jiro joined the chat.")
    await visitor.disconnect()
    await hanako.disconnect()
    await billing.disconnect()


async def test_a_handback_is_a_line_for_both_and_after_a_sync(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    ack = await hanako.call("handback", {"conversation_id": conversation_id})
    assert ack["ok"], ack
    await hanako.next_where("message", lambda m: m["sender"] == "system"
                            and m["text"] == "You are back with the assistant.")
    await next_line(visitor, "You are back with the assistant.")
    synced = await visitor.call("sync", {"since_seq": 0})
    assert system(synced["messages"]) == ["Hanako joined the chat.",
                                          "You are back with the assistant."]
    # The bot answers again, after the line.
    await visitor.send("what are your opening hours?", cid())
    bot = await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert bot["seq"] > synced["messages"][-1]["seq"]
    await visitor.disconnect()
    await hanako.disconnect()


async def test_lines_are_in_the_conversations_language(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await gateway.visitor(locale="ja").connect()
    await visitor.send("担当者と話したいです", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro")
    await hanako.call("transfer", {"conversation_id": conversation_id,
                                   "to_agent_id": taro.hello["agent"]["id"]})
    await taro.next("assigned")
    await taro.call("handback", {"conversation_id": conversation_id})
    await next_line(visitor, "自動応答に戻りました。")
    assert await stored_lines(gateway, conversation_id) == [
        "Hanakoが対応します。", "Taroにおつなぎします。", "Taroが対応します。",
        "自動応答に戻りました。"]
    await visitor.disconnect()
    await hanako.disconnect()
    await taro.disconnect()


async def test_lines_are_neither_replies_nor_training_material(gateway: Gateway) -> None:
    visitor = await waiting_visitor(gateway)
    await asyncio.sleep(0.2)  # the line comes well after the last message anyone wrote
    hanako = await agent(gateway, "Hanako")
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    line = await next_line(visitor, "Hanako joined the chat.")
    async with gateway.ctx.store.begin() as tx:
        last_before = await tx.session.scalar(
            select(func.max(Message.created_at))
            .where(Message.conversation_id == conversation_id, Message.sender != "system"))
        replies = await tx.session.scalar(
            select(func.count()).select_from(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id,
                   ConversationEvent.type == "first_agent_reply"))
    assert replies == 0  # the line is no agent's first reply (human FRT)
    await refresh_facts(gateway.ctx.store)
    async with gateway.ctx.store.begin() as tx:
        facts = await tx.session.get(ReportFact, conversation_id)
    assert facts is not None
    # The conversation's last activity (for the reopen rule) is no system line's.
    expected = last_before.replace(tzinfo=UTC).timestamp() * 1_000_000
    assert abs(facts.last_message_us - expected) < 1000
    # Nobody may flag a system line for the bot's training.
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/messages/{line['id']}/flag", json={},
        headers={"Authorization": f"Bearer {hanako.token}"},
    ) as response:
        assert response.status == 404
    await visitor.disconnect()
    await hanako.disconnect()
