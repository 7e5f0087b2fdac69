"""The gateway with TSUNAGU_NLU=rasa against a real Rasa 3.6 server (``rasa_nlu``:
trained on training_data/, started with --auth-token): ready, and each visitor
message stored with the intent and confidence Rasa's own /model/parse gives."""

from __future__ import annotations

import aiohttp
import pytest

from live_chat.store.models import Message
from tests.conftest import GatewayFactory
from tests.live_chat.admin.test_inbox import Chat
from tests.rasa_server import RasaServer


async def test_the_gateway_is_ready_and_classifies_with_real_rasa(
    start_gateway: GatewayFactory, rasa_nlu: RasaServer
) -> None:
    gateway = await start_gateway(nlu_engine="rasa", rasa_url=rasa_nlu.url,
                                  rasa_token=rasa_nlu.token, rasa_timeout=30.0)
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        assert answer.status == 200, await answer.text()

    chat = await Chat.open(gateway, "ja")
    question = await chat.say("パスワードを忘れました")
    own = rasa_nlu.parse("パスワードを忘れました")["intent"]
    async with gateway.ctx.store.begin() as tx:
        typed = await tx.session.get(Message, question)
    assert typed is not None and typed.intent == own["name"] == "password_reset"
    assert typed.confidence == pytest.approx(own["confidence"], abs=1e-4)
    assert "パスワード" in chat.reply["text"]  # our response for the intent Rasa chose
    await chat.visitor.disconnect()  # else the gateway waits 5 s for it at teardown
