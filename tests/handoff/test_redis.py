"""What only the Redis backend promises: shared state across processes.

Several backend instances with their own connections stand in for gateway
processes; one case starts two real processes. Whatever the interleaving, no
agent goes above capacity, no conversation is assigned twice, and the queue
stays numbered 1..n.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
from pathlib import Path

from handoff import router
from handoff.backend import Changes, HandoffBackend, NotAssigned
from handoff.redis_backend import RedisBackend

CAPACITIES = [3, 4, 5, 3, 4, 5, 3, 4, 5, 4]  # 10 agents, 40 slots
ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("race_worker.py")


async def setup_agents(b: HandoffBackend) -> None:
    for i, capacity in enumerate(CAPACITIES):
        await b.register_agent(f"agent{i}", f"Agent {i}", capacity)
        await b.set_status(f"agent{i}", "online")


async def check_state(b: HandoffBackend) -> tuple[dict[str, str], list[str]]:
    """Capacity, single holder, disjoint queue, positions 1..n."""
    held: dict[str, str] = {}
    for agent in await b.agents():
        assert agent.load <= agent.capacity, agent
        for cid in agent.active:
            assert cid not in held, f"{cid} held twice"
            held[cid] = agent.agent_id
    waiting = [e.conversation_id for e in await b.queue()]
    assert len(set(waiting)) == len(waiting)
    assert not set(waiting) & set(held)
    assert await b.queue_positions() == {cid: i for i, cid in enumerate(waiting, 1)}
    # Nothing waits that an agent could take now: freed capacity was used at once.
    assert router.plan_assignments(await b.agents(), await b.queue()) == []
    return held, waiting


def check_results(results: list[Changes], conversations: set[str]) -> dict[str, str]:
    """Each escalation was either assigned once or queued, never both."""
    assigned: dict[str, str] = {}
    for r in results:
        for a in r.assigned:
            assert a.conversation_id not in assigned, f"{a.conversation_id} assigned twice"
            assigned[a.conversation_id] = a.agent_id
    queued = [e.conversation_id for r in results for e in r.queued]
    assert len(queued) == len(set(queued))
    assert set(assigned) | set(queued) == conversations
    assert not set(assigned) & set(queued)
    return assigned


async def test_state_survives_a_gateway_restart(make_redis_backend, clock) -> None:
    first = await make_redis_backend(clock=clock)
    await first.register_agent("a1", "Aiko", capacity=1, teams=["vip"])
    await first.set_status("a1", "online")
    await first.enqueue("c1")
    await first.enqueue("c2", priority=1)
    await first.agent_disconnected("a1")
    before = (await first.agents(), await first.queue())
    await first.client.aclose()  # the process goes away

    second = await make_redis_backend(clock=clock)
    assert (await second.agents(), await second.queue()) == before
    await second.agent_connected("a1")
    changes = await second.release("c1")
    assert [(a.conversation_id, a.agent_id) for a in changes.assigned] == [("c2", "a1")]
    # Counters carry on: a new arrival orders after the old ones.
    await second.enqueue("c3")
    (entry,) = await second.queue()
    assert entry.conversation_id == "c3" and entry.seq == 3


async def test_concurrent_escalations_from_several_instances(make_redis_backend) -> None:
    instances = [await make_redis_backend() for _ in range(4)]
    await setup_agents(instances[0])
    conversations = [f"conv{i}" for i in range(200)]
    stop = asyncio.Event()
    observed_over_capacity: list[object] = []

    async def watch() -> None:
        # Look at the agents while the storm runs, not only after it.
        watcher = await make_redis_backend()
        while not stop.is_set():
            observed_over_capacity.extend(a for a in await watcher.agents() if a.load > a.capacity)
            await asyncio.sleep(0)

    watcher_task = asyncio.create_task(watch())
    results = await asyncio.gather(
        *(instances[i % 4].enqueue(cid) for i, cid in enumerate(conversations))
    )
    stop.set()
    await watcher_task
    assert observed_over_capacity == []

    assigned = check_results(list(results), set(conversations))
    held, waiting = await check_state(instances[1])
    assert held == assigned
    assert len(held) == sum(CAPACITIES) and len(waiting) == 200 - sum(CAPACITIES)
    for agent in await instances[2].agents():
        assert agent.load == agent.capacity


async def test_mixed_operations_race(make_redis_backend) -> None:
    """Escalations, closes, transfers and presence changes at once, from 3 instances."""
    instances = [await make_redis_backend() for _ in range(3)]
    await setup_agents(instances[0])
    rng = random.Random(4)
    for i in range(60):
        await instances[0].enqueue(f"early{i}", priority=rng.choice([0, 0, 1]))

    async def churn(b: RedisBackend, n: int) -> None:
        for i in range(n):
            roll = rng.random()
            held = [cid for a in await b.agents() for cid in a.active]
            if roll < 0.35:
                await b.enqueue(f"late-{id(b)}-{i}", priority=rng.choice([0, 1]))
            elif roll < 0.6 and held:
                await b.release(rng.choice(held))
            elif roll < 0.75 and held:
                with contextlib.suppress(NotAssigned):  # it may have closed meanwhile
                    await b.transfer(rng.choice(held))
            elif roll < 0.9:
                agent_id = f"agent{rng.randrange(len(CAPACITIES))}"
                await b.set_status(agent_id, rng.choice(["online", "online", "away"]))
            else:
                waiting = await b.queue()
                if waiting:
                    await b.dequeue(rng.choice(waiting).conversation_id)

    await asyncio.gather(*(churn(b, 50) for b in instances for _ in range(3)))
    await check_state(instances[0])


async def test_two_gateway_processes_racing(
    make_redis_backend, redis_prefix, handoff_redis_url
) -> None:
    """200 escalations at once from two real processes sharing one Redis."""
    b = await make_redis_backend()
    await setup_agents(b)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            handoff_redis_url,
            redis_prefix,
            tag,
            "100",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for tag in ("p1", "p2")
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 20)
            if line.strip() != b"ready":
                _, err = await p.communicate()
                raise AssertionError(f"worker did not start: {line!r} {err.decode()}")
        await b.client.rpush(redis_prefix + "race:go", "go", "go")
        outputs = [await asyncio.wait_for(p.communicate(), 30) for p in procs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
    reports = []
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()
        reports.append(json.loads(out))

    assigned: dict[str, str] = {}
    for report in reports:
        for cid, agent_id in report["assigned"]:
            assert cid not in assigned, f"{cid} assigned twice"
            assigned[cid] = agent_id
    queued = [cid for report in reports for cid in report["queued"]]
    everyone = {f"{tag}-{i}" for tag in ("p1", "p2") for i in range(100)}
    assert set(assigned) | set(queued) == everyone
    assert not set(assigned) & set(queued) and len(queued) == len(set(queued))
    held, waiting = await check_state(b)
    assert held == assigned
    assert len(held) == sum(CAPACITIES) and len(waiting) == 160
    assert sorted(waiting) == sorted(queued)


async def test_concurrent_duplicates_take_effect_once(make_redis_backend, clock) -> None:
    """Every process runs expire_grace, and retries reach several processes:
    each change still happens exactly once."""
    instances = [await make_redis_backend(clock=clock) for _ in range(4)]
    await setup_agents(instances[0])
    for i in range(60):
        await instances[0].enqueue(f"c{i}")
    await instances[0].agent_disconnected("agent0")
    await instances[0].agent_disconnected("agent1")
    clock.advance(60)
    expired = await asyncio.gather(*(b.expire_grace() for b in instances for _ in range(3)))
    requeued = [a.conversation_id for r in expired for a in r.unassigned]
    assert len(requeued) == CAPACITIES[0] + CAPACITIES[1] == len(set(requeued))

    held = sorted(cid for a in await instances[0].agents() for cid in a.active)
    victim = held[0]
    released = await asyncio.gather(*(b.release(victim) for b in instances for _ in range(3)))
    assert sum(len(r.unassigned) for r in released) == 1
    assert sum(len(r.assigned) for r in released) == 1  # the freed slot, taken once

    escalated = await asyncio.gather(*(b.enqueue("again") for b in instances for _ in range(3)))
    assert sum(len(r.queued) + len(r.assigned) for r in escalated) == 1
    await check_state(instances[0])
