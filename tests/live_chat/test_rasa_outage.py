"""TSUNAGU_NLU=rasa (and TSUNAGU_BOT=rasa) when Rasa is down, hung or misconfigured (issue 15).

A real gateway on loopback whose RASA_URL points at a port nobody listens on
(an outage, without waiting for a real Rasa to die), or at a loopback server
that accepts connections and never answers (a hung Rasa); and the real
``tsunagu`` command for settings errors. A real Rasa killed and restarted
under a running gateway: tests/rasa/test_rasa_restart.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE
from live_chat.settings import ConfigError, Settings
from live_chat.store.models import ConversationEvent, Message
from tests.clients import cid
from tests.conftest import REPO, TEST_SECRET, Gateway, GatewayFactory, free_port
from tests.live_chat.admin.test_admin_api import api
from tests.live_chat.admin.test_clarify_inbox import login_token
from tests.live_chat.admin.test_inbox import Chat, add_agent, online


async def test_an_outage_is_recorded_as_such_and_readyz_says_so(
    start_gateway: GatewayFactory,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    gateway = await start_gateway(nlu_engine="rasa", rasa_url=dead, rasa_timeout=1.0)
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        assert answer.status == 503
        body = await answer.json()
    assert body == {"ok": False, "unavailable": {"nlu": "not reachable"}}

    await add_agent(gateway, "Admin", role="admin")
    token = await login_token(gateway, "admin@example.com")
    chat = await Chat.open(gateway, "en")
    question = await chat.say("where is my order")
    # The visitor still gets an answer: not understood, with "talk to a person".
    assert "/request_human" in [q["payload"] for q in chat.reply["quick_replies"]]
    async with gateway.ctx.store.begin() as tx:
        typed = await tx.session.get(Message, question)
        reply = await tx.session.get(Message, chat.reply["id"])
    assert typed is not None and reply is not None
    assert (typed.intent, typed.confidence) == (NLU_UNAVAILABLE, None)
    assert typed.intent != OUT_OF_SCOPE and reply.action == "fallback"

    # Not a question the bot did not know: the training inbox leaves it out.
    status, body = await api(gateway, "GET", "/api/admin/unmatched", token)
    assert status == 200, body
    assert question not in await candidates(gateway, token)
    await chat.visitor.disconnect()  # else the gateway waits 5 s for it at teardown


async def candidates(gateway: Gateway, token: str) -> dict[str, str]:
    """The training inbox's candidates: message id -> reason."""
    status, body = await api(gateway, "GET", "/api/admin/unmatched", token)
    assert status == 200, body
    return {e["message_id"]: e["reason"] for g in body["groups"] for e in g["examples"]}


async def escalations(gateway: Gateway, conversation_id: str) -> int:
    async with gateway.ctx.store.begin() as tx:
        return len((await tx.session.execute(select(ConversationEvent.id).where(
            ConversationEvent.conversation_id == conversation_id,
            ConversationEvent.type == "escalated"))).all())


async def test_outage_messages_are_no_inbox_candidates_nor_report_topics(
    start_gateway: GatewayFactory,
) -> None:
    """Escalated and agent-resolved outage conversations, in both Rasa modes: the
    inbox's ``escalated`` and ``agent_resolved`` reasons would otherwise pick the
    messages nobody classified (the reviewer's finding on issue 15)."""
    dead = f"http://127.0.0.1:{free_port()}"
    nlu = await start_gateway(nlu_engine="rasa", rasa_url=dead, rasa_timeout=1.0)
    assistant = await start_gateway(bot_engine="rasa", rasa_url=dead, rasa_timeout=1.0)
    outage: dict[str, list[str]] = {nlu.url: [], assistant.url: []}

    # TSUNAGU_NLU=rasa: a person after the second fallback.
    for gateway in (nlu, assistant):
        await add_agent(gateway, "Admin", role="admin")
    chat = await Chat.open(nlu, "en")
    outage[nlu.url] += [await chat.say("where is my order"),
                        await chat.say("my parcel never arrived")]
    assert await escalations(nlu, chat.conversation_id) == 1
    # The visitor asks for a person; an agent answers and closes it with a resolution.
    hanako = await add_agent(nlu, "Hanako")
    resolved = await Chat.open(nlu, "en")
    outage[nlu.url].append(await resolved.say("can you ship to Canada"))
    assert (await resolved.visitor.call("request_human", {}))["ok"]
    desk = await online(nlu, hanako)
    taken = await desk.next_where(
        "assigned", lambda a: a["conversation"]["id"] == resolved.conversation_id)
    conversation_id = taken["conversation"]["id"]
    assert (await desk.call("message", {"conversation_id": conversation_id,
                                        "client_id": "a1", "text": "Yes, we do."}))["ok"]
    closed = await desk.call("close", {"conversation_id": conversation_id,
                                       "resolution": "shipping_fee"})
    assert closed["ok"], closed
    # TSUNAGU_BOT=rasa: every message of an outage goes to a person.
    escalated = await Chat.open(assistant, "en")
    outage[assistant.url].append(await escalated.say("where is my order"))
    assert await escalations(assistant, escalated.conversation_id) == 1

    for gateway in (nlu, assistant):
        await gateway.ctx.conversations.drain()
        async with gateway.ctx.store.begin() as tx:
            stored = [await tx.session.get(Message, i) for i in outage[gateway.url]]
        assert [(m.intent, m.confidence) for m in stored if m is not None] == [
            (NLU_UNAVAILABLE, None)] * len(outage[gateway.url])
        token = await login_token(gateway, "admin@example.com")
        # No reason at all: not escalated, not agent_resolved, not out of scope.
        found = await candidates(gateway, token)
        assert not set(found) & set(outage[gateway.url]), found
        # Nor a topic of the reports.
        status, report = await api(gateway, "GET", "/api/reports/summary", token)
        assert status == 200, report
        assert report["conversations"] >= 1
        assert NLU_UNAVAILABLE not in [row["intent"] for row in report["by_intent"]], report
    for client in (chat, resolved, escalated):
        await client.visitor.disconnect()
    await desk.disconnect()


