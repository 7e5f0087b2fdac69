"""API keys for programs (a CRM pulling transcripts), against a real gateway on loopback:
made by an admin and shown once, kept only as a hash, good for the read-only routes
of their scope and nothing else, refused as soon as they are revoked, in every process."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import socketio
from sqlalchemy import select

from live_chat.store.models import ApiKey
from tests.clients import AgentClient, cid
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import agent
from tests.live_chat.test_console_api import token_of


async def call(gateway: Gateway, method: str, path: str, bearer: str | None = None,
               body: Any = None, **headers: str) -> tuple[int, Any, Any]:
    """(status, JSON body or text, headers) of one request with ``Authorization: Bearer``."""
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{gateway.url}{path}", json=body, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, await response.json(), response.headers
        return response.status, await response.text(), response.headers


async def new_key(gateway: Gateway, admin: str, name: str, **extra: Any) -> dict[str, Any]:
    status, body, _ = await call(gateway, "POST", "/api/admin/api-keys", admin,
                                 {"name": name, **extra})
    assert status == 200, body
    return body


async def finished_chat(gateway: Gateway, hanako: AgentClient) -> tuple[str, str]:
    """A visitor (Taro, taro@example.com) who talks to the bot, then to Hanako, and
    leaves: (visitor id, conversation id)."""
    visitor = await gateway.visitor().connect()
    ack = await visitor.call("profile", {"name": "Taro", "email": "Taro@Example.com"})
    assert ack["ok"], ack
    await visitor.send("Where is my parcel?", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    ack = await hanako.call("message", {"conversation_id": conversation_id, "client_id": cid(),
                                        "text": "It left our warehouse today.\nTracking: 42"})
    assert ack["ok"], ack
    assert (await visitor.call("close", {}))["ok"]
    visitor_id = visitor.session["visitor_id"]
    await visitor.disconnect()
    return visitor_id, conversation_id


async def test_a_key_pulls_a_real_chat_for_a_crm_and_opens_nothing_else(
        gateway: Gateway) -> None:
    admin = await token_of(gateway, "Admin", role="admin")
    hanako = await agent(gateway, "Hanako")
    visitor_id, conversation_id = await finished_chat(gateway, hanako)

    made = await new_key(gateway, admin, "Salesforce sync")
    key = made["key"]
    assert key.startswith("tsk_") and len(key) == 4 + 43
    assert made["api_key"]["prefix"] == key[:12] and made["api_key"]["scopes"] == ["read"]
    assert made["api_key"]["created_by"]["name"] == "Admin"
    # Only the hash is stored: the row holds no column with the key in it.
    async with gateway.ctx.store.begin() as tx:
        row = (await tx.session.scalars(select(ApiKey))).one()
        stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert not any(key in value or key[12:] in value for value in stored)

    # The CRM's pulls: a visitor's conversations by e-mail and by id, the profile,
    # the conversation, and its transcript as JSON, page by page, and as text.
    status, body, _ = await call(gateway, "GET",
                                 f"/api/conversations?email={quote('taro@EXAMPLE.com')}", key)
    assert status == 200, body
    assert [c["id"] for c in body["conversations"]] == [conversation_id]
    status, body, _ = await call(gateway, "GET", f"/api/conversations?visitor={visitor_id}", key)
    assert [c["id"] for c in body["conversations"]] == [conversation_id]
    status, body, _ = await call(gateway, "GET", "/api/conversations?email=nobody@example.com",
                                 key)
    assert status == 200 and body["conversations"] == []
    status, body, _ = await call(gateway, "GET", f"/api/visitors/{visitor_id}", key)
    assert status == 200 and body["visitor"]["email"] == "Taro@Example.com"
    status, body, _ = await call(gateway, "GET", f"/api/conversations/{conversation_id}", key)
    assert status == 200 and body["conversation"]["state"] == "closed"

    status, body, _ = await call(gateway, "GET",
                                 f"/api/conversations/{conversation_id}/transcript", key)
    assert status == 200, body
    transcript = body
    senders = [m["sender"] for m in transcript["messages"]]
    assert senders[0] == "visitor" and "bot" in senders and "agent" in senders
    assert transcript["messages"][0]["text"] == "Where is my parcel?"
    reply = next(m for m in transcript["messages"] if m["sender"] == "agent")
    assert reply["author"]["name"] == "Hanako" and reply["text"].endswith("Tracking: 42")
    assert [m["seq"] for m in transcript["messages"]] == list(range(1, len(senders) + 1))
    assert transcript["visitor"] == {"id": visitor_id, "user_id": None, "name": "Taro",
                                     "email": "Taro@Example.com"}
    assert transcript["next_after_seq"] is None and "notes" not in transcript
    status, page, _ = await call(
        gateway, "GET", f"/api/conversations/{conversation_id}/transcript?limit=1", key)
    assert [m["seq"] for m in page["messages"]] == [1] and page["next_after_seq"] == 1
    status, page, _ = await call(
        gateway, "GET",
        f"/api/conversations/{conversation_id}/transcript?after_seq=1&limit=1000", key)
    assert page["messages"] == transcript["messages"][1:] and page["next_after_seq"] is None
    status, text, headers = await call(
        gateway, "GET", f"/api/conversations/{conversation_id}/transcript", key,
        Accept="text/plain")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    lines = text.splitlines()
    assert lines[0].endswith("] visitor: Where is my parcel?")
    assert any(line.endswith("] Hanako: It left our warehouse today.") for line in lines)
    assert "  Tracking: 42" in lines
    status, body, _ = await call(
        gateway, "GET", f"/api/conversations/{conversation_id}/transcript?format=xml", key)
    assert status == 400 and body["error"] == "invalid"
    status, body, _ = await call(gateway, "GET", "/api/conversations/nope/transcript", key)
    assert status == 404 and body["error"] == "not_found"

    # Nothing else: admin routes, changes, reports (another scope), the console's
    # session, and the agent namespace all refuse it.
    for method, path in (("GET", "/api/admin/api-keys"), ("GET", "/api/admin/audit"),
                         ("POST", "/api/admin/api-keys"), ("GET", "/api/canned"),
                         ("POST", f"/api/conversations/{conversation_id}/tags"),
                         ("GET", "/api/reports/summary")):
        status, body, headers = await call(gateway, method, path, key, {"tag": "crm"})
        assert (status, body["error"]) == (403, "insufficient_scope"), (method, path, body)
        assert headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    status, body, _ = await call(gateway, "GET", "/api/auth/session", key)
    assert status == 401
    refused = AgentClient(gateway.url, key)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect()

    # Listed with who made it and when it was last used, never with the key.
    status, body, _ = await call(gateway, "GET", "/api/admin/api-keys", admin)
    assert status == 200 and key[12:] not in str(body)
    (listed,) = body["api_keys"]
    assert listed["name"] == "Salesforce sync" and listed["prefix"] == key[:12]
    assert listed["last_used_at"] is not None and listed["revoked_at"] is None
    assert "key" not in listed and "secret_hash" not in listed

    # Revoked: refused from the very next request.
    status, body, _ = await call(gateway, "DELETE", f"/api/admin/api-keys/{listed['id']}",
                                 admin)
    assert status == 200 and body["api_key"]["revoked_at"] is not None
    status, body, headers = await call(gateway, "GET", "/api/conversations", key)
    assert (status, body["error"]) == (401, "invalid_token")
    assert headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    status, body, _ = await call(gateway, "DELETE", f"/api/admin/api-keys/{'0' * 32}", admin)
    assert (status, body["error"]) == (404, "not_found")

    # Who made and who revoked it is in the audit log.
    status, body, _ = await call(gateway, "GET",
                                 f"/api/admin/audit?target={listed['id']}", admin)
    assert [(e["action"], e["actor"]["name"]) for e in body["entries"]] == [
        ("api_key.revoke", "Admin"), ("api_key.create", "Admin")]
    await hanako.disconnect()


async def test_bad_keys_and_bad_requests_get_stable_codes(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Admin", role="admin")
    plain = await token_of(gateway, "Plain")
    for bearer in ("tsk_" + "x" * 43, "tsk_short", "tsk_" + "é" * 20, "tsk_" + "a" * 200):
        status, body, _ = await call(gateway, "GET", "/api/conversations", bearer)
        assert (status, body["error"]) == (401, "invalid_token"), bearer
    status, body, _ = await call(gateway, "GET", "/api/conversations")
    assert (status, body["error"]) == (401, "forbidden")
    status, body, _ = await call(gateway, "GET", "/api/conversations", "not-a-token")
    assert (status, body["error"]) == (401, "forbidden")
    for bad in ({"name": "  "}, {"name": "x" * 101}, {"name": "CRM", "scopes": ["write"]},
                {"name": "CRM", "scopes": []}, {}):
        status, body, _ = await call(gateway, "POST", "/api/admin/api-keys", admin, bad)
        assert (status, body["error"]) == (400, "invalid"), bad
    status, body, _ = await call(gateway, "POST", "/api/admin/api-keys", plain, {"name": "x"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body, _ = await call(gateway, "GET", "/api/admin/api-keys", plain)
    assert (status, body["error"]) == (403, "forbidden")


async def test_a_reports_key_reads_reports_only(gateway: Gateway) -> None:
    admin = await token_of(gateway, "Admin", role="admin")
    key = (await new_key(gateway, admin, "BI dashboard", scopes=["reports"]))["key"]
    status, body, _ = await call(gateway, "GET", "/api/reports/summary", key)
    assert status == 200 and "conversations" in body
    status, csv, headers = await call(gateway, "GET", "/api/reports/conversations.csv", key)
    assert status == 200 and headers["Content-Type"].startswith("text/csv") and csv
    status, body, _ = await call(gateway, "GET", "/api/conversations", key)
    assert (status, body["error"]) == (403, "insufficient_scope")
    both = await new_key(gateway, admin, "Both", scopes=["reports", "read"])
    assert both["api_key"]["scopes"] == ["read", "reports"]


async def test_a_key_revoked_in_one_process_is_refused_by_another_at_once(
        start_gateway: GatewayFactory, pg_url: str) -> None:
    one = await start_gateway(database_url=pg_url)
    other = await start_gateway(database_url=pg_url)
    admin = await token_of(one, "Admin", role="admin")
    made = await new_key(one, admin, "HubSpot")
    status, _, _ = await call(other, "GET", "/api/conversations", made["key"])
    assert status == 200
    status, _, _ = await call(one, "DELETE", f"/api/admin/api-keys/{made['api_key']['id']}",
                              admin)
    assert status == 200
    status, body, _ = await call(other, "GET", "/api/conversations", made["key"])
    assert (status, body["error"]) == (401, "invalid_token")
