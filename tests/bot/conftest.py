# ruff: noqa: RUF001 - Japanese text uses full-width punctuation on purpose
"""Fixtures of the bot tests: one model trained on the real training data per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.assistant import Bot
from bot.model_store import ModelVersion
from bot.training import train_model

REPO = Path(__file__).resolve().parents[2]
TRAINING_DIR = REPO / "training_data"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def trained(models_dir: Path) -> ModelVersion:
    """A model version trained on ``training_data/`` (about two seconds, once)."""
    return train_model(TRAINING_DIR, models_dir)


@pytest.fixture(scope="session")
def bot(trained: ModelVersion) -> Bot:
    return Bot.load(trained.path)


def write_data(folder: Path, files: dict[str, str]) -> Path:
    """Write training YAML files into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return folder


SMALL_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
    - こんにちは
    - おはようございます
- intent: order_status
  examples: |
    - where is my order
    - my order has not arrived
    - when will my package arrive
    - track my order
    - 注文した商品が届かない
    - 荷物はいつ届きますか
- intent: refund_status
  examples: |
    - where is my refund
    - I have not received my refund
    - when do I get my money back
    - refund status please
    - 返金はいつですか
    - 返金されていません
"""

# Out-of-scope examples for the small data: enough for the open-set detector.
SMALL_OOS = """\
- intent: out_of_scope
  examples: |
    - what is the weather
    - tell me a joke
    - who won the game
    - what time is it
    - 天気はどうですか
    - おすすめの映画は
"""

SMALL_RESPONSES = """\
version: "3.1"
responses:
  utter_greet:
  - text: "Hello!"
    metadata: {language: en}
  - text: "こんにちは！"
    metadata: {language: ja}
  utter_order_status:
  - text: "Your order is on its way."
  utter_refund_status:
  - text: "Refunds take three days."
"""


def free_port_for_tests() -> int:
    """A TCP port free on loopback right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
