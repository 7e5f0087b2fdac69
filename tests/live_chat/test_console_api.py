"""HTTP APIs behind the console: canned responses, agents list, the supervisor overview."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from live_chat.metrics import summary
from tests.clients import login
from tests.conftest import REPO, Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent, agent, waiting_visitor


async def api(gateway: Gateway, method: str, path: str, token: str | None,
              body: Any = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(
        method, f"{gateway.url}{path}", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def token_of(gateway: Gateway, name: str, role: str = "agent") -> str:
    email = await add_agent(gateway, name, role=role)
    status, body, _ = await login(gateway.url, email, PASSWORD)
    assert status == 200
    return body["token"]


async def test_canned_responses_admins_manage_agents_search(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Admin", role="admin")
    plain = await token_of(gateway, "Plain")
    entry = {"shortcut": "refund", "locale": "en", "title": "Refund policy",
             "text": "Hi {visitor_name}, refunds take 5 days. — {agent_name}"}
    status, body = await api(gateway, "POST", "/api/canned", admin, entry)
    assert status == 200 and body["canned"]["placeholders"] == ["visitor_name", "agent_name"]
    status, body = await api(gateway, "POST", "/api/canned", admin, entry)
    assert status == 409 and body["error"] == "conflict"
    status, body = await api(gateway, "POST", "/api/canned", plain, {**entry, "locale": "ja"})
    assert status == 403 and body["error"] == "forbidden"
    status, body = await api(gateway, "POST", "/api/canned", admin, {**entry, "locale": "fr"})
    assert status == 400 and body["error"] == "invalid"
    ja = {"shortcut": "refund", "locale": "ja", "title": "返金",
          "text": "{visitor_name}様、返金は5営業日ほどかかります。担当の{agent_name}です。"}
    assert (await api(gateway, "POST", "/api/canned", admin, ja))[0] == 200
    status, body = await api(gateway, "GET", "/api/canned?q=REFUND", plain)
    assert status == 200 and {c["locale"] for c in body["canned"]} == {"en", "ja"}
    status, body = await api(gateway, "GET", "/api/canned?q=返金&locale=ja", plain)
    assert [c["title"] for c in body["canned"]] == ["返金"]
    assert (await api(gateway, "GET", "/api/canned", None))[0] == 401
    canned_id = body["canned"][0]["id"]
    status, _ = await api(gateway, "DELETE", f"/api/canned/{canned_id}", admin)
    assert status == 200
    assert (await api(gateway, "DELETE", f"/api/canned/{canned_id}", admin))[0] == 404


async def test_cookie_requests_need_the_csrf_header(gateway: Gateway) -> None:
    email = await add_agent(gateway, "Admin", role="admin")
    _, body, cookies = await login(gateway.url, email, PASSWORD)
    entry = {"shortcut": "hi", "locale": "en", "text": "Hello!"}
    async with aiohttp.ClientSession() as http:
        http.cookie_jar.update_cookies(cookies)
        async with http.post(f"{gateway.url}/api/canned", json=entry) as response:
            assert response.status == 401
        async with http.post(f"{gateway.url}/api/canned", json=entry,
                             headers={"X-CSRF-Token": body["csrf"]}) as response:
            assert response.status == 200
        async with http.get(f"{gateway.url}/api/canned") as response:
            assert response.status == 200  # reading needs no CSRF header
        async with http.get(f"{gateway.url}/api/auth/session") as response:
            assert (await response.json())["csrf"] == body["csrf"]


async def test_canned_command_adds_and_lists(gateway: Gateway) -> None:
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(gateway.ctx.settings.data_dir),
           "DATABASE_URL": gateway.ctx.settings.database_url}
    command = [sys.executable, "-m", "live_chat", "canned"]
    added = await asyncio.to_thread(
        subprocess.run, [*command, "add", "--shortcut", "hours", "--locale", "en",
                         "--text", "We are open 9-18."],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    listed = await asyncio.to_thread(
        subprocess.run, [*command, "list"], env=env, cwd=REPO, capture_output=True, text=True,
        timeout=60)
    assert "/hours" in listed.stdout and "We are open 9-18." in listed.stdout


async def test_supervisor_overview_shows_queue_agents_and_today(gateway: Gateway) -> None:
    boss = await token_of(gateway, "Boss", role="supervisor")
    worker = await agent(gateway, "Worker", capacity=1)
    first = await waiting_visitor(gateway)
    second = await waiting_visitor(gateway)
    assigned = await worker.next("assigned")
    await worker.call("message", {"conversation_id": assigned["conversation"]["id"],
                                  "client_id": uuid.uuid4().hex, "text": "Hello!"})
    status, body = await api(gateway, "GET", "/api/supervisor/overview", boss)
    assert status == 200
    assert [q["position"] for q in body["queue"]] == [1]
    assert body["queue"][0]["wait_s"] >= 0
    workers = {a["name"]: a for a in body["agents"]}
    assert workers["Worker"]["load"] == 1 and workers["Worker"]["capacity"] == 1
    assert workers["Worker"]["status"] == "online"
    assert body["today"]["conversations"] == 2
    assert body["today"]["human_frt_p50_s"] is not None
    plain = await api(gateway, "GET", "/api/supervisor/overview", worker.token)
    assert plain[0] == 403
    status, body = await api(gateway, "GET", "/api/agents", worker.token)
    assert status == 200 and {a["name"] for a in body["agents"]} == {"Boss", "Worker"}
    figures = await summary(gateway.ctx.store, datetime.now(UTC) - timedelta(hours=1),
                            datetime.now(UTC) + timedelta(minutes=1))
    assert figures.human_frt_samples == 1 and figures.human_frt_p50_s >= 0
    for client in (worker, first, second):
        await client.disconnect()




async def test_supervisors_get_the_overview_pushed_when_the_queue_moves(gateway: Gateway) -> None:
    from tests.live_chat.test_agent_protocol import agent, waiting_visitor

    supervisor = await agent(gateway, "Sora", role="supervisor")
    plain = await agent(gateway, "Plain")
    for person in (supervisor, plain):  # nobody takes the chat: it stays in the queue
        await person.call("presence", {"status": "away"})
    # Nothing polled: the gateway pushes when the queue changes.
    visitor = await waiting_visitor(gateway, "I need a person please")
    pushed = await supervisor.next_where("overview", lambda o: len(o["queue"]) == 1)
    assert pushed["queue"][0]["position"] == 1
    assert {a["name"]: a["status"] for a in pushed["agents"]}["Plain"] == "away"
    assert pushed["today"]["conversations"] >= 1
    await visitor.call("close", {})
    await supervisor.next_where("overview", lambda o: o["queue"] == [])
    assert plain.pending("overview") == []  # plain agents get none
    await visitor.disconnect()
    await supervisor.disconnect()
    await plain.disconnect()


async def test_hostile_bodies_get_400_invalid_not_500(any_db_gateway: Gateway) -> None:
    """A 5,000-deep JSON body (RecursionError), and NUL or an unpaired surrogate in a field
    the database would refuse (PostgreSQL), are `invalid`, with nothing stored."""
    gateway = any_db_gateway
    admin = await token_of(gateway, "Admin", role="admin")
    deep = "[" * 5000 + "]" * 5000
    async with aiohttp.ClientSession() as http:
        for path in ("/api/auth/login", "/api/canned"):
            async with http.post(f"{gateway.url}{path}", data=deep,
                                 headers={"Authorization": f"Bearer {admin}",
                                          "Content-Type": "application/json"}) as response:
                assert response.status == 400, path
                assert (await response.json())["error"] == "invalid"
    for bad in ("a\x00b@example.com", "a\ud800@example.com"):
        # aiohttp sends json= with the stdlib's encoder, which escapes the surrogate.
        status, body = await api(gateway, "POST", "/api/auth/login", None,
                                 {"email": bad, "password": "x"})
        assert status == 400 and body["error"] == "invalid", body
    for bad in ("refunds\x00", "refunds \ud800"):
        entry = {"shortcut": "refund", "locale": "en", "title": "Refunds", "text": bad}
        status, body = await api(gateway, "POST", "/api/canned", admin, entry)
        assert status == 400 and body["error"] == "invalid", body
    status, body = await api(gateway, "GET", "/api/canned", admin)
    assert body["canned"] == []
