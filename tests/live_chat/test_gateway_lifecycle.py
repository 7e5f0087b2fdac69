"""Start-up, readiness, configuration errors and the model swap while serving."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import aiohttp
import pytest

from bot.training import train_model
from live_chat import resources
from live_chat.settings import ConfigError, Settings
from tests.conftest import Gateway


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


async def test_a_newly_activated_model_is_swapped_in(
    start_gateway, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "MODEL_WATCH_S", 0.1)
    own_models = tmp_path / "own-data" / "models"
    shutil.copytree(models_dir, own_models)
    gateway = await start_gateway(data_dir=tmp_path / "own-data")
    before = gateway.ctx.bot.current.version
    # What `tsunagu train` does: train a new version and activate it.
    version = await asyncio.to_thread(
        train_model, gateway.ctx.settings.training_data_dir, own_models
    )
    new_name = version.name
    assert new_name != before
    for _ in range(50):
        if gateway.ctx.bot.current.version == new_name:
            break
        await asyncio.sleep(0.1)
    assert gateway.ctx.bot.current.version == new_name
    async with gateway.visitor() as visitor:
        await visitor.send("hello", "c1")
        assert (await visitor.next_where("message", lambda m: m["sender"] == "bot"))["text"]
