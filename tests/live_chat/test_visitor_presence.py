"""A visitor who left while waiting takes no agent's slot; agents see the visitor's presence.

Issue 13, defect 8: a waiting visitor who closed the tab was assigned to the
next agent, and the console said nothing of whether the visitor was still
there. Real gateway on loopback, real Socket.IO clients.
"""

from __future__ import annotations

import asyncio

import pytest

from live_chat.settings import Settings
from tests.clients import AgentClient, VisitorClient, cid
from tests.conftest import Gateway, GatewayFactory
from tests.live_chat.test_agent_protocol import PASSWORD, agent, waiting_visitor

GRACE_S = 0.5


@pytest.fixture
async def gw(start_gateway: GatewayFactory) -> Gateway:
    """A gateway whose visitors count as gone half a second after their last tab closed."""
    return await start_gateway(visitor_grace_s=GRACE_S)


async def _reconnect(gateway: Gateway, visitor: VisitorClient) -> VisitorClient:
    return await gateway.visitor(token=visitor.session["visitor_token"]).connect()


async def test_a_waiting_visitor_who_closed_the_tab_is_not_assigned(gw: Gateway) -> None:
    visitor = await waiting_visitor(gw)
    conversation_id = (await visitor.next_where("status", lambda s: s["state"] == "queued"))["id"]
    await visitor.disconnect()
    await asyncio.sleep(GRACE_S + 0.5)
    (entry,) = await gw.ctx.routing.backend.queue()
    assert entry.conversation_id == conversation_id and entry.visitor_gone
    # An agent who comes online is not handed a chat with nobody in it.
    hanako = await agent(gw, "Hanako")
    with pytest.raises(asyncio.TimeoutError):
        await hanako.next("assigned", timeout=1.0)
    assert await gw.ctx.routing.backend.holder(conversation_id) is None
    async with gw.ctx.store.begin() as tx:
        assert (await tx.conversation(conversation_id)).state == "queued"
    # The visitor comes back: the chat is theirs again and goes to the agent at once.
    back = await _reconnect(gw, visitor)
    assigned = await hanako.next("assigned")
    assert assigned["conversation"]["id"] == conversation_id
    assert assigned["visitor"]["presence"] == "online"
    await back.next_where("status", lambda s: s["state"] == "assigned")
    await back.disconnect()
    await hanako.disconnect()


async def test_a_reload_within_the_grace_keeps_the_visitor_waiting(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(visitor_grace_s=3)
    visitor = await waiting_visitor(gateway)
    await visitor.disconnect()
    reloaded = await _reconnect(gateway, visitor)
    await asyncio.sleep(0.3)
    (entry,) = await gateway.ctx.routing.backend.queue()
    assert not entry.visitor_gone
    hanako = await agent(gateway, "Hanako")
    assert (await hanako.next("assigned"))["visitor"]["presence"] == "online"
    await reloaded.disconnect()
    await hanako.disconnect()


async def test_a_visitor_gone_longer_takes_no_slot_from_the_one_behind(gw: Gateway) -> None:
    first = await waiting_visitor(gw)
    second = await waiting_visitor(gw)
    second_id = (await second.next_where("status", lambda s: s["state"] == "queued"))["id"]
    await first.disconnect()
    await asyncio.sleep(GRACE_S + 0.5)
    hanako = await agent(gw, "Hanako", capacity=1)
    assigned = await hanako.next("assigned")
    assert assigned["conversation"]["id"] == second_id
    await second.disconnect()
    await hanako.disconnect()


async def test_the_agent_sees_the_visitor_idle_then_left_then_back(gw: Gateway) -> None:
    hanako = await agent(gw, "Hanako")
    visitor = await waiting_visitor(gw)
    assigned = await hanako.next("assigned")
    conversation_id = assigned["conversation"]["id"]
    visitor_id = visitor.session["visitor_id"]
    assert assigned["visitor"]["presence"] == "online"

    assert (await visitor.call("activity", {"idle": True}))["ok"]
    seen = await hanako.next("visitor_presence")
    assert seen["conversation_id"] == conversation_id and seen["visitor_id"] == visitor_id
    assert seen["presence"] == "idle" and seen["at"]
    # The same report again says nothing new.
    assert (await visitor.call("activity", {"idle": True}))["ok"]
    assert (await visitor.call("activity", {"idle": False}))["ok"]
    assert (await hanako.next("visitor_presence"))["presence"] == "online"

    await visitor.disconnect()
    left = await hanako.next("visitor_presence", timeout=GRACE_S + 5)
    assert left["presence"] == "left"
    # A console opened now shows it too.
    again = await AgentClient.signed_in(gw.url, "hanako@example.com", PASSWORD)
    (chat,) = again.hello["conversations"]
    assert chat["visitor"]["presence"] == "left"
    await again.disconnect()

    back = await _reconnect(gw, visitor)
    online = await hanako.next_where("visitor_presence", lambda p: p["presence"] == "online")
    assert online["visitor_id"] == visitor_id
    await back.disconnect()
    await hanako.disconnect()


async def test_activity_is_validated(gw: Gateway) -> None:
    async with gw.visitor() as visitor:
        for bad in ({}, {"idle": "yes"}, {"idle": 1}, "idle"):
            ack = await visitor.call("activity", bad)
            assert ack == {"ok": False, "error": "invalid", "message": ack["message"]}
        # Without a conversation there is nobody to tell: accepted, nothing else.
        assert (await visitor.call("activity", {"idle": True}))["ok"]
        await visitor.send("hello", cid())


def test_visitor_grace_setting() -> None:
    assert Settings.from_env({}, secret_key="x" * 16).visitor_grace_s == 10.0
    assert Settings.from_env({"TSUNAGU_VISITOR_GRACE": "3"},
                             secret_key="x" * 16).visitor_grace_s == 3.0
