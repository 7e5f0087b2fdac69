"""Shared fixtures: real servers on loopback, this machine's PostgreSQL and Redis.

A server the tests need but cannot reach makes them fail with a sentence
saying what to start; nothing is skipped silently.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from live_chat.app import create_app
from live_chat.context import CONTEXT, ChatContext
from live_chat.settings import Settings
from live_chat.store.database import create_engine, migrate
from live_chat.store.repository import Store
from tests.clients import VisitorClient, disconnect_all

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("TSUNAGU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TSUNAGU_TEST_REDIS", "redis://127.0.0.1:6379/0")
# The secret every test gateway shares, so two processes accept each other's tokens.
TEST_SECRET = "tsunagu-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- servers of this machine -------------------------------------------------


async def _create_pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"tsunagu_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or point TSUNAGU_TEST_PG at a server.",
            pytrace=False,
        )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name, url = await _create_pg_database()
    yield url
    await _drop_pg_database(name)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """This machine's Redis, flushed of nothing: tests use their own channel and keys."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_TEST_URL} ({exc}). Start it with "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' "
            "--appendonly no` or point TSUNAGU_TEST_REDIS at a server.",
            pytrace=False,
        )
    finally:
        await client.aclose()
    yield REDIS_TEST_URL


# -- gateway in this process -------------------------------------------------


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models folder for the whole run: the default model is trained once.

    It is trained here and made the folder's active version, so every gateway
    started on this folder adopts it (a few hundred ms) instead of training its
    own (seconds): the registry trains only when the folder has no active model
    of the seed data. Training on a first start has its own test
    (test_gateway_lifecycle.py), on an empty folder.
    """
    from bot.training import train_model

    models = tmp_path_factory.mktemp("models")
    train_model(REPO / "training_data", models)
    return models


@dataclass
class Gateway:
    """A gateway app listening on a loopback port in the test's event loop."""

    url: str
    app: web.Application
    runner: web.AppRunner

    @property
    def ctx(self) -> ChatContext:
        return self.app[CONTEXT]

    def visitor(self, **kwargs: Any) -> VisitorClient:
        return VisitorClient(self.url, **kwargs)


GatewayFactory = Callable[..., Any]


@pytest.fixture
async def start_gateway(
    tmp_path: Path, models_dir: Path
) -> AsyncIterator[GatewayFactory]:
    """Start gateways with settings overrides; all stop when the test ends."""
    runners: list[web.AppRunner] = []

    async def start(**overrides: Any) -> Gateway:
        data_dir = overrides.pop("data_dir", tmp_path / f"data{len(runners)}")
        # Tests open hundreds of visitors from one address; the limit has its own test.
        overrides.setdefault("new_visitors_per_minute", 1_000_000)
        settings = Settings.from_env(
            {}, data_dir=data_dir, secret_key=TEST_SECRET, port=0, **overrides
        )
        models = data_dir / "models"
        models.parent.mkdir(parents=True, exist_ok=True)
        if not models.exists():
            models.symlink_to(models_dir, target_is_directory=True)
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return Gateway(url=f"http://127.0.0.1:{port}", app=app, runner=runner)

    yield start
    for runner in reversed(runners):
        if runner.addresses:  # not stopped by the test itself
            await disconnect_all(f"http://127.0.0.1:{runner.addresses[0][1]}")
        await runner.cleanup()


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> Gateway:
    """A gateway with embedded defaults (SQLite in a temp folder)."""
    return await start_gateway()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """None for the embedded SQLite default, else a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    name, url = await _create_pg_database()
    yield url
    await _drop_pg_database(name)


@pytest.fixture
async def store(database_url: str | None, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty, migrated record on SQLite (a temp file) or a fresh PostgreSQL database."""
    engine = create_engine(database_url or f"sqlite+aiosqlite:///{tmp_path / 'record.db'}")
    await migrate(engine)
    yield Store(engine)
    await engine.dispose()


@pytest.fixture
async def any_db_gateway(start_gateway: GatewayFactory, database_url: str | None) -> Gateway:
    """The same gateway on SQLite and on this machine's PostgreSQL."""
    if database_url is None:
        return await start_gateway()
    return await start_gateway(database_url=database_url)


# -- gateway processes -------------------------------------------------------