@asynccontextmanager
async def hung_rasa() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback server that accepts every connection, reads the request and never
    answers (a Rasa stuck in a long custom action or a GC pause): its URL and the
    first bytes of each request it received."""
    received: list[bytes] = []
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        received.append(await reader.read(200))
        await reader.read()  # until the client gives up and closes

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def readyz(gateway: Gateway) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        return answer.status, await answer.json()


async def test_a_hung_rasa_gives_the_fallback_after_rasa_timeout(
    start_gateway: GatewayFactory,
) -> None:
    timeout = 1.0
    async with hung_rasa() as (url, received):
        nlu = await start_gateway(nlu_engine="rasa", rasa_url=url, rasa_timeout=timeout)
        assistant = await start_gateway(bot_engine="rasa", rasa_url=url, rasa_timeout=timeout)
        # /readyz waits RASA_TIMEOUT for GET /status, then says why it is not ready.
        for status, body in await asyncio.gather(readyz(nlu), readyz(assistant)):
            assert status == 503, body
            # The reason alone: /readyz is public, Rasa's URL is not for everyone.
            assert body["unavailable"]["nlu"] == "no answer within 1 s"

        async def turn(gateway: Gateway, text: str) -> tuple[float, dict, str]:
            """Seconds from the visitor's message to the bot's answer, the answer, the id."""
            async with gateway.visitor() as visitor:
                began = time.monotonic()
                ack = await visitor.send(text, cid())
                assert ack["ok"], ack
                reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
                return time.monotonic() - began, reply, ack["message"]["id"]

        # Both modes at once: the two waits overlap.
        (nlu_wait, nlu_reply, nlu_id), (bot_wait, bot_reply, bot_id) = await asyncio.gather(
            turn(nlu, "where is my order"), turn(assistant, "hello"))
        # Rasa got both requests (the gateway did wait for it) and never answered.
        assert any(r.startswith(b"POST /model/parse") for r in received), received
        assert any(r.startswith(b"POST /webhooks/rest/webhook") for r in received), received

    # Not before RASA_TIMEOUT, and not much after it: the visitor is not left waiting.
    assert timeout <= nlu_wait < timeout + 3, nlu_wait
    assert timeout <= bot_wait < timeout + 3, bot_wait
    # TSUNAGU_NLU=rasa: the fallback, with "talk to a person".
    assert "/request_human" in [q["payload"] for q in nlu_reply["quick_replies"]]
    # TSUNAGU_BOT=rasa: a person is coming.
    assert bot_reply["text"].startswith("Sorry I couldn't help with that.")
    for gateway, message_id, reply, action in ((nlu, nlu_id, nlu_reply, "fallback"),
                                               (assistant, bot_id, bot_reply, "escalate")):
        async with gateway.ctx.store.begin() as tx:
            typed = await tx.session.get(Message, message_id)
            answer = await tx.session.get(Message, reply["id"])
        assert typed is not None and (typed.intent, typed.confidence) == (NLU_UNAVAILABLE, None)
        assert answer is not None and answer.action == action


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``tsunagu serve`` with ``env``; it must stop by itself (a settings error)."""
    full = {key: value for key, value in os.environ.items()
            if not key.startswith(("RASA_", "TSUNAGU_"))}
    full.update(TSUNAGU_DATA_DIR=str(tmp_path), TSUNAGU_SECRET_KEY=TEST_SECRET,
                TSUNAGU_PORT=str(free_port()), **env)
    return subprocess.run([sys.executable, "-m", "live_chat", "serve"], env=full, cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)


