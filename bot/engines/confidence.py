"""Open-set confidence of the built-in engine: is the best intent really the one?

A linear model always ranks *some* intent first, and a shop question that no
intent covers ("do you ship to Canada?") is often ranked with a high softmax
probability, because it shares words with one intent ("ship"). Two checks
beside the linear scores tell such a guess from a sure answer:

* the **margin** between the two best intents;
* the **nearest example**: the cosine similarity of the message to the closest
  training example of the best intent, and of the second (a density check: a
  message far from everything the intent was trained on is probably not that
  intent).

:class:`OpenSet` puts them to work, with two logistic regressions
(:class:`ConfidenceModel`) fitted on out-of-fold predictions:

* the **calibrator** maps the softmax probability of the best intent to "the
  best intent is right": a calibrated confidence (of the messages it gives
  0.8, about 80 % have the right intent);
* the **detector** maps all the signals to "the message is out of scope";
  at or above its own threshold a message is out of scope whatever its
  confidence. On CLINC150 the signals together tell out-of-scope queries
  apart far better than the probability alone (ROC AUC 0.97 against 0.94),
  while a single regression for both jobs learns mostly the confusions
  between intents and loses that.

:class:`ExampleIndex` holds the training rows per intent for the
nearest-example check. Everything is stored as plain arrays (no pickle) by
the engine's ``save``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

#: The signals, in the order of a feature row (see :func:`signals`).
SIGNALS = ("logit_top", "margin", "nearest", "nearest_gap", "top_is_oos")
#: Held-out predictions needed, right and wrong each, to fit the model: below
#: that a regression of five signals is noise (tiny data keeps the softmax).
MIN_OUTCOMES = 20


class ExampleIndex:
    """Training examples as unit-length feature rows, grouped by intent.

    ``matrix`` is (examples, features) CSR with rows sorted by class;
    ``offsets[k]:offsets[k + 1]`` are the rows of class ``k``.
    """

    def __init__(self, matrix: sparse.csr_matrix, offsets: np.ndarray) -> None:
        self.matrix = matrix
        self.offsets = np.asarray(offsets, dtype=np.int64)
        # Row blocks per class, sliced once: slicing per message would cost
        # more than the product itself.
        self._blocks = [
            matrix[int(self.offsets[k]) : int(self.offsets[k + 1])]
            for k in range(len(self.offsets) - 1)
        ]

    @classmethod
    def build(
        cls, features: sparse.csr_matrix, class_index: np.ndarray, classes: int
    ) -> ExampleIndex:
        """Index ``features`` (one row per example) whose classes are ``class_index``."""
        order = np.argsort(class_index, kind="stable")
        matrix = _unit_rows(features[order]).astype(np.float32)
        offsets = np.searchsorted(class_index[order], np.arange(classes + 1))
        return cls(matrix.tocsr(), offsets)

    def nearest_one(
        self, columns: np.ndarray, values: np.ndarray, classes: Sequence[int]
    ) -> np.ndarray:
        """Cosine similarity of one message (its non-zero ``columns`` and ``values``)
        to the closest example of each class of ``classes`` (0 for a class without any)."""
        out = np.zeros(len(classes))
        if len(columns) == 0:
            return out
        dense = np.zeros(self.matrix.shape[1], dtype=np.float32)
        dense[columns] = values / float(np.sqrt(values @ values))
        for n, klass in enumerate(classes):
            block = self._blocks[klass]
            if block.shape[0]:
                out[n] = float((block @ dense).max())
        return out

    def nearest(self, features: sparse.csr_matrix, classes: np.ndarray) -> np.ndarray:
        """For each row of ``features``, the similarity to the closest example of
        its entry in ``classes`` (a batch of :meth:`nearest_one`)."""
        rows = _unit_rows(features).astype(np.float32)
        out = np.zeros(rows.shape[0])
        for klass in np.unique(classes):
            block = self._blocks[int(klass)]
            if block.shape[0] == 0:
                continue
            mask = np.flatnonzero(classes == klass)
            products = (rows[mask] @ block.T).toarray()
            out[mask] = products.max(axis=1)
        return out


@dataclass(frozen=True)
class OpenSet:
    """The open-set part of a model: example index, calibrator, detector.

    ``oos_threshold``: the detector's probability at or above which a message
    is out of scope (``inf`` without a detector: there was too little
    ``out_of_scope`` data to fit one).
    """

    index: ExampleIndex
    calibrator: ConfidenceModel
    detector: ConfidenceModel | None
    oos_threshold: float

    def apply(
        self, probabilities: np.ndarray, nearest: np.ndarray, runner_up: np.ndarray, oos: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities and P(out of scope) of softmax rows.

        ``nearest``/``runner_up``: the nearest-example similarities to each
        row's best and second intent; ``oos``: the ``out_of_scope`` column or -1.
        """
        rows = signals(probabilities, nearest, runner_up, oos)
        calibrated = recalibrate(probabilities, self.calibrator.confidence(rows[:, :1]))
        if self.detector is None:
            return calibrated, np.zeros(len(rows))
        return calibrated, self.detector.confidence(rows)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store (see :meth:`from_arrays`)."""
        matrix = self.index.matrix
        out = {
            "index_data": matrix.data.astype(np.float32),
            "index_indices": matrix.indices.astype(np.int32),
            "index_indptr": matrix.indptr.astype(np.int64),
            "index_offsets": self.index.offsets,
            "oos_threshold": np.asarray([self.oos_threshold]),
            **self.calibrator.arrays("confidence"),
        }
        if self.detector is not None:
            out.update(self.detector.arrays("detector"))
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], width: int) -> OpenSet:
        """Rebuild from :meth:`arrays`; ``width`` is the number of features.

        Raises ``KeyError``/``ValueError`` on missing or inconsistent arrays.
        """
        matrix = sparse.csr_matrix(
            (arrays["index_data"], arrays["index_indices"], arrays["index_indptr"]),
            shape=(len(arrays["index_indptr"]) - 1, width),
        )
        detector = (
            ConfidenceModel.from_arrays(arrays, "detector") if "detector_coef" in arrays else None
        )
        return cls(
            ExampleIndex(matrix, arrays["index_offsets"]),
            ConfidenceModel.from_arrays(arrays, "confidence"),
            detector,
            float(arrays["oos_threshold"][0]),
        )


def signals(
    probabilities: np.ndarray, nearest: np.ndarray, nearest_second: np.ndarray, oos_index: int
) -> np.ndarray:
    """Feature rows of the confidence model, one per message.

    ``probabilities`` are the temperature-softmax rows; ``nearest`` and
    ``nearest_second`` the nearest-example similarities to the best and the
    second intent; ``oos_index`` the column of ``out_of_scope`` (-1: none).
    """
    top2 = -np.partition(-probabilities, 1, axis=1)[:, :2]
    p1 = np.clip(top2[:, 0], 1e-6, 1 - 1e-6)
    best = probabilities.argmax(axis=1)
    return np.column_stack(
        [
            np.log(p1 / (1 - p1)),
            top2[:, 0] - top2[:, 1],
            nearest,
            nearest - nearest_second,
            (best == oos_index).astype(np.float64),
        ]
    )


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression from :func:`signals` to P(best intent is right).

    ``mean``/``scale`` standardise a feature row, ``coef``/``intercept`` are
    the regression's.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def fit(cls, rows: np.ndarray, correct: np.ndarray, c: float = 1.0) -> ConfidenceModel | None:
        """Fit on out-of-fold feature ``rows`` and whether each best intent was right.

        Returns ``None`` with fewer than :data:`MIN_OUTCOMES` right or wrong
        predictions (too little to learn from).
        """
        if min(int(correct.sum()), int((~correct).sum())) < MIN_OUTCOMES:
            return None
        mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, max_iter=1000).fit((rows - mean) / scale, correct)
        return cls(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))

    def confidence(self, rows: np.ndarray) -> np.ndarray:
        """Calibrated P(best intent is right) of each feature row."""
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to store, named ``<prefix>_…`` (see :meth:`from_arrays`)."""
        return {
            f"{prefix}_mean": self.mean,
            f"{prefix}_scale": self.scale,
            f"{prefix}_coef": np.append(self.coef, self.intercept),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> ConfidenceModel:
        coef = np.asarray(arrays[f"{prefix}_coef"], dtype=np.float64)
        return cls(
            np.asarray(arrays[f"{prefix}_mean"], dtype=np.float64),
            np.asarray(arrays[f"{prefix}_scale"], dtype=np.float64),
            coef[:-1],
            float(coef[-1]),
        )


def recalibrate(probabilities: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Give each row's best intent its calibrated ``confidence``; scale the others.

    The others keep their order and ratios: multiplied by ``c / p1`` when the
    calibrated confidence is lower (the mass taken away is "none of these"),
    by ``(1 - c) / (1 - p1)`` when it is higher (so a row never sums over 1).
    """
    out = probabilities.copy()
    rows = np.arange(len(out))
    best = out.argmax(axis=1)
    p1 = out[rows, best]
    factor = np.minimum(
        confidence / np.maximum(p1, 1e-12), (1 - confidence) / np.maximum(1 - p1, 1e-12)
    )
    out *= factor[:, np.newaxis]
    out[rows, best] = confidence
    return out


def _unit_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=np.float64)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def by_class(labels: Sequence[str], classes: np.ndarray) -> np.ndarray:
    """The column of each label in ``classes`` (sorted, as scikit-learn orders them)."""
    return np.searchsorted(classes, np.asarray(labels))
