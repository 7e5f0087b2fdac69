"""The routing policy: which agent gets a conversation, and in which order the queue is served.

Pure functions over snapshots (:class:`~handoff.values.AgentState`,
:class:`~handoff.values.QueueEntry`); no I/O, no clock. The in-process
backend applies them directly. The Redis backend cannot call Python inside
its atomic scripts, so ``redis_backend.py`` carries the same rule in Lua; the
contract suite (and a randomized comparison of both backends) keeps the two
identical. Change the rule here and there together.

The rule:

* An agent can take a new chat when ``online``, connected and below capacity;
  for a conversation with a team, only members of that team; never the agent
  the conversation was transferred away from.
* Among those: fewest active chats first, then the one assigned least
  recently (lowest ``idle_order``). ``idle_order`` values are unique, so the
  choice is never left to chance.
* The queue is served first the conversations that came back from an agent
  (``returned``), then by priority (higher first), then by arrival (``seq``).
  A waiting conversation no free agent can take (its team is full) does not
  block those behind it.
* A waiting conversation whose visitor has gone (``visitor_gone``) is given
  to nobody: it keeps its place, and is served again when the visitor is back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from handoff.values import AgentState, AgentStatus, Assignment, QueueEntry


def can_take(agent: AgentState, team: str | None = None, exclude: str | None = None) -> bool:
    """Whether ``agent`` may be given a new conversation now.

    ``team``: the conversation's team, or ``None`` for anyone.
    ``exclude``: an agent id that must not get it (the one who transferred it).
    """
    return (
        agent.status is AgentStatus.ONLINE
        and agent.connected
        and agent.load < agent.capacity
        and (team is None or team in agent.teams)
        and agent.agent_id != exclude
    )


def choose_agent(
    agents: Iterable[AgentState], team: str | None = None, exclude: str | None = None
) -> AgentState | None:
    """The agent who should take a conversation, or ``None`` if nobody can.

    ``team`` and ``exclude`` as in :func:`can_take`. Fewest active chats wins;
    ties go to the lowest ``idle_order`` (idle the longest).
    """
    candidates = [a for a in agents if can_take(a, team, exclude)]
    return min(candidates, key=lambda a: (a.load, a.idle_order), default=None)


def queue_key(entry: QueueEntry) -> tuple[int, int, int]:
    """Sort key of the queue: returned first, then priority descending, then arrival."""
    return (0 if entry.returned else 1, -entry.priority, entry.seq)


def order_queue(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The waiting entries in the order they are served."""
    return sorted(entries, key=queue_key)


def positions(ordered: Sequence[QueueEntry]) -> dict[str, int]:
    """Map each conversation of an already ordered queue to its 1-based position."""
    return {entry.conversation_id: i for i, entry in enumerate(ordered, start=1)}


def moved(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The positions in ``after`` that are new or differ from ``before``."""
    return {cid: pos for cid, pos in after.items() if before.get(cid) != pos}


def plan_assignments(agents: Iterable[AgentState], queue: Iterable[QueueEntry]) -> list[Assignment]:
    """Which waiting conversations are assigned now, to whom, in order.

    Walks the queue in serving order and gives each entry to
    :func:`choose_agent`, counting each assignment against the agent's load
    and making them the most recently assigned, exactly as the backend will
    when it applies the plan. Entries nobody can take, and those whose
    visitor has gone, are skipped.
    """
    pool = {a.agent_id: a for a in agents}
    free = sum(a.capacity - a.load for a in pool.values() if can_take(a))
    if free <= 0:
        return []  # the common case under load: skip ordering the queue
    # The simulated idle order only has to sort after every existing one.
    next_order = max((a.idle_order for a in pool.values()), default=0) + 1
    plan: list[Assignment] = []
    for entry in order_queue(queue):
        if free <= 0:
            break  # nobody has room: the rest of the queue cannot move
        if entry.visitor_gone:
            continue  # nobody to talk to: a slot given now would be wasted
        agent = choose_agent(pool.values(), entry.team, entry.excluded_agent_id)
        if agent is None:
            continue
        pool[agent.agent_id] = replace(
            agent, active=agent.active | {entry.conversation_id}, idle_order=next_order
        )
        next_order += 1
        free -= 1
        plan.append(Assignment(entry.conversation_id, agent.agent_id))
    return plan


def online_capacity(agents: Iterable[AgentState]) -> int:
    """Total capacity of the agents who are online and connected (busy or not)."""
    return sum(a.capacity for a in agents if a.status is AgentStatus.ONLINE and a.connected)


def estimate_wait(position: int, capacity: int, avg_handle_seconds: float) -> int | None:
    """Estimated seconds until the conversation at ``position`` is assigned.

    ``capacity``: chats the online agents can hold at once (see
    :func:`online_capacity`). ``avg_handle_seconds``: average chat length.
    With ``capacity`` slots each freeing once per ``avg_handle_seconds`` on
    average, one slot frees every ``avg_handle_seconds / capacity``, and the
    ``position``-th visitor waits for that many slots. ``None`` when nobody is
    online, because no estimate would be honest.
    """
    if position < 1:
        raise ValueError(f"position must be >= 1, got {position}")
    if capacity <= 0:
        return None
    return math.ceil(position * avg_handle_seconds / capacity)
