"""Two gateway processes sharing Redis and PostgreSQL behave as one service."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from tests.clients import VisitorClient
from tests.conftest import spawn_gateway, stop_gateway


async def test_message_sent_on_one_process_reaches_a_client_on_the_other(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    unique = uuid.uuid4().hex  # its own channel and keys: other runs share this Redis
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url,
           "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{unique}",
           "TSUNAGU_HANDOFF_PREFIX": f"tsunagu-test-{unique}:"}
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    try:
        first_tab = await VisitorClient(one.url).connect()
        # The same visitor in a second tab that a load balancer sent to the other process.
        token = first_tab.session["visitor_token"]
        second_tab = await VisitorClient(two.url, token=token).connect()
        assert second_tab.session["visitor_id"] == first_tab.session["visitor_id"]

        ack = await first_tab.send("hello, where is my order?", uuid.uuid4().hex)
        assert ack["ok"]
        echoed = await second_tab.next_where("message", lambda m: m["sender"] == "visitor")
        assert echoed["id"] == ack["message"]["id"]
        # The bot answered in process one; the reply reaches the tab on process two.
        reply = await second_tab.next_where("message", lambda m: m["sender"] == "bot")
        assert reply["seq"] == 2

        # Process two sees the same record: sync from there returns both messages.
        synced = await second_tab.call("sync", {"since_seq": 0})
        assert [m["seq"] for m in synced["messages"]] == [1, 2]

        # And the other way round.
        ack2 = await second_tab.send("thanks", uuid.uuid4().hex)
        back = await first_tab.next_where("message", lambda m: m["id"] == ack2["message"]["id"])
        assert back["seq"] == 3
        await first_tab.disconnect()
        await second_tab.disconnect()
    finally:
        await asyncio.to_thread(stop_gateway, one)
        await asyncio.to_thread(stop_gateway, two)
