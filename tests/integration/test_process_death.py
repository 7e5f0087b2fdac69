"""A gateway process killed outright (SIGKILL) leaves no chat stranded (live_chat/hosts.py).

Two processes on PostgreSQL and Redis. The agent on process two holds two chats
and a third visitor, also on process two, waits in the queue. Process two is
killed and the agent never comes back: the other process must disconnect the
agent's dead connection (grace, then the chats wait again, and go to the next
agent who signs in) and close the waiting visitor's dead tab (abandoned after
the usual wait).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from live_chat.store.database import create_engine
from live_chat.store.models import Conversation
from tests.clients import AgentClient, VisitorClient
from tests.conftest import spawn_gateway, stop_gateway
from tests.integration.test_handoff_two_processes import PASSWORD, add_agent, deployment_env


async def escalated(url: str) -> VisitorClient:
    visitor = await VisitorClient(url).connect()
    await visitor.send("I want to talk to a person", uuid.uuid4().hex)
    assert (await visitor.call("request_human", {}))["ok"]
    return visitor


async def states(database_url: str) -> dict[str, tuple[str, str | None]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(Conversation.id, Conversation.state,
                                             Conversation.agent_name))
            return {row.id: (row.state, row.agent_name) for row in rows}
    finally:
        await engine.dispose()


async def test_a_killed_process_strands_no_chat_and_no_wait(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    env = deployment_env(tmp_path, pg_url, redis_url, TSUNAGU_HOST_TTL="2",
                         TSUNAGU_AGENT_GRACE="1", TSUNAGU_ABANDON_AFTER="1")
    one = await asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env)
    two = await asyncio.to_thread(spawn_gateway, tmp_path / "two", models_dir, **env)
    clients: list[VisitorClient] = []
    try:
        hanako = await AgentClient.signed_in(
            two.url, await asyncio.to_thread(add_agent, env, "Hanako", 2), PASSWORD)
        clients.append(hanako)
        for _ in range(2):
            clients.append(await escalated(one.url))
            await hanako.next("assigned")
        waiting = await escalated(two.url)  # Hanako is full: this one waits
        clients.append(waiting)
        before = await states(pg_url)
        assert sorted(before.values()) == [("assigned", "Hanako")] * 2 + [("queued", None)]

        two.process.send_signal(signal.SIGKILL)
        two.process.wait()
        # Nobody is left to answer: Hanako's chats wait again, the dead tab's wait ends.
        expected = [("abandoned", None), ("queued", None), ("queued", None)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = await states(pg_url)
            if sorted(now.values()) == expected:
                break
            await asyncio.sleep(0.5)
        assert sorted(now.values()) == expected, (now, one.log()[-3000:])
        taro = await AgentClient.signed_in(
            one.url, await asyncio.to_thread(add_agent, env, "Taro", 3), PASSWORD)
        clients.append(taro)
        # Taro was told, with the history, on the process still alive.
        taken = {(await taro.next("assigned"))["conversation"]["id"] for _ in range(2)}
        assert taken == {cid for cid, (state, _) in now.items() if state == "queued"}
        assert sorted((await states(pg_url)).values()) == [
            ("abandoned", None), ("assigned", "Taro"), ("assigned", "Taro")]
    finally:
        for client in clients:
            await client.disconnect()
        for gateway in (one, two):
            await asyncio.to_thread(stop_gateway, gateway)
