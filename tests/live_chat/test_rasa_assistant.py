"""A Rasa assistant as the bot (``TSUNAGU_BOT=rasa``), through a real gateway.

The outage path needs no Rasa: the gateway points at a loopback port where
nothing listens. The others talk to a real ``rasa run --auth-token`` serving
the ``rasa init`` mood bot plus the README's handoff snippet
(``rasa_assistant``, ``tests/rasa/assistant``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from live_chat.store.models import Message
from tests.clients import VisitorClient, cid
from tests.conftest import Gateway, GatewayFactory, free_port
from tests.live_chat.test_agent_protocol import agent


async def visitor_messages(gateway: Gateway, conversation_id: str) -> list[Message]:
    async with gateway.ctx.store.begin() as tx:
        rows = await tx.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id)
            .order_by(Message.seq))
        return list(rows.all())


async def test_rasa_down_hands_the_visitor_to_a_person_and_marks_the_message(
    start_gateway: GatewayFactory,
) -> None:
    # Nothing listens there: the connection is refused at once.
    gateway = await start_gateway(bot_engine="rasa", rasa_url=f"http://127.0.0.1:{free_port()}",
                                  rasa_timeout=2.0)
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


# -- against a real Rasa server: the rasa init mood bot plus the README's handoff snippet --


async def rasa_gateway(start_gateway: GatewayFactory, rasa: Any, **settings: Any) -> Gateway:
    """A gateway whose bot is the Rasa assistant ``rasa`` (settings overrides beside)."""
    return await start_gateway(bot_engine="rasa", rasa_url=rasa.url, rasa_token=rasa.token,
                               **settings)


async def bot_messages(visitor: VisitorClient, count: int) -> list[dict[str, Any]]:
    return [await visitor.next_where("message", lambda m: m["sender"] == "bot")
            for _ in range(count)]


async def test_the_mood_bot_answers_and_hands_over_to_a_person(
    start_gateway: GatewayFactory, rasa_assistant: Any
) -> None:
    gateway = await rasa_gateway(start_gateway, rasa_assistant)
    hanako = await agent(gateway, "Hanako")
    async with gateway.visitor() as visitor:
        ack = await visitor.send("hello", cid())
        conversation_id = ack["message"]["conversation_id"]
        (greeting,) = await bot_messages(visitor, 1)
        assert greeting["text"] == "Hey! How are you?"
        assert greeting["quick_replies"] == [{"title": "great", "payload": "/mood_great"},
                                             {"title": "sad", "payload": "/mood_unhappy"}]
        # The visitor clicks "sad": the payload goes to Rasa, as Rasa's channels send it.
        await visitor.send("sad", cid(), payload="/mood_unhappy")
        cheer, image, question = await bot_messages(visitor, 3)
        assert cheer["text"] == "Here is something to cheer you up:"
        assert (image["text"], image["image"]) == ("", "http://127.0.0.1:9/cheer-up.jpg")
        assert question["text"] == "Did that help you?"

        # The README's snippet: request_human → utter_handoff with {"handoff": true}.
        await visitor.send("I want to talk to a human", cid())
        (handoff,) = await bot_messages(visitor, 1)
        assert handoff["text"] == "Let me get a person for you." and handoff["custom"] is None
        assigned = await hanako.next("assigned")
        assert assigned["conversation"]["id"] == conversation_id
        said = [(m["sender"], m["text"], m["intent"], m["action"]) for m in assigned["messages"]
                if m["sender"] in ("visitor", "bot")]
        assert said[0][:3] == ("visitor", "hello", "greet")
        assert said[2][:3] == ("visitor", "sad", "mood_unhappy")
        assert said[-2][:3] == ("visitor", "I want to talk to a human", "request_human")
        assert said[-1] == ("bot", "Let me get a person for you.", None, "escalate")
        # The pause is awaited before the escalation is announced.
        assert rasa_assistant.get(f"/conversations/{conversation_id}/tracker")["paused"] is True

        # Held: the message reaches the agent, never Rasa, and the bot says nothing.
        await visitor.send("are you a bot?", cid())
        held = await hanako.next_where("message", lambda m: m["sender"] == "visitor")
        assert held["text"] == "are you a bot?"
        await gateway.ctx.conversations.drain()
        assert [m for m in visitor.pending("message") if m["sender"] == "bot"] == []
        tracker = rasa_assistant.get(f"/conversations/{conversation_id}/tracker")
        assert tracker["paused"] is True
        assert "are you a bot?" not in [e.get("text") for e in tracker["events"]]

        # Handed back: Rasa is listening again, with the same tracker.
        ack = await hanako.call("handback", {"conversation_id": conversation_id})
        assert ack["ok"], ack
        tracker = rasa_assistant.get(f"/conversations/{conversation_id}/tracker")
        assert tracker["paused"] is False
        await visitor.send("are you a bot?", cid())
        answer = await visitor.next_where("message", lambda m: m["sender"] == "bot"
                                          and m["text"] != "")
        assert answer["text"] == "I am a bot, powered by Rasa."
        texts = [e.get("text") for e in rasa_assistant.get(
            f"/conversations/{conversation_id}/tracker")["events"] if e["event"] == "user"]
        assert texts == ["hello", "/mood_unhappy", "I want to talk to a human", "are you a bot?"]
    await hanako.disconnect()


async def test_a_visitor_who_leaves_the_queue_finds_rasa_listening_again(
    start_gateway: GatewayFactory, rasa_assistant: Any
) -> None:
    gateway = await rasa_gateway(start_gateway, rasa_assistant)
    async with gateway.visitor() as visitor:  # no agent online: the chat waits in the queue
        ack = await visitor.send("I want to talk to a human", cid())
        conversation_id = ack["message"]["conversation_id"]
        (handoff,) = await bot_messages(visitor, 1)
        assert handoff["text"] == "Let me get a person for you."
        await gateway.ctx.conversations.drain()
        assert rasa_assistant.get(f"/conversations/{conversation_id}/tracker")["paused"] is True
        back = await visitor.call("back_to_bot", {})
        assert back["ok"] and back["conversation"]["state"] == "bot", back
        assert rasa_assistant.get(f"/conversations/{conversation_id}/tracker")["paused"] is False
        await visitor.send("are you a bot?", cid())
        (answer,) = await bot_messages(visitor, 1)
        assert answer["text"] == "I am a bot, powered by Rasa."


async def test_a_tracker_left_paused_does_not_silence_the_bot(
    start_gateway: GatewayFactory, rasa_assistant: Any
) -> None:
    # A pause that outlived its handoff (it ran after the hand-back's resume, or
    # the resume failed): Rasa logs each message and says nothing.
    gateway = await rasa_gateway(start_gateway, rasa_assistant)
    async with gateway.visitor() as visitor:
        ack = await visitor.send("hello", cid())
        conversation_id = ack["message"]["conversation_id"]
        (greeting,) = await bot_messages(visitor, 1)
        assert greeting["text"] == "Hey! How are you?"
        rasa_assistant.post(f"/conversations/{conversation_id}/tracker/events",
                            {"event": "pause"})
        await visitor.send("I am sad", cid())
        cheer, image, question = await bot_messages(visitor, 3)
        assert cheer["text"] == "Here is something to cheer you up:"
        assert image["image"] == "http://127.0.0.1:9/cheer-up.jpg"
        assert question["text"] == "Did that help you?"
        await gateway.ctx.conversations.drain()
    tracker = rasa_assistant.get(f"/conversations/{conversation_id}/tracker")
    assert tracker["paused"] is False
    stored = await visitor_messages(gateway, conversation_id)
    assert [(m.sender, m.intent) for m in stored if m.sender == "visitor"] == [
        ("visitor", "greet"), ("visitor", "mood_unhappy")]
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.conversation(conversation_id)
    assert conversation is not None and conversation.state == "bot"



async def test_the_assistants_own_fallback_rule_asks_once_then_a_person_takes_over(
    start_gateway: GatewayFactory, rasa_assistant: Any
) -> None:
    # Rasa's documented rule answers nlu_fallback with utter_please_rephrase
    # ("/nlu_fallback" is that intent at confidence 1, as a button would send it).
    gateway = await rasa_gateway(start_gateway, rasa_assistant)
    async with gateway.visitor() as visitor:
        ack = await visitor.send("/nlu_fallback", cid())
        conversation_id = ack["message"]["conversation_id"]
        (rephrase,) = await bot_messages(visitor, 1)
        assert rephrase["text"] == "I'm sorry, I didn't quite understand that. Could you rephrase?"
        # Not understood twice in a row: a person, and no second "please rephrase".
        await visitor.send("/nlu_fallback", cid())
        (handoff,) = await bot_messages(visitor, 1)
        assert handoff["text"] in ("I'm connecting you to a member of our team. "
                                   "Please stay in this chat.",
                                   "担当者におつなぎします。順番にご案内しますので、このままお待ちください。")
        await gateway.ctx.conversations.drain()
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.conversation(conversation_id)
    assert conversation is not None and conversation.state == "queued"
    stored = await visitor_messages(gateway, conversation_id)
    assert [(m.sender, m.intent) for m in stored if m.sender == "visitor"] == [
        ("visitor", "out_of_scope"), ("visitor", "out_of_scope")]
