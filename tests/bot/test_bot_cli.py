"""The train, parse and evaluate commands, run as a real process (``python -m bot``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.assistant import Bot
from bot.cli import main
from bot.model_store import ModelStore, ModelVersion
from bot.training import train_model

from .conftest import REPO, SMALL_NLU, SMALL_OOS, SMALL_RESPONSES, write_data


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_parse_prints_one_json_line_per_utterance(trained: ModelVersion) -> None:
    result = run(
        "parse",
        "--model",
        str(trained.path),
        stdin="パスワードを忘れました\n\nwhat's the weather today\n",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == [
        "パスワードを忘れました",
        "what's the weather today",
    ]
    assert lines[0]["intent"] == "password_reset" and 0 < lines[0]["confidence"] <= 1
    assert lines[0]["ranking"][0] == {
        "intent": "password_reset",
        "confidence": lines[0]["confidence"],
    }
    assert lines[1]["intent"] == "out_of_scope"


RESPOND_NLU = SMALL_NLU + """\
- intent: request_human
  examples: |
    - I want to talk to a person
    - let me speak to a human
    - connect me to an operator
    - 担当者と話したい
    - オペレーターにつないで
    - 人と話したいです
""" + SMALL_OOS

RESPOND_RESPONSES = SMALL_RESPONSES + """\
  utter_request_human:
  - text: "Connecting you to a person."
  utter_clarify:
  - text: "Which one is it?"
  utter_fallback:
  - text: "Sorry, I did not get that."
"""


def test_respond_prints_the_four_actions(tmp_path: Path) -> None:
    data = write_data(
        tmp_path / "training", {"nlu.yml": RESPOND_NLU, "responses.yml": RESPOND_RESPONSES}
    )
    version = train_model(data, tmp_path / "models")
    bot = Bot.load(version.path)
    sure, vague = bot.parse("where is my order"), bot.parse("order money back")
    assert sure.confidence > vague.confidence and vague.in_scope
    threshold = (sure.confidence + vague.confidence) / 2
    texts = ["where is my order", "order money back", "qwzx", "I want to talk to a person"]
    result = run(
        "respond", "--model", str(version.path), "--answer-threshold", str(threshold),
        stdin="\n".join(texts) + "\n\n",
        env={"TSUNAGU_TRAINING_DATA": str(data)},
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == texts
    keys = {"text", "intent", "confidence", "action", "reply", "quick_replies"}
    assert all(keys <= set(line) for line in lines)
    assert [line["action"] for line in lines] == ["answer", "clarify", "fallback", "escalate"]
    answer, clarify, fallback, escalate = lines
    assert answer["intent"] == "order_status" and answer["reply"] == "Your order is on its way."
    assert clarify["reply"] == "Which one is it?"
    assert clarify["confidence"] == round(vague.confidence, 4)
    assert clarify["quick_replies"][-1] == {"title": "Something else",
                                            "payload": "/something_else"}
    assert {q["payload"] for q in clarify["quick_replies"][:-1]} == {
        "/intent:order_status", "/intent:refund_status"}
    assert fallback["intent"] == "out_of_scope"
    assert fallback["reply"] == "Sorry, I did not get that."
    assert escalate["intent"] == "request_human"
    assert escalate["reply"] == "Connecting you to a person." and escalate["quick_replies"] == []


def test_train_into_the_data_folder_then_parse_uses_it(tmp_path: Path) -> None:
    data = write_data(
        tmp_path / "training", {"nlu.yml": SMALL_NLU, "responses.yml": SMALL_RESPONSES}
    )
    env = {"TSUNAGU_DATA_DIR": str(tmp_path / "data"), "TSUNAGU_TRAINING_DATA": str(data)}
    trained = run("train", env=env)
    assert trained.returncode == 0, trained.stderr
    active = ModelStore(tmp_path / "data" / "models").active_name()
    assert active is not None and active in trained.stdout
    bot = Bot.load_active(tmp_path / "data" / "models")
    assert bot.version == active and bot.parse("返金はいつですか").intent == "refund_status"


def test_bad_training_data_names_file_and_line_and_keeps_the_active_model(
    tmp_path: Path,
) -> None:
    data = write_data(tmp_path / "training", {"nlu.yml": SMALL_NLU})
    models = tmp_path / "models"
    active = train_model(data, models).name
    (data / "nlu.yml").write_text(SMALL_NLU + "- intent: coupon\n  examples: |\n", "utf-8")
    result = run("train", "--data", str(data), "--out", str(models))
    assert result.returncode == 2
    assert f"{data / 'nlu.yml'}:27: intent 'coupon' has no examples" in result.stderr
    assert ModelStore(models).active_name() == active
    assert len(ModelStore(models).versions()) == 1


def test_evaluate_reports_accuracy_recall_and_confusions(tmp_path: Path) -> None:
    data = write_data(tmp_path / "training", {"nlu.yml": SMALL_NLU})
    result = run("evaluate", "--data", str(data), "--folds", "3", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["folds"] == 3 and report["examples"] == 18
    assert set(report["accuracy_by_language"]) == {"en", "ja"}
    assert report["oos_recall"] is None
    assert {row["intent"] for row in report["per_intent"]} == {
        "greet",
        "order_status",
        "refund_status",
    }


def test_register_adds_the_three_commands() -> None:
    import argparse

    from bot.cli import register, run_evaluate, run_parse, run_respond, run_train

    parser = argparse.ArgumentParser(prog="tsunagu")
    register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["train"]).func is run_train
    assert parser.parse_args(["parse", "--model", "x"]).func is run_parse
    assert parser.parse_args(["evaluate", "--folds", "3"]).folds == 3
    assert parser.parse_args(["evaluate"]).func is run_evaluate
    assert parser.parse_args(["respond", "--locale", "ja"]).func is run_respond


def test_evaluate_prints_a_readable_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_data(tmp_path / "training", {"nlu.yml": SMALL_NLU})
    assert main(["evaluate", "--data", str(data), "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "cross-validation: 3 folds, 18 examples" in out
    assert "in-scope accuracy" in out and "precision" in out
    assert main(["evaluate", "--data", str(data), "--folds", "1"]) == 2
