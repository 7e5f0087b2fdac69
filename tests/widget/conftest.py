"""Browser fixtures for the visitor widget: Debian's Chromium driven by Playwright.

The gateway is the shared ``gateway_process`` fixture (a real ``tsunagu serve``
subprocess on loopback, SQLite) from tests/conftest.py. Missing prerequisites
fail the test with the command that fixes them; nothing is skipped.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "widget" / "dist" / "widget.js"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("TSUNAGU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

T = TypeVar("T")


@pytest.fixture(scope="session")
def widget_bundle() -> Path:
    """The built widget.js the gateway serves."""
    if not BUNDLE.is_file():
        pytest.fail(
            f"{BUNDLE.relative_to(REPO)} is missing: build it with "
            "`npm --prefix widget ci && npm --prefix widget run build`",
            pytrace=False,
        )
    return BUNDLE


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (each test gets its own context)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
            "package (`apt-get update && apt-get install -y chromium`); Playwright cannot "
            "download one here. Set TSUNAGU_CHROMIUM to use another binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class BackgroundLoop:
    """An asyncio loop on its own thread.

    Playwright's sync API owns the test thread, so async work the tests need
    on the side (SQLAlchemy queries, python-socketio clients) runs here.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def aloop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    yield loop
    loop.close()
