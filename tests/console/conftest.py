"""Fixtures of the console tests: a gateway of their own, its agents and canned responses.

The browser (Debian's Chromium driven by Playwright) and the background event
loop come from tests/widget/conftest.py; the gateway is a real ``tsunagu
serve`` subprocess with its own SQLite store, so no other test's agents route
chats here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import GatewayProcess, spawn_gateway, stop_gateway
from tests.widget import conftest as widget_fixtures
from tests.widget.conftest import BackgroundLoop

# The browser (one Chromium per module) and the side event loop are the widget tests' own.
browser = widget_fixtures.browser
aloop = widget_fixtures.aloop

CONSOLE_BUNDLE = Path(__file__).resolve().parents[2] / "widget" / "dist" / "console.js"
PASSWORD = "correct-horse-42"


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    capacity: int
    role: str


@dataclass
class Desk:
    """The console's gateway with two agents and canned responses in en and ja."""

    gateway: GatewayProcess
    aoi: Account
    ren: Account
    mio: Account

    @property
    def url(self) -> str:
        return self.gateway.url


async def _seed(database_url: str) -> list[Account]:
    """Agents and canned responses, written the way `tsunagu agent/canned add` write them."""
    from live_chat.agents import AgentDirectory
    from live_chat.auth import AgentTokens
    from live_chat.canned import CannedIn, CannedResponses
    from live_chat.store.database import create_engine, migrate
    from live_chat.store.repository import Store

    engine = create_engine(database_url)
    try:
        await migrate(engine)
        store = Store(engine)
        directory = AgentDirectory(store, AgentTokens("unused-for-creating-agents", 60))
        made = []
        for email, name, capacity, role in (("aoi@example.com", "Aoi", 3, "agent"),
                                            ("ren@example.com", "Ren", 4, "supervisor"),
                                            ("mio@example.com", "Mio", 1, "admin")):
            agent = await directory.create(email=email, name=name, password=PASSWORD,
                                           capacity=capacity, role=role, teams=())
            made.append(Account(agent.id, email, name, capacity, role))
        canned = CannedResponses(store)
        for entry in (
            {"shortcut": "greet", "locale": "en", "title": "Greeting",
             "text": "Hi {visitor_name}, this is {agent_name}. How can I help?"},
            {"shortcut": "greet", "locale": "ja", "title": "あいさつ",
             "text": "{visitor_name}様、担当の{agent_name}です。"},
            {"shortcut": "refund", "locale": "en", "title": "Refund policy",
             "text": "Refunds take 5 business days."},
        ):
            await canned.add(CannedIn.model_validate(entry))
    finally:
        await engine.dispose()
    return made


@pytest.fixture(scope="module")
def console_bundle() -> Path:
    if not CONSOLE_BUNDLE.is_file():
        pytest.fail("widget/dist/console.js is missing: build it with "
                    "`npm --prefix widget ci && npm --prefix widget run build`", pytrace=False)
    return CONSOLE_BUNDLE


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, models_dir: Path,
         aloop: BackgroundLoop, console_bundle: Path) -> Iterator[Desk]:
    gateway = spawn_gateway(tmp_path_factory.mktemp("console"), models_dir)
    try:
        aoi, ren, mio = aloop.run(_seed(gateway.database_url))
        yield Desk(gateway, aoi, ren, mio)
    finally:
        stop_gateway(gateway)
