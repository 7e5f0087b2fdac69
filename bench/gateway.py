"""Gateway throughput, bot-reply latency and server CPU, next to two floors; idle memory.

N visitors connect on loopback, then each sends M messages one after another
and waits for the reply before the next. Three servers, started in the same
run, are measured round by round, interleaved, so noise hits all alike:

- a bare aiohttp WebSocket echo;
- the python-socketio floor: an AsyncServer on aiohttp whose /visitor
  "message" handler acks and emits one bot "message" back, storing nothing;
- the tsunagu gateway (SQLite, or PostgreSQL and Redis when given).

The floor and the gateway get the same python-socketio visitors (websocket
transport); the gateway's visitors wait for their ``session`` event, as the
widget does, before the timing starts, and the time to connect them all is
printed beside. Per server: round trips/s, p50 and p99, the server's CPU
milliseconds per round trip (utime+stime, children included, from /proc) and
round trips/s as a multiple of the floor's. Shapes: 200x5 and 50x20 by
default. A goal table ends the run.

--idle N instead connects N visitors to the gateway (from a few client
processes, in batches), keeps them connected and prints the gateway's RSS.

    .venv/bin/python -m bench.gateway [--shape all|200x5|50x20]
        [--visitors N --messages M] [--rounds 3]
        [--database-url postgresql+asyncpg://…] [--redis-url redis://…]
    .venv/bin/python -m bench.gateway --idle 5000 [--database-url …]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import socketio

from bench.servers import free_port, percentile, wait_ready

REPO = Path(__file__).resolve().parent.parent
SHAPES = {"200x5": (200, 5), "50x20": (50, 20)}
NS = "/visitor"
TEXTS = ["where is my order?", "how do I reset my password", "can I get a refund",
         "what payment methods do you accept"]

ECHO_SERVER = """
import sys
from aiohttp import web

