"""The handoff contract: every case runs on the in-process and the Redis backend.

A backend is correct when it passes all of these; the gateway relies on
nothing else. Times come from a fake clock so grace periods are exact.
"""

from __future__ import annotations

import random

import pytest

from handoff import router
from handoff.backend import (
    AgentStatus,
    AgentUnavailable,
    Assignment,
    Changes,
    HandoffBackend,
    HandoffError,
    NotAssigned,
    UnknownAgent,
)
from handoff.memory import MemoryBackend


async def online(b: HandoffBackend, agent_id: str, capacity: int = 4, teams=()) -> Changes:
    await b.register_agent(agent_id, agent_id.upper(), capacity, teams)
    return await b.set_status(agent_id, "online")


async def check_invariants(
    b: HandoffBackend, capacity_lowered: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Capacity respected, one holder per conversation, nothing both held and
    waiting, positions 1..n in queue order. Returns (holder map, waiting ids).

    ``capacity_lowered``: the test lowered a capacity below a load on purpose
    (allowed: the agent keeps the chats), so skip that check."""
    held: dict[str, str] = {}
    for agent in await b.agents():
        assert capacity_lowered or agent.load <= agent.capacity, agent
        for cid in agent.active:
            assert cid not in held, f"{cid} held by {held[cid]} and {agent.agent_id}"
            held[cid] = agent.agent_id
            assert await b.holder(cid) == agent.agent_id
    waiting = [e.conversation_id for e in await b.queue()]
    assert len(waiting) == len(set(waiting))
    assert not set(waiting) & set(held)
    expected = {cid: i for i, cid in enumerate(waiting, start=1)}
    assert await b.queue_positions() == expected
    for cid, pos in expected.items():
        assert await b.position(cid) == pos
    # Nothing waits that an agent could take now: freed capacity was used at once.
    assert router.plan_assignments(await b.agents(), await b.queue()) == []
    return held, waiting


def assigned(changes: Changes) -> list[tuple[str, str]]:
    return [(a.conversation_id, a.agent_id) for a in changes.assigned]


# -- assignment -----------------------------------------------------------------


async def test_enqueue_assigns_at_once_when_an_agent_has_room(backend: HandoffBackend) -> None:
    await online(backend, "a1")
    changes = await backend.enqueue("c1")
    assert assigned(changes) == [("c1", "a1")]
    assert changes.queued == () and changes.positions == {}
    assert await backend.holder("c1") == "a1"
    assert await backend.position("c1") is None
    (agent,) = await backend.agents()
    assert agent.active == {"c1"} and agent.load == 1 and agent.free == 3
    assert agent.last_assigned_at == backend.clock()


async def test_capacity_is_never_exceeded_and_the_rest_waits(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=3)
    results = [await backend.enqueue(f"c{i}") for i in range(5)]
    assert [assigned(r) for r in results[:3]] == [[("c0", "a1")], [("c1", "a1")], [("c2", "a1")]]
    assert results[3].assigned == () and results[3].positions == {"c3": 1}
    assert [e.conversation_id for e in results[3].queued] == ["c3"]
    assert results[4].positions == {"c4": 2}
    held, waiting = await check_invariants(backend)
    assert len(held) == 3 and waiting == ["c3", "c4"]


async def test_fewest_active_chats_then_longest_idle(backend: HandoffBackend) -> None:
    for agent_id in ("a", "b", "c"):
        await online(backend, agent_id)
    # All idle: registration order is the idle order.
    assert assigned(await backend.enqueue("c1")) == [("c1", "a")]
    assert assigned(await backend.enqueue("c2")) == [("c2", "b")]
    assert assigned(await backend.enqueue("c3")) == [("c3", "c")]
    # All at one chat: the one assigned least recently.
    assert assigned(await backend.enqueue("c4")) == [("c4", "a")]
    # b drops to zero chats: fewest chats beats idle time.
    await backend.release("c2")
    assert assigned(await backend.enqueue("c5")) == [("c5", "b")]
    # a has 2, b and c have 1; c was assigned before b's latest.
    assert assigned(await backend.enqueue("c6")) == [("c6", "c")]
    assert assigned(await backend.enqueue("c7")) == [("c7", "b")]
    await check_invariants(backend)


async def test_a_new_agent_is_the_most_recent_in_the_idle_order(backend: HandoffBackend) -> None:
    await online(backend, "a")
    await online(backend, "b")
    await backend.enqueue("c1")  # -> a
    await backend.release("c1")
    await online(backend, "late")
    # All hold nothing. b has waited since registering, a since its chat, and
    # late arrived after both.
    assert assigned(await backend.enqueue("c2")) == [("c2", "b")]
    assert assigned(await backend.enqueue("c3")) == [("c3", "a")]
    assert assigned(await backend.enqueue("c4")) == [("c4", "late")]


async def test_team_conversations_go_only_to_members(backend: HandoffBackend) -> None:
    await online(backend, "generalist", capacity=2)
    await online(backend, "biller", capacity=1, teams=["billing"])
    # The billing chat skips the idle generalist.
    assert assigned(await backend.enqueue("bill1", team="billing")) == [("bill1", "biller")]
    # The biller is full: the next billing chat waits although the generalist has room...
    changes = await backend.enqueue("bill2", team="billing")
    assert changes.assigned == () and changes.positions == {"bill2": 1}
    # ...and does not block a team-less chat behind it.
    assert assigned(await backend.enqueue("c1")) == [("c1", "generalist")]
    assert await backend.queue_positions() == {"bill2": 1}
    # When the biller frees up, the waiting billing chat goes to them.
    changes = await backend.release("bill1")
    assert assigned(changes) == [("bill2", "biller")]
    await check_invariants(backend)


async def test_team_less_conversations_may_go_to_team_members(backend: HandoffBackend) -> None:
    await online(backend, "biller", teams=["billing", "vip"])
    assert assigned(await backend.enqueue("c1")) == [("c1", "biller")]
    assert assigned(await backend.enqueue("c2", team="vip")) == [("c2", "biller")]


async def test_queue_order_is_priority_then_arrival(backend: HandoffBackend) -> None:
    await backend.register_agent("a1", "A", capacity=1)
    await backend.enqueue("low1")
    await backend.enqueue("high1", priority=1)
    await backend.enqueue("low2")
    changes = await backend.enqueue("high2", priority=1)
    # high2 went in after high1 and pushed both lows back.
    assert changes.positions == {"high2": 2, "low1": 3, "low2": 4}
    await backend.enqueue("urgent", priority=5)
    order = ["urgent", "high1", "high2", "low1", "low2"]
    assert [e.conversation_id for e in await backend.queue()] == order
    await check_invariants(backend)
    # One slot at a time, served in that order.
    await backend.set_status("a1", "online")
    served = []
    for _ in order:
        (cid,) = (await backend.agent("a1")).active
        served.append(cid)
        await backend.release(cid)
    assert served == order


async def test_release_frees_capacity_and_assigns_the_next(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=1)
    await backend.enqueue("c1")
    await backend.enqueue("c2")
    await backend.enqueue("c3")
    changes = await backend.release("c1")
    assert changes.unassigned == (Assignment("c1", "a1"),)
    assert assigned(changes) == [("c2", "a1")]
    assert changes.positions == {"c3": 1}
    assert await backend.holder("c1") is None
    # A release of something unknown (or already released) changes nothing.
    assert not await backend.release("c1")
    assert not await backend.release("never-seen")
    await check_invariants(backend)


async def test_release_of_a_waiting_conversation_removes_it(backend: HandoffBackend) -> None:
    await backend.register_agent("a1", "A")
    await backend.enqueue("c1")
    await backend.enqueue("c2")
    changes = await backend.release("c1")
    assert changes.positions == {"c2": 1} and changes.assigned == ()
    assert await backend.position("c1") is None


async def test_a_released_conversation_can_be_escalated_again(backend: HandoffBackend) -> None:
    await online(backend, "a1")
    await backend.enqueue("c1")
    await backend.release("c1")  # handback to the bot
    assert assigned(await backend.enqueue("c1", priority=1)) == [("c1", "a1")]


async def test_enqueue_twice_never_assigns_twice(backend: HandoffBackend) -> None:
    await online(backend, "a1")
    await online(backend, "a2")
    assert assigned(await backend.enqueue("c1")) == [("c1", "a1")]
    assert not await backend.enqueue("c1")
    assert not await backend.enqueue("c1", priority=9, team="x")
    await backend.set_status("a1", "away")
    await backend.set_status("a2", "away")
    await backend.enqueue("c2")
    assert not await backend.enqueue("c2")
    held, waiting = await check_invariants(backend)
    assert held == {"c1": "a1"} and waiting == ["c2"]


# -- presence -------------------------------------------------------------------


async def test_away_agents_get_nothing_and_going_online_assigns(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=2)
    await backend.enqueue("c1")
    await backend.set_status("a1", "away")
    changes = await backend.enqueue("c2")
    assert changes.assigned == () and changes.positions == {"c2": 1}
    await backend.enqueue("c3")
    await backend.enqueue("c4")
    # Away keeps the chats already held.
    assert await backend.holder("c1") == "a1"
    changes = await backend.set_status("a1", AgentStatus.ONLINE)
    assert assigned(changes) == [("c2", "a1")]  # one free slot
    assert changes.positions == {"c3": 1, "c4": 2}
    await check_invariants(backend)


async def test_a_new_agent_is_offline_until_set_online(backend: HandoffBackend) -> None:
    await backend.register_agent("a1", "Aiko")
    (agent,) = await backend.agents()
    assert agent.status is AgentStatus.OFFLINE and agent.capacity == 4
    assert agent.connected and agent.teams == frozenset()
    assert not (await backend.enqueue("c1")).assigned
    assert assigned(await backend.set_status("a1", "online")) == [("c1", "a1")]


async def test_going_offline_returns_chats_to_the_head_of_the_queue(
    backend: HandoffBackend,
) -> None:
    await online(backend, "a1", capacity=2)
    await backend.enqueue("c1")
    await backend.enqueue("c2")
    await backend.enqueue("waiting", priority=5)
    changes = await backend.set_status("a1", "offline")
    assert changes.unassigned == (Assignment("c1", "a1"), Assignment("c2", "a1"))
    # Back at the head, before even a higher-priority first-timer.
    assert [e.conversation_id for e in changes.queued] == ["c1", "c2"]
    assert all(e.returned for e in changes.queued)
    assert changes.positions == {"c1": 1, "c2": 2, "waiting": 3}
    (agent,) = await backend.agents()
    assert agent.status is AgentStatus.OFFLINE and agent.load == 0
    # Someone else comes online and gets them first.
    changes = await online(backend, "a2", capacity=2)
    assert assigned(changes) == [("c1", "a2"), ("c2", "a2")]
    await check_invariants(backend)


async def test_register_again_updates_profile_and_keeps_chats(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=2)
    for cid in ("c1", "c2", "c3", "c4"):
        await backend.enqueue(cid)
    # Raised capacity takes waiting chats at once.
    changes = await backend.register_agent("a1", "Aiko S.", capacity=3, teams=["vip"])
    assert assigned(changes) == [("c3", "a1")]
    (agent,) = await backend.agents()
    assert agent.name == "Aiko S." and agent.teams == {"vip"}
    assert agent.status is AgentStatus.ONLINE
    # Lowered capacity keeps what is held, and gives nothing new until below it.
    await backend.register_agent("a1", "Aiko S.", capacity=1)
    assert (await backend.agent("a1")).active == {"c1", "c2", "c3"}
    await backend.release("c1")
    await backend.release("c2")
    assert (await backend.agent("a1")).load == 1
    assert await backend.position("c4") == 1
    assert assigned(await backend.release("c3")) == [("c4", "a1")]


# -- transfer ---------------------------------------------------------------------


async def test_transfer_to_an_agent(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=1)
    await online(backend, "a2", capacity=2)
    await backend.enqueue("c1")  # a1
    await backend.enqueue("c2")  # a2
    with pytest.raises(AgentUnavailable):
        await backend.transfer("c2", to_agent_id="a1")  # a1 is full
    await backend.release("c1")
    changes = await backend.transfer("c2", to_agent_id="a1", to_team="vip")
    assert changes.assigned == (Assignment("c2", "a1", previous_agent_id="a2"),)
    assert changes.unassigned == (Assignment("c2", "a2"),)
    assert await backend.holder("c2") == "a1"
    assert (await backend.agent("a2")).load == 0
    # to_team given with the agent becomes the conversation's team.
    await backend.set_status("a1", "offline")
    (entry,) = await backend.queue()
    assert entry.conversation_id == "c2" and entry.team == "vip"
    await check_invariants(backend)


async def test_transfer_frees_a_slot_that_takes_the_next_waiting(backend: HandoffBackend) -> None:
    await online(backend, "biller", capacity=1, teams=["billing"])
    await online(backend, "front", capacity=2)
    await backend.enqueue("c1")  # biller (idle longest)
    await backend.enqueue("c2")  # front
    # A billing chat waits: the only biller is full.
    assert (await backend.enqueue("w1", team="billing")).positions == {"w1": 1}
    changes = await backend.transfer("c1", to_agent_id="front")
    assert changes.assigned == (
        Assignment("c1", "front", previous_agent_id="biller"),
        Assignment("w1", "biller"),
    )
    assert changes.unassigned == (Assignment("c1", "biller"),)
    assert changes.positions == {}
    await check_invariants(backend)


async def test_transfer_refusals_change_nothing(backend: HandoffBackend) -> None:
    await online(backend, "a1")
    await online(backend, "a2")
    await backend.register_agent("a3", "A3")  # offline
    await backend.enqueue("c1")  # a1
    await backend.set_status("a2", "away")
    with pytest.raises(AgentUnavailable):
        await backend.transfer("c1", to_agent_id="a2")  # away
    with pytest.raises(AgentUnavailable):
        await backend.transfer("c1", to_agent_id="a3")  # offline
    with pytest.raises(AgentUnavailable):
        await backend.transfer("c1", to_agent_id="a1")  # already theirs
    with pytest.raises(UnknownAgent):
        await backend.transfer("c1", to_agent_id="nobody")
    with pytest.raises(NotAssigned):
        await backend.transfer("unknown", to_agent_id="a2")
    await backend.set_status("a2", "online")
    await backend.agent_disconnected("a2")
    with pytest.raises(AgentUnavailable):
        await backend.transfer("c1", to_agent_id="a2")  # disconnected
    assert await backend.holder("c1") == "a1"
    await backend.set_status("a1", "away")
    await backend.enqueue("waiting")
    with pytest.raises(NotAssigned):
        await backend.transfer("waiting", to_team="x")
    await check_invariants(backend)


async def test_transfer_to_a_team_goes_to_its_best_member(backend: HandoffBackend) -> None:
    await online(backend, "front")
    await online(backend, "bill1", teams=["billing"])
    await online(backend, "bill2", teams=["billing"])
    await backend.enqueue("c1")  # front (idle longest)
    await backend.enqueue("c2")  # bill1
    changes = await backend.transfer("c1", to_team="billing")
    # bill2 has fewer chats than bill1.
    assert changes.assigned == (Assignment("c1", "bill2", previous_agent_id="front"),)
    assert changes.unassigned == (Assignment("c1", "front"),)
    # The conversation now belongs to billing: requeued later, it goes to
    # bill1 (busier) rather than to the idle front agent.
    changes = await backend.set_status("bill2", "offline")
    assert assigned(changes) == [("c1", "bill1")]


async def test_transfer_to_a_full_team_waits_at_the_head(backend: HandoffBackend) -> None:
    await online(backend, "front", capacity=2)
    await online(backend, "biller", capacity=1, teams=["billing"])
    await backend.enqueue("b0", team="billing")  # biller, now full
    await backend.enqueue("c1")  # front
    await backend.enqueue("c2")  # front, now full
    await backend.enqueue("w1", priority=3)  # waits
    changes = await backend.transfer("c1", to_team="billing")
    assert changes.unassigned == (Assignment("c1", "front"),)
    # front's freed slot went to w1, not back to c1.
    assert assigned(changes) == [("w1", "front")]
    (entry,) = changes.queued
    assert entry.conversation_id == "c1" and entry.returned and entry.team == "billing"
    assert entry.excluded_agent_id == "front"
    assert changes.positions == {"c1": 1}
    changes = await backend.release("b0")
    assert assigned(changes) == [("c1", "biller")]
    await check_invariants(backend)


async def test_transfer_to_anyone_never_comes_back(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=2)
    await backend.enqueue("c1")
    changes = await backend.transfer("c1")  # nobody else: waits, not for a1
    assert changes.assigned == () and changes.positions == {"c1": 1}
    await backend.enqueue("c2")  # behind c1, but a1 may take it
    assert await backend.holder("c2") == "a1"
    assert await backend.position("c1") == 1
    changes = await online(backend, "a2")
    assert assigned(changes) == [("c1", "a2")]
    await check_invariants(backend)


# -- abandon ------------------------------------------------------------------------


async def test_dequeue_removes_a_waiting_conversation(backend: HandoffBackend) -> None:
    await online(backend, "a1", capacity=1)
    await backend.enqueue("c1")  # a1
    for cid in ("w1", "w2", "w3"):
        await backend.enqueue(cid)
    changes = await backend.dequeue("w2")
    assert changes.positions == {"w3": 2} and changes.assigned == ()
    assert await backend.position("w2") is None
    # dequeue leaves held conversations alone; unknown ones are a no-op.
    assert not await backend.dequeue("c1")
    assert await backend.holder("c1") == "a1"
    assert not await backend.dequeue("w2")
    changes = await backend.dequeue("w1")
    assert changes.positions == {"w3": 1}
    _, waiting = await check_invariants(backend)
    assert waiting == ["w3"]


async def test_a_waiting_visitor_who_left_takes_no_slot_and_keeps_their_place(
    backend: HandoffBackend,
) -> None:
    await online(backend, "a1", capacity=1)
    await backend.enqueue("c1")  # a1
    for cid in ("w1", "w2", "w3"):
        await backend.enqueue(cid)
    assert not await backend.visitor_left("w1")  # nothing moves: places are kept
    assert await backend.queue_positions() == {"w1": 1, "w2": 2, "w3": 3}
    assert [e.visitor_gone for e in await backend.queue()] == [True, False, False]
    # The freed slot skips w1, whose visitor is gone, and goes to w2.
    changes = await backend.release("c1")
    assert assigned(changes) == [("w2", "a1")]
    assert changes.positions == {"w3": 2}
    _, waiting = await check_invariants(backend)
    assert waiting == ["w1", "w3"]
    # Back before anyone has room: still first in the queue, served next.
    assert not await backend.visitor_back("w1")
    assert not (await backend.queue())[0].visitor_gone
    changes = await backend.release("w2")
    assert assigned(changes) == [("w1", "a1")]
    assert changes.positions == {"w3": 1}
    await check_invariants(backend)


async def test_a_visitor_who_comes_back_is_routed_at_once(backend: HandoffBackend) -> None:
    await backend.register_agent("a1", "A1", 2)
    await backend.enqueue("w1")
    await backend.visitor_left("w1")
    # An agent coming online takes no chat whose visitor is gone.
    assert not (await backend.set_status("a1", "online")).assigned
    assert await backend.position("w1") == 1
    changes = await backend.visitor_back("w1")
    assert assigned(changes) == [("w1", "a1")]
    assert changes.positions == {}
    # Unknown conversations, and a second call, change nothing.
    assert not await backend.visitor_left("nope")
    assert not await backend.visitor_back("nope")
    assert not await backend.visitor_back("w1")
    await check_invariants(backend)


async def test_a_held_chat_whose_visitor_left_is_not_reassigned_when_requeued(
    backend: HandoffBackend, clock
) -> None:
    """The mark stays with a held chat: when its agent's grace ends it goes back
    to the queue but no one else is given it until the visitor is back."""
    await online(backend, "a1", capacity=1)
    await online(backend, "a2", capacity=1)
    await backend.enqueue("c1")  # a1
    assert not await backend.visitor_left("c1")
    assert await backend.holder("c1") == "a1"  # a held chat stays with its agent
    await backend.agent_disconnected("a1")
    changes = await backend.expire_grace(clock.now + 60)
    assert changes.assigned == () and [e.conversation_id for e in changes.queued] == ["c1"]
    assert changes.queued[0].visitor_gone
    await check_invariants(backend)
    assert assigned(await backend.visitor_back("c1")) == [("c1", "a2")]
    # Released and escalated again: a fresh entry, the visitor counts as present.
    await backend.release("c1")
    await backend.visitor_left("c1")
    await backend.release("c1")
    assert assigned(await backend.enqueue("c1")) == [("c1", "a2")]


# -- disconnect and grace -------------------------------------------------------------


async def test_grace_period_then_chats_return_to_the_head(backend, clock) -> None:
    await online(backend, "a1", capacity=2)
    await online(backend, "a2", capacity=1)
    await backend.enqueue("c1")  # a1
    await backend.enqueue("c2")  # a2
    await backend.enqueue("c3")  # a1
    await backend.enqueue("w1", priority=9)  # waits
    assert not await backend.agent_disconnected("a1")
    a1 = await backend.agent("a1")
    assert a1.disconnected_at == clock.now and a1.grace_until == clock.now + 60
    assert not a1.connected and a1.active == {"c1", "c3"}
    # During the grace period nothing moves and a1 gets nothing new.
    clock.advance(59)
    assert not await backend.expire_grace()
    await backend.release("c2")  # a2 takes w1, not a1
    assert await backend.holder("w1") == "a2"
    await backend.enqueue("w2")
    assert await backend.position("w2") == 1
    # At the deadline the chats go back, ahead of w2, and a1 is offline.
    clock.advance(1)
    changes = await backend.expire_grace()
    assert changes.unassigned == (Assignment("c1", "a1"), Assignment("c3", "a1"))
    assert [e.conversation_id for e in changes.queued] == ["c1", "c3"]
    assert changes.positions == {"c1": 1, "c3": 2, "w2": 3}
    a1 = await backend.agent("a1")
    assert a1.status is AgentStatus.OFFLINE and a1.connected and a1.load == 0
    assert not await backend.expire_grace()  # idempotent
    changes = await backend.release("w1")  # a2 frees: the head goes first
    assert assigned(changes) == [("c1", "a2")]
    await check_invariants(backend)


async def test_expired_chats_go_at_once_to_agents_with_room(backend, clock) -> None:
    await online(backend, "a1", capacity=2)
    await backend.enqueue("c1")
    await backend.enqueue("c2")
    await online(backend, "a2", capacity=4)
    await backend.agent_disconnected("a1")
    changes = await backend.expire_grace(clock.now + 60)
    assert assigned(changes) == [("c1", "a2"), ("c2", "a2")]
    assert changes.queued == () and changes.positions == {}


async def test_reconnect_within_grace_keeps_the_chats(backend, clock) -> None:
    await online(backend, "a1", capacity=2)
    await backend.enqueue("c1")
    await backend.agent_disconnected("a1")
    await backend.enqueue("w1")  # a1 is disconnected: waits
    clock.advance(30)
    await backend.agent_disconnected("a1")  # a second drop keeps the first deadline
    assert (await backend.agent("a1")).grace_until == clock.now - 30 + 60
    changes = await backend.agent_connected("a1")
    assert assigned(changes) == [("w1", "a1")]  # back with room: takes the waiting chat
    clock.advance(120)
    assert not await backend.expire_grace()
    assert (await backend.agent("a1")).active == {"c1", "w1"}


async def test_an_agent_with_two_connections_keeps_working_when_one_closes(backend, clock) -> None:
    await online(backend, "a1")
    await backend.agent_connected("a1", "tab1")
    await backend.agent_connected("a1", "tab2")
    await backend.enqueue("c1")
    assert (await backend.agent("a1")).connections == 2
    assert not await backend.agent_disconnected("a1", "tab1")
    a1 = await backend.agent("a1")
    assert a1.connected and a1.connections == 1
    assert assigned(await backend.enqueue("c2")) == [("c2", "a1")]  # still gets chats
    clock.advance(120)
    assert not await backend.expire_grace()
    # The last one closing starts the grace period.
    await backend.agent_disconnected("a1", "tab2")
    a1 = await backend.agent("a1")
    assert not a1.connected and a1.connections == 0 and a1.grace_until == clock.now + 60
    # Going offline forgets connections (also clears ones a crashed process left).
    await backend.agent_connected("a1", "stale")
    await backend.set_status("a1", "offline")
    assert (await backend.agent("a1")).connections == 0


async def test_grace_seconds_is_settable(backend, clock) -> None:
    backend.grace_seconds = 5
    await online(backend, "a1")
    await backend.enqueue("c1")
    await backend.agent_disconnected("a1")
    assert not await backend.expire_grace(clock.now + 4.9)
    assert (await backend.expire_grace(clock.now + 5)).unassigned == (Assignment("c1", "a1"),)


async def test_after_expiry_the_agent_comes_back_by_going_online(backend, clock) -> None:
    await online(backend, "a1")
    await backend.enqueue("c1")
    await backend.agent_disconnected("a1")
    clock.advance(61)
    await backend.expire_grace()
    assert not await backend.agent_connected("a1")  # offline: nothing assigned yet
    assert assigned(await backend.set_status("a1", "online")) == [("c1", "a1")]


async def test_unknown_agents_are_refused(backend: HandoffBackend) -> None:
    for call in (
        backend.set_status("ghost", "online"),
        backend.agent_disconnected("ghost"),
        backend.agent_connected("ghost"),
    ):
        with pytest.raises(UnknownAgent):
            await call
    assert await backend.agent("ghost") is None


async def test_invalid_input_is_refused(backend: HandoffBackend) -> None:
    for capacity in (0, 11, 2.5, True):
        with pytest.raises(ValueError):
            await backend.register_agent("a1", "A", capacity=capacity)
    with pytest.raises(ValueError):
        await backend.register_agent("a1", "A", teams="billing")
    await backend.register_agent("a1", "A", capacity=10)
    with pytest.raises(ValueError):
        await backend.set_status("a1", "busy")
    for priority in (1001, -1001, 1.5):
        with pytest.raises(ValueError):
            await backend.enqueue("c1", priority=priority)
    with pytest.raises(ValueError):
        await backend.enqueue("", priority=0)
    with pytest.raises(ValueError):
        await backend.enqueue("c1", team="")
    assert await backend.queue() == []


# -- estimates ----------------------------------------------------------------------


async def test_eta_from_online_capacity(backend: HandoffBackend) -> None:
    backend.avg_handle_seconds = 240
    assert await backend.eta_seconds(1) is None  # nobody online
    await online(backend, "a1", capacity=3)
    await online(backend, "a2", capacity=5)
    await backend.register_agent("a3", "A3", capacity=10)  # offline: does not count
    assert await backend.eta_seconds(1) == 30  # 240 s / 8 slots
    assert await backend.eta_seconds(4) == 120
    await backend.agent_disconnected("a2")
    assert await backend.eta_seconds(1) == 80


async def test_extreme_priorities_keep_their_order(backend: HandoffBackend) -> None:
    await backend.register_agent("a1", "A", capacity=1)
    await backend.enqueue("min", priority=-1000)
    await backend.enqueue("max", priority=1000)
    await backend.enqueue("zero")
    await backend.enqueue("max2", priority=1000)
    assert list(await backend.queue_positions()) == ["max", "max2", "zero", "min"]


async def test_backends_report_identical_values(clock, make_redis_backend) -> None:
    """Same calls, same answers, field by field (floats included)."""
    mem = MemoryBackend(clock=clock)
    red = await make_redis_backend(clock=clock)
    clock.now = 1_700_000_000.123456789
    for b in (mem, red):
        await b.register_agent("a1", "相田 Aiko", capacity=2, teams=["billing", "vip"])
        await b.set_status("a1", "online")
        await b.enqueue("c1", priority=-3, team="vip")
        await b.enqueue("c2")
        await b.enqueue("c3", priority=2)
        await b.visitor_left("c3")
        await b.agent_disconnected("a1")
    assert await mem.agents() == await red.agents()
    assert await mem.queue() == await red.queue()
    assert await mem.expire_grace(clock.now + 60) == await red.expire_grace(clock.now + 60)
    assert await mem.agents() == await red.agents()
    assert await mem.queue() == await red.queue()


# -- both backends, side by side ------------------------------------------------------


async def _apply(b: HandoffBackend, op: str, args: tuple) -> Changes | str:
    """Run one operation; an error is returned as its class name to compare."""
    try:
        return await getattr(b, op)(*args)
    except (HandoffError, ValueError) as exc:
        return type(exc).__name__


def _random_op(rng: random.Random, clock, held: list[str]) -> tuple[str, tuple]:
    agent_id = f"a{rng.randrange(5)}"
    cid = f"c{rng.randrange(40)}"
    team = rng.choice([None, None, "x", "y"])
    roll = rng.random()
    if roll < 0.08:
        teams = rng.sample(["x", "y"], rng.randrange(3))
        return "register_agent", (agent_id, agent_id.upper(), rng.randint(1, 3), teams)
    if roll < 0.2:
        return "set_status", (agent_id, rng.choice(["online", "online", "away", "offline"]))
    if roll < 0.5:
        return "enqueue", (cid, rng.choice([0, 0, 1, 2]), team)
    if roll < 0.62:
        return "release", (cid,)
    if roll < 0.68:
        return "dequeue", (cid,)
    if roll < 0.72:
        return "visitor_left", (cid,)
    if roll < 0.75:
        return "visitor_back", (cid,)
    if roll < 0.8:
        target = rng.choice([None, agent_id])
        # Mostly held conversations, so transfers mostly happen.
        moved = rng.choice(held) if held and rng.random() < 0.8 else cid
        return "transfer", (moved, target, rng.choice([None, team]))
    connection = rng.choice(["", "tab1", "tab2"])
    if roll < 0.86:
        return "agent_disconnected", (agent_id, connection)
    if roll < 0.92:
        return "agent_connected", (agent_id, connection)
    clock.advance(rng.choice([1, 10, 30]))
    return "expire_grace", ()


@pytest.mark.parametrize("seed", range(4))
async def test_both_backends_answer_every_call_identically(
    seed: int, clock, make_redis_backend
) -> None:
    """Random operation sequences give the same Changes, errors and state on both
    backends, and the Changes alone keep a client's view of the queue exact."""
    rng = random.Random(seed)
    mem = MemoryBackend(clock=clock, grace_seconds=25)
    red = await make_redis_backend(clock=clock, grace_seconds=25)
    view: dict[str, int] = {}  # positions as a gateway would know them from Changes only
    for step in range(250):
        held = sorted(cid for agent in await mem.agents() for cid in agent.active)
        op, args = _random_op(rng, clock, held)
        got_mem = await _apply(mem, op, args)
        got_red = await _apply(red, op, args)
        assert got_mem == got_red, (step, op, args)
        if isinstance(got_mem, Changes):
            for a in got_mem.assigned:
                view.pop(a.conversation_id, None)
                agent = await mem.agent(a.agent_id)
                assert agent.load <= agent.capacity
            if op in ("release", "dequeue"):
                view.pop(args[0], None)
            view.update(got_mem.positions)
        assert await mem.agents() == await red.agents(), (step, op, args)
        assert await mem.queue() == await red.queue(), (step, op, args)
        assert view == await red.queue_positions(), (step, op, args)
    await check_invariants(red, capacity_lowered=True)


async def test_restore_gives_a_lost_chat_back_to_its_agent(backend, clock) -> None:
    """After the backend lost its state, the record's holder gets the chat back:
    not the queue, not the least loaded agent."""
    await online(backend, "a1", capacity=1)
    await online(backend, "a2", capacity=4)
    # The queue would give a1 the next chat (longest idle), but c1 was a1's.
    assert await backend.restore("c1", "a1", priority=5, team="sales") is True
    assert await backend.holder("c1") == "a1"
    await backend.enqueue("w1")  # a1 is full now
    assert await backend.holder("w1") == "a2"
    # Over capacity is allowed (a1 already had it); a1 gets nothing new meanwhile.
    assert await backend.restore("c2", "a1") is True
    assert (await backend.agent("a1")).active == {"c1", "c2"}
    await backend.enqueue("w2")
    assert await backend.holder("w2") == "a2"
    # Idempotent for the same agent; refused for another agent, or an unknown one.
    assert await backend.restore("c1", "a1") is True
    assert await backend.restore("c1", "a2") is False
    assert await backend.restore("w1", "a1") is False
    assert await backend.restore("c9", "nobody") is False
    assert await backend.holder("c9") is None
    await check_invariants(backend, capacity_lowered=True)
    # A restored chat behaves as any held one: its agent's grace ends, it is queued
    # with the priority and team it was restored with.
    await backend.agent_disconnected("a1")
    changes = await backend.expire_grace(clock.now + 60)
    entries = {e.conversation_id: e for e in changes.queued}
    assert entries["c1"].priority == 5 and entries["c1"].team == "sales"
    assert ("c2", "a2") in assigned(changes)
    await check_invariants(backend)


async def test_restore_to_an_offline_agent_who_comes_back(backend, clock) -> None:
    """The in-process backend after a restart: agents are registered offline and
    not yet connected; they keep their chats for the grace period."""
    await backend.register_agent("a1", "A1")
    await backend.agent_disconnected("a1")
    assert await backend.restore("c1", "a1") is True
    await backend.agent_connected("a1")
    await backend.set_status("a1", "online")
    clock.advance(120)
    assert not await backend.expire_grace()
    assert await backend.holder("c1") == "a1"


async def test_take_over_needs_only_a_connection(backend: HandoffBackend) -> None:
    """A supervisor takes a chat over while away or full; offline or holding it: refused."""
    await online(backend, "a1")
    await online(backend, "sup", capacity=2)
    await online(backend, "gone")
    await backend.set_status("gone", "away")
    await backend.agent_disconnected("gone")  # its console closed (grace period)
    await backend.enqueue("c1")  # a1 (sup is later in idle order or full below)
    await backend.enqueue("c2")
    holders = {await backend.holder("c1"), await backend.holder("c2")}
    assert holders == {"a1", "sup"}
    mine = "c1" if await backend.holder("c1") == "a1" else "c2"
    await backend.set_status("sup", "away")
    with pytest.raises(AgentUnavailable):
        await backend.transfer(mine, to_agent_id="sup")  # away
    changes = await backend.transfer(mine, to_agent_id="sup", take_over=True)
    assert changes.assigned == (Assignment(mine, "sup", previous_agent_id="a1"),)
    assert await backend.holder(mine) == "sup" and (await backend.agent("sup")).load == 2
    with pytest.raises(AgentUnavailable):
        await backend.transfer(mine, to_agent_id="sup", take_over=True)  # already theirs
    with pytest.raises(AgentUnavailable):
        await backend.transfer(mine, to_agent_id="gone", take_over=True)
    await check_invariants(backend)