@dataclass
class GatewayProcess:
    """A ``tsunagu serve`` subprocess on a loopback port."""

    url: str
    database_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def spawn_gateway(data_dir: Path, models: Path, **env: str) -> GatewayProcess:
    """Start ``tsunagu serve`` and wait until /readyz answers 200 (fails with its log if not)."""
    import urllib.request

    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "models").exists():
        (data_dir / "models").symlink_to(models, target_is_directory=True)
    database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'tsunagu.db'}"
    full_env = {
        **os.environ, "TSUNAGU_DATA_DIR": str(data_dir), "TSUNAGU_PORT": str(port),
        "TSUNAGU_SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
        "TSUNAGU_NEW_VISITORS_PER_MINUTE": "1000000", **env,
    }
    log_path = data_dir / f"gateway-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "live_chat", "serve"], env=full_env, cwd=REPO,
            stdout=log, stderr=subprocess.STDOUT,
        )
    gateway = GatewayProcess(f"http://127.0.0.1:{port}", database_url, data_dir, process,
                             log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gateway exited with {process.returncode}:\n{gateway.log()}")
        try:
            with urllib.request.urlopen(f"{gateway.url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return gateway
        except OSError:
            time.sleep(0.1)
    stop_gateway(gateway)
    pytest.fail(f"gateway did not become ready in 60 s:\n{gateway.log()}")


def stop_gateway(gateway: GatewayProcess) -> None:
    gateway.process.terminate()
    try:
        gateway.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        gateway.process.kill()
        gateway.process.wait()


@pytest.fixture(scope="module")
def gateway_process(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> Iterator[GatewayProcess]:
    """One ``tsunagu serve`` subprocess (SQLite) shared by a test module (e.g. browser tests)."""
    gateway = spawn_gateway(tmp_path_factory.mktemp("gateway"), models_dir)
    yield gateway
    stop_gateway(gateway)



# -- a real Rasa server (tests/rasa_server.py) ---------------------------------

#: The fixtures that start a Rasa server. Tests using them run last (so that
#: the Rasa build `make test` starts in the background overlaps everything
#: else) and may wait for that build: their timeout covers it.
RASA_FIXTURES = frozenset({"rasa_assistant", "rasa_nlu", "rasa_cli"})
RASA_TEST_TIMEOUT = 1800


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Rasa tests last; and the groups that ``make test`` runs side by side.

    Under pytest-xdist (``--dist loadgroup``) each group runs on one worker:
    a test module is a group (module fixtures such as the console's desk are
    shared by its tests, some of which read what earlier ones left), and the
    Rasa tests are two, one per server, so each Rasa server (a session
    fixture, 20 s and more to start) starts once and both run at the end.
    """
    needs_rasa = []
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if RASA_FIXTURES & uses:
            needs_rasa.append(item)
            item.add_marker(pytest.mark.timeout(RASA_TEST_TIMEOUT))
            group = "rasa-nlu" if "rasa_nlu" in uses else "rasa-assistant"
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
    chosen = set(map(id, needs_rasa))
    items[:] = [item for item in items if id(item) not in chosen] + needs_rasa


@pytest.fixture(scope="session")
def rasa_cli() -> Path:
    """The ``rasa`` executable of the Rasa 3.6 environment ``make test`` builds
    (scripts/rasa-env.sh); a build that fails fails the test with its log."""
    from tests.rasa_server import rasa_command

    return rasa_command()


@pytest.fixture(scope="session")
def rasa_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The stock ``rasa init`` assistant plus the handoff snippet (``tests/rasa/assistant``),
    served by ``rasa run --enable-api --auth-token`` on a loopback port for the session.

    A :class:`tests.rasa_server.RasaServer`: ``url``, ``token``, ``get``/``post``
    (with the token), ``parse``. Rasa that cannot be built, trained or started
    fails the test with its log."""
    from tests.rasa_server import ASSISTANT_DIR, start_rasa, trained_model

    model = trained_model(ASSISTANT_DIR)
    server = start_rasa(model, tmp_path_factory.mktemp("rasa-assistant"),
                        token=f"test-{uuid.uuid4().hex}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_nlu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Rasa server trained on ``training_data/`` (the NLU of ``TSUNAGU_NLU=rasa``,
    ``tests/rasa/nlu/config.yml``: docs/bot.md's pipeline with few epochs)."""
    from tests.rasa_server import NLU_PROJECT_DIR, TRAINING_DIR, start_rasa, trained_model

    model = trained_model(NLU_PROJECT_DIR, TRAINING_DIR)
    server = start_rasa(model, tmp_path_factory.mktemp("rasa-nlu"),
                        token=f"test-{uuid.uuid4().hex}")
    yield server
    server.stop()
