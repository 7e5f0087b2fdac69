"""The training job as the gateway runs it: a real child process, JSON lines on stdout."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import job
from bot.assistant import Bot
from bot.model_store import ModelStore, read_version
from bot.training import train_model
from bot.training_data import load_training_data

from .conftest import REPO, SMALL_NLU, SMALL_RESPONSES, write_data

# With the six examples per intent of SMALL_NLU, a 2-fold cross-validation
# trains on three per intent and rejects most held-out messages as out of
# scope (about 0.28 in-scope accuracy, below chance), so a model of shuffled
# labels would not be measurably worse. Six more per intent make the figures
# meaningful (about 0.86) while the job still takes a couple of seconds.
MORE_EXAMPLES = {
    "greet": ["hi", "hello there", "good evening", "hey there", "こんばんは", "はじめまして"],
    "order_status": [
        "where is my package",
        "my order is late",
        "has my order shipped",
        "order tracking",
        "注文はどこですか",
        "荷物が届きません",
    ],
    "refund_status": [
        "refund not received",
        "when will my refund come",
        "status of my refund",
        "did you refund me",
        "返金の状況を教えて",
        "返金はまだですか",
    ],
}
REPLAY = [
    {"message_id": "m1", "text": "where is my refund"},
    {"message_id": "m2", "text": "hello"},
    {"message_id": "m3", "text": "my order has not arrived"},
    {"message_id": "m4", "text": "返金はまだですか"},
    {"message_id": "m5", "text": "good morning"},
]
STAGE_ORDER = ["preparing", "cross_validating", "baseline", "training", "replaying", "storing"]


def nlu(examples: list[tuple[str, str]]) -> str:
    """Rasa NLU YAML of ``(text, intent)`` pairs."""
    blocks = {}
    for text, intent in examples:
        blocks.setdefault(intent, []).append(text)
    return 'version: "3.1"\nnlu:\n' + "".join(
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
        for intent, texts in blocks.items()
    )


def run_job(*args: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``python -m bot.job`` with ``args``: exit code, parsed stdout lines, stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.job", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return done.returncode, lines, done.stderr


def stages(lines: list[dict[str, Any]]) -> list[str]:
    """The distinct stages of ``lines``, in the order they first appear."""
    seen: list[str] = []
    for line in lines:
        if "stage" in line and line["stage"] not in seen:
            seen.append(line["stage"])
    return seen


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good data, the same texts with labels shuffled among intents, a replay file."""
    root = tmp_path_factory.mktemp("job")
    good = write_data(root / "good", {"nlu.yml": SMALL_NLU, "responses.yml": SMALL_RESPONSES})
    (good / "more.yml").write_text(
        nlu([(t, intent) for intent, texts in MORE_EXAMPLES.items() for t in texts]), "utf-8"
    )
    examples = load_training_data(good).examples
    labels = [e.intent for e in examples]
    random.Random(0).shuffle(labels)
    broken = write_data(
        root / "broken",
        {
            "nlu.yml": nlu([(e.text, label) for e, label in zip(examples, labels, strict=True)]),
            "responses.yml": SMALL_RESPONSES,
        },
    )
    replay = root / "replay.jsonl"
    replay.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in REPLAY), "utf-8")
    return {"root": root, "good": good, "broken": broken, "replay": replay, "models": root / "m"}


@pytest.fixture(scope="module")
def first_job(folders: dict[str, Path]) -> tuple[int, list[dict[str, Any]], str]:
    """The first model: good data, no active model."""
    return run_job("--data", folders["good"], "--out", folders["models"], "--folds", "2")


@pytest.fixture(scope="module")
def broken_job(
    folders: dict[str, Path], first_job: tuple[int, list[dict[str, Any]], str]
) -> tuple[int, list[dict[str, Any]], str]:
    """Shuffled labels against the first model as active, with the replay file."""
    active = first_job[1][-1]["done"]["path"]
    return run_job(
        "--data",
        folders["broken"],
        "--out",
        folders["models"],
        "--folds",
        "2",
        "--active",
        active,
        "--active-data",
        folders["good"],
        "--replay",
        folders["replay"],
    )


def test_progress_lines_are_ordered_and_monotonic(first_job: Any) -> None:
    code, lines, stderr = first_job
    assert code == 0, stderr
    progress = [line for line in lines[:-1]]
    assert all(set(line) == {"stage", "progress"} for line in progress)
    values = [line["progress"] for line in progress]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == 1.0
    assert stages(lines) == ["preparing", "cross_validating", "training", "replaying", "storing"]
    # The start of the stage, then one line per fold.
    assert sum(line.get("stage") == "cross_validating" for line in lines) == 3