async def echo(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws

app = web.Application()
app.router.add_get("/ws", echo)
app.router.add_get("/healthz", lambda r: web.json_response({"ok": True}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""

FLOOR_SERVER = """
import sys
import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=20, ping_timeout=20)

@sio.on("message", namespace="/visitor")
async def message(sid, data):
    await sio.emit("message", {"sender": "bot", "text": "Thanks, one moment."},
                   to=sid, namespace="/visitor")
    return {"ok": True, "message": {"client_id": data["client_id"], "text": data["text"],
                                    "sender": "visitor"}}

app = web.Application()
sio.attach(app)
app.router.add_get("/healthz", lambda r: web.json_response({"ok": True}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""

RoundTrip = Callable[[int], Awaitable[None]]


def raise_nofile() -> None:
    """Soft open-files limit up to the hard one: 200+ sockets need more than 1024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of ``pid``, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for {pid}")


class Visitor:
    """A python-socketio visitor on /visitor: a message, its ack, then the bot's reply."""

    def __init__(self, *, session: bool) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue[object] = asyncio.Queue()
        self.client.on("message", self._on_message, namespace=NS)
        # The gateway's visitors wait for the `session` event, as the widget does:
        # a round trip is timed from a set-up connection, not one still being set up.
        self.session = asyncio.Event()
        if session:
            self.client.on("session", lambda _data: self.session.set(), namespace=NS)
        else:
            self.session.set()

    def _on_message(self, data: object) -> None:
        if isinstance(data, dict) and data.get("sender") == "bot":
            self.replies.put_nowait(data)

    async def connect(self, url: str) -> Visitor:
        await self.client.connect(url, namespaces=[NS], transports=["websocket"],
                                  auth={"locale": "en"}, wait_timeout=30)
        await asyncio.wait_for(self.session.wait(), 30)
        return self

    async def round_trip(self, i: int) -> None:
        ack = await self.client.call("message", {"client_id": uuid.uuid4().hex,
                                                 "text": TEXTS[i % len(TEXTS)]},
                                     namespace=NS, timeout=30)
        if not ack.get("ok"):
            raise SystemExit(f"server refused a message: {ack}")
        await asyncio.wait_for(self.replies.get(), 30)


async def connect_visitors(url: str, n: int, batch: int, *,
                           session: bool = True) -> tuple[list[Visitor], list[str]]:
    """Connect ``n`` visitors, ``batch`` at a time: (connected, errors of the others)."""
    connected: list[Visitor] = []
    errors: list[str] = []
    for start in range(0, n, batch):
        done = await asyncio.gather(*(Visitor(session=session).connect(url)
                                      for _ in range(min(batch, n - start))),
                                    return_exceptions=True)
        connected += [v for v in done if isinstance(v, Visitor)]
        errors += [repr(e) for e in done if not isinstance(e, Visitor)]
    return connected, errors


async def disconnect(visitors: list[Visitor]) -> None:
    await asyncio.gather(*(v.client.disconnect() for v in visitors), return_exceptions=True)


@asynccontextmanager
async def sio_visitors(url: str, n: int, *, session: bool) -> AsyncIterator[list[RoundTrip]]:
    visitors, errors = await connect_visitors(url, n, batch=200, session=session)
    try:
        if errors:
            raise SystemExit(f"{len(errors)} of {n} visitors could not connect: {errors[0]}")
        yield [v.round_trip for v in visitors]
    finally:
        await disconnect(visitors)


@asynccontextmanager
async def echo_visitors(url: str, n: int) -> AsyncIterator[list[RoundTrip]]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = await asyncio.gather(*(session.ws_connect(url) for _ in range(n)))

        def trip(ws: aiohttp.ClientWebSocketResponse) -> RoundTrip:
            async def one(i: int) -> None:
                await ws.send_str(f'{{"client_id": "{uuid.uuid4().hex}", "text": "message {i}"}}')
                await ws.receive()
            return one

        try:
            yield [trip(ws) for ws in sockets]
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))


@dataclass
class Server:
    name: str
    label: str
    url: str
    process: subprocess.Popen[bytes]

    def visitors(self, n: int) -> AbstractAsyncContextManager[list[RoundTrip]]:
        if self.name == "echo":
            return echo_visitors(self.url, n)
        return sio_visitors(self.url, n, session=self.name == "gateway")


async def measure(server: Server, visitors: int, messages: int) -> dict[str, float]:
    """One round: connect, then time the round trips alone (and the server's CPU)."""
    latencies: list[float] = []

    async def chat(trip: RoundTrip) -> None:
        for i in range(messages):
            started = time.perf_counter()
            await trip(i)
            latencies.append(time.perf_counter() - started)

    connecting = time.perf_counter()
    async with server.visitors(visitors) as trips:
        connected = time.perf_counter() - connecting
        cpu, started = cpu_seconds(server.process.pid), time.perf_counter()
        await asyncio.gather(*(chat(trip) for trip in trips))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu
    return {
        "round_trips_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "cpu_ms": cpu * 1000 / len(latencies),
        "connect_ms": connected * 1000,
    }


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, preexec_fn=raise_nofile)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate; kill after 10 s (a gateway whose clients vanished can hang in shutdown)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        print(f"(pid {process.pid} ignored SIGTERM for 10 s; killed)", file=sys.stderr)
        process.kill()
        process.wait()


