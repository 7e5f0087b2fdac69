"""200 escalations at once across two gateway processes sharing Redis and PostgreSQL.

Ten agents of capacities 3-5 (40 seats), each connected to one of the two
processes, and 200 visitors split across both who all ask for a person at
once. Whatever the interleaving, no agent may ever hold more chats than their
capacity, every conversation is assigned exactly once or still waits, and the
waiting visitors' positions are exactly 1..N. Then agents close chats and the
head of the queue moves up to them, still within capacity, while everyone
behind moves up by as many places.

What each party saw is checked against the others: the agents' ``assigned``
events, the visitors' latest ``status``, the record (conversation rows and
their event rows, replayed in insertion order) and the Redis backend's state.

Queue moves are announced by one task per gateway process, which reads the
queue as it is then; each ``status`` carries ``version`` (when it was read), so
a visitor keeps the newest whichever process sent it, and so does this test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from handoff import RedisBackend
from live_chat.agents import AgentDirectory
from live_chat.auth import AgentTokens
from live_chat.store.database import create_engine
from live_chat.store.models import Conversation, ConversationEvent
from live_chat.store.repository import Store
from tests.clients import AgentClient, VisitorClient, login
from tests.conftest import TEST_SECRET, GatewayFactory, GatewayProcess, spawn_gateway, stop_gateway

pytestmark = pytest.mark.timeout(240)

PASSWORD = "correct horse battery"
CAPACITIES = (3, 4, 5, 3, 4, 5, 3, 4, 5, 4)
SEATS = sum(CAPACITIES)  # 40
VISITORS = 200
# Clients in flight at once, so two gateway processes on a 2-core machine stay responsive.
CONCURRENCY = 50
SETTLE_S = 30.0
CLOSE_TIMEOUT_S = 60.0
# After the acks, for the last queue moves' announcements to arrive.
ANNOUNCED_S = 10.0


class Desk:
    """One agent's console and what it saw: the chats held, counted from its own events."""

    def __init__(self, url: str, agent_id: str, name: str, capacity: int, token: str) -> None:
        self.agent_id, self.name, self.capacity = agent_id, name, capacity
        self.client = AgentClient(url, token)
        self.held: set[str] = set()
        self.received: list[str] = []  # every `assigned`, in arrival order
        self.overflows: list[str] = []
        self.close_latencies: list[float] = []
        self.client.sio.on("assigned", self._assigned, namespace="/agent")
        self.client.sio.on("conversation", self._conversation, namespace="/agent")

    def _assigned(self, data: dict[str, Any]) -> None:
        self.received.append(data["conversation"]["id"])
        self.held.add(data["conversation"]["id"])
        if len(self.held) > self.capacity:
            self.overflows.append(f"held {len(self.held)} with capacity {self.capacity}")

    def _conversation(self, data: dict[str, Any]) -> None:
        # A snapshot that no longer names this agent as holder: the chat left them.
        if data.get("state") != "assigned" or (data.get("agent") or {}).get("id") != self.agent_id:
            self.held.discard(data["id"])

    async def close(self, conversation_id: str) -> None:
        # Gone from the count before the call: the next `assigned` may precede the ack.
        self.held.discard(conversation_id)
        started = time.monotonic()
        ack = await self.client.sio.call(
            "close", {"conversation_id": conversation_id, "resolution": "answered"},
            namespace="/agent", timeout=CLOSE_TIMEOUT_S)
        self.close_latencies.append(time.monotonic() - started)
        assert ack["ok"], f"{self.name} could not close {conversation_id}: {ack}"


class Waiter:
    """One visitor tab and every ``status`` it received."""

    def __init__(self, url: str) -> None:
        self.client = VisitorClient(url)
        self.statuses: list[dict[str, Any]] = []
        self.conversation_id = ""
        self.mark = 0
        self.client.sio.on("status", self.statuses.append, namespace="/visitor")

    @property
    def latest(self) -> dict[str, Any]:
        """The newest status by ``version`` (the protocol's rule: keep the highest)."""
        mine = [s for s in self.statuses if s.get("id") == self.conversation_id]
        return max(mine, key=lambda s: s["version"]) if mine else {}

    def seen_since_mark(self) -> list[Any]:
        """The states and positions received since ``mark``, in arrival order."""
        return [s.get("queue_position") or s.get("state") for s in self.statuses[self.mark:]]


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


def holding(desks: list[Desk]) -> dict[str, Desk]:
    return {cid: d for d in desks for cid in d.held}


