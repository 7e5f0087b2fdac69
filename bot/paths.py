"""Where the bot's files live by default (overridable from the environment)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data folder: ``TSUNAGU_DATA_DIR``, default ``./data``."""
    return Path(os.environ.get("TSUNAGU_DATA_DIR") or "data")


def models_dir() -> Path:
    """Model versions: ``<data folder>/models``."""
    return data_dir() / "models"


def training_dir() -> Path:
    """Training data: ``TSUNAGU_TRAINING_DATA``, default the repository's ``training_data/``."""
    configured = os.environ.get("TSUNAGU_TRAINING_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "training_data"
