"""TSUNAGU_NLU=rasa when Rasa is down or misconfigured (issue 15).

A real gateway on loopback whose RASA_URL points at a port nobody listens on
(an outage, without waiting for a real Rasa to die), and the real ``tsunagu``
command for settings errors. Rasa up and answering: tests/rasa/test_rasa_nlu.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.nlu import NLU_UNAVAILABLE, OUT_OF_SCOPE
from live_chat.settings import ConfigError, Settings
from live_chat.store.models import Message
from tests.conftest import REPO, TEST_SECRET, GatewayFactory, free_port
from tests.live_chat.admin.test_admin_api import api
from tests.live_chat.admin.test_clarify_inbox import login_token
from tests.live_chat.admin.test_inbox import Chat, add_agent


async def test_an_outage_is_recorded_as_such_and_readyz_says_so(
    start_gateway: GatewayFactory,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    gateway = await start_gateway(nlu_engine="rasa", rasa_url=dead, rasa_timeout=1.0)
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as answer:
        assert answer.status == 503
        body = await answer.json()
    assert body["ok"] is False and dead in body["unavailable"]["nlu"]

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
    reasons = {e["message_id"]: e["reason"] for g in body["groups"] for e in g["examples"]}
    assert reasons.get(question) != "out_of_scope"


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
        "bot RASA_URL": ({**bot, "RASA_URL": "http://127.0.0.1:5005/?token=x"},
                         "without a query"),
        "bot RASA_TIMEOUT": ({**bot, "RASA_TIMEOUT": "10s"}, "RASA_TIMEOUT must be a number"),
        "bot RASA_TIMEOUT range": ({**bot, "RASA_TIMEOUT": "0"},
                                   "RASA_TIMEOUT must be between 0.1 and 60"),
    }
    for name, (env, sentence) in cases.items():
        data = tmp_path / name.replace(" ", "_")
        done = serve(data, **env)
        assert done.returncode == 2, (name, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and sentence in lines[0], (name, done.stderr)
        assert lines[0].startswith("tsunagu: configuration error:"), name
        # Before anything started: no database was created, let alone migrated.
        assert not (data / "tsunagu.db").exists(), name


def test_every_rasa_setting_is_checked(tmp_path: Path) -> None:
    rasa = {"TSUNAGU_NLU": "rasa", "RASA_URL": "http://127.0.0.1:5005"}
    cases = {
        "RASA_URL": ({"RASA_URL": "http://127.0.0.1:99999"}, "RASA_URL has an invalid port"),
        "query": ({"RASA_URL": "http://rasa:5005/?token=x"}, "without a query"),
        "RASA_TIMEOUT": ({"RASA_TIMEOUT": "soon"}, "RASA_TIMEOUT must be a number"),
        "RASA_THRESHOLD": ({"RASA_THRESHOLD": "1.5"}, "RASA_THRESHOLD must be between 0 and 1"),
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
