"""A Rasa assistant as the bot (``TSUNAGU_BOT=rasa``), through a real gateway.

The outage path needs no Rasa: the gateway points at a loopback port where
nothing listens.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from live_chat.store.models import Message
from tests.clients import cid
from tests.conftest import Gateway, GatewayFactory, free_port
from tests.live_chat.test_agent_protocol import agent


async def visitor_messages(gateway: Gateway, conversation_id: str) -> list[Message]:
    async with gateway.ctx.store.begin() as tx:
        rows = await tx.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id)
            .order_by(Message.seq))
        return list(rows.all())


async def test_rasa_down_hands_the_visitor_to_a_person_and_marks_the_message(
    start_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens there: the connection is refused at once.
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("RASA_TIMEOUT", "2")
    gateway = await start_gateway(bot_engine="rasa")
    hanako = await agent(gateway, "Hanako")
    async with gateway.visitor() as visitor:
        ack = await visitor.send("hello there", cid())
        assert ack["ok"], ack
        reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert reply["text"].startswith("Sorry I couldn't help with that.")
        assigned = await hanako.next("assigned")
        conversation_id = assigned["conversation"]["id"]
        assert conversation_id == ack["message"]["conversation_id"]
        # The agent sees why: the message was not classified, never "out of scope".
        question = next(m for m in assigned["messages"] if m["sender"] == "visitor")
        assert (question["intent"], question["confidence"]) == ("nlu_unavailable", None)
        bot = next(m for m in assigned["messages"] if m["sender"] == "bot")
        assert bot["action"] == "escalate"
    stored = await visitor_messages(gateway, conversation_id)
    assert [(m.sender, m.intent) for m in stored][:2] == [
        ("visitor", "nlu_unavailable"), ("bot", None)]
    await hanako.disconnect()
