"""Gateway throughput and bot-reply latency, next to a bare aiohttp WebSocket echo.

N visitors connect on loopback; each sends M messages one after another and
waits for the bot's reply before the next. The same NxM round trips are then
made against a bare aiohttp WebSocket echo server started in the same run, so
the figure that survives a noisy machine is the ratio between the two.

    .venv/bin/python -m bench.gateway [--visitors 50] [--messages 20]
        [--database-url postgresql+asyncpg://…] [--redis-url redis://…]
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
from pathlib import Path

import aiohttp
import socketio

from bench.servers import free_port, percentile, wait_ready

REPO = Path(__file__).resolve().parent.parent

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


async def gateway_visitor(url: str, messages: int, latencies: list[float]) -> None:
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue[dict[str, object]] = asyncio.Queue()

    def on_message(data: dict[str, object]) -> None:
        if data.get("sender") == "bot":
            replies.put_nowait(data)

    client.on("message", on_message, namespace="/visitor")
    await client.connect(url, namespaces=["/visitor"], transports=["websocket"],
                         auth={"locale": "en"}, wait_timeout=30)
    texts = ["where is my order?", "how do I reset my password", "can I get a refund",
             "what payment methods do you accept"]
    for i in range(messages):
        started = time.perf_counter()
        ack = await client.call("message", {"client_id": uuid.uuid4().hex,
                                            "text": texts[i % len(texts)]},
                                namespace="/visitor", timeout=30)
        if not ack.get("ok"):
            raise SystemExit(f"gateway refused a message: {ack}")
        await asyncio.wait_for(replies.get(), 30)
        latencies.append(time.perf_counter() - started)
    await client.disconnect()


async def echo_visitor(url: str, messages: int, latencies: list[float]) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        for i in range(messages):
            started = time.perf_counter()
            await ws.send_str(f'{{"client_id": "{uuid.uuid4().hex}", "text": "message {i}"}}')
            await ws.receive()
            latencies.append(time.perf_counter() - started)


async def measure(kind: str, url: str, visitors: int, messages: int) -> dict[str, float]:
    latencies: list[float] = []
    one = gateway_visitor if kind == "gateway" else echo_visitor
    started = time.perf_counter()
    await asyncio.gather(*(one(url, messages, latencies) for _ in range(visitors)))
    elapsed = time.perf_counter() - started
    return {
        "round_trips_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; medians reported")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        gw_port, echo_port = free_port(), free_port()
        env = {**os.environ, "TSUNAGU_DATA_DIR": data_dir, "TSUNAGU_PORT": str(gw_port),
               "TSUNAGU_RATE_LIMIT": "1000000", "TSUNAGU_LOG_LEVEL": "WARNING",
               "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url}
        models = REPO / "data" / "models"
        if models.is_dir():  # reuse a trained model instead of training one for the bench
            Path(data_dir, "models").symlink_to(models, target_is_directory=True)
        gateway = subprocess.Popen([sys.executable, "-m", "live_chat", "serve"], env=env,
                                   cwd=REPO, stdout=subprocess.DEVNULL)
        echo = subprocess.Popen([sys.executable, "-c", ECHO_SERVER, str(echo_port)])
        try:
            wait_ready(f"http://127.0.0.1:{gw_port}/readyz", gateway)
            wait_ready(f"http://127.0.0.1:{echo_port}/healthz", echo)
            rows: dict[str, list[dict[str, float]]] = {"gateway": [], "echo": []}
            for _ in range(args.rounds):  # interleaved, so drift hits both alike
                rows["gateway"].append(asyncio.run(measure(
                    "gateway", f"http://127.0.0.1:{gw_port}", args.visitors, args.messages)))
                rows["echo"].append(asyncio.run(measure(
                    "echo", f"ws://127.0.0.1:{echo_port}/ws", args.visitors, args.messages)))
        finally:
            gateway.terminate()
            echo.terminate()
            gateway.wait()
            echo.wait()

    med = {kind: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
           for kind, runs in rows.items()}
    store = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"{args.visitors} visitors x {args.messages} messages, {store}"
          f"{' + Redis' if args.redis_url else ''}, median of {args.rounds} rounds")
    print(f"{'':<24}{'round trips/s':>14}{'p50 ms':>10}{'p99 ms':>10}")
    for kind, label in (("gateway", "gateway (store + bot)"), ("echo", "bare aiohttp ws echo")):
        m = med[kind]
        print(f"{label:<24}{m['round_trips_per_s']:>14.0f}{m['p50_ms']:>10.2f}{m['p99_ms']:>10.2f}")
    g, e = med["gateway"], med["echo"]
    print(f"{'ratio gateway/echo':<24}{g['round_trips_per_s'] / e['round_trips_per_s']:>14.3f}"
          f"{g['p50_ms'] / e['p50_ms']:>10.1f}{g['p99_ms'] / e['p99_ms']:>10.1f}")


if __name__ == "__main__":
    main()
