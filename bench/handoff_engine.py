"""Micro-benchmark of the handoff engine alone (no gateway, no sockets).

Steady state: 10 agents of capacity 3-5 hold 40 chats and 100 more wait.
Each round closes one held chat (which assigns the head of the queue to the
freed agent) and escalates a new one (which waits), so the queue stays 100
long. Prints per-call latency p50/p99 and assignments per second for the
in-memory backend and for Redis with 1 and 4 concurrent clients (as separate
gateway processes would be), and the ratio of a Redis call to a plain Redis
PING measured in the same run, because absolute figures on these machines
are noisy.

Run from the repository root:
``.venv/bin/python -m bench.handoff_engine [--rounds 2000] [--redis URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid

from redis.asyncio import Redis

from handoff import HandoffBackend, MemoryBackend, RedisBackend

CAPACITIES = [3, 4, 5, 3, 4, 5, 3, 4, 5, 4]
WAITING = 100


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


async def prepare(b: HandoffBackend, tag: str) -> None:
    for i, capacity in enumerate(CAPACITIES):
        await b.register_agent(f"agent{i}", f"Agent {i}", capacity)
        await b.set_status(f"agent{i}", "online")
    for i in range(sum(CAPACITIES) + WAITING):
        await b.enqueue(f"{tag}-warm{i}")


async def worker(b: HandoffBackend, tag: str, rounds: int, lat: list[float]) -> int:
    """Close a held chat and escalate a new one, ``rounds`` times; count assignments."""
    assignments = 0
    rng = random.Random(tag)
    for i in range(rounds):
        # A random held chat, so concurrent workers rarely close the same one.
        held = rng.choice([c for a in await b.agents() for c in sorted(a.active)])
        t0 = time.perf_counter()
        changes = await b.release(held)
        t1 = time.perf_counter()
        await b.enqueue(f"{tag}-{i}")
        t2 = time.perf_counter()
        lat.extend((t1 - t0, t2 - t1))
        assignments += len(changes.assigned)
    return assignments


async def run(label: str, backends: list[HandoffBackend], rounds: int) -> float:
    await prepare(backends[0], "prep")
    lat: list[float] = []
    t0 = time.perf_counter()
    counts = await asyncio.gather(
        *(worker(b, f"w{i}", rounds // len(backends), lat) for i, b in enumerate(backends))
    )
    elapsed = time.perf_counter() - t0
    p50 = pct(lat, 50)
    print(
        f"{label:<22} p50 {p50 * 1e3:7.3f} ms  p99 {pct(lat, 99) * 1e3:7.3f} ms  "
        f"{sum(counts) / elapsed:9.0f} assignments/s"
    )
    return p50


async def ping_p50(client: Redis, n: int = 500) -> float:
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        await client.ping()
        lat.append(time.perf_counter() - t0)
    return pct(lat, 50)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    await run("memory", [MemoryBackend()], args.rounds)
    clients = [Redis.from_url(args.redis) for _ in range(4)]
    try:
        ping = await ping_p50(clients[0])
        print(f"{'redis PING (baseline)':<22} p50 {ping * 1e3:7.3f} ms")
        for n in (1, 4):
            prefix = f"bench:handoff:{uuid.uuid4().hex}:"
            backends = [RedisBackend(c, prefix=prefix) for c in clients[:n]]
            try:
                p50 = await run(f"redis, {n} client(s)", list(backends), args.rounds)
                print(f"{'':<22} p50 = {p50 / ping:.1f} x PING")
            finally:
                await backends[0].reset()
    finally:
        for c in clients:
            await c.aclose()


if __name__ == "__main__":
    asyncio.run(main())
