"""Rasa answering with HTTP errors, through a real gateway (issue 15, review defects).

A real Rasa cannot be made to fail one route and answer another, so the peer
here is a small aiohttp server on loopback standing in for ``rasa run``: it
answers a fixed status for the routes it is told to fail and Rasa 3.6's JSON
shapes for the others. The token must never reach ``/readyz`` (public) or a
log line: aiohttp's own error text carries the whole request URL, query and
``?token=`` included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from live_chat.store.models import Message
from tests.clients import cid
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import agent

TOKEN = "wrong-token-5d1c0e9a"
Handler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass
class StubRasa:
    """A stand-in Rasa: ``failing`` maps a path prefix to the status it answers."""

    url: str = ""
    failing: dict[str, int] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)


@asynccontextmanager
async def stub_rasa(failing: Mapping[str, int], handler: Handler | None = None,
                    ) -> AsyncIterator[StubRasa]:
    """Serve ``handler`` (by default: Rasa's greeting and a loaded model) on loopback,
    except for the ``failing`` path prefixes."""
    stub = StubRasa(failing=dict(failing))

    async def any_route(request: web.Request) -> web.Response:
        stub.seen.append(f"{request.method} {request.path}")
        if handler is not None:
            return await handler(request)
        for prefix, status in stub.failing.items():
            if request.path.startswith(prefix):
                return web.json_response({"status": "failure", "code": status}, status=status)
        if request.path == "/webhooks/rest/webhook":
            sender = (await request.json())["sender"]
            return web.json_response([{"recipient_id": sender, "text": "Hey! How are you?"}])
        return web.json_response({"model_file": "stub.tar.gz"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", any_route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stub.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield stub
    finally:
        await runner.cleanup()


async def readyz(gateway: Gateway) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        return answer.status, await answer.text()


@pytest.mark.parametrize("status", [401, 502])
async def test_a_refusing_rasa_leaks_neither_token_nor_url(
    start_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    caplog.set_level(logging.INFO)
    async with stub_rasa({"/": status}) as rasa:
        nlu = await start_gateway(nlu_engine="rasa", rasa_url=rasa.url, rasa_token=TOKEN,
                                  rasa_timeout=2.0)
        assistant = await start_gateway(bot_engine="rasa", rasa_url=rasa.url,
                                        rasa_token=TOKEN, rasa_timeout=2.0)
        for gateway in (nlu, assistant):
            code, body = await readyz(gateway)
            assert code == 503, body
            assert f"Rasa answered {status}" in body
            assert TOKEN not in body and "token=" not in body and rasa.url not in body, body
            # Each mode also calls Rasa for a visitor's message, and logs its failure.
            async with gateway.visitor() as visitor:
                assert (await visitor.send("hello", cid()))["ok"]
                await visitor.next_where("message", lambda m: m["sender"] == "bot")
            await gateway.ctx.conversations.drain()
    assert any(path.startswith("POST /webhooks/rest/webhook") for path in rasa.seen)
    assert any(path.startswith("POST /model/parse") for path in rasa.seen)
    logged = "\n".join(
        record.getMessage() + "".join(str(a) for a in record.args or ())
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records)
    assert f"Rasa answered {status}" in logged  # the detail is in the log, server side
    assert TOKEN not in logged and "token=" not in logged


async def test_a_failed_tracker_read_keeps_rasas_answer(start_gateway: GatewayFactory) -> None:
    async with stub_rasa({"/conversations/": 500}) as rasa:
        gateway = await start_gateway(bot_engine="rasa", rasa_url=rasa.url, rasa_timeout=2.0)
        async with gateway.visitor() as visitor:
            ack = await visitor.send("hello", cid())
            reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
            await gateway.ctx.conversations.drain()
    assert any(path.startswith("GET /conversations/") for path in rasa.seen), rasa.seen
    # Rasa answered: the visitor gets that answer, not a handoff.
    assert reply["text"] == "Hey! How are you?"
    async with gateway.ctx.store.begin() as tx:
        typed = await tx.session.get(Message, ack["message"]["id"])
        answer = await tx.session.get(Message, reply["id"])
        conversation = await tx.conversation(ack["message"]["conversation_id"])
    assert answer is not None and answer.action == "answer"
    # Unclassified (the tracker said nothing), never an outage: Rasa did answer.
    assert typed is not None and (typed.intent, typed.confidence) == (None, None)
    assert conversation is not None and conversation.state == "bot"


async def test_a_rasa_that_stays_paused_and_silent_hands_over(
    start_gateway: GatewayFactory,
) -> None:
    resumed: list[object] = []

    async def silent(request: web.Request) -> web.Response:
        if request.path == "/webhooks/rest/webhook":
            return web.json_response([])
        if request.path.endswith("/tracker/events"):
            resumed.append(await request.json())
            return web.json_response({"paused": True, "events": []})
        return web.json_response({"paused": True, "events": [], "model_file": "stub.tar.gz"})

    async with stub_rasa({}, handler=silent) as rasa:
        gateway = await start_gateway(bot_engine="rasa", rasa_url=rasa.url, rasa_timeout=2.0)
        async with gateway.visitor() as visitor:
            ack = await visitor.send("hello", cid())
            reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
            await gateway.ctx.conversations.drain()
    # Resumed and asked once more, then a person rather than silence (whose
    # handoff pauses the tracker, as every handoff does).
    assert resumed == [{"event": "resume"}, {"event": "pause"}]
    assert rasa.seen.count("POST /webhooks/rest/webhook") == 2, rasa.seen
    assert reply["text"]
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.conversation(ack["message"]["conversation_id"])
    assert conversation is not None and conversation.state == "queued"


async def test_a_slow_pause_cannot_land_after_the_hand_back_on_another_process(
    start_gateway: GatewayFactory, pg_url: str, redis_url: str
) -> None:
    """Visitor on one gateway, agent on another (shared PostgreSQL and Redis). The
    stub applies a pause only once a resume has come (or after 2 s): a pause sent
    as a task, with the escalation announced meanwhile, landed after the agent's
    hand-back on the other process and left the tracker paused for good."""
    applied: list[str] = []
    resumed = asyncio.Event()

    async def rasa(request: web.Request) -> web.Response:
        if request.path.endswith("/tracker/events"):
            event = (await request.json())["event"]
            if event == "pause":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(resumed.wait(), 2)
            else:
                resumed.set()
            applied.append(event)
        paused = bool(applied) and applied[-1] == "pause"
        if request.path == "/webhooks/rest/webhook":
            return web.json_response([])
        return web.json_response({"paused": paused, "events": [], "model_file": "stub"})

    prefix = f"tsunagu-test-{uuid.uuid4().hex[:8]}:"
    async with stub_rasa({}, handler=rasa) as stub:
        shared = {"bot_engine": "rasa", "rasa_url": stub.url, "rasa_timeout": 5.0,
                  "database_url": pg_url, "redis_url": redis_url,
                  "redis_channel": prefix + "channel", "handoff_prefix": prefix}
        visitors_side = await start_gateway(**shared)
        agents_side = await start_gateway(**shared)
        hanako = await agent(agents_side, "Hanako")
        async with visitors_side.visitor() as visitor:
            asked = await visitor.call("request_human", {})
            assert asked["ok"], asked
            assigned = await hanako.next("assigned")
            handed = await hanako.call("handback",
                                       {"conversation_id": assigned["conversation"]["id"]})
            assert handed["ok"], handed
            await visitors_side.ctx.conversations.drain()
            await agents_side.ctx.conversations.drain()
        await hanako.disconnect()
    assert applied == ["pause", "resume"]


async def test_a_rasa_turn_is_sent_once_though_the_dialogue_was_reset_meanwhile(
    start_gateway: GatewayFactory,
) -> None:
    """The built-in bot's retry ("the dialogue moved on since the message was stored:
    decide again") must not apply to Rasa: Rasa has logged the message, so a second
    call would have it in the tracker twice. Deterministic: the stub holds the
    message's webhook call until the visitor's escalation and return to the bot
    (which resets the dialogue state) are stored."""
    held = asyncio.Event()
    arrived = asyncio.Event()
    webhook_calls: list[str] = []

    async def rasa(request: web.Request) -> web.Response:
        if request.path == "/webhooks/rest/webhook":
            body = await request.json()
            webhook_calls.append(body["message"])
            if body["message"] == "I am sad":
                arrived.set()
                await held.wait()
            return web.json_response([{"recipient_id": body["sender"], "text": "Hey!"}])
        return web.json_response({"paused": False, "events": [], "model_file": "stub"})

    async def conversation_is(state: str, conversation_id: str) -> None:
        while True:
            async with gateway.ctx.store.begin() as tx:
                conversation = await tx.conversation(conversation_id)
            if conversation is not None and conversation.state == state:
                return
            await asyncio.sleep(0.01)

    async with stub_rasa({}, handler=rasa) as stub:
        gateway = await start_gateway(bot_engine="rasa", rasa_url=stub.url, rasa_timeout=5.0)
        async with gateway.visitor() as visitor:
            ack = await visitor.send("hello", cid())
            conversation_id = ack["message"]["conversation_id"]
            await visitor.next_where("message", lambda m: m["sender"] == "bot")
            await gateway.ctx.conversations.drain()
            # A dialogue state of the built-in bot, from before TSUNAGU_BOT=rasa.
            async with gateway.ctx.store.begin() as tx:
                conversation = await tx.conversation(conversation_id, lock=True)
                assert conversation is not None
                conversation.bot_state = {"language": "en", "fallbacks": 1}
            await visitor.send("I am sad", cid())
            await arrived.wait()
            # While Rasa works on it: to the queue and straight back (the dialogue
            # state is reset). Both wait for the turn before they answer.
            asked = asyncio.ensure_future(visitor.call("request_human", {}))
            await asyncio.wait_for(conversation_is("queued", conversation_id), 10)
            back = asyncio.ensure_future(visitor.call("back_to_bot", {}))
            await asyncio.wait_for(conversation_is("bot", conversation_id), 10)
            held.set()
            assert (await asked)["ok"] and (await back)["ok"]
            await gateway.ctx.conversations.drain()
    assert webhook_calls == ["hello", "I am sad"]
