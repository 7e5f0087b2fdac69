"""What the benchmarks share: free ports, waiting for a server, percentiles."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
import uuid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Poll ``url`` until it answers; exit with a message if ``process`` dies or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {seconds} s")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank ``q`` quantile (0 to 1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def scratch_database(admin_dsn: str) -> tuple[str, str]:
    """A fresh, empty PostgreSQL database next to ``admin_dsn``: (name, SQLAlchemy URL)."""
    import asyncpg

    name = f"tsunagu_bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def drop_database(admin_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
