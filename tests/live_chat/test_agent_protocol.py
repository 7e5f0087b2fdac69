"""The /agent protocol and the handoff flow, against a real gateway on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import select

from live_chat.context import SIO
from live_chat.store.models import ConversationEvent, Note
from tests.clients import AgentClient, VisitorClient, cid, login
from tests.conftest import Gateway

PASSWORD = "correct horse battery"


async def add_agent(gateway: Gateway, name: str, *, capacity: int = 4, role: str = "agent",
                    teams: tuple[str, ...] = ()) -> str:
    email = f"{name.lower()}@example.com"
    await gateway.ctx.agents.create(email=email, name=name, password=PASSWORD,
                                    capacity=capacity, role=role, teams=teams)
    return email


async def agent(gateway: Gateway, name: str, **kwargs: Any) -> AgentClient:
    email = await add_agent(gateway, name, **kwargs)
    return await AgentClient.signed_in(gateway.url, email, PASSWORD)


async def waiting_visitor(gateway: Gateway, text: str = "I need a person") -> VisitorClient:
    visitor = await gateway.visitor().connect()
    await visitor.send(text, cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot")
    ack = await visitor.call("request_human", {})
    assert ack["ok"], ack
    return visitor


async def event_types(gateway: Gateway, conversation_id: str) -> list[str]:
    async with gateway.ctx.store.begin() as tx:
        rows = await tx.session.scalars(
            select(ConversationEvent.type)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.id))
        return list(rows.all())


async def test_login_sets_a_safe_cookie_and_refuses_wrong_passwords(gateway: Gateway) -> None:
    email = await add_agent(gateway, "Hanako")
    status, body, cookies = await login(gateway.url, email, PASSWORD)
    assert status == 200 and body["ok"] and body["token"] and body["csrf"]
    assert body["agent"]["name"] == "Hanako" and "password_hash" not in body["agent"]
    morsel = cookies["tsunagu_session"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict"
    for wrong in ({"email": email, "password": "nope-nope"},
                  {"email": "ghost@example.com", "password": PASSWORD}):
        status, body, _ = await login(gateway.url, wrong["email"], wrong["password"])
        assert status == 401 and body["error"] == "forbidden"
    async with aiohttp.ClientSession() as http, http.post(
        f"{gateway.url}/api/auth/login", data=b"not json"
    ) as response:
        assert response.status == 400 and (await response.json())["error"] == "invalid"


async def test_agent_namespace_needs_a_session(gateway: Gateway) -> None:
    async with gateway.visitor() as visitor:
        for token in (None, "forged", visitor.session["visitor_token"]):
            with pytest.raises(socketio.exceptions.ConnectionError):
                await AgentClient(gateway.url, token).connect()


async def test_escalation_reaches_an_agent_with_history_and_intents(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    assert hanako.hello["agent"]["status"] == "online"
    assert hanako.hello["conversations"] == []
    visitor = await waiting_visitor(gateway, "my order has not arrived")
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    assert assigned["conversation"]["state"] == "assigned"
    assert assigned["conversation"]["agent"]["name"] == "Hanako"
    texts = [m["text"] for m in assigned["messages"]]
    assert texts[0] == "my order has not arrived"
    assert any(m["sender"] == "bot" for m in assigned["messages"])
    first = assigned["messages"][0]
    assert first["intent"] is not None and first["confidence"] is not None
    assert assigned["visitor"]["id"] == visitor.session["visitor_id"]
    status = await visitor.next_where("status", lambda s: s["state"] == "assigned")
    assert status["agent"] == {"id": hanako.hello["agent"]["id"], "name": "Hanako"}

    reply = await hanako.call("message", {"conversation_id": conversation_id,
                                          "client_id": "r1", "text": "Let me check."})
    assert reply["ok"] and reply["message"]["author"]["name"] == "Hanako"
    seen = await visitor.next_where("message", lambda m: m["sender"] == "agent")
    assert seen["text"] == "Let me check." and seen["author"]["name"] == "Hanako"
    again = await hanako.call("message", {"conversation_id": conversation_id,
                                          "client_id": "r1", "text": "Let me check."})
    assert again["message"]["id"] == reply["message"]["id"]
    # The visitor's words reach the agent live.
    await visitor.send("thank you", cid())
    live = await hanako.next_where("message", lambda m: m["text"] == "thank you")
    assert live["conversation_id"] == conversation_id
    await visitor.disconnect()
    await hanako.disconnect()
    assert await event_types(gateway, conversation_id) == [
        "created", "escalated", "assigned", "first_agent_reply"]


async def test_only_the_holder_may_act_and_notes_stay_internal(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro")
    for event, payload in [
        ("message", {"conversation_id": conversation_id, "client_id": "x", "text": "hi"}),
        ("note", {"conversation_id": conversation_id, "text": "peek"}),
        ("close", {"conversation_id": conversation_id}),
        ("handback", {"conversation_id": conversation_id}),
        ("sync", {"conversation_id": conversation_id, "since_seq": 0}),
        ("typing", {"conversation_id": conversation_id, "typing": True}),
        ("transfer", {"conversation_id": conversation_id, "to_team": "billing"}),
    ]:
        ack = await taro.call(event, payload)
        assert ack["ok"] is False and ack["error"] == "forbidden", event
    note = await hanako.call("note", {"conversation_id": conversation_id,
                                      "text": "VIP customer, be nice"})
    assert note["ok"] and note["note"]["text"] == "VIP customer, be nice"
    synced = await visitor.call("sync", {"since_seq": 0})
    assert all("VIP" not in m["text"] for m in synced["messages"])
    await asyncio.sleep(0.2)
    assert all("VIP" not in m["text"] for m in visitor.pending("message"))
    async with gateway.ctx.store.begin() as tx:
        notes = (await tx.session.scalars(select(Note))).all()
    assert [n.text for n in notes] == ["VIP customer, be nice"]
    # A supervisor may read and note any open conversation.
    boss = await agent(gateway, "Boss", role="supervisor")
    synced = await boss.call("sync", {"conversation_id": conversation_id, "since_seq": 0})
    assert synced["ok"] and synced["messages"]
    for client in (hanako, taro, boss, visitor):
        await client.disconnect()


async def test_capacity_queue_and_close_frees_a_slot(gateway: Gateway) -> None:
    solo = await agent(gateway, "Solo", capacity=2)
    visitors = [await waiting_visitor(gateway) for _ in range(3)]
    held = [await solo.next("assigned") for _ in range(2)]
    third = await visitors[2].next_where("status", lambda s: s["state"] == "queued")
    assert third["queue_position"] == 1 and third["eta_s"] is not None
    assert third["offline"] is False
    with pytest.raises(asyncio.TimeoutError):
        await solo.next("assigned", timeout=0.5)
    closed = await solo.call("close", {"conversation_id": held[0]["conversation"]["id"],
                                       "resolution": "answered"})
    assert closed["ok"] and closed["conversation"]["state"] == "closed"
    await visitors[0].next_where("status", lambda s: s["state"] == "closed")
    nxt = await solo.next("assigned")
    assert nxt["visitor"]["id"] == visitors[2].session["visitor_id"]
    for client in (solo, *visitors):
        await client.disconnect()


async def test_transfer_to_another_agent_carries_the_history(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway, "invoice question")
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    taro = await agent(gateway, "Taro", teams=("billing",))
    await hanako.call("message", {"conversation_id": conversation_id, "client_id": "m1",
                                  "text": "Passing you to billing."})
    await hanako.call("note", {"conversation_id": conversation_id, "text": "asked twice"})
    ack = await hanako.call("transfer", {"conversation_id": conversation_id,
                                         "to_agent_id": taro.hello["agent"]["id"]})
    assert ack["ok"] and ack["conversation"]["agent"]["name"] == "Taro"
    got = await taro.next("assigned")
    assert got["conversation"]["id"] == conversation_id
    assert next(m["text"] for m in got["messages"]) == "invoice question"
    assert "Passing you to billing." in [m["text"] for m in got["messages"]]
    assert [(n["text"], n["author"]["name"]) for n in got["notes"]] == [("asked twice", "Hanako")]
    hanako_id = hanako.hello["agent"]["id"]
    gone = await hanako.next_where(
        "conversation", lambda c: c["id"] == conversation_id and c["agent"]["id"] != hanako_id)
    assert gone["agent"]["name"] == "Taro"
    await visitor.next_where("status", lambda s: s["agent"] and s["agent"]["name"] == "Taro")
    # Hanako no longer holds it.
    ack = await hanako.call("message", {"conversation_id": conversation_id, "client_id": "m2",
                                        "text": "still here?"})
    assert ack["error"] == "forbidden"
    unknown = await taro.call("transfer", {"conversation_id": conversation_id,
                                           "to_agent_id": "nobody"})
    assert unknown["ok"] is False and unknown["error"] == "not_found"
    assert (await hanako.call("presence", {"status": "away"}))["ok"]
    refused = await taro.call("transfer", {"conversation_id": conversation_id,
                                           "to_agent_id": hanako_id, "to_team": "sales"})
    assert refused["ok"] is False and refused["error"] == "conflict"
    types = await event_types(gateway, conversation_id)
    assert "transferred" in types
    # Refused transfers leave no trace in the record: one request, the team unchanged.
    assert types.count("transfer_requested") == 1
    async with gateway.ctx.store.begin() as tx:
        assert (await tx.conversation(conversation_id)).team is None
    for client in (hanako, taro, visitor):
        await client.disconnect()


async def test_handback_returns_the_visitor_to_the_bot(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    ack = await hanako.call("handback", {"conversation_id": conversation_id})
    assert ack["ok"] and ack["conversation"]["state"] == "bot"
    await visitor.next_where("status", lambda s: s["state"] == "bot")
    await visitor.send("where is my parcel?", cid())
    reply = await visitor.next_where("message", lambda m: m["sender"] == "bot")
    assert reply["conversation_id"] == conversation_id
    assert (await event_types(gateway, conversation_id))[-1] == "handed_back"
    await hanako.disconnect()
    await visitor.disconnect()


async def test_away_agents_get_nothing_until_back_online(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    assert (await hanako.call("presence", {"status": "away"}))["ok"]
    visitor = await waiting_visitor(gateway)
    status = await visitor.next_where("status", lambda s: s["state"] == "queued")
    assert status["offline"] is True and status["offline_reason"] == "no_agents"
    with pytest.raises(asyncio.TimeoutError):
        await hanako.next("assigned", timeout=0.5)
    assert (await hanako.call("presence", {"status": "online"}))["ok"]
    assert (await hanako.next("assigned"))["visitor"]["id"] == visitor.session["visitor_id"]
    bad = await hanako.call("presence", {"status": "sleeping"})
    assert bad["error"] == "invalid"
    await hanako.disconnect()
    await visitor.disconnect()


async def test_disconnected_agent_keeps_chats_for_the_grace_period(start_gateway) -> None:
    gateway = await start_gateway(agent_grace_s=0.5)
    hanako = await agent(gateway, "Hanako")
    visitor = await waiting_visitor(gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    # Back within the grace period: the chat is still hers.
    await hanako.disconnect()
    again = await AgentClient.signed_in(gateway.url, "hanako@example.com", PASSWORD)
    assert [c["id"] for c in again.hello["conversations"]] == [conversation_id]
    assert again.hello["conversations"][0]["messages"]
    taro = await agent(gateway, "Taro")
    await again.disconnect()
    moved = await taro.next("assigned", timeout=5)
    assert moved["conversation"]["id"] == conversation_id
    types = await event_types(gateway, conversation_id)
    assert types[-2:] == ["requeued", "assigned"]
    await taro.disconnect()
    await visitor.disconnect()


async def test_visitor_who_leaves_the_queue_is_abandoned(start_gateway) -> None:
    gateway = await start_gateway(abandon_after_s=0.3)
    visitor = await waiting_visitor(gateway)
    conversation_id = (await visitor.call("sync", {"since_seq": 0}))["conversation"]["id"]
    await visitor.disconnect()
    for _ in range(50):
        if "abandoned" in await event_types(gateway, conversation_id):
            break
        await asyncio.sleep(0.1)
    assert (await event_types(gateway, conversation_id))[-1] == "abandoned"
    # One who comes back in time is not.
    stays = await waiting_visitor(gateway)
    token = stays.session["visitor_token"]
    await stays.disconnect()
    back = await gateway.visitor(token=token).connect()
    await asyncio.sleep(0.6)
    assert back.session["conversation"]["state"] == "queued"
    assert (await back.call("sync", {"since_seq": 0}))["conversation"]["state"] == "queued"
    await back.disconnect()


async def test_outside_business_hours_visitors_leave_a_message(start_gateway) -> None:
    # Open one minute a week, long ago: closed now.
    gateway = await start_gateway(business_hours="mon 00:00-00:01", timezone="Asia/Tokyo")
    visitor = await waiting_visitor(gateway)
    status = await visitor.next_where("status", lambda s: s["state"] == "queued")
    assert status["offline"] is True and status["offline_reason"] == "closed"
    assert status["opens_at"]
    ack = await visitor.call("leave_message", {
        "client_id": "lm1", "text": "Please call me back", "name": "Aiko",
        "email": "aiko@example.com"})
    assert ack["ok"] and ack["conversation"]["state"] == "closed"
    bad = await visitor.call("leave_message", {"client_id": "lm2", "text": "x",
                                               "email": "not-an-email"})
    assert bad["error"] == "invalid"
    conversation_id = ack["conversation"]["id"]
    async with gateway.ctx.store.begin() as tx:
        event = await tx.session.scalar(select(ConversationEvent).where(
            ConversationEvent.conversation_id == conversation_id,
            ConversationEvent.type == "offline_message"))
        messages = await tx.messages_since(conversation_id, 0)
    assert event is not None and event.data["email"] == "aiko@example.com"
    assert messages[-1].text == "Please call me back"
    await visitor.disconnect()


async def test_logout_closes_the_agent_socket_and_ends_the_token(gateway: Gateway) -> None:
    hanako = await agent(gateway, "Hanako")
    async with aiohttp.ClientSession() as http:
        # Cookie-authenticated logout without the CSRF header is refused.
        _status, body, cookies = await login(gateway.url, "hanako@example.com", PASSWORD)
        http.cookie_jar.update_cookies(cookies)
        async with http.post(f"{gateway.url}/api/auth/logout") as response:
            assert response.status == 401
        async with http.post(f"{gateway.url}/api/auth/logout",
                             headers={"X-CSRF-Token": body["csrf"]}) as response:
            assert response.status == 200
        async with http.post(f"{gateway.url}/api/auth/logout",
                             headers={"Authorization": f"Bearer {hanako.token}"}) as response:
            assert response.status == 200
    for _ in range(50):
        if not hanako.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not hanako.sio.connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        await AgentClient(gateway.url, hanako.token).connect()


async def test_agent_sees_wait_and_may_read_the_visitors_earlier_conversations(
    gateway: Gateway,
) -> None:
    visitor = await gateway.visitor().connect()
    first = await visitor.send("an old question", cid())
    old_id = first["message"]["conversation_id"]
    await visitor.call("close", {})
    await visitor.send("I need a person now", cid())
    await visitor.next_where("message", lambda m: m["sender"] == "bot"
                             and m["conversation_id"] != old_id)
    await visitor.call("request_human", {})
    hanako = await agent(gateway, "Hanako")
    assigned = await hanako.next("assigned")
    assert assigned["conversation"]["wait_s"] is not None
    assert assigned["conversation"]["wait_s"] >= 0
    assert [c["id"] for c in assigned["visitor"]["earlier"]] == [old_id]
    history = await hanako.call("sync", {"conversation_id": old_id, "since_seq": 0})
    assert history["ok"] and history["messages"][0]["text"] == "an old question"
    # Someone else's past conversation stays closed to her.
    stranger = await gateway.visitor().connect()
    other = await stranger.send("private matter", cid())
    await stranger.call("close", {})
    denied = await hanako.call("sync", {"conversation_id": other["message"]["conversation_id"],
                                        "since_seq": 0})
    assert denied["error"] == "forbidden"
    for client in (visitor, stranger, hanako):
        await client.disconnect()


async def test_repair_makes_the_backend_agree_with_the_record(gateway: Gateway) -> None:
    """A move committed to the record whose backend call failed is repaired."""
    solo = await agent(gateway, "Solo", capacity=1)
    first = await waiting_visitor(gateway)
    held = (await solo.next("assigned"))["conversation"]["id"]
    second = await waiting_visitor(gateway)
    backend = gateway.ctx.routing.backend
    # The record closes the chat, but the backend never hears of it (a failed release).
    async with gateway.ctx.store.begin() as tx:
        conversation = await tx.conversation(held, lock=True)
        await tx.set_state(conversation, "closed", event="closed", actor="test")
    # And the second visitor's entry is lost from the backend's queue (a failed enqueue).
    waiting_id = (await second.call("sync", {"since_seq": 0}))["conversation"]["id"]
    await backend.dequeue(waiting_id)
    assert (await backend.agent(solo.hello["agent"]["id"])).load == 1
    await gateway.ctx.routing.repair()
    # The slot is free again and the lost visitor is queued again and gets it.
    taken = await solo.next("assigned")
    assert taken["conversation"]["id"] == waiting_id
    assert await backend.holder(held) is None
    for client in (solo, first, second):
        await client.disconnect()


async def test_the_sweep_abandons_waits_a_lost_timer_missed(start_gateway) -> None:
    gateway = await start_gateway(abandon_after_s=60)
    service = gateway.ctx.conversations
    gone = await waiting_visitor(gateway)
    gone_id = (await gone.call("sync", {"since_seq": 0}))["conversation"]["id"]
    staying = await waiting_visitor(gateway)
    await gone.disconnect()
    await asyncio.sleep(0.3)
    # The per-process timer dies (a restart would lose it): only the sweep is left.
    await service.stop()
    await service.sweep_abandoned(after_s=60)
    assert "abandoned" not in await event_types(gateway, gone_id)  # left too recently
    await service.sweep_abandoned(after_s=0.2)
    assert (await event_types(gateway, gone_id))[-1] == "abandoned"
    # A visitor with a tab open is never swept.
    synced = await staying.call("sync", {"since_seq": 0})
    assert synced["conversation"]["state"] == "queued"
    await staying.disconnect()


async def test_sockets_of_a_session_signed_out_elsewhere_are_closed(start_gateway) -> None:
    here = await start_gateway()
    # A second gateway on the same record (another process, minus Redis).
    there = await start_gateway(data_dir=here.ctx.settings.data_dir)
    hanako = await agent(here, "Hanako")
    async with aiohttp.ClientSession() as http, http.post(
        f"{there.url}/api/auth/logout", headers={"Authorization": f"Bearer {hanako.token}"}
    ) as response:
        assert response.status == 200
    await asyncio.sleep(0.2)
    assert hanako.sio.connected  # the other process could not reach this socket
    await here.app[SIO].namespace_handlers["/agent"].end_lapsed_sessions()
    assert (await hanako.next("session_ended"))["reason"] == "signed_out"
    for _ in range(50):
        if not hanako.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not hanako.sio.connected


async def test_an_agent_reusing_the_visitors_client_id_gets_conflict(
    any_db_gateway: Gateway
) -> None:
    """Before, three IntegrityErrors and an `unavailable` with a traceback."""
    hanako = await agent(any_db_gateway, "Hanako")
    visitor = await waiting_visitor(any_db_gateway)
    conversation_id = (await hanako.next("assigned"))["conversation"]["id"]
    assert (await visitor.send("are you there?", "same-1"))["ok"]
    ack = await hanako.call("message", {"conversation_id": conversation_id,
                                        "client_id": "same-1", "text": "Yes!"})
    assert ack["ok"] is False and ack["error"] == "conflict", ack
    ack = await hanako.call("message", {"conversation_id": conversation_id,
                                        "client_id": "same-2", "text": "Yes!"})
    assert ack["ok"] and ack["message"]["author"]["name"] == "Hanako"
    for client in (hanako, visitor):
        await client.disconnect()


async def test_after_a_restart_agents_who_come_back_keep_their_chats(start_gateway) -> None:
    """The in-process backend forgets at a restart; the record gives each chat back to
    its agent for the grace period. Before, every chat went back to the queue and
    to whoever was online first."""
    first = await start_gateway()
    hanako = await agent(first, "Hanako", capacity=1)
    jiro = await agent(first, "Jiro", capacity=1)
    chats = {}
    for who in (hanako, jiro):
        visitor = await waiting_visitor(first)
        chats[who] = (await who.next("assigned"))["conversation"]["id"]
        await visitor.disconnect()
    for client in (hanako, jiro):
        await client.disconnect()
    await first.runner.cleanup()

    second = await start_gateway(data_dir=first.ctx.settings.data_dir, agent_grace_s=3)
    taro = await agent(second, "Taro", capacity=4)  # online, idle, room for all
    back = await AgentClient.signed_in(second.url, hanako.hello["agent"]["email"], PASSWORD)
    assert [c["id"] for c in back.hello["conversations"]] == [chats[hanako]]
    # Jiro does not come back: after his grace his chat goes to Taro.
    taken = await taro.next("assigned", timeout=15)
    assert taken["conversation"]["id"] == chats[jiro]
    assert "requeued" not in await event_types(second, chats[hanako])
    assert "requeued" in await event_types(second, chats[jiro])
    for client in (back, taro):
        await client.disconnect()


async def test_supervisors_and_agents_who_ask_sign_in_away(gateway: Gateway) -> None:
    """Before, a supervisor was handed waiting chats the instant they signed in
    (4 waiting: 2 assigned before they could choose "away")."""
    visitors = [await waiting_visitor(gateway) for _ in range(2)]
    boss = await agent(gateway, "Boss", role="supervisor")
    assert boss.hello["agent"]["status"] == "away"
    email = await add_agent(gateway, "Hanako")
    _, body, _ = await login(gateway.url, email, PASSWORD)
    hanako = AgentClient(gateway.url, body["token"])
    hanako.auth["status"] = "away"
    await hanako.connect()
    assert (await hanako.next("hello"))["agent"]["status"] == "away"
    for someone in (boss, hanako):
        with pytest.raises(asyncio.TimeoutError):
            await someone.next("assigned", timeout=0.5)
    # Opting in: going online takes waiting chats at once.
    assert (await boss.call("presence", {"status": "online"}))["ok"]
    assert (await boss.next("assigned"))["conversation"]["state"] == "assigned"
    for client in (boss, hanako, *visitors):
        await client.disconnect()
