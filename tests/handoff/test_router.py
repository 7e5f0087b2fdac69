"""Unit tests of the pure routing policy in handoff.router."""

from __future__ import annotations

import pytest

from handoff import router
from handoff.values import AgentState, AgentStatus, Assignment, QueueEntry


def agent(
    agent_id: str,
    *,
    load: int = 0,
    capacity: int = 4,
    order: int = 0,
    status: AgentStatus = AgentStatus.ONLINE,
    teams: tuple[str, ...] = (),
    disconnected: bool = False,
) -> AgentState:
    return AgentState(
        agent_id=agent_id,
        name=agent_id,
        capacity=capacity,
        status=status,
        teams=frozenset(teams),
        active=frozenset(f"{agent_id}-held{i}" for i in range(load)),
        idle_order=order,
        disconnected_at=100.0 if disconnected else None,
        grace_until=160.0 if disconnected else None,
    )


def entry(
    cid: str,
    seq: int,
    priority: int = 0,
    team: str | None = None,
    returned: bool = False,
    excluded: str | None = None,
) -> QueueEntry:
    return QueueEntry(cid, priority, team, 0.0, seq, returned, excluded)


def test_can_take_requires_online_connected_room_team_and_not_excluded() -> None:
    assert router.can_take(agent("a"))
    assert not router.can_take(agent("a", status=AgentStatus.AWAY))
    assert not router.can_take(agent("a", status=AgentStatus.OFFLINE))
    assert not router.can_take(agent("a", disconnected=True))
    assert not router.can_take(agent("a", load=4, capacity=4))
    assert not router.can_take(agent("a", load=5, capacity=4))  # capacity lowered
    assert router.can_take(agent("a", teams=("billing",)), team="billing")
    assert not router.can_take(agent("a", teams=("sales",)), team="billing")
    assert router.can_take(agent("a", teams=("sales",)))  # no team asked: anyone
    assert not router.can_take(agent("a"), exclude="a")
    assert router.can_take(agent("a"), exclude="b")


def test_choose_agent_prefers_fewest_chats_then_longest_idle() -> None:
    agents = [
        agent("busy", load=2, order=1),
        agent("b", load=1, order=9),
        agent("c", load=1, order=5),
    ]
    assert router.choose_agent(agents).agent_id == "c"
    # Fewest chats wins over idle time, also when capacities differ.
    agents.append(agent("d", load=0, capacity=1, order=99))
    assert router.choose_agent(agents).agent_id == "d"


def test_choose_agent_filters_and_may_find_nobody() -> None:
    agents = [
        agent("away", status=AgentStatus.AWAY),
        agent("full", load=3, capacity=3),
        agent("gone", disconnected=True),
        agent("sales", teams=("sales",), order=2),
        agent("billing", teams=("billing",), load=1, order=1),
    ]
    assert router.choose_agent(agents, team="billing").agent_id == "billing"
    assert router.choose_agent(agents).agent_id == "sales"
    assert router.choose_agent(agents, team="billing", exclude="billing") is None
    assert router.choose_agent(agents, team="legal") is None
    assert router.choose_agent([]) is None


def test_queue_order_returned_then_priority_then_arrival() -> None:
    entries = [
        entry("late-low", 5),
        entry("early-low", 1),
        entry("high", 4, priority=1),
        entry("back", 6, returned=True),
        entry("back-urgent", 7, priority=2, returned=True),
        entry("negative", 0, priority=-1),
    ]
    ordered = [e.conversation_id for e in router.order_queue(entries)]
    assert ordered == ["back-urgent", "back", "high", "early-low", "late-low", "negative"]


def test_positions_and_moved() -> None:
    ordered = router.order_queue([entry("a", 1), entry("b", 2), entry("c", 3)])
    assert router.positions(ordered) == {"a": 1, "b": 2, "c": 3}
    before = {"a": 1, "b": 2, "c": 3}
    after = {"b": 1, "c": 2, "d": 3}
    assert router.moved(before, after) == {"b": 1, "c": 2, "d": 3}
    assert router.moved(after, after) == {}


def test_plan_fills_capacity_in_queue_order_and_rotates_agents() -> None:
    agents = [agent("a", capacity=2, order=1), agent("b", capacity=1, order=2)]
    queue = [entry(f"c{i}", i) for i in range(5)]
    plan = router.plan_assignments(agents, queue)
    # a (idle longest), b (fewest), a again: capacity 3 in all, the rest waits.
    assert plan == [Assignment("c0", "a"), Assignment("c1", "b"), Assignment("c2", "a")]


def test_plan_counts_each_assignment_as_most_recent() -> None:
    agents = [agent("a", order=1), agent("b", order=2), agent("c", order=3)]
    plan = router.plan_assignments(agents, [entry(f"c{i}", i) for i in range(6)])
    assert [a.agent_id for a in plan] == ["a", "b", "c", "a", "b", "c"]


def test_plan_skips_entries_nobody_can_take() -> None:
    agents = [agent("front", capacity=1), agent("biller", teams=("billing",), load=1, capacity=1)]
    queue = [
        entry("bill", 1, team="billing"),
        entry("general", 2),
        entry("moved", 3, excluded="front"),
    ]
    assert router.plan_assignments(agents, queue) == [Assignment("general", "front")]


def test_plan_skips_waiting_visitors_who_have_gone() -> None:
    gone = QueueEntry("gone", 0, None, 0.0, 1, visitor_gone=True)
    plan = router.plan_assignments([agent("a", capacity=1)], [gone, entry("here", 2)])
    assert plan == [Assignment("here", "a")]
    assert router.positions(router.order_queue([gone, entry("here", 2)])) == {"gone": 1,
                                                                             "here": 2}


def test_plan_with_no_free_capacity_assigns_nothing() -> None:
    agents = [agent("a", load=2, capacity=2), agent("b", status=AgentStatus.AWAY)]
    assert router.plan_assignments(agents, [entry("c", 1)]) == []
    assert router.plan_assignments([], [entry("c", 1)]) == []


def test_plan_does_not_mutate_its_input() -> None:
    agents = [agent("a")]
    router.plan_assignments(agents, [entry("c", 1)])
    assert agents[0].load == 0 and agents[0].idle_order == 0


def test_online_capacity_counts_online_connected_agents() -> None:
    agents = [
        agent("a", capacity=3, load=3),
        agent("b", capacity=5),
        agent("c", capacity=10, status=AgentStatus.AWAY),
        agent("d", capacity=10, disconnected=True),
    ]
    assert router.online_capacity(agents) == 8


@pytest.mark.parametrize(
    ("position", "capacity", "avg", "expected"),
    [(1, 8, 240, 30), (4, 8, 240, 120), (1, 3, 100, 34), (5, 1, 60, 300), (1, 0, 300, None)],
)
def test_estimate_wait(position: int, capacity: int, avg: float, expected: int | None) -> None:
    assert router.estimate_wait(position, capacity, avg) == expected


def test_estimate_wait_refuses_a_position_below_one() -> None:
    with pytest.raises(ValueError):
        router.estimate_wait(0, 4, 300)
