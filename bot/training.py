"""Train a model version from training data, and load one back.

``train_model`` is what ``tsunagu train`` and the gateway's first start run:
read and validate the YAML (nothing is written when it is bad, so the active
model keeps serving), fit the built-in engine, record the held-out figures of
its calibration in the metadata, store the version and activate it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import sklearn

from bot.engines.builtin import BuiltinClassifier, BuiltinConfig, HeldOut
from bot.model_store import ModelStore, ModelVersion
from bot.nlu import OUT_OF_SCOPE
from bot.responses import ResponseCatalog
from bot.training_data import TrainingData, load_training_data

RESPONSES_FILE = "responses.json"


def train_model(
    training_dir: Path,
    models_dir: Path,
    *,
    config: BuiltinConfig | None = None,
    activate: bool = True,
) -> ModelVersion:
    """Train on the YAML under ``training_dir`` and store a version in ``models_dir``.

    ``config`` tunes the built-in engine; ``activate`` makes the new version
    the active one. Raises :class:`~bot.errors.TrainingDataError` (before
    anything is written) when the data is invalid.
    """
    data = load_training_data(training_dir)
    started = time.perf_counter()
    classifier, held_out = BuiltinClassifier.train(data.texts(), data.labels_of_examples(), config)
    seconds = time.perf_counter() - started
    catalog = ResponseCatalog(data.responses, data.labels)
    metadata = {
        "engine": "builtin",
        "data_hash": data.data_hash,
        "training_dir": str(training_dir),
        "examples": len(data.examples),
        "intents": [i for i in data.intents if i != OUT_OF_SCOPE],
        "training_seconds": round(seconds, 3),
        "sklearn_version": sklearn.__version__,
        "config": asdict(classifier.config),
        "evaluation": held_out_figures(data, held_out),
    }

    def write(folder: Path) -> None:
        classifier.save(folder)
        (folder / RESPONSES_FILE).write_text(
            json.dumps(catalog.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8"
        )

    return ModelStore(models_dir).create(write, metadata, activate=activate)


def load_model(version: ModelVersion) -> tuple[BuiltinClassifier, ResponseCatalog]:
    """The classifier and responses stored in ``version``."""
    classifier = BuiltinClassifier.load(version.path)
    responses = json.loads((version.path / RESPONSES_FILE).read_text("utf-8"))
    return classifier, ResponseCatalog.from_json(responses)


def held_out_figures(data: TrainingData, held_out: HeldOut) -> dict[str, object]:
    """The calibration's out-of-fold figures, overall and per language, for the metadata."""
    figures: dict[str, object] = {"method": "out-of-fold predictions", **held_out.figures()}
    if not held_out.predicted:
        return figures
    truth = np.asarray(data.labels_of_examples())
    predicted = np.asarray(held_out.predicted)
    languages = np.asarray([e.language for e in data.examples])
    in_scope = truth != OUT_OF_SCOPE
    for language in sorted(set(languages.tolist())):
        mask = in_scope & (languages == language)
        if mask.any():
            figures[f"in_scope_accuracy_{language}"] = float(
                (predicted[mask] == truth[mask]).mean()
            )
    return figures
