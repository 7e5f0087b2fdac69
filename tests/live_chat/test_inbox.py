"""The console inbox (search, read back, tags, visitor profiles) and the supervisor's
live monitoring (watch, whisper, take over, reassign, CSAT), against a real gateway."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from live_chat.store.models import AuditEntry
from tests.clients import AgentClient, VisitorClient, cid, login
from tests.conftest import Gateway
from tests.live_chat.test_agent_protocol import PASSWORD, add_agent, agent, waiting_visitor


async def api(gateway: Gateway, method: str, path: str, token: str | None,
              body: Any = None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(
        method, f"{gateway.url}{path}", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def find(gateway: Gateway, token: str, **params: str) -> tuple[int, dict[str, Any]]:
    return await api(gateway, "GET", f"/api/conversations?{urlencode(params)}", token)


async def ids(gateway: Gateway, token: str, **params: str) -> list[str]:
    status, body = await find(gateway, token, **params)
    assert status == 200, body
    return [c["id"] for c in body["conversations"]]


async def handled_chat(gateway: Gateway, hanako: AgentClient, text: str, reply: str, *,
                       close: bool = True) -> tuple[VisitorClient, str]:
    """A visitor who writes ``text``, asks for a person; Hanako answers ``reply`` (and closes)."""
    visitor = await waiting_visitor(gateway, text)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    ack = await hanako.call("message", {"conversation_id": conversation_id,
                                        "client_id": cid(), "text": reply})
    assert ack["ok"], ack
    if close:
        ack = await hanako.call("close", {"conversation_id": conversation_id,
                                          "resolution": "answered"})
        assert ack["ok"], ack
    return visitor, conversation_id


async def test_search_by_text_state_agent_visitor_date_with_pages(
        any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    hanako = await agent(gateway, "Hanako")
    boss = (await login(gateway.url, await add_agent(gateway, "Boss", role="supervisor"),
                        PASSWORD))[1]["token"]
    parcel_visitor, parcel = await handled_chat(gateway, hanako, "my parcel never came",
                                                "The courier lost it, sorry.")
    _, refund = await handled_chat(gateway, hanako, "I want 50% back", "Refund started.")
    _, open_chat = await handled_chat(gateway, hanako, "where is my Invoice_2", "Sending it.",
                                      close=False)
    bot_only = await gateway.visitor().connect()
    await bot_only.send("hello there", cid())
    await bot_only.next_where("message", lambda m: m["sender"] == "bot")

    # Text: any message (the agent's reply too), case-insensitive, wildcards literal.
    assert await ids(gateway, boss, q="PARCEL") == [parcel]
    assert await ids(gateway, boss, q="courier lost") == [parcel]
    assert await ids(gateway, boss, q="50%") == [refund]
    assert await ids(gateway, boss, q="%") == [refund]
    assert await ids(gateway, boss, q="invoice_") == [open_chat]
    assert await ids(gateway, boss, q="e_2") == [open_chat]
    assert await ids(gateway, boss, q="nothing like this") == []
    # State, agent, visitor (id, or the last characters the console shows), dates.
    assert set(await ids(gateway, boss, state="closed")) == {parcel, refund}
    assert await ids(gateway, boss, state="assigned") == [open_chat]
    assert len(await ids(gateway, boss, state="bot,assigned")) == 2
    hanako_id = hanako.hello["agent"]["id"]
    assert set(await ids(gateway, boss, agent=hanako_id)) == {parcel, refund, open_chat}
    visitor_id = parcel_visitor.session["visitor_id"]
    assert await ids(gateway, boss, visitor=visitor_id) == [parcel]
    assert await ids(gateway, boss, visitor=visitor_id[-6:]) == [parcel]
    # ... or by the name and e-mail of the pre-chat form.
    assert (await parcel_visitor.call("profile", {"name": "Yamada Hanae",
                                                  "email": "hanae@example.jp"}))["ok"]
    assert await ids(gateway, boss, visitor="yamada hanae") == [parcel]
    assert await ids(gateway, boss, visitor="Hanae@Example.jp") == [parcel]
    assert await ids(gateway, boss, visitor="Yamada") == []
    assert len(await ids(gateway, boss, **{"from": "2000-01-01"})) == 4
    assert await ids(gateway, boss, to="2000-01-01") == []
    # Summaries: newest first, with what the inbox lists.
    status, body = await find(gateway, boss, q="parcel")
    (row,) = body["conversations"]
    assert row["state"] == "closed" and row["agent"]["name"] == "Hanako"
    assert row["first_words"] == "my parcel never came"
    assert row["visitor"] == {"id": visitor_id, "user_id": None, "name": "Yamada Hanae"}
    assert row["last_message_at"]
    assert row["tags"] == [] and isinstance(row["intents"], list)
    # Intent: one the bot gave a visitor message of the conversation.
    if row["intents"]:
        assert parcel in await ids(gateway, boss, intent=row["intents"][0])
    assert await ids(gateway, boss, intent="no_such_intent") == []

    # Pages: keyset, newest first, every conversation once.
    seen: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        status, body = await find(gateway, boss, **params)
        assert status == 200 and len(body["conversations"]) <= 1
        seen += [c["id"] for c in body["conversations"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == await ids(gateway, boss) and len(seen) == 4
    assert seen[-1] == parcel

    for bad in ({"cursor": "garbage!"}, {"state": "sleeping"}, {"limit": "0"},
                {"limit": "51"}, {"from": "yesterday"}, {"to": "2026-12-05T10:00"},
                {"q": "x" * 201}, {"tag": "no spaces"}, {"q": "a\x00b"}):
        status, body = await find(gateway, boss, **bad)
        assert status == 400 and body["error"] == "invalid", bad
    assert (await find(gateway, None))[0] == 401  # type: ignore[arg-type]
    for client in (hanako, parcel_visitor, bot_only):
        await client.disconnect()


async def test_a_plain_agent_reads_only_what_they_handled(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor, first = await handled_chat(gateway, hanako, "printer jammed", "Try turning it off.")
    taro_email = await add_agent(gateway, "Taro")
    taro = (await login(gateway.url, taro_email, PASSWORD))[1]["token"]
    hanako_token = hanako.token
    assert await ids(gateway, taro) == []
    assert await ids(gateway, taro, q="printer") == []
    status, body = await api(gateway, "GET", f"/api/conversations/{first}", taro)
    assert status == 404 and body["error"] == "not_found"
    status, body = await api(gateway, "POST", f"/api/conversations/{first}/tags", taro,
                             {"tag": "peek"})
    assert status == 404
    visitor_id = visitor.session["visitor_id"]
    assert (await api(gateway, "GET", f"/api/visitors/{visitor_id}", taro))[0] == 404

    # Hanako reads it back whole: transcript, notes, summary.
    assert await ids(gateway, hanako_token, q="printer") == [first]
    status, body = await api(gateway, "GET", f"/api/conversations/{first}", hanako_token)
    assert status == 200
    assert body["messages"][0]["text"] == "printer jammed"
    assert "Try turning it off." in [m["text"] for m in body["messages"]]
    assert body["conversation"]["state"] == "closed" and body["summary"]["id"] == first
    assert body["visitor"]["id"] == visitor_id and body["tags"] == []

    # The same visitor comes back and Taro gets them: he may read their past chat too.
    await hanako.call("presence", {"status": "away"})
    taro_socket = AgentClient(gateway.url, taro)
    await taro_socket.connect()
    await taro_socket.next("hello")
    await visitor.send("jammed again", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert (await visitor.call("request_human", {}))["ok"]
    second = (await taro_socket.next("assigned"))["conversation"]["id"]
    assert set(await ids(gateway, taro)) == {first, second}
    status, body = await api(gateway, "GET", f"/api/visitors/{visitor_id}", taro)
    assert status == 200 and body["visitor"]["id"] == visitor_id
    assert [c["id"] for c in body["conversations"]] == [second, first]
    for client in (hanako, taro_socket, visitor):
        await client.disconnect()


async def test_tags_are_validated_audited_pushed_and_filterable(any_db_gateway: Gateway) -> None:
    gateway = any_db_gateway
    hanako = await agent(gateway, "Hanako")
    visitor, held = await handled_chat(gateway, hanako, "card declined", "Let me look.",
                                       close=False)
    path = f"/api/conversations/{held}/tags"
    status, body = await api(gateway, "POST", path, hanako.token, {"tag": "  Billing "})
    assert status == 200 and body["tags"] == ["billing"]
    pushed = await hanako.next("tags")
    assert pushed == {"conversation_id": held, "tags": ["billing"]}
    status, body = await api(gateway, "POST", path, hanako.token, {"tag": "返金"})
    assert status == 200 and body["tags"] == ["billing", "返金"]
    again = await api(gateway, "POST", path, hanako.token, {"tag": "billing"})
    assert again == (200, {"ok": True, "tags": ["billing", "返金"]})
    for bad in ({"tag": "two words"}, {"tag": "x" * 33}, {"tag": ""}, {"tag": "<b>"},
                {"tag": 5}, {"tag": "a\x00"}, {}):
        status, body = await api(gateway, "POST", path, hanako.token, bad)
        assert status == 400 and body["error"] == "invalid", bad
    assert (await api(gateway, "POST", "/api/conversations/nope/tags", hanako.token,
                      {"tag": "x"}))[0] == 404
    assert await ids(gateway, hanako.token, tag="billing") == [held]
    assert await ids(gateway, hanako.token, tag="BILLING") == [held]
    status, body = await find(gateway, hanako.token, q="declined")
    assert body["conversations"][0]["tags"] == ["billing", "返金"]

    status, body = await api(gateway, "DELETE", f"{path}/billing", hanako.token)
    assert status == 200 and body["tags"] == ["返金"]
    assert await ids(gateway, hanako.token, tag="billing") == []
    assert (await hanako.next_where("tags", lambda t: t["tags"] == ["返金"]))
    # The console's cookie session needs the CSRF header for a change.
    _, _, cookies = await login(gateway.url, "hanako@example.com", PASSWORD)
    async with aiohttp.ClientSession(cookies=cookies) as http, http.post(
        f"{gateway.url}{path}", json={"tag": "nocsrf"}
    ) as response:
        assert response.status == 401
    async with gateway.ctx.store.begin() as tx:
        rows = (await tx.session.scalars(
            select(AuditEntry).where(AuditEntry.target == held).order_by(AuditEntry.id))).all()
    assert [(r.action, r.actor_name, r.after or r.before) for r in rows] == [
        ("tag.add", "Hanako", {"tag": "billing"}), ("tag.add", "Hanako", {"tag": "返金"}),
        ("tag.remove", "Hanako", {"tag": "billing"})]
    # hello carries the tags of each held chat (the chat header shows them).
    again_socket = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    (chat,) = again_socket.hello["conversations"]
    assert chat["tags"] == ["返金"]
    for client in (hanako, again_socket, visitor):
        await client.disconnect()


async def test_supervisor_watches_whispers_takes_over_and_reassigns(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway, "my screen is blank")
    held = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro")
    boss = await agent(gateway, "Boss", role="supervisor")
    assert boss.hello["agent"]["status"] == "away"
    ref = {"conversation_id": held}
    # A plain agent may do none of it.
    for event in ("watch", "takeover"):
        ack = await taro.call(event, ref)
        assert ack["ok"] is False and ack["error"] == "forbidden", event
    assert (await boss.call("watch", {"conversation_id": "nope"}))["error"] == "not_found"
    assert (await boss.call("takeover", {"conversation_id": 5}))["error"] == "invalid"

    watched = await boss.call("watch", ref)
    assert watched["ok"] and watched["conversation"]["agent"]["name"] == "Hanako"
    assert watched["messages"][0]["text"] == "my screen is blank"
    assert watched["visitor"]["id"] == visitor.session["visitor_id"]
    # Live: the visitor's words and the agent's reply reach the watcher.
    await visitor.send("still blank", cid())
    live = await boss.next_where("message", lambda m: m["text"] == "still blank")
    assert live["conversation_id"] == held
    await hanako.call("message", {"conversation_id": held, "client_id": cid(),
                                  "text": "Is the cable in?"})
    await boss.next_where("message", lambda m: m["text"] == "Is the cable in?")

    # Whisper: a note the agent gets and the visitor never sees.
    whisper = await boss.call("note", {**ref, "text": "ask about the HDMI cable"})
    assert whisper["ok"]
    got = await hanako.next_where("note", lambda n: n["text"] == "ask about the HDMI cable")
    assert got["author"]["name"] == "Boss"
    await asyncio.sleep(0.3)
    assert all("HDMI" not in m["text"] for m in visitor.pending("message"))
    synced = await visitor.call("sync", {"since_seq": 0})
    assert all("HDMI" not in m["text"] for m in synced["messages"])

    # Take over: the supervisor (away, no free-slot rule) becomes the holder.
    taken = await boss.call("takeover", ref)
    assert taken["ok"] and taken["conversation"]["agent"]["name"] == "Boss"
    assigned = await boss.next("assigned")
    assert assigned["conversation"]["id"] == held
    assert "ask about the HDMI cable" in [n["text"] for n in assigned["notes"]]
    boss_id = boss.hello["agent"]["id"]
    await hanako.next_where("conversation",
                            lambda c: c["id"] == held and c["agent"]["id"] == boss_id)
    await visitor.next_where("status", lambda s: (s["agent"] or {}).get("name") == "Boss")
    assert (await hanako.call("message", {**ref, "client_id": cid(), "text": "hi"}))[
        "error"] == "forbidden"
    reply = await boss.call("message", {**ref, "client_id": cid(), "text": "Boss here."})
    assert reply["ok"]
    seen = await visitor.next_where("message", lambda m: m["text"] == "Boss here.")
    assert seen["author"]["name"] == "Boss"
    again = await boss.call("takeover", ref)
    assert again["ok"] is False and again["error"] == "conflict"

    # Reassign (transfer) to a chosen agent.
    moved = await boss.call("transfer", {**ref, "to_agent_id": taro.hello["agent"]["id"]})
    assert moved["ok"] and moved["conversation"]["agent"]["name"] == "Taro"
    assert (await taro.next("assigned"))["conversation"]["id"] == held
    await boss.call("unwatch", ref)
    # Closed chats cannot be taken over.
    await taro.call("close", ref)
    assert (await boss.call("takeover", ref))["error"] == "conflict"
    for client in (hanako, taro, boss, visitor):
        await client.disconnect()


async def test_overview_lists_live_chats_and_todays_csat(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    boss_token = (await login(gateway.url, await add_agent(gateway, "Boss", role="supervisor"),
                              PASSWORD))[1]["token"]
    visitor, held = await handled_chat(gateway, hanako, "login fails", "Reset sent.",
                                       close=False)
    status, body = await api(gateway, "GET", "/api/supervisor/overview", boss_token)
    assert status == 200
    (live,) = body["live"]
    assert live["id"] == held and live["state"] == "assigned"
    assert live["agent"]["name"] == "Hanako" and live["first_words"] == "login fails"
    assert live["wait_s"] >= 0 and live["queued_at"] and live["assigned_at"]
    assert body["today"]["csat_count"] == 0 and body["today"]["csat_mean"] is None
    await hanako.call("close", {"conversation_id": held})
    await visitor.next_where("status", lambda s: s["state"] == "closed")
    assert (await visitor.call("csat", {"score": 5}))["ok"]
    other, _ = await handled_chat(gateway, hanako, "app crashes", "Update it.")
    await other.next_where("status", lambda s: s["state"] == "closed")
    assert (await other.call("csat", {"score": 2}))["ok"]
    for _ in range(50):  # the report facts catch up with the ratings
        status, body = await api(gateway, "GET", "/api/supervisor/overview", boss_token)
        if body["today"]["csat_count"] == 2:
            break
        await asyncio.sleep(0.1)
    assert body["live"] == []
    assert body["today"]["csat_count"] == 2
    assert body["today"]["csat_mean"] == pytest.approx(3.5)
    assert body["today"]["csat_positive_share"] == pytest.approx(0.5)
    for client in (hanako, visitor, other):
        await client.disconnect()