def holders_problem(desks: list[Desk], waiters: list[Waiter], expected: set[str]) -> str | None:
    """Whether the agents hold exactly ``expected`` and those visitors were told who has them."""
    held = holding(desks)
    if set(held) != expected:
        return (f"agents hold {len(held)} chats, expected {len(expected)}: missing "
                f"{sorted(expected - set(held))[:3]}, extra {sorted(set(held) - expected)[:3]}")
    for w in waiters:
        if w.conversation_id in expected:
            latest = w.latest
            agent = (latest.get("agent") or {}).get("id")
            if latest.get("state") != "assigned" or agent != held[w.conversation_id].agent_id:
                return f"the visitor of {w.conversation_id} last saw {latest}, but it is assigned"
    return None


def positions_problem(waiters: list[Waiter], truth: dict[str, int]) -> str | None:
    """Whether every waiting visitor's latest ``status`` shows their place in the queue."""
    latest = [w.latest.get("queue_position") for w in waiters if w.conversation_id in truth]
    wrong = [w for w in waiters if w.conversation_id in truth
             and w.latest.get("queue_position") != truth[w.conversation_id]]
    if not wrong:
        return None
    counts = Counter(latest)
    return (f"{len(wrong)} of {len(truth)} waiting visitors were last told a wrong queue "
            f"position (duplicates {sorted(p for p, n in counts.items() if n > 1)[:8]}, missing "
            f"{sorted(set(range(1, len(truth) + 1)) - set(latest))[:8]}), e.g. " + "; ".join(
                f"at {truth[w.conversation_id]}, positions received in this step in order: "
                f"{w.seen_since_mark()}" for w in wrong[:3]))


async def queue_truth(backend: RedisBackend) -> dict[str, int]:
    """The waiting conversations and their 1-based places, from the backend itself."""
    return {e.conversation_id: i for i, e in enumerate(await backend.queue(), start=1)}


