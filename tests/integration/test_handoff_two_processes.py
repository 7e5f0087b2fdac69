"""A whole handoff across two gateway processes sharing Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.clients import AgentClient, VisitorClient
from tests.conftest import REPO, spawn_gateway, stop_gateway

PASSWORD = "correct horse battery"


def add_agent(env: dict[str, str], name: str, capacity: int, role: str = "agent") -> str:
    """Create an account with the deployment's CLI, as an operator would."""
    email = f"{name.lower()}@example.com"
    subprocess.run(
        [sys.executable, "-m", "live_chat", "agent", "add", "--email", email, "--name", name,
         "--password", PASSWORD, "--capacity", str(capacity), "--role", role],
        env={**os.environ, **env}, cwd=REPO, check=True, capture_output=True, timeout=60,
    )
    return email


def deployment_env(tmp_path: Path, pg_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """What the processes of one deployment share: the database, Redis, its own keys."""
    unique = uuid.uuid4().hex
    return {"DATABASE_URL": pg_url, "REDIS_URL": redis_url,
            "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{unique}",
            "TSUNAGU_HANDOFF_PREFIX": f"tsunagu-test-{unique}:",
            "TSUNAGU_DATA_DIR": str(tmp_path / "cli"), **extra}


async def test_visitor_on_one_process_agents_on_the_other(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    env = deployment_env(tmp_path, pg_url, redis_url)
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    clients: list[VisitorClient] = []
    try:
        hanako_email = await asyncio.to_thread(add_agent, env, "Hanako", 3)
        taro_email = await asyncio.to_thread(add_agent, env, "Taro", 3)
        hanako = await AgentClient.signed_in(two.url, hanako_email, PASSWORD)
        clients.append(hanako)
        visitor = await VisitorClient(one.url).connect()
        clients.append(visitor)
        await visitor.send("I want to talk to a person about my invoice", uuid.uuid4().hex)
        await visitor.call("request_human", {})

        # Escalated on process one, assigned to the agent connected to process two.
        assigned = await hanako.next("assigned")
        conversation_id = assigned["conversation"]["id"]
        status = await visitor.next_where("status", lambda s: s["state"] == "assigned")
        assert status["agent"]["name"] == "Hanako"

        reply = await hanako.call("message", {"conversation_id": conversation_id,
                                              "client_id": "h1", "text": "Hello, Hanako here."})
        assert reply["ok"]
        seen = await visitor.next_where("message", lambda m: m["sender"] == "agent")
        assert seen["text"] == "Hello, Hanako here."
        await visitor.send("Thanks!", uuid.uuid4().hex)
        await hanako.next_where("message", lambda m: m["text"] == "Thanks!")

        # Transfer to an agent on process one; the history follows.
        taro = await AgentClient.signed_in(one.url, taro_email, PASSWORD)
        clients.append(taro)
        ack = await hanako.call("transfer", {"conversation_id": conversation_id,
                                             "to_agent_id": taro.hello["agent"]["id"]})
        assert ack["ok"], ack
        moved = await taro.next("assigned")
        assert moved["conversation"]["id"] == conversation_id
        assert "Hello, Hanako here." in [m["text"] for m in moved["messages"]]
        await visitor.next_where("status", lambda s: (s.get("agent") or {}).get("name") == "Taro")

        # Close on process one: the visitor (also on one) and Redis state agree.
        closed = await taro.call("close", {"conversation_id": conversation_id})
        assert closed["ok"] and closed["conversation"]["state"] == "closed"
        await visitor.next_where("status", lambda s: s["state"] == "closed")
        csat = await visitor.call("csat", {"score": 4})
        assert csat == {"ok": True}
    finally:
        for client in clients:
            await client.disconnect()
        await asyncio.to_thread(stop_gateway, one)
        await asyncio.to_thread(stop_gateway, two)


async def test_waiting_visitor_with_a_tab_on_another_process_is_not_abandoned(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    unique = uuid.uuid4().hex
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "TSUNAGU_ABANDON_AFTER": "1",
           "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{unique}",
           "TSUNAGU_HANDOFF_PREFIX": f"tsunagu-test-{unique}:"}
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    try:
        here = await VisitorClient(one.url).connect()
        there = await VisitorClient(two.url, token=here.session["visitor_token"]).connect()
        await here.call("request_human", {})
        await here.disconnect()
        await asyncio.sleep(2.5)  # past TSUNAGU_ABANDON_AFTER
        synced = await there.call("sync", {"since_seq": 0})
        assert synced["conversation"]["state"] == "queued"
        # When the last tab closes too, the wait is abandoned.
        await there.disconnect()
        await asyncio.sleep(3)
        probe = await VisitorClient(one.url, token=here.session["visitor_token"]).connect()
        assert probe.session["conversation"] is None  # no open conversation any more
        synced = await probe.call("sync", {"since_seq": 0})
        assert synced["conversation"]["state"] == "abandoned"
        await probe.disconnect()
    finally:
        await asyncio.to_thread(stop_gateway, one)
        await asyncio.to_thread(stop_gateway, two)
