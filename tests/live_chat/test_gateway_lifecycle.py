"""Start-up, readiness, configuration errors and the model swap while serving."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import pytest

from live_chat import background, resources
from live_chat.settings import ConfigError, Settings
from tests.conftest import REPO, Gateway
from tests.live_chat.test_rasa_outage import serve


async def test_health_and_readiness(gateway: Gateway) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gateway.url}/healthz") as response:
            assert response.status == 200
        async with http.get(f"{gateway.url}/readyz") as response:
            assert response.status == 200 and (await response.json())["ok"] is True


async def test_readyz_is_503_when_redis_is_down(start_gateway, redis_url: str) -> None:
    gateway = await start_gateway(redis_url="redis://127.0.0.1:1/0",
                                  redis_channel="tsunagu-test-down")
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as response:
        assert response.status == 503
        body = await response.json()
    assert body["ok"] is False and "redis" in body["unavailable"]


async def test_a_first_start_on_an_empty_models_folder_trains_and_activates_a_model(
    start_gateway, tmp_path: Path
) -> None:
    from bot.model_store import ModelStore
    from live_chat.admin.registry import ModelRegistry

    models = tmp_path / "fresh" / "models"
    models.mkdir(parents=True)  # its own folder: not the run's shared, already trained one
    gateway = await start_gateway(data_dir=tmp_path / "fresh")
    trained = ModelStore(models).versions()
    assert len(trained) == 1
    registry = ModelRegistry(gateway.ctx.store, models)
    assert await registry.active_name() == trained[0].name == gateway.ctx.bot.current.version


async def test_a_start_on_a_folder_with_an_active_model_of_the_seed_adopts_it(
    start_gateway, models_dir: Path
) -> None:
    from bot.model_store import ModelStore

    before = [version.name for version in ModelStore(models_dir).versions()]
    gateway = await start_gateway()  # on the run's shared folder (tests/conftest.py)
    assert gateway.ctx.bot.current.version == ModelStore(models_dir).active_name()
    assert [version.name for version in ModelStore(models_dir).versions()] == before


def test_bad_settings_name_the_variable(tmp_path: Path) -> None:
    cases = {
        "TSUNAGU_PORT": "eighty",
        "TSUNAGU_MAX_TEXT": "0",
        "DATABASE_URL": "mysql://x",
        "REDIS_URL": "http://x",
        "TSUNAGU_ALLOWED_ORIGINS": "shop.example",
        "TSUNAGU_BUSINESS_HOURS": "sometimes",
    }
    for name, value in cases.items():
        env = {"TSUNAGU_DATA_DIR": str(tmp_path), name: value}
        with pytest.raises(ConfigError, match=name.split("_URL")[0]):
            Settings.from_env(env)


def test_a_bad_answer_threshold_stops_the_start_with_one_line(tmp_path: Path) -> None:
    """TSUNAGU_ANSWER_THRESHOLD is checked with the other settings: one line, exit 2,
    no database (it was read when the bot was built, after the migrations)."""
    rasa = {"TSUNAGU_NLU": "rasa", "RASA_URL": "http://127.0.0.1:5005"}
    cases = {
        "word": ({"TSUNAGU_ANSWER_THRESHOLD": "high"},
                 "TSUNAGU_ANSWER_THRESHOLD must be a number (got 'high')"),
        "above 1": ({"TSUNAGU_ANSWER_THRESHOLD": "1.5"},
                    "TSUNAGU_ANSWER_THRESHOLD must be between 0 and 1 (got 1.5)"),
        "rasa below 0": ({**rasa, "TSUNAGU_ANSWER_THRESHOLD": "-0.1"},
                         "TSUNAGU_ANSWER_THRESHOLD must be between 0 and 1 (got -0.1)"),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = {name: pool.submit(serve, tmp_path / name.replace(" ", "_"), **env)
                for name, (env, _) in cases.items()}
    for name, (_, sentence) in cases.items():
        done = runs[name].result()
        assert done.returncode == 2, (name, done.stderr)
        assert done.stderr.strip() == f"tsunagu: configuration error: {sentence}", name
        assert not (tmp_path / name.replace(" ", "_") / "tsunagu.db").exists(), name
    # Unset or empty: the model's own (None here), as before.
    for env in ({}, {"TSUNAGU_ANSWER_THRESHOLD": ""}, {"TSUNAGU_ANSWER_THRESHOLD": " 0.8 "}):
        settings = Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path), **env})
        assert settings.answer_threshold == (0.8 if env.get("TSUNAGU_ANSWER_THRESHOLD", "").strip()
                                             else None)


async def test_tsunagu_train_activates_a_model_that_the_gateway_swaps_in(
    start_gateway, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "MODEL_WATCH_S", 0.1)
    own_models = tmp_path / "own-data" / "models"
    shutil.copytree(models_dir, own_models)
    # TSUNAGU_ANSWER_THRESHOLD comes from the settings, for the swapped-in model too.
    gateway = await start_gateway(data_dir=tmp_path / "own-data", answer_threshold=0.93)
    before = gateway.ctx.bot.current.version
    assert gateway.ctx.bot.current.policy.config.answer_threshold == 0.93
    # What an operator does: `tsunagu train` against the same database.
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(tmp_path / "own-data"),
           "DATABASE_URL": gateway.ctx.settings.database_url,
           "TSUNAGU_SECRET_KEY": gateway.ctx.settings.secret_key}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "live_chat", "train"], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    new_name = done.stdout.split()[1]
    assert new_name != before and "active" in done.stdout
    for _ in range(50):
        if gateway.ctx.bot.current.version == new_name:
            break
        await asyncio.sleep(0.1)
    assert gateway.ctx.bot.current.version == new_name
    assert gateway.ctx.bot.current.policy.config.answer_threshold == 0.93
    async with gateway.visitor() as visitor:
        await visitor.send("hello", "c1")
        assert (await visitor.next_where("message", lambda m: m["sender"] == "bot"))["text"]


async def test_a_burst_beyond_the_redis_pool_waits_instead_of_failing(
    start_gateway, redis_url: str
) -> None:
    """150 visitors leave at once, on a pool of 20 Redis connections: every tab count
    reaches zero and every leave time is kept (before, redis-py's pool raised
    MaxConnectionsError past 100 and the decrements were lost)."""
    prefix = f"tsunagu-test-{os.urandom(4).hex()}:"
    gateway = await start_gateway(redis_url=redis_url, redis_channel=prefix + "channel",
                                  handoff_prefix=prefix, redis_max_connections=20)
    visitors = [gateway.visitor() for _ in range(150)]
    await asyncio.gather(*(v.connect() for v in visitors))
    ids = [v.session["visitor_id"] for v in visitors]
    presence = gateway.ctx.presence
    assert [await presence.open_tabs(i) for i in ids] == [1] * 150
    await asyncio.gather(*(v.sio.disconnect() for v in visitors))
    for _ in range(100):
        if all([await presence.left_at(i) is not None for i in ids]):
            break
        await asyncio.sleep(0.05)
    assert [await presence.open_tabs(i) for i in ids] == [0] * 150
    assert all([await presence.left_at(i) is not None for i in ids])


async def test_a_database_outage_answers_unavailable_without_a_traceback_flood(
    start_gateway, pg_url: str, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, every `unavailable` logged a full traceback (252 for one 6 s outage),
    and so did each background loop's tick (the model watch: one a second)."""
    import asyncpg

    from tests.conftest import PG_ADMIN_DSN

    monkeypatch.setattr(resources, "MODEL_WATCH_S", 0.05)  # ticks within the outage
    gateway = await start_gateway(database_url=pg_url, rate_limit_messages=1000)
    name = pg_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    async with gateway.visitor() as visitor:
        assert (await visitor.send("hello", "m0"))["ok"]
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = $1", name)
            caplog.clear()
            acks = [await visitor.send(f"during {i}", f"d{i}") for i in range(20)]
            deadline = asyncio.get_running_loop().time() + 10
            while not any(r.name == background.log.name for r in caplog.records):
                assert asyncio.get_running_loop().time() < deadline, "no loop met the outage"
                await asyncio.sleep(0.05)
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()
        assert {a["error"] for a in acks} == {"unavailable"}
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert not any(r.exc_info for r in records), [r.getMessage() for r in records]
        assert 1 <= len([r for r in records if "unavailable" in r.getMessage()]) <= 2
        # Back: the same messages, sent again, are stored once each.
        again = [await visitor.send(f"during {i}", f"d{i}") for i in range(20)]
        assert all(a["ok"] for a in again)


async def test_a_graceful_stop_closes_every_socket_at_once(start_gateway) -> None:
    """Open websockets would hold the stop for the runner's whole shutdown timeout.
    (engineio's own disconnect-all also waits for each client to read its close
    packet, which once hung a stop right after clients left:
    test_after_a_restart_agents_who_come_back_keep_their_chats caught it.)"""
    from tests.live_chat.test_agent_protocol import agent, waiting_visitor

    gateway = await start_gateway()
    hanako = await agent(gateway, "Hanako", capacity=1)
    jiro = await agent(gateway, "Jiro", capacity=1)
    for who in (hanako, jiro):
        visitor = await waiting_visitor(gateway)
        await who.next("assigned")
        await visitor.disconnect()
    await jiro.disconnect()
    still_open = await gateway.visitor().connect()
    await asyncio.wait_for(gateway.runner.cleanup(), timeout=10)
    for client in (hanako, still_open):
        for _ in range(50):
            if not client.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not client.sio.connected
