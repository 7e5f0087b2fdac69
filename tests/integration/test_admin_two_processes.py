"""A model trained and activated on one gateway process is served by another within 5 s.

The second process has a models folder of its own (as on another machine):
it can only get the new version from the database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from tests.clients import login
from tests.conftest import spawn_gateway, stop_gateway
from tests.live_chat.admin.test_admin_api import api, bot_answer, wait_for_job

PASSWORD = "correct-horse-42"


async def add_admin(database_url: str) -> str:
    """An admin account, written the way `tsunagu agent add` writes it."""
    from live_chat.agents import AgentDirectory
    from live_chat.auth import AgentTokens
    from live_chat.store.database import create_engine, migrate
    from live_chat.store.repository import Store

    engine = create_engine(database_url)
    try:
        await migrate(engine)
        directory = AgentDirectory(Store(engine), AgentTokens("unused-for-creating-agents", 60))
        await directory.create(email="mio@example.com", name="Mio", password=PASSWORD,
                               capacity=1, role="admin", teams=())
    finally:
        await engine.dispose()
    return "mio@example.com"


async def test_activation_reaches_a_process_that_shares_no_folder(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "TSUNAGU_GATE_FOLDS": "2",
           "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{uuid.uuid4().hex}",
           "TSUNAGU_HANDOFF_PREFIX": f"tsunagu-test-{uuid.uuid4().hex}:"}
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    # Its own, empty models folder: everything it serves comes from the database.
    (tmp_path / "models-two").mkdir()
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", tmp_path / "models-two", **env)
    try:
        email = await add_admin(pg_url)
        status, body, _ = await login(one.url, email, PASSWORD)
        token = body["token"]
        listing = (await api(one.url, "GET", "/api/admin/models", token))[1]
        first = listing["active"]
        assert (tmp_path / "models-two" / first / "classifier.npz").is_file()
        before = await bot_answer(two.url, "Do you ship to Canada?")
        assert "30 countries" not in before["reply"]["text"]

        new = {"name": "international_shipping",
               "responses": {"ja": "海外発送はカナダを含む30か国に対応しています。",
                             "en": "We ship to 30 countries, Canada included."},
               "examples": [{"locale": "en", "text": t} for t in (
                   "Do you ship overseas?", "Can you send my order to Canada?",
                   "Do you deliver internationally?", "Shipping to other countries?",
                   "Can I order from abroad?", "Do you ship outside Japan?")] + [
                   {"locale": "ja", "text": t} for t in (
                   "海外発送はできますか", "カナダに送ってもらえますか", "海外から注文できますか",
                   "国外への配送は可能ですか", "アメリカに届けてほしい")]}
        assert (await api(one.url, "POST", "/api/admin/intents", token, new))[0] == 200
        status, body = await api(one.url, "POST", "/api/admin/train", token, {})
        job, _ = await wait_for_job(one.url, token, body["job"]["id"])
        assert job["state"] == "done", job
        # Process two follows the job too: its row is in the shared record.
        assert (await api(two.url, "GET", f"/api/admin/train/{job['id']}", token))[1][
            "job"]["version"] == job["version"]

        status, body = await api(one.url, "POST",
                                 f"/api/admin/models/{job['version']}/activate", token, {})
        assert status == 200, body
        activated = time.monotonic()
        while True:
            answer = await bot_answer(two.url, "Could you ship my order to Canada?")
            if "30 countries" in answer["reply"]["text"]:
                break
            assert time.monotonic() - activated < 5.0, "process two still serves the old model"
            await asyncio.sleep(0.2)
        assert (tmp_path / "models-two" / job["version"] / "classifier.npz").is_file()
    finally:
        await asyncio.to_thread(stop_gateway, one)
        await asyncio.to_thread(stop_gateway, two)
