"""Nobody online (issue 13, defect 7): the visitor may go back to the bot instead of
waiting, is told in the chat when their agent's grace ends, and is asked for a rating
only for a chat a person handled. A real gateway and python-socketio clients."""

from __future__ import annotations

from sqlalchemy import select

from live_chat.store.models import ConversationEvent, Message
from tests.clients import cid
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import agent, event_types, waiting_visitor

GONE_EN = "Hanako is no longer available; we are looking for someone else."
GONE_JA = "Hanakoは対応できなくなりました。別の担当者をお探ししています。"


async def test_back_to_bot_hands_a_waiting_chat_back_to_the_assistant(
    any_db_gateway: Gateway,
) -> None:
    gateway = any_db_gateway
    # No conversation yet: nothing to hand back.
    async with gateway.visitor() as fresh:
        refused = await fresh.call("back_to_bot", {})
        assert refused["ok"] is False and refused["error"] == "not_found"

    visitor = await waiting_visitor(gateway)
    queued = await visitor.next_where("status", lambda s: s["state"] == "queued")
    assert queued["offline"] is True and queued["offline_reason"] == "no_agents"
    conversation_id = queued["id"]

    ack = await visitor.call("back_to_bot", {})
    assert ack["ok"], ack
    assert ack["conversation"]["state"] == "bot"
    assert ack["conversation"]["queue_position"] is None
    await visitor.next_where("status", lambda s: s["state"] == "bot")
    # The same state change an agent's hand-back makes, by the visitor.
    async with gateway.ctx.store.begin() as tx:
        last = await tx.session.scalar(
            select(ConversationEvent).where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.id.desc()).limit(1))
    assert last is not None and (last.type, last.actor) == ("handed_back", "visitor")
    # It left the queue: nobody waits there any more.
    assert await gateway.ctx.routing.backend.queue() == []

    # The bot answers again, in the same conversation.
    sent = await visitor.send("What are your opening hours?", cid())
    assert sent["message"]["conversation_id"] == conversation_id
    reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert reply["conversation_id"] == conversation_id

    # Not waiting any more: a second hand-back is a conflict; an agent coming
    # online is not given the chat.
    again = await visitor.call("back_to_bot", {})
    assert again["ok"] is False and again["error"] == "conflict"
    hanako = await agent(gateway, "Hanako")
    assert hanako.hello["conversations"] == []
    # Bad payloads are refused like every other event's.
    assert (await visitor.call("back_to_bot", "now"))["error"] == "invalid"

    closed = await visitor.call("close", {})
    assert closed["ok"]
    gone = await visitor.call("back_to_bot", {})
    assert gone["ok"] is False and gone["error"] == "not_found"
    await hanako.disconnect()
    await visitor.disconnect()


async def test_when_the_agents_grace_ends_the_visitor_is_told_in_the_chat(
    start_gateway,
) -> None:
    gateway = await start_gateway(agent_grace_s=0.5)
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    await visitor.next_where("status", lambda s: s["state"] == "assigned")

    await hanako.disconnect()
    line = await visitor.next_where(
        "message", lambda m: m["sender"] == "system" and m["text"] != "Hanako joined the chat.",
        timeout=10)
    assert line["conversation_id"] == conversation_id
    assert line["text"] == GONE_EN
    assert line["author"] is None
    status = await visitor.next_where("status", lambda s: s["state"] == "queued")
    assert status["offline"] is True  # nobody else: the visitor gets the choices again

    # Stored, in seq order, so a reload (sync) shows it too.
    synced = await visitor.call("sync", {"since_seq": 0})
    system = [m for m in synced["messages"] if m["sender"] == "system"]
    assert [m["text"] for m in system] == ["Hanako joined the chat.", GONE_EN]
    assert [m["seq"] for m in synced["messages"]] == list(
        range(1, len(synced["messages"]) + 1))
    assert (await event_types(gateway, conversation_id))[-1] == "requeued"

    # The agent who takes it next sees the line in the history.
    taro = await agent(gateway, "Taro")
    taken = await taro.next("assigned")
    assert taken["conversation"]["id"] == conversation_id
    assert GONE_EN in [m["text"] for m in taken["messages"] if m["sender"] == "system"]
    await taro.disconnect()
    await visitor.disconnect()


async def test_grace_line_in_japanese_also_when_another_agent_takes_over_at_once(
    start_gateway,
) -> None:
    gateway = await start_gateway(agent_grace_s=0.5)
    hanako = await agent(gateway, "Hanako", capacity=1)
    visitor = await gateway.visitor(locale="ja").connect()
    await visitor.send("こんにちは", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro")

    await hanako.disconnect()
    moved = await taro.next("assigned", timeout=10)
    assert moved["conversation"]["id"] == conversation_id
    assert GONE_JA in [m["text"] for m in moved["messages"] if m["sender"] == "system"]
    line = await visitor.next_where(
        "message", lambda m: m["sender"] == "system" and m["text"] == GONE_JA)
    assert line["text"] == GONE_JA
    async with gateway.ctx.store.begin() as tx:
        stored = (await tx.session.scalars(select(Message.text).where(
            Message.conversation_id == conversation_id, Message.sender == "system"))).all()
    assert stored == ["Hanakoが対応します。", GONE_JA, "Taroが対応します。"]  # once each
    await taro.disconnect()
    await visitor.disconnect()


async def test_only_a_chat_a_person_handled_is_rated(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    # The bot alone, closed by the visitor: no rating, before or after a reconnect.
    visitor = await gateway.visitor().connect()
    await visitor.send("thanks, bye", cid())
    closed = await visitor.call("close", {})
    assert closed["ok"] and closed["conversation"]["can_rate"] is False
    refused = await visitor.call("csat", {"score": 5})
    assert refused["ok"] is False and refused["error"] == "not_found"
    token = visitor.session["visitor_token"]
    await visitor.disconnect()
    back = await gateway.visitor(token=token).connect()
    synced = await back.call("sync", {"since_seq": 0})
    assert synced["conversation"]["state"] == "closed"
    assert synced["conversation"]["can_rate"] is False
    assert (await back.call("csat", {"score": 4}))["error"] == "not_found"

    # Waiting with nobody online, then a left message: nobody handled it either.
    assert (await back.call("request_human", {}))["ok"]
    left = await back.call("leave_message", {"client_id": cid(), "text": "call me",
                                             "email": "a@example.com"})
    assert left["ok"] and left["conversation"]["can_rate"] is False
    assert (await back.call("csat", {"score": 4}))["error"] == "not_found"
    await back.disconnect()

    # A person took part: rated, once.
    hanako = await agent(gateway, "Hanako")
    helped = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    await hanako.call("message", {"conversation_id": conversation_id, "client_id": cid(),
                                  "text": "Hello, how can I help?"})
    done = await hanako.call("close", {"conversation_id": conversation_id})
    assert done["conversation"]["can_rate"] is True
    status = await helped.next_where("status", lambda s: s["state"] == "closed")
    assert status["can_rate"] is True
    assert await helped.call("csat", {"score": 5}) == {"ok": True}
    assert (await helped.call("csat", {"score": 1}))["error"] == "conflict"
    await hanako.disconnect()
    await helped.disconnect()