def test_the_first_model_is_stored_inactive_and_loads(
    first_job: Any, folders: dict[str, Path]
) -> None:
    code, lines, stderr = first_job
    assert code == 0, stderr
    done = lines[-1]["done"]
    assert set(done) == {"version", "path", "cv", "active_cv", "report"}
    assert ModelStore(folders["models"]).active_name() is None
    bot = Bot.load(Path(done["path"]))
    assert bot.version == done["version"]
    assert bot.respond("where is my refund").intent == "refund_status"
    assert read_version(Path(done["path"])).metadata["cv"] == done["cv"]
    assert done["cv"]["examples"] == 36 and done["cv"]["folds"] == 2
    assert done["cv"]["in_scope_accuracy"] > 0.7
    report = done["report"]
    assert report["passed"] is True and report["active"] is None and done["active_cv"] is None
    assert report["active_version"] is None and report["candidate"] == done["cv"]


def test_shuffled_labels_are_refused_against_the_active_model(
    broken_job: Any, first_job: Any
) -> None:
    code, lines, stderr = broken_job
    assert code == 0, stderr
    first = first_job[1][-1]["done"]
    done = lines[-1]["done"]
    report = done["report"]
    assert report["passed"] is False
    assert report["reasons"][0].startswith("in-scope accuracy drops from ")
    assert report["active_version"] == first["version"]
    # The active version carries its figures: no baseline needed.
    assert "baseline" not in stages(lines) and done["active_cv"] == first["cv"]
    assert report["per_intent"][0]["regression"] is True
    assert Bot.load(Path(done["path"])).version == done["version"] != first["version"]


def test_the_replay_lists_the_messages_whose_intent_changed(broken_job: Any) -> None:
    code, lines, stderr = broken_job
    assert code == 0, stderr
    replay = lines[-1]["done"]["report"]["replay"]
    assert replay["days"] == 7 and replay["messages"] == len(REPLAY)
    assert 0 < replay["changed"] == len(replay["changes"])
    change = replay["changes"][0]
    assert set(change) == {
        "message_id",
        "text",
        "old_intent",
        "new_intent",
        "old_confidence",
        "new_confidence",
    }
    assert change["old_intent"] != change["new_intent"]
    assert {c["message_id"] for c in replay["changes"]} <= {m["message_id"] for m in REPLAY}


def test_an_active_model_without_figures_gets_a_baseline(
    folders: dict[str, Path], first_job: Any
) -> None:
    # train_model (tsunagu train) records no cross-validated figures.
    active = train_model(folders["good"], folders["root"] / "plain", activate=False)
    assert "cv" not in active.metadata
    code, lines, stderr = run_job(
        "--data",
        folders["broken"],
        "--out",
        folders["root"] / "m2",
        "--folds",
        "2",
        "--active",
        active.path,
        "--active-data",
        folders["good"],
    )
    assert code == 0, stderr
    assert stages(lines) == [s for s in STAGE_ORDER]
    assert sum(line.get("stage") == "baseline" for line in lines) == 3
    values = [line["progress"] for line in lines[:-1]]
    assert values == sorted(values)
    done = lines[-1]["done"]
    # Same data, same seed: the baseline equals the figures the first job stored.
    assert done["active_cv"] == first_job[1][-1]["done"]["cv"]
    assert done["report"]["passed"] is False
    assert done["report"]["replay"]["messages"] == 0


def test_bad_training_data_exits_2_naming_the_file_and_line(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"nlu.yml": SMALL_NLU + "- intent: coupon\n"})
    code, lines, _ = run_job("--data", data, "--out", tmp_path / "models")
    assert code == 2
    error = lines[-1]["error"]
    assert error.startswith("invalid training data: ")
    assert f"{data / 'nlu.yml'}:27: intent 'coupon' has no examples" in error
    assert [line["stage"] for line in lines[:-1]] == ["preparing"]
    assert not (tmp_path / "models").exists()


def test_other_failures_exit_1_with_one_sentence(tmp_path: Path) -> None:
    data = write_data(tmp_path / "data", {"nlu.yml": SMALL_NLU})
    code, lines, _ = run_job(
        "--data", data, "--out", tmp_path / "models", "--active", tmp_path / "nothing"
    )
    assert code == 1
    assert lines[-1]["error"].startswith("cannot load the active model from ")
    assert "\n" not in lines[-1]["error"] and "Traceback" not in lines[-1]["error"]


def test_bad_arguments_are_a_failure_not_bad_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (the same main() as the child's): argparse alone would exit
    # with 2, the code of bad training data.
    assert job.main(["--data", str(tmp_path), "--folds", "1"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["error"].startswith("bad arguments: ")
    assert job.main(["--out", str(tmp_path)]) == 1
    assert "--data" in json.loads(capsys.readouterr().out)["error"]
