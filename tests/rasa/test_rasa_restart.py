"""A real Rasa killed (SIGKILL) under running gateways, then restarted on its port (issue 15).

One ``rasa run`` (the session's ``rasa_assistant``: the ``rasa init`` mood bot
plus the README's handoff snippet) serves two gateways at once, one per mode:
``TSUNAGU_BOT=rasa`` (the assistant answers) and ``TSUNAGU_NLU=rasa`` (its
``/model/parse`` classifies, our responses answer; the mood bot's ``greet``
is one of our intents too). A Rasa start takes about 30 s on this 2-core
machine, so one kill and one restart serve both modes, and the server is left
running, on the same port, for the Rasa tests after this one.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from bot.nlu import NLU_UNAVAILABLE
from live_chat.store.models import Conversation, Message
from tests.clients import cid
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.admin.test_inbox import Chat
from tests.rasa_server import RasaServer


async def readyz(gateway: Gateway) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        return answer.status, await answer.json()


async def stored(gateway: Gateway, message_id: str) -> Message:
    async with gateway.ctx.store.begin() as tx:
        message = await tx.session.get(Message, message_id)
    assert message is not None
    return message


async def conversation_state(gateway: Gateway, conversation_id: str) -> str:
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.session.get(Conversation, conversation_id)
    assert conversation is not None
    return conversation.state


async def test_rasa_killed_mid_conversation_and_restarted_under_running_gateways(
    start_gateway: GatewayFactory, rasa_assistant: RasaServer
) -> None:
    rasa = rasa_assistant
    server = {"rasa_url": rasa.url, "rasa_token": rasa.token, "rasa_timeout": 10.0}
    assistant = await start_gateway(bot_engine="rasa", **server)
    nlu = await start_gateway(nlu_engine="rasa", **server)
    for status, body in await asyncio.gather(readyz(assistant), readyz(nlu)):
        assert status == 200, body
    figures: dict[str, float] = {}
    bot_visitor = await assistant.visitor(locale="en").connect()
    chat = await Chat.open(nlu, "en")
    try:
        # -- mid-conversation: both gateways talk to Rasa ---------------------------------
        ack = await bot_visitor.send("hello", cid())
        conversation_id = ack["message"]["conversation_id"]
        greeting = await bot_visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert greeting["text"] == "Hey! How are you?"
        hello = await stored(nlu, await chat.say("hello"))
        assert hello.intent == "greet" == rasa.parse("hello")["intent"]["name"]

        # -- SIGKILL: no goodbye from Rasa, the port refuses from now on ------------------
        began = time.monotonic()
        rasa.kill()
        for status, body in await asyncio.gather(readyz(assistant), readyz(nlu)):
            assert status == 503, body
            assert body["unavailable"] == {"nlu": "not reachable"}, body

        # TSUNAGU_BOT=rasa: the visitor is told a person is coming, and the chat is queued.
        ack = await bot_visitor.send("I am sad", cid())
        sad = ack["message"]["id"]
        sorry = await bot_visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert sorry["text"].startswith("Sorry I couldn't help with that."), sorry
        assert ((await stored(assistant, sad)).intent,
                (await stored(assistant, sad)).confidence) == (NLU_UNAVAILABLE, None)
        assert (await stored(assistant, sorry["id"])).action == "escalate"
        assert await conversation_state(assistant, conversation_id) == "queued"

        # TSUNAGU_NLU=rasa: the fallback with "talk to a person"; the bot keeps the chat.
        unclassified = await stored(nlu, await chat.say("I am sad"))
        assert (unclassified.intent, unclassified.confidence) == (NLU_UNAVAILABLE, None)
        assert "/request_human" in [q["payload"] for q in chat.reply["quick_replies"]]
        assert (await stored(nlu, chat.reply["id"])).action == "fallback"
        figures["outage_handled_s"] = time.monotonic() - began

        # -- the same rasa run again, on the same port; the gateways are not touched ------
        await asyncio.to_thread(rasa.restart)  # ~30 s: the event loop keeps the sockets alive
        figures["rasa_restart_s"] = rasa.started_in
        for status, body in await asyncio.gather(readyz(assistant), readyz(nlu)):
            assert status == 200, body

        # TSUNAGU_BOT=rasa: the visitor leaves the queue for the assistant, which answers.
        back = await bot_visitor.call("back_to_bot", {})
        assert back["ok"] and back["conversation"]["state"] == "bot", back
        ack = await bot_visitor.send("hello", cid())
        again = await bot_visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert again["text"] == "Hey! How are you?"
        assert (await stored(assistant, ack["message"]["id"])).intent == "greet"
        tracker = rasa.get(f"/conversations/{conversation_id}/tracker")
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["hello"]

        # TSUNAGU_NLU=rasa: the next message is classified by Rasa again.
        hello_again = await stored(nlu, await chat.say("hello"))
        own = rasa.parse("hello")["intent"]
        assert hello_again.intent == own["name"] == "greet"
        assert hello_again.confidence == pytest.approx(own["confidence"], abs=1e-4)
    finally:
        await bot_visitor.disconnect()
        await chat.visitor.disconnect()
        if rasa.process.poll() is not None:  # failed while it was down: the next tests need it
            await asyncio.to_thread(rasa.restart)
    print(f"\nrasa restart: {figures}")
