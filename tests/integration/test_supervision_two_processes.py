"""A supervisor on one gateway process watches, whispers into and takes over a chat
whose visitor and agent are on the other (Redis carries the watch room's emits and
the take-over runs in the Redis handoff backend)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from tests.clients import AgentClient, VisitorClient
from tests.conftest import spawn_gateway, stop_gateway
from tests.integration.test_handoff_two_processes import PASSWORD, add_agent, deployment_env


async def test_watch_whisper_and_take_over_across_processes(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    env = deployment_env(tmp_path, pg_url, redis_url)
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    clients: list[VisitorClient] = []
    try:
        hanako_email = await asyncio.to_thread(add_agent, env, "Hanako", 3)
        boss_email = await asyncio.to_thread(add_agent, env, "Boss", 3, "supervisor")
        hanako = await AgentClient.signed_in(one.url, hanako_email, PASSWORD)
        clients.append(hanako)
        visitor = await VisitorClient(one.url).connect()
        clients.append(visitor)
        await visitor.send("my card was charged twice", uuid.uuid4().hex)
        await visitor.next_where("message", lambda m: m["sender"] == "bot")
        assert (await visitor.call("request_human", {}))["ok"]
        held = (await hanako.next("assigned"))["conversation"]["id"]

        boss = await AgentClient.signed_in(two.url, boss_email, PASSWORD)
        clients.append(boss)
        watched = await boss.call("watch", {"conversation_id": held})
        assert watched["ok"] and watched["conversation"]["agent"]["name"] == "Hanako"
        await visitor.send("hello?", uuid.uuid4().hex)
        await boss.next_where("message", lambda m: m["text"] == "hello?")

        whisper = await boss.call("note", {"conversation_id": held, "text": "refund it"})
        assert whisper["ok"]
        await hanako.next_where("note", lambda n: n["text"] == "refund it")

        taken = await boss.call("takeover", {"conversation_id": held})
        assert taken["ok"], taken
        assert (await boss.next("assigned"))["conversation"]["id"] == held
        await visitor.next_where("status", lambda s: (s["agent"] or {}).get("name") == "Boss")
        reply = await boss.call("message", {"conversation_id": held,
                                            "client_id": uuid.uuid4().hex,
                                            "text": "Refunded, sorry."})
        assert reply["ok"]
        await visitor.next_where("message", lambda m: m["text"] == "Refunded, sorry.")
        await asyncio.sleep(0.3)
        assert all(m["text"] != "refund it" for m in visitor.pending("message"))
    finally:
        for client in clients:
            await client.disconnect()
        await asyncio.to_thread(stop_gateway, one)
        await asyncio.to_thread(stop_gateway, two)
