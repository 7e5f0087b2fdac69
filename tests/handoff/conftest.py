"""Fixtures for the handoff suite: both backends, a fake clock, real Redis.

Redis is this machine's server at 127.0.0.1:6379. If it cannot be reached the
Redis cases fail (never skip): a suite that silently stops testing the
multi-process backend would prove nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from handoff.backend import HandoffBackend
from handoff.memory import MemoryBackend
from handoff.redis_backend import RedisBackend

# The same variable as the gateway tests use, so one setting moves them all.
REDIS_URL = os.environ.get("TSUNAGU_TEST_REDIS", "redis://127.0.0.1:6379/0")


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def connect_redis() -> Redis:
    """A client to the test Redis, or a test failure that says what is wrong."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({exc}). The handoff contract suite "
            "runs against a real Redis server; start one (e.g. `redis-server "
            "--daemonize yes`) and run again.",
            pytrace=False,
        )
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def handoff_redis_url() -> str:
    """Where the Redis cases connect (processes started by a test use it too)."""
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test (or run) uses."""
    return f"test:handoff:{uuid.uuid4().hex}:"


RedisFactory = Callable[..., Awaitable[RedisBackend]]


@pytest.fixture
async def make_redis_backend(redis_prefix: str) -> AsyncIterator[RedisFactory]:
    """Build Redis backends sharing one prefix, each with its own client (its own
    connections), the way separate gateway processes would. Cleans up after."""
    clients: list[Redis] = []

    async def make(**kwargs: object) -> RedisBackend:
        client = await connect_redis()
        clients.append(client)
        return RedisBackend(client, prefix=redis_prefix, **kwargs)  # type: ignore[arg-type]

    yield make
    for client in clients:
        await client.aclose()
    if clients:  # a fresh client: a test may have closed its own ("restart")
        cleaner = await connect_redis()
        await RedisBackend(cleaner, prefix=redis_prefix).reset()
        await cleaner.aclose()


@pytest.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, clock: FakeClock, make_redis_backend: RedisFactory
) -> HandoffBackend:
    """Each contract test runs once per backend."""
    if request.param == "memory":
        return MemoryBackend(clock=clock)
    return await make_redis_backend(clock=clock)
