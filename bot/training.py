"""Train a model version from training data, and load one back.

``train_model`` is what ``tsunagu train`` and the gateway's first start run:
read and validate the YAML (nothing is written when it is bad, so the active
model keeps serving), fit the built-in engine, record the held-out figures of
its calibration in the metadata, store the version and activate it. Its two
halves, :func:`fit_model` and :func:`store_model`, let the training job
(:mod:`bot.job`) compare the candidate with the active model in between.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from bot.engines.builtin import BuiltinClassifier, BuiltinConfig, HeldOut
from bot.model_store import ModelStore, ModelVersion
from bot.nlu import OUT_OF_SCOPE
from bot.responses import ResponseCatalog
from bot.training_data import TrainingData, load_training_data

RESPONSES_FILE = "responses.json"


@dataclass(frozen=True)
class TrainedModel:
    """A model fitted in memory and not stored yet (see :func:`fit_model`).

    ``metadata`` is what :func:`store_model` writes into ``metadata.json``
    (before ``version`` and ``created`` are added).
    """

    classifier: BuiltinClassifier
    catalog: ResponseCatalog
    metadata: dict[str, Any]


def train_model(
    training: Path | TrainingData,
    models_dir: Path,
    *,
    config: BuiltinConfig | None = None,
    activate: bool = True,
    extra_metadata: Mapping[str, Any] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ModelVersion:
    """Train on ``training`` and store a version in ``models_dir``.

    ``training`` is a folder of Rasa YAML or data already loaded (e.g. from
    the database). ``config`` tunes the built-in engine; ``activate`` makes
    the new version the active one; ``extra_metadata`` (JSON-safe) is merged
    into the metadata (e.g. ``"cv"``, the cross-validated figures);
    ``on_stage`` is called with ``"training"`` and then ``"storing"`` as the
    work moves on. Raises :class:`~bot.errors.TrainingDataError` (before
    anything is written) when the data is invalid.
    """
    if isinstance(training, TrainingData):
        data, source = training, {}
    else:
        data, source = load_training_data(Path(training)), {"training_dir": str(training)}
    if on_stage is not None:
        on_stage("training")
    trained = fit_model(data, config=config)
    if on_stage is not None:
        on_stage("storing")
    return store_model(
        trained, models_dir, activate=activate, extra_metadata={**source, **(extra_metadata or {})}
    )


def fit_model(data: TrainingData, *, config: BuiltinConfig | None = None) -> TrainedModel:
    """Fit the built-in engine on ``data`` in memory; nothing is written.

    The training job uses this with :func:`store_model` to replay messages
    through the candidate before storing it. ``config`` tunes the engine.
    """
    started = time.perf_counter()
    classifier, held_out = BuiltinClassifier.train(data.texts(), data.labels_of_examples(), config)
    seconds = time.perf_counter() - started
    metadata: dict[str, Any] = {
        "engine": "builtin",
        "data_hash": data.data_hash,
        "examples": len(data.examples),
        "intents": [i for i in data.intents if i != OUT_OF_SCOPE],
        "training_seconds": round(seconds, 3),
        "sklearn_version": sklearn.__version__,
        "config": asdict(classifier.config),
        "evaluation": held_out_figures(data, held_out),
    }
    return TrainedModel(classifier, ResponseCatalog(data.responses, data.labels), metadata)


def store_model(
    trained: TrainedModel,
    models_dir: Path,
    *,
    activate: bool = True,
    extra_metadata: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Store ``trained`` as a new version of ``models_dir``.

    ``activate`` makes it the active version; ``extra_metadata`` (JSON-safe)
    is merged into its metadata, over the keys of the same name.
    """

    def write(folder: Path) -> None:
        trained.classifier.save(folder)
        (folder / RESPONSES_FILE).write_text(
            json.dumps(trained.catalog.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8"
        )

    metadata = {**trained.metadata, **(extra_metadata or {})}
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
