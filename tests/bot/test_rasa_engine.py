"""The Rasa engine against a loopback server speaking Rasa's /model/parse, and a real Rasa
(the ``rasa_nlu`` fixture: Rasa 3.6 trained on training_data/, tests/rasa_server.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.assistant import Bot
from bot.decision import Action
from bot.engines.rasa import RasaClassifier, prediction_from_rasa
from bot.errors import NLUEngineError
from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE
from tests.rasa_server import RasaServer

from .conftest import TRAINING_DIR, free_port_for_tests

RASA_ANSWERS = {
    "where is my order": ("order_status", 0.93),
    "hmm": ("greet", 0.21),
    "nonsense": ("nlu_fallback", 0.3),
}


def rasa_body(text: str) -> dict:
    name, confidence = RASA_ANSWERS.get(text, ("coupon", 0.8))
    ranking = [{"name": name, "confidence": confidence}]
    if name == "nlu_fallback":
        ranking.append({"name": "refund_status", "confidence": 0.25})
    ranking.append({"name": "thanks", "confidence": 0.01})
    return {
        "text": text,
        "intent": {"name": name, "confidence": confidence},
        "intent_ranking": ranking,
        "entities": [],
    }


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[str]:
    """An aiohttp server on loopback answering like ``rasa run --enable-api``."""

    async def parse(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(rasa_body(body["text"]))

    port = free_port_for_tests()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_sync_and_async_parse_map_the_ranking(fake_rasa: str) -> None:
    client = RasaClassifier(fake_rasa, threshold=0.5)
    prediction = client.parse("where is my order")
    assert prediction.intent == "order_status" and prediction.confidence == 0.93
    assert prediction.ranking[0] == ("order_status", 0.93)
    assert asyncio.run(client.parse_async("where is my order")) == prediction
    low = client.parse("hmm")
    assert low.intent == OUT_OF_SCOPE and low.ranking[0][0] == "greet"
    fallback = client.parse("nonsense")
    assert fallback.intent == OUT_OF_SCOPE and fallback.ranking[0] == ("refund_status", 0.25)


def test_bot_with_rasa_answers_with_our_responses(fake_rasa: str) -> None:
    bot = Bot.with_rasa(TRAINING_DIR, url=fake_rasa)
    decision = asyncio.run(bot.respond_async("where is my order", locale="ja"))
    assert decision.action is Action.REPLY and decision.intent == "order_status"
    assert "Order history" in decision.text  # English text wins over the ja locale
    assert bot.respond("hmm").action is Action.FALLBACK


def test_load_or_train_selects_rasa_from_the_environment(
    fake_rasa: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TSUNAGU_NLU", "rasa")
    monkeypatch.setenv("RASA_URL", fake_rasa)
    bot = Bot.load_or_train(tmp_path / "models", TRAINING_DIR)
    assert isinstance(bot.classifier, RasaClassifier)
    assert not (tmp_path / "models").exists()  # nothing trained locally


def test_unreachable_server_is_an_engine_error() -> None:
    client = RasaClassifier(f"http://127.0.0.1:{free_port_for_tests()}", timeout=1.0)
    with pytest.raises(NLUEngineError):
        client.parse("hello")
    with pytest.raises(NLUEngineError):
        asyncio.run(client.parse_async("hello"))
    with pytest.raises(NLUEngineError):
        prediction_from_rasa({"intent": {"name": "x", "confidence": "high"}}, 0.5)


def test_bot_falls_back_when_rasa_is_down() -> None:
    bot = Bot.with_rasa(TRAINING_DIR, url=f"http://127.0.0.1:{free_port_for_tests()}")
    first = bot.respond("where is my order")
    assert first.action is Action.FALLBACK
    # Recorded as unclassified, not as a message the bot did not know.
    assert (first.intent, first.confidence, first.ranking) == (NLU_UNAVAILABLE, None, ())
    second = asyncio.run(bot.respond_async("where is my order", state=first.state))
    assert second.action is Action.ESCALATE


def test_real_rasa_server_classifies_our_intents(rasa_nlu: RasaServer) -> None:
    """Rasa 3.6 trained on training_data/ (the export docs/bot.md describes), behind
    --auth-token: our client reads the same intents and confidences as Rasa's own
    /model/parse, and the bot answers with our responses."""
    client = RasaClassifier(rasa_nlu.url, threshold=0.0, timeout=30.0, token=rasa_nlu.token)
    for text in ("パスワードを忘れました", "where is my order?", "I want to talk to a person"):
        own = rasa_nlu.parse(text)
        ranking = tuple(
            (item["name"], item["confidence"]) for item in own["intent_ranking"]
            if item["name"] != "nlu_fallback"
        )[:5]
        for prediction in (client.parse(text), asyncio.run(client.parse_async(text))):
            assert prediction.ranking == ranking, text
            assert (prediction.intent, prediction.confidence) == ranking[0], text
    assert client.parse("パスワードを忘れました").intent == "password_reset"
    assert client.parse("where is my order?").intent == "order_status"

    bot = Bot.with_rasa(TRAINING_DIR, url=rasa_nlu.url, token=rasa_nlu.token, timeout=30.0,
                        threshold=0.3)
    decision = asyncio.run(bot.respond_async("where is my order?"))
    assert decision.intent == "order_status" and decision.text
    own = rasa_nlu.parse("where is my order?")["intent"]["confidence"]
    assert decision.confidence == pytest.approx(own, abs=1e-4)  # stored with 4 decimals
    asyncio.run(client.check_async())  # what /readyz asks


def test_real_rasa_refuses_a_client_without_the_token(rasa_nlu: RasaServer) -> None:
    with pytest.raises(NLUEngineError, match="401"):
        RasaClassifier(rasa_nlu.url, timeout=30.0).parse("hello")
    with pytest.raises(NLUEngineError, match="401"):
        asyncio.run(RasaClassifier(rasa_nlu.url, timeout=30.0).check_async())
