"""Static guarantees of the built widget: size budget, one global, no HTML parsing of text."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.widget.conftest import REPO

SRC = REPO / "widget" / "src"
BUDGET = 40 * 1024


def test_bundle_is_within_the_gzip_budget(widget_bundle: Path) -> None:
    data = widget_bundle.read_bytes()
    size = len(gzip.compress(data, compresslevel=9))
    assert size <= BUDGET, f"widget.js is {size} bytes gzipped, budget {BUDGET}"
    # socket.io-client is bundled in, not loaded from elsewhere.
    assert b"socket.io" in data
    # One IIFE assigning the one global.
    assert re.match(rb'^("use strict";)?var Tsunagu=\(\(\)=>\{', data)


def test_source_never_parses_strings_as_html() -> None:
    """User text must only reach the DOM as text nodes; these sinks are banned outright."""
    banned = re.compile(
        r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|"
        r"createContextualFragment|\beval\(|new Function\("
    )
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.ts"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if banned.search(line)
    ]
    assert offenders == []


def test_widget_unit_tests_pass() -> None:
    """The TypeScript unit tests (node's test runner) of the DOM-free modules."""
    import shutil
    import subprocess

    npm = shutil.which("npm")
    assert npm, "npm (Node.js 20+) is needed to build and test the widget"
    assert (REPO / "widget" / "node_modules").is_dir(), "run `npm --prefix widget ci` first"
    run = subprocess.run(
        [npm, "--prefix", str(REPO / "widget"), "test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout
