"""Site facts: the bot and the demo page say the same figure, and an admin changes it.

A real gateway on loopback; the bot answers through a real visitor socket,
the page and the admin API through HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.site_facts import load_defaults
from live_chat.store.models import Message
from live_chat.store.site_facts import SiteFactRecords
from tests.conftest import REPO, TEST_SECRET, Gateway
from tests.live_chat.admin.test_admin_api import api, bot_answer, token_of

DEFAULTS = load_defaults(REPO / "training_data")


async def demo_page(gateway: Gateway) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/") as response:
        assert response.status == 200
        return await response.text()


async def shipping_answer(gateway: Gateway) -> str:
    answer = await bot_answer(gateway, "送料はいくらですか")
    assert answer["visitor"]["intent"] == "shipping_fee", answer
    return str(answer["reply"]["text"])


async def test_the_bot_and_the_demo_page_say_the_same_shipping_fee(gateway: Gateway) -> None:
    fee, free_over = DEFAULTS["shipping_fee"], DEFAULTS["free_shipping_over"]
    page = await demo_page(gateway)
    assert f"全国一律 {fee}" in page and f"{free_over} 以上" in page
    assert "{{" not in page and "¥600" not in page
    reply = await shipping_answer(gateway)
    assert fee in reply and free_over in reply and "{" not in reply


async def test_an_admin_sets_a_fact_and_both_change_then_the_default_returns(
    gateway: Gateway,
) -> None:
    admin = await token_of(gateway, "Aoi", role="admin")
    status, body = await api(gateway, "GET", "/api/admin/site-facts", admin)
    assert status == 200
    listed = {f["name"]: f for f in body["facts"]}
    assert listed["shipping_fee"] == {"name": "shipping_fee", "value": DEFAULTS["shipping_fee"],
                                      "default": DEFAULTS["shipping_fee"], "source": "default"}

    status, body = await api(gateway, "PUT", "/api/admin/site-facts", admin,
                             {"facts": {"shipping_fee": "¥600", "gift_wrap_fee": "A & B"}})
    assert status == 200, body
    listed = {f["name"]: f for f in body["facts"]}
    assert listed["shipping_fee"]["value"] == "¥600"
    assert listed["shipping_fee"]["source"] == "admin"
    assert listed["gift_wrap_fee"] == {"name": "gift_wrap_fee", "value": "A & B",
                                       "default": None, "source": "admin"}
    assert "¥600" in await shipping_answer(gateway)
    page = await demo_page(gateway)
    assert "全国一律 ¥600" in page and DEFAULTS["shipping_fee"] not in page

    status, body = await api(gateway, "GET", "/api/admin/audit?action=site_facts.update", admin)
    entry = body["entries"][0]
    assert entry["actor"]["name"] == "Aoi"
    assert entry["before"] == {"gift_wrap_fee": None, "shipping_fee": None}
    assert entry["after"] == {"gift_wrap_fee": "A & B", "shipping_fee": "¥600"}

    status, body = await api(gateway, "PUT", "/api/admin/site-facts", admin,
                             {"facts": {"shipping_fee": None}})
    assert status == 200
    assert DEFAULTS["shipping_fee"] in await shipping_answer(gateway)


async def test_facts_are_plain_text_and_only_admins_set_them(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Aoi", role="admin")
    supervisor = await token_of(gateway, "Sora", role="supervisor")
    for facts in ({"shipping_fee": "<b>¥600</b>"}, {"Shipping Fee": "¥600"},
                  {"shipping_fee": ""}, {"shipping_fee": "a\nb"}, {"shipping_fee": 600},
                  {"shipping_fee": "x" * 501}):
        status, body = await api(gateway, "PUT", "/api/admin/site-facts", admin,
                                 {"facts": facts})
        assert status == 400 and body["error"] == "invalid", (facts, body)
    # A refused request changed nothing, not even its valid part.
    status, body = await api(gateway, "PUT", "/api/admin/site-facts", admin,
                             {"facts": {"cod_fee": "¥1", "shipping_fee": "<script>"}})
    assert status == 400
    status, body = await api(gateway, "GET", "/api/admin/site-facts", admin)
    assert {f["name"]: f["value"] for f in body["facts"]}["cod_fee"] == DEFAULTS["cod_fee"]
    for method in ("GET", "PUT"):
        status, body = await api(gateway, method, "/api/admin/site-facts", supervisor,
                                 {"facts": {"shipping_fee": "¥1"}})
        assert status == 403 and body["error"] == "forbidden"
        assert (await api(gateway, method, "/api/admin/site-facts", None, {}))[0] == 401


async def test_a_fact_written_by_another_process_reaches_the_bot(gateway: Gateway) -> None:
    # Another process's admin wrote the row: this one reads it within seconds.
    async with gateway.ctx.store.begin() as tx:
        await SiteFactRecords(tx.session).write({"shipping_fee": "¥777"}, None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while "¥777" not in await shipping_answer(gateway):
        assert loop.time() < deadline, "the other process's fact never reached the bot"
        await asyncio.sleep(0.5)
    assert "全国一律 ¥777" in await demo_page(gateway)


async def test_the_bots_action_is_stored_on_its_message(gateway: Gateway) -> None:
    answer = await bot_answer(gateway, "送料はいくらですか")
    async with gateway.ctx.store.begin() as tx:
        reply = await tx.session.get(Message, answer["reply"]["id"])
        assert reply is not None and reply.sender == "bot"
        assert reply.action == "answer"
    fallback = await bot_answer(gateway, "what's the weather like on mars today")
    async with gateway.ctx.store.begin() as tx:
        reply = await tx.session.get(Message, fallback["reply"]["id"])
        assert reply is not None and reply.action == "fallback"


async def test_tsunagu_respond_fills_in_the_facts_admins_set(tmp_path: Path,
                                                              models_dir: Path) -> None:
    from bot.model_store import ModelStore
    from bot.training import train_model
    from live_chat.store.database import create_engine, migrate
    from live_chat.store.repository import Store

    store_models = ModelStore(models_dir)
    try:
        version = store_models.active()
    except Exception:
        version = await asyncio.to_thread(train_model, REPO / "training_data", models_dir)
    database = f"sqlite+aiosqlite:///{tmp_path / 'record.db'}"
    engine = create_engine(database)
    try:
        await migrate(engine)
        async with Store(engine).begin() as tx:
            await SiteFactRecords(tx.session).write({"shipping_fee": "¥480"}, None)
    finally:
        await engine.dispose()
    env = {**os.environ, "DATABASE_URL": database, "TSUNAGU_DATA_DIR": str(tmp_path),
           "TSUNAGU_SECRET_KEY": TEST_SECRET}
    run = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "live_chat", "respond", "--model",
                         str(version.path)],
        input="送料はいくらですか\n", capture_output=True, text=True, cwd=REPO, env=env,
        timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    line = json.loads(run.stdout)
    assert line["action"] == "answer" and line["intent"] == "shipping_fee"
    assert "¥480" in line["reply"] and DEFAULTS["free_shipping_over"] in line["reply"]

    # It answers as the gateway would: with the deployment's TSUNAGU_ANSWER_THRESHOLD
    # (checked by the gateway's settings: a bad one is one line, exit 2).
    def respond(text: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "live_chat", "respond", "--model", str(version.path)],
            input=text + "\n", capture_output=True, text=True, cwd=REPO,
            env={**env, **extra}, timeout=120, check=False)

    sure = "when will my parcel arrive"  # answered, at 0.9958 on the default model
    unset = json.loads((await asyncio.to_thread(respond, sure)).stdout)
    assert unset["action"] == "answer" and unset["confidence"] < 0.999, unset
    stricter, bad = await asyncio.gather(
        asyncio.to_thread(respond, sure,
                          TSUNAGU_ANSWER_THRESHOLD=str((unset["confidence"] + 1) / 2)),
        asyncio.to_thread(respond, sure, TSUNAGU_ANSWER_THRESHOLD="most"))
    assert stricter.returncode == 0, stricter.stderr
    assert json.loads(stricter.stdout)["action"] == "clarify"
    assert (bad.returncode, bad.stdout, bad.stderr.strip()) == (
        2, "", "tsunagu: configuration error: TSUNAGU_ANSWER_THRESHOLD must be a number "
               "(got 'most')")