async def wait_for(problem: Callable[[], str | None], seconds: float) -> str | None:
    """None once ``problem()`` finds nothing wrong, else its finding after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = problem()
        if found is None or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def settle(what: str, problem: Callable[[], str | None]) -> None:
    """Wait until ``problem()`` finds nothing wrong; fail with its last finding."""
    if (found := await wait_for(problem, SETTLE_S)) is not None:
        pytest.fail(f"{what}: not settled after {SETTLE_S:.0f} s: {found}", pytrace=False)


def second_models_dir(models_dir: Path, tmp_path: Path) -> Path:
    """The shared models folder if it has a model, else a private one to train into.

    So two gateways can start at once: without a trained model yet (this test
    alone), the second trains its own rather than race the first for the shared folder.
    """
    if any(models_dir.iterdir()):
        return models_dir
    (tmp_path / "models-two").mkdir()
    return tmp_path / "models-two"


async def check_record(store: Store, backend: RedisBackend, desks: list[Desk], *,
                       assigned: int, queued: int, closed: int) -> None:
    """The record and the Redis backend agree with each other and with the rules."""
    capacity = {d.agent_id: d.capacity for d in desks}
    async with store.begin() as tx:
        conversations = list(await tx.session.scalars(select(Conversation)))
        events = list(await tx.session.scalars(
            select(ConversationEvent).order_by(ConversationEvent.id)))
    states = Counter(c.state for c in conversations)
    assert states == Counter(assigned=assigned, queued=queued, closed=closed), states
    per_agent = Counter(c.agent_id for c in conversations if c.state == "assigned")
    for agent_id, n in per_agent.items():
        assert n <= capacity[agent_id], f"agent {agent_id} holds {n} > {capacity[agent_id]}"

    # Exactly one `assigned` row for each conversation that reached an agent, none for the rest.
    assigned_rows = Counter(e.conversation_id for e in events if e.type == "assigned")
    for c in conversations:
        want = 0 if c.state == "queued" else 1
        assert assigned_rows[c.id] == want, (
            f"{c.id} ({c.state}) has {assigned_rows[c.id]} `assigned` event rows: "
            f"{[(e.type, e.data) for e in events if e.conversation_id == c.id]}")
    unexpected = {e.type for e in events} - {"created", "escalated", "assigned", "closed"}
    assert not unexpected, f"unexpected event rows: {unexpected}"

    # Replay the event rows in insertion order: no agent above capacity at any moment.
    # (A slot is given again only after the close that freed it committed, so its row
    # always comes first.)
    holder: dict[str, str] = {}
    load: Counter[str] = Counter()
    for e in events:
        if e.type == "assigned":
            agent_id = e.data["agent_id"]
            holder[e.conversation_id] = agent_id
            load[agent_id] += 1
            assert load[agent_id] <= capacity[agent_id], (
                f"event row {e.id}: agent {agent_id} reached {load[agent_id]} chats")
        elif e.type == "closed" and e.from_state == "assigned":
            load[holder.pop(e.conversation_id)] -= 1
    assert +load == per_agent

    # The Redis backend holds the same chats and the same queue.
    state_of = {c.id: c.state for c in conversations}
    for agent in await backend.agents():
        db_held = {c.id for c in conversations
                   if c.state == "assigned" and c.agent_id == agent.agent_id}
        assert set(agent.active) == db_held, f"Redis and the record differ on {agent.agent_id}"
        assert len(agent.active) <= agent.capacity == capacity[agent.agent_id]
        assert agent.connections == 1 and agent.status == "online"
    redis_queue = [e.conversation_id for e in await backend.queue()]
    assert len(redis_queue) == queued and {state_of[cid] for cid in redis_queue} <= {"queued"}


async def test_two_hundred_escalations_across_two_processes(
    tmp_path: Path, models_dir: Path, pg_url: str, redis_url: str
) -> None:
    started = time.monotonic()
    prefix = f"tsunagu:test:race:{uuid.uuid4().hex}:"
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url,
           "TSUNAGU_REDIS_CHANNEL": f"tsunagu-test-{uuid.uuid4().hex}",
           "TSUNAGU_HANDOFF_PREFIX": prefix, "TSUNAGU_LOG_LEVEL": "WARNING"}
    gateways: list[GatewayProcess] = []
    engine = create_engine(pg_url)
    redis = Redis.from_url(redis_url)
    backend = RedisBackend(redis, prefix=prefix)
    desks: list[Desk] = []
    waiters: list[Waiter] = []
    try:
        second_models = second_models_dir(models_dir, tmp_path)
        gateways += await asyncio.gather(
            asyncio.to_thread(spawn_gateway, tmp_path / "one", models_dir, **env),
            asyncio.to_thread(spawn_gateway, tmp_path / "two", second_models, **env))
        urls = [g.url for g in gateways]
        store = Store(engine)
        directory = AgentDirectory(store, AgentTokens(TEST_SECRET, 3600))

        async def sign_in(i: int, capacity: int) -> Desk:
            agent = await directory.create(email=f"agent{i}@example.com", name=f"Agent {i}",
                                           password=PASSWORD, capacity=capacity)
            url = urls[i % 2]
            status, body, _ = await login(url, agent.email, PASSWORD)
            assert status == 200, body
            desk = Desk(url, agent.id, agent.name, capacity, body["token"])
            await desk.client.connect()
            hello = await desk.client.next("hello")
            assert hello["agent"]["status"] == "online" and hello["conversations"] == []
            return desk

        desks = list(await asyncio.gather(*(sign_in(i, c) for i, c in enumerate(CAPACITIES))))
        waiters = [Waiter(urls[i % 2]) for i in range(VISITORS)]

        async def first_message(w: Waiter) -> None:
            await w.client.connect()
            ack = await w.client.send("where is my order?", uuid.uuid4().hex)
            assert ack["ok"], ack
            await w.client.next_where("message", lambda m: m["sender"] == "bot")

        await bounded(CONCURRENCY, [lambda w=w: first_message(w) for w in waiters])
        ready_at = time.monotonic()

        # All at once: 200 escalations, half on each process.
        async def escalate(w: Waiter) -> None:
            ack = await w.client.call("request_human", {})
            assert ack["ok"], ack
            w.conversation_id = ack["conversation"]["id"]

        await bounded(CONCURRENCY, [lambda w=w: escalate(w) for w in waiters])
        assert len({w.conversation_id for w in waiters}) == VISITORS

        def after_escalations() -> str | None:
            received = sum(len(d.received) for d in desks)
            if received != SEATS:
                return f"agents received {received} `assigned`, expected {SEATS}"
            return holders_problem(desks, waiters, set(holding(desks)))

        await settle("after 200 escalations", after_escalations)
        for d in desks:
            assert d.overflows == [], f"{d.name} went above capacity: {d.overflows}"
            assert len(d.held) == d.capacity, f"{d.name} holds {len(d.held)} of {d.capacity}"
        received = [cid for d in desks for cid in d.received]
        assert len(received) == len(set(received)) == SEATS, "a chat was assigned twice"
        await check_record(store, backend, desks, assigned=SEATS, queued=VISITORS - SEATS,
                           closed=0)
        truth = await queue_truth(backend)
        assert set(truth) == {w.conversation_id for w in waiters} - set(received)
        # The queue positions, 1..160 without duplicates, each visitor told their own.
        wrong_positions: list[str] = []
        if found := await wait_for(lambda: positions_problem(waiters, truth), SETTLE_S):
            wrong_positions.append(f"after 200 escalations: {found}")
        escalated_in = time.monotonic() - ready_at

        # Agents close chats, all at once: two (one on each process) every chat they hold,
        # two others one each. The queue's first nine go to them, everyone else moves up
        # nine places. (Each close announces the new place of every visitor behind it, one
        # by one, before it is acknowledged: more closes would make the test slower, not
        # stronger.)
        order = list(truth)
        still_held = set(holding(desks))
        for w in waiters:
            w.mark = len(w.statuses)
        closing = [(d, cid) for d, count in zip(desks, (99, 99, 1, 1), strict=False)
                   for cid in sorted(d.held)[:count]]
        n = len(closing)
        await asyncio.gather(*(d.close(cid) for d, cid in closing))
        closed = {cid for _, cid in closing}
        await settle(f"after {n} closes", lambda: holders_problem(
            desks, waiters, (still_held - closed) | set(order[:n])))
        for d in desks:
            assert d.overflows == [], f"{d.name} went above capacity: {d.overflows}"
            assert len(d.held) == d.capacity, f"{d.name} holds {len(d.held)} of {d.capacity}"
        for w in waiters:
            if w.conversation_id in closed:
                assert w.latest.get("state") == "closed", w.latest
        await check_record(store, backend, desks, assigned=SEATS, queued=len(order) - n,
                           closed=n)
        truth = await queue_truth(backend)
        assert list(truth) == order[n:], "the queue did not simply move up"
        # Every close has been acknowledged, so every queue move has been announced.
        if found := await wait_for(lambda: positions_problem(waiters, truth), ANNOUNCED_S):
            wrong_positions.append(f"after {n} closes at once: {found}")
        received = [cid for d in desks for cid in d.received]
        assert len(received) == len(set(received)), "a chat was assigned twice"
        slowest_close = max(x for d in desks for x in d.close_latencies)
        print(f"\n{VISITORS} escalations settled in {escalated_in:.1f} s; slowest close ack "
              f"{slowest_close:.1f} s; whole test {time.monotonic() - started:.1f} s")
        assert not wrong_positions, "\n".join(wrong_positions)
    finally:
        await asyncio.gather(*(c.disconnect() for c in
                               [*(d.client for d in desks), *(w.client for w in waiters)]),
                             return_exceptions=True)
        for gateway in gateways:
            await asyncio.to_thread(stop_gateway, gateway)
        await backend.reset()
        await redis.aclose()
        await engine.dispose()


async def test_queue_positions_after_concurrent_closes_in_one_process(
    start_gateway: GatewayFactory,
) -> None:
    """The same queue moves in one process with the in-memory backend, at a smaller scale.

    One agent of capacity 10 closes all ten chats at once with 30 waiting: the
    first ten waiting are assigned and the other twenty must end at 1..20.
    """
    gateway = await start_gateway()
    email = "solo@example.com"
    await gateway.ctx.agents.create(email=email, name="Solo", password=PASSWORD, capacity=10)
    status, body, _ = await login(gateway.url, email, PASSWORD)
    assert status == 200, body
    desk = Desk(gateway.url, body["agent"]["id"], "Solo", 10, body["token"])
    await desk.client.connect()
    await desk.client.next("hello")
    waiters = [Waiter(gateway.url) for _ in range(40)]
    try:
        for w in waiters:  # one by one, so the queue order is the list order
            await w.client.connect()
            assert (await w.client.send("where is my order?", uuid.uuid4().hex))["ok"]
            w.conversation_id = (await w.client.call("request_human", {}))["conversation"]["id"]
        await settle("after 40 escalations", lambda: holders_problem(
            [desk], waiters, {w.conversation_id for w in waiters[:10]}))
        truth = {w.conversation_id: i for i, w in enumerate(waiters[10:], start=1)}
        assert await wait_for(lambda: positions_problem(waiters, truth), SETTLE_S) is None
        for w in waiters:
            w.mark = len(w.statuses)
        await asyncio.gather(*(desk.close(w.conversation_id) for w in waiters[:10]))
        await settle("after 10 concurrent closes", lambda: holders_problem(
            [desk], waiters, {w.conversation_id for w in waiters[10:20]}))
        truth = {w.conversation_id: i for i, w in enumerate(waiters[20:], start=1)}
        # Every close has been acknowledged, so every queue move has been announced.
        found = await wait_for(lambda: positions_problem(waiters, truth), ANNOUNCED_S)
        assert found is None, found
    finally:
        for client in (desk.client, *(w.client for w in waiters)):
            await client.disconnect()