@contextmanager
def gateway_env(database_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory() as data_dir:
        models = REPO / "data" / "models"
        if models.is_dir():  # reuse a trained model instead of training one for the bench
            Path(data_dir, "models").symlink_to(models, target_is_directory=True)
        prefix = f"tsunagu-bench-{uuid.uuid4().hex[:8]}:"  # Redis keys, deleted at the end
        yield {**os.environ, "TSUNAGU_DATA_DIR": data_dir, "TSUNAGU_PORT": str(free_port()),
               "TSUNAGU_RATE_LIMIT": "1000000", "TSUNAGU_LOG_LEVEL": "WARNING",
               "TSUNAGU_NEW_VISITORS_PER_MINUTE": "1000000",
               "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "TSUNAGU_HANDOFF_PREFIX": prefix, "TSUNAGU_REDIS_CHANNEL": prefix + "channel"}
        if redis_url:
            asyncio.run(forget_keys(redis_url, prefix))


async def forget_keys(redis_url: str, prefix: str) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextmanager
def servers(env: dict[str, str], store: str, with_floors: bool) -> Iterator[list[Server]]:
    running: list[Server] = []
    try:
        if with_floors:
            for name, label, script, path in (
                ("echo", "bare aiohttp ws echo", ECHO_SERVER, "ws://127.0.0.1:{}/ws"),
                ("floor", "python-socketio floor", FLOOR_SERVER, "http://127.0.0.1:{}"),
            ):
                port = free_port()
                running.append(Server(name, label, path.format(port),
                                      start(["-c", script, str(port)])))
                wait_ready(f"http://127.0.0.1:{port}/healthz", running[-1].process)
        gateway = Server("gateway", f"tsunagu gateway ({store})",
                         f"http://127.0.0.1:{env['TSUNAGU_PORT']}",
                         start(["-m", "live_chat", "serve"], env))
        running.append(gateway)
        wait_ready(f"{gateway.url}/readyz", gateway.process)
        yield running
    finally:
        for server in running:
            stop(server.process)


@contextmanager
def profiled(pid: int, path: str | None) -> Iterator[None]:
    """With ``path``: py-spy samples ``pid`` meanwhile, collapsed stacks written to ``path``."""
    if path is None:
        yield
        return
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid",
                            str(pid), "--rate", "250", "--format", "raw", "--nonblocking",
                            "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches before the load starts
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        print(f"(py-spy profile of the gateway: {path}; summarise with "
              f"python -m bench.profile_summary {path})", file=sys.stderr)


def throughput(args: argparse.Namespace, env: dict[str, str], store: str) -> None:
    shapes = ([(args.visitors or 50, args.messages or 20)] if args.visitors or args.messages
              else list(SHAPES.values()) if args.shape == "all" else [SHAPES[args.shape]])
    rows: dict[tuple[int, int], dict[str, list[dict[str, float]]]] = {s: {} for s in shapes}
    profiled_once = False  # --profile samples the gateway's first measured round only
    with servers(env, store, with_floors=True) as running:
        for _ in range(args.rounds):  # interleaved, so drift hits all alike
            for shape in shapes:
                for server in running:
                    spy = args.profile if server.name == "gateway" and not profiled_once else None
                    with profiled(server.process.pid, spy):
                        rows[shape].setdefault(server.name, []).append(
                            asyncio.run(measure(server, *shape)))
                    profiled_once = profiled_once or spy is not None
                for row, floor in zip(*(rows[shape][n] for n in ("gateway", "floor")),
                                      strict=True):
                    row["x_floor"] = row["round_trips_per_s"] / floor["round_trips_per_s"]
        labels = {s.name: s.label for s in running}

    goals: list[tuple[str, str, str, str]] = []
    for (visitors, messages), by_server in rows.items():
        print(f"\n{visitors} visitors x {messages} messages, median of {args.rounds} rounds")
        print(f"{'':<38}{'round trips/s':>14}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'CPU ms/rt':>11}{'x floor':>9}{'connect all ms':>16}")
        floor_rate = statistics.median(r["round_trips_per_s"] for r in by_server["floor"])
        med: dict[str, dict[str, float]] = {}
        for name, runs in by_server.items():
            m = med[name] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            x = m.get("x_floor", m["round_trips_per_s"] / floor_rate)
            print(f"{labels[name]:<38}{m['round_trips_per_s']:>14.0f}{m['p50_ms']:>9.1f}"
                  f"{m['p99_ms']:>9.1f}{m['cpu_ms']:>11.2f}{x:>9.3f}{m['connect_ms']:>16.0f}")
        g, shape = med["gateway"], f"{visitors}x{messages}"
        low = 0.35 if store == "SQLite" else 0.25
        met = ("stretch" if g["x_floor"] >= 0.5 else "yes") if g["x_floor"] >= low else "no"
        goals.append((f"{store} gateway / floor, {shape}", f"{g['x_floor']:.3f}x",
                      f">= {low}x" + (" (stretch 0.5x)" if store == "SQLite" else ""), met))
        if shape == "200x5":
            goals.append((f"gateway p99, {shape}", f"{g['p99_ms']:.0f} ms", "<= 300 ms",
                          "yes" if g["p99_ms"] <= 300 else "no"))
        goals.append((f"gateway CPU per round trip, {shape}", f"{g['cpu_ms']:.2f} ms",
                      "<= 1.5 ms", "yes" if g["cpu_ms"] <= 1.5 else "no"))
    print_goals(goals)


def print_goals(goals: list[tuple[str, str, str, str]]) -> None:
    print(f"\n{'goal':<44}{'measured':>12}  {'target':<26}met")
    for what, measured, target, met in goals:
        print(f"{what:<44}{measured:>12}  {target:<26}{met}")


def idle(n: int, env: dict[str, str], store: str) -> None:
    """Hold ``n`` idle visitors on the gateway; print its RSS before and after."""
    with servers(env, store, with_floors=False) as (gateway,):
        before = rss_kib(gateway.process.pid)
        procs = max(1, min(4, math.ceil(n / 1500)))
        shares = [n // procs + (i < n % procs) for i in range(procs)]
        started = time.perf_counter()
        holders = [subprocess.Popen(
            [sys.executable, "-m", "bench.gateway", "--hold", gateway.url, str(share),
             str(200 // procs)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True) for share in shares]
        try:
            reports = [h.stdout.readline().split(" ", 1) for h in holders]  # type: ignore[union-attr]
            took = time.perf_counter() - started
            time.sleep(2)  # let the gateway settle
            after = rss_kib(gateway.process.pid)
        finally:
            for h in holders:
                h.communicate(timeout=120)  # closes stdin: holders disconnect and exit
    reached = sum(int(r[0]) for r in reports if r[0].isdigit())
    per = (after - before) / max(reached, 1)
    print(f"\n{n} idle visitors on the tsunagu gateway ({store}), {procs} client processes")
    if reached < n:
        errors = [r[1].strip() for r in reports if len(r) > 1 and r[1].strip()]
        print(f"COULD NOT REACH {n}: only {reached} connected; first error: {errors[:1]}")
    print(f"connected {reached} in {took:.1f} s ({reached / took:.0f}/s)")
    print(f"gateway RSS before {before / 1024:.1f} MiB, with {reached} connected "
          f"{after / 1024:.1f} MiB: {per:.1f} KiB per connection")
    at_5000 = (before + per * 5000) / 1024
    print_goals([(f"gateway RSS, 5000 idle visitors{'' if reached == 5000 else ' (projected)'}",
                  f"{at_5000:.0f} MiB", "< 600 MB", "yes" if at_5000 * 1.048576 < 600 else "no")])


async def hold(url: str, n: int, batch: int) -> None:
    """Client process of --idle: connect, report "<connected> <first error>", wait for EOF."""
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)  # mass-disconnect noise
    visitors, errors = await connect_visitors(url, n, batch)
    print(len(visitors), errors[0] if errors else "", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await disconnect(visitors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=["all", *SHAPES], default="all")
    parser.add_argument("--visitors", type=int, help="custom shape: visitors (default 50)")
    parser.add_argument("--messages", type=int, help="custom shape: messages each (default 20)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument("--idle", type=int, default=0, metavar="N",
                        help="instead: hold N idle visitors on the gateway and print its RSS")
    parser.add_argument("--profile", metavar="PATH",
                        help="py-spy the gateway's first round into PATH (its CPU figure then "
                             "includes the sampling)")
    parser.add_argument("--hold", nargs=3, help=argparse.SUPPRESS)  # URL N BATCH, for --idle
    args = parser.parse_args()
    raise_nofile()
    if args.hold:
        asyncio.run(hold(args.hold[0], int(args.hold[1]), int(args.hold[2])))
        return
    store = ("PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite") + (
        " + Redis" if args.redis_url else "")
    with gateway_env(args.database_url, args.redis_url) as env:
        if args.idle:
            idle(args.idle, env, store)
        else:
            throughput(args, env, store)


if __name__ == "__main__":
    main()
