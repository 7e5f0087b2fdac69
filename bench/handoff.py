"""Escalation-to-``assigned`` latency and assignments per second, through real gateways.

10 agents of capacity 5 (50 seats) sign in on ``/agent``; 50 visitors each
open a conversation with the bot, then all call ``request_human`` at once. The
latency of one escalation is the time from the visitor's call to the agent
receiving ``assigned``; assignments per second are the round's 50 over the
time from the first call to the last ``assigned``. The agents then close every
chat, the visitors start new conversations, and the next round begins.

Three set-ups, each started fresh: the in-memory backend in one gateway
process (SQLite), the Redis backend in one process, and the Redis backend in
two processes (agents and visitors alternate between them), both on a scratch
PostgreSQL database created in ``--pg`` and dropped afterwards. As a same-run
baseline each round also times a burst of 50 visitor ``sync`` calls (one ack
round trip with a database read) against the same gateways; the ratios to it
are the figures that survive a noisy machine. A Redis PING round trip is
printed too.

    .venv/bin/python -m bench.handoff [--rounds 2] [--agents 10] [--capacity 5]
        [--redis redis://127.0.0.1:6379/0] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.servers import drop_database, free_port, percentile, scratch_database, wait_ready

REPO = Path(__file__).resolve().parent.parent
SECRET = "tsunagu-bench-secret-0123456789abcdef"
PASSWORD = "correct horse battery"


@dataclass
class Setup:
    label: str
    store: str  # "sqlite" or "postgresql"
    redis: bool
    processes: int


SETUPS = [
    Setup("memory, 1 process", "sqlite", redis=False, processes=1),
    Setup("redis, 1 process", "postgresql", redis=True, processes=1),
    Setup("redis, 2 processes", "postgresql", redis=True, processes=2),
]


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    sync: list[float] = field(default_factory=list)


class Agent:
    """An agent console: notes when each visitor's chat arrives, closes chats on demand."""

    def __init__(self, url: str, token: str) -> None:
        import socketio

        self.url, self.token = url, token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.held: list[str] = []
        self.arrivals: dict[str, float] = {}  # visitor id -> when `assigned` came
        self.hello = asyncio.Event()
        self.sio.on("hello", lambda _data: self.hello.set(), namespace="/agent")
        self.sio.on("assigned", self._assigned, namespace="/agent")

    def _assigned(self, data: dict[str, Any]) -> None:
        self.arrivals[data["visitor"]["id"]] = time.perf_counter()
        self.held.append(data["conversation"]["id"])

    async def connect(self) -> None:
        await self.sio.connect(self.url, namespaces=["/agent"], auth={"token": self.token},
                               transports=["websocket"], wait_timeout=30)
        await asyncio.wait_for(self.hello.wait(), 30)

    async def close_all(self) -> None:
        held, self.held = self.held, []
        for cid in held:
            ack = await self.sio.call("close", {"conversation_id": cid}, namespace="/agent",
                                      timeout=60)
            if not ack.get("ok"):
                raise SystemExit(f"close refused: {ack}")


class Visitor:
    def __init__(self, url: str) -> None:
        import socketio

        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.visitor_id = ""
        self.session = asyncio.Event()
        self.bot: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session", self._session, namespace="/visitor")
        self.sio.on("message", self._message, namespace="/visitor")

    def _session(self, data: dict[str, Any]) -> None:
        self.visitor_id = data["visitor_id"]
        self.session.set()

    def _message(self, data: dict[str, Any]) -> None:
        if data.get("sender") == "bot":
            self.bot.put_nowait(data)

    async def connect(self) -> None:
        await self.sio.connect(self.url, namespaces=["/visitor"], auth={"locale": "en"},
                               transports=["websocket"], wait_timeout=30)
        await asyncio.wait_for(self.session.wait(), 30)

    async def call(self, event: str, data: Any) -> dict[str, Any]:
        ack = await self.sio.call(event, data, namespace="/visitor", timeout=60)
        if not ack.get("ok"):
            raise SystemExit(f"{event} refused: {ack}")
        return dict(ack)

    async def new_conversation(self) -> None:
        await self.call("message", {"client_id": uuid.uuid4().hex, "text": "where is my order?"})
        await asyncio.wait_for(self.bot.get(), 30)