def test_bad_nlu_settings_stop_the_start_with_one_line(tmp_path: Path) -> None:
    bot = {"TSUNAGU_BOT": "rasa", "RASA_URL": "http://127.0.0.1:5005"}
    cases = {
        "TSUNAGU_NLU": ({"TSUNAGU_NLU": "rasaa"}, "TSUNAGU_NLU must be builtin or rasa"),
        "no RASA_URL": ({"TSUNAGU_NLU": "rasa"}, "TSUNAGU_NLU=rasa needs RASA_URL"),
        "RASA_URL": ({"TSUNAGU_NLU": "rasa", "RASA_URL": "127.0.0.1:5005"},
                     "RASA_URL must be an http(s) URL"),
        # TSUNAGU_BOT=rasa (a whole assistant) goes through the same settings.
        "TSUNAGU_BOT": ({"TSUNAGU_BOT": "Rasa3"}, "TSUNAGU_BOT must be builtin or rasa"),
        "bot without RASA_URL": ({"TSUNAGU_BOT": "rasa"}, "TSUNAGU_BOT=rasa needs RASA_URL"),
        "bot RASA_TIMEOUT": ({**bot, "RASA_TIMEOUT": "10s"}, "RASA_TIMEOUT must be a number"),
    }
    # Each start imports the whole gateway (~3 s): the cases run side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = {name: pool.submit(serve, tmp_path / name.replace(" ", "_"), **env)
                for name, (env, _) in cases.items()}
    for name, (_, sentence) in cases.items():
        data = tmp_path / name.replace(" ", "_")
        done = runs[name].result()
        assert done.returncode == 2, (name, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and sentence in lines[0], (name, done.stderr)
        assert lines[0].startswith("tsunagu: configuration error:"), name
        # Before anything started: no database was created, let alone migrated.
        assert not (data / "tsunagu.db").exists(), name


def test_every_rasa_setting_is_checked(tmp_path: Path) -> None:
    rasa = {"TSUNAGU_NLU": "rasa", "RASA_URL": "http://127.0.0.1:5005"}
    bot = {"TSUNAGU_BOT": "rasa", "RASA_URL": "http://127.0.0.1:5005"}
    cases = {
        "RASA_URL": ({"RASA_URL": "http://127.0.0.1:99999"}, "RASA_URL has an invalid port"),
        "query": ({"RASA_URL": "http://rasa:5005/?token=x"}, "without a query"),
        "RASA_TIMEOUT": ({"RASA_TIMEOUT": "soon"}, "RASA_TIMEOUT must be a number"),
        "RASA_THRESHOLD": ({"RASA_THRESHOLD": "1.5"}, "RASA_THRESHOLD must be between 0 and 1"),
        # TSUNAGU_BOT=rasa: the same checks.
        "bot RASA_URL": ({**bot, "RASA_URL": "rasa:5005"}, "RASA_URL must be an http(s) URL"),
        "bot query": ({**bot, "RASA_URL": "http://rasa:5005/#x"}, "without a query"),
        "bot RASA_TIMEOUT": ({**bot, "RASA_TIMEOUT": "0"},
                             "RASA_TIMEOUT must be between 0.1 and 60"),
    }
    for name, (env, sentence) in cases.items():
        with pytest.raises(ConfigError, match=re.escape(sentence)):
            Settings.from_env({**rasa, **env}, data_dir=tmp_path, secret_key=TEST_SECRET)
        assert name
    settings = Settings.from_env({**rasa, "RASA_TOKEN": "s3cret", "RASA_TIMEOUT": "5"},
                                 data_dir=tmp_path, secret_key=TEST_SECRET)
    assert (settings.rasa_url, settings.rasa_token, settings.rasa_timeout) == (
        "http://127.0.0.1:5005", "s3cret", 5.0)


def test_rasa_timeout_defaults_to_the_modes_own(tmp_path: Path) -> None:
    def timeout(**env: str) -> float | None:
        return Settings.from_env({"RASA_URL": "http://127.0.0.1:5005", **env},
                                 data_dir=tmp_path, secret_key=TEST_SECRET).rasa_timeout

    # A classification is quick; an assistant's turn runs policies and custom actions.
    assert timeout(TSUNAGU_NLU="rasa") == 2.0
    assert timeout(TSUNAGU_BOT="rasa") == 10.0
    assert timeout(TSUNAGU_BOT="rasa", TSUNAGU_NLU="rasa") == 10.0
    assert timeout(TSUNAGU_BOT="rasa", RASA_TIMEOUT="3.5") == 3.5
