"""Rasa's own validator on the Rasa data the tests load (``rasa data validate``).

tests/bot/test_rasa_format.py checks that tsunagu loads every form of Rasa
data; these check, with the real Rasa 3.6, that each of those projects is
Rasa data in the first place: what Rasa refuses is not a form a Rasa user
can have.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.bot.test_rasa_format import EVERY_FORM_DOMAIN, EVERY_FORM_NLU
from tests.rasa_server import ASSISTANT_DIR

REPO = Path(__file__).resolve().parents[2]


def every_form_project(root: Path) -> Path:
    """EVERY_FORM_DOMAIN and EVERY_FORM_NLU as a project, with the assistant's config."""
    (root / "data").mkdir(parents=True)
    (root / "domain.yml").write_text(EVERY_FORM_DOMAIN, encoding="utf-8")
    (root / "data" / "nlu.yml").write_text(EVERY_FORM_NLU, encoding="utf-8")
    shutil.copy(ASSISTANT_DIR / "config.yml", root / "config.yml")
    return root


def test_rasa_data_validate_accepts_the_projects_tsunagu_loads(
        rasa_cli: Path, tmp_path: Path) -> None:
    projects = {
        "every form": every_form_project(tmp_path / "every-form"),
        "tests/bot/data/rasa_project": REPO / "tests" / "bot" / "data" / "rasa_project",
        "tests/rasa/assistant": ASSISTANT_DIR,
    }
    # Side by side: each run is mostly Rasa's own start-up (about 6 s).
    runs = {
        name: subprocess.Popen(
            [str(rasa_cli), "data", "validate", "--domain", "domain.yml", "--data", "data",
             "--config", "config.yml"],
            cwd=shutil.copytree(project, tmp_path / "copies" / name.replace("/", "_")),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, project in projects.items()
    }
    refused = {}
    for name, run in runs.items():
        out, _ = run.communicate(timeout=300)
        if run.returncode != 0:
            refused[name] = out[-2000:]
    assert not refused, "rasa data validate refused:\n" + "\n".join(
        f"--- {name}\n{out}" for name, out in refused.items())