async def create_agents(database_url: str, count: int, capacity: int) -> list[str]:
    from live_chat.agents import AgentDirectory
    from live_chat.auth import AgentTokens
    from live_chat.store.database import create_engine
    from live_chat.store.repository import Store

    engine = create_engine(database_url)
    try:
        directory = AgentDirectory(Store(engine), AgentTokens(SECRET, 3600))
        emails = []
        for i in range(count):
            agent = await directory.create(email=f"bench{i}@example.com", name=f"Agent {i}",
                                           password=PASSWORD, capacity=capacity)
            emails.append(agent.email)
        return emails
    finally:
        await engine.dispose()


async def sign_in(url: str, email: str) -> Agent:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http, http.post(
        f"{url}/api/auth/login", json={"email": email, "password": PASSWORD}
    ) as response:
        body = await response.json()
    if response.status != 200:
        raise SystemExit(f"login failed: {body}")
    agent = Agent(url, body["token"])
    await agent.connect()
    return agent


async def drive(urls: list[str], database_url: str, args: argparse.Namespace) -> Results:
    """Sign agents in, then run the escalation rounds against gateways at ``urls``."""
    emails = await create_agents(database_url, args.agents, args.capacity)
    agents = list(await asyncio.gather(*(sign_in(urls[i % len(urls)], e)
                                         for i, e in enumerate(emails))))
    seats = args.agents * args.capacity
    visitors = [Visitor(urls[i % len(urls)]) for i in range(args.escalations or seats)]
    results = Results()
    try:
        await asyncio.gather(*(v.connect() for v in visitors))
        for _ in range(args.rounds):
            await asyncio.gather(*(v.new_conversation() for v in visitors))
            # Baseline: the same burst shape, one sync round trip each.
            async def sync(v: Visitor) -> float:
                t0 = time.perf_counter()
                await v.call("sync", {"since_seq": 0})
                return time.perf_counter() - t0

            results.sync += await asyncio.gather(*(sync(v) for v in visitors))
            for a in agents:
                a.arrivals.clear()
            called: dict[str, float] = {}

            async def escalate(v: Visitor, called: dict[str, float]) -> None:
                called[v.visitor_id] = time.perf_counter()
                await v.call("request_human", {})

            await asyncio.gather(*(escalate(v, called) for v in visitors))
            expected = min(len(visitors), seats)
            deadline = time.monotonic() + 60
            while sum(len(a.arrivals) for a in agents) < expected:
                if time.monotonic() > deadline:
                    raise SystemExit("escalations were not all assigned within 60 s")
                await asyncio.sleep(0.01)
            arrivals = {vid: t for a in agents for vid, t in a.arrivals.items()}
            results.latencies += [arrivals[vid] - called[vid] for vid in arrivals]
            results.rates.append(len(arrivals) / (max(arrivals.values()) - min(called.values())))
            await asyncio.gather(*(a.close_all() for a in agents))
    finally:
        for client in [*(a.sio for a in agents), *(v.sio for v in visitors)]:
            if client.connected:
                await client.disconnect()
    return results


async def bounded_drive(urls: list[str], database_url: str, args: argparse.Namespace,
                        label: str) -> Results:
    """:func:`drive`, or a clear exit instead of a hang when a set-up stops answering."""
    try:
        return await asyncio.wait_for(drive(urls, database_url, args), args.setup_timeout)
    except TimeoutError:
        raise SystemExit(f"{label}: no result after {args.setup_timeout:.0f} s") from None


def start_gateways(setup: Setup, data_root: Path, models: Path, database_url: str,
                   redis_url: str) -> list[tuple[str, subprocess.Popen[bytes]]]:
    prefix = f"bench:handoff:{uuid.uuid4().hex}:"
    channel = f"bench-handoff-{uuid.uuid4().hex}"
    started = []
    for i in range(setup.processes):
        data_dir = data_root / f"gw{i}"
        data_dir.mkdir(parents=True)
        (data_dir / "models").symlink_to(models, target_is_directory=True)
        port = free_port()
        env = {**os.environ, "TSUNAGU_DATA_DIR": str(data_dir), "TSUNAGU_PORT": str(port),
               "TSUNAGU_SECRET_KEY": SECRET, "TSUNAGU_RATE_LIMIT": "1000000",
               "TSUNAGU_NEW_VISITORS_PER_MINUTE": "1000000",
               "TSUNAGU_LOG_LEVEL": "WARNING", "DATABASE_URL": database_url,
               "REDIS_URL": redis_url if setup.redis else "", "TSUNAGU_REDIS_CHANNEL": channel,
               "TSUNAGU_HANDOFF_PREFIX": prefix}
        process = subprocess.Popen([sys.executable, "-m", "live_chat", "serve"], env=env,
                                   cwd=REPO, stdout=subprocess.DEVNULL)
        started.append((f"http://127.0.0.1:{port}", process))
        # One at a time: the first may train the bot's model into the shared folder.
        wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    return started


async def redis_cleanup(redis_url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match="bench:handoff:*", count=500)]
        for i in range(0, len(keys), 500):
            await client.delete(*keys[i:i + 500])
    finally:
        await client.aclose()


async def redis_ping_p50(redis_url: str, n: int = 500) -> float:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        lat = []
        for _ in range(n):
            t0 = time.perf_counter()
            await client.ping()
            lat.append(time.perf_counter() - t0)
        return statistics.median(lat)
    finally:
        await client.aclose()


def run_setup(setup: Setup, args: argparse.Namespace, models: Path) -> Results:
    with tempfile.TemporaryDirectory() as tmp:
        pg_name = None
        if setup.store == "postgresql":
            pg_name, database_url = asyncio.run(scratch_database(args.pg))
        else:
            database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'gw0' / 'tsunagu.db'}"
        gateways = []
        try:
            gateways = start_gateways(setup, Path(tmp), models, database_url, args.redis)
            return asyncio.run(bounded_drive([url for url, _ in gateways], database_url, args,
                                             setup.label))
        finally:
            for _, process in gateways:
                process.terminate()
            for _, process in gateways:
                process.wait()
            if pg_name:
                asyncio.run(drop_database(args.pg, pg_name))
            if setup.redis:
                asyncio.run(redis_cleanup(args.redis))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--escalations", type=int, default=0,
                        help="per round; default agents x capacity (every one finds a seat)")
    parser.add_argument("--setup-timeout", type=float, default=120,
                        help="seconds one set-up may take once its gateways are ready")
    parser.add_argument("--redis", default=os.environ.get("TSUNAGU_TEST_REDIS",
                                                          "redis://127.0.0.1:6379/0"))
    parser.add_argument("--pg", default=os.environ.get(
        "TSUNAGU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="admin DSN of a PostgreSQL database to create the scratch one from")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as models_tmp:
        models = REPO / "data" / "models"
        if not models.is_dir():  # no trained model to reuse: the first gateway trains one here
            models = Path(models_tmp)
        results = {setup.label: run_setup(setup, args, models) for setup in SETUPS}
    ping = asyncio.run(redis_ping_p50(args.redis))

    per_round = args.escalations or args.agents * args.capacity
    print(f"{args.agents} agents x capacity {args.capacity}, {per_round} escalations per round, "
          f"{args.rounds} rounds per set-up ({time.monotonic() - started:.0f} s in all)")
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}{'assign/s':>10}{'sync p50':>10}"
          f"{'p50/sync':>10}{'p99/sync':>10}")
    for setup in SETUPS:
        r = results[setup.label]
        p50, p99 = statistics.median(r.latencies) * 1e3, percentile(r.latencies, 0.99) * 1e3
        sync = statistics.median(r.sync) * 1e3
        store = "SQLite" if setup.store == "sqlite" else "PostgreSQL"
        print(f"{setup.label + ' (' + store + ')':<34}{p50:>9.1f}{p99:>9.1f}"
              f"{statistics.median(r.rates):>10.0f}{sync:>10.1f}{p50 / sync:>10.2f}"
              f"{p99 / sync:>10.2f}")
    in_pings = ", ".join(f"{s.label} {statistics.median(results[s.label].latencies) / ping:.0f}"
                         for s in SETUPS)
    print(f"redis PING round trip p50 {ping * 1e3:.3f} ms; escalation p50 in PINGs: {in_pings}")


if __name__ == "__main__":
    main()
