"""The built-in NLU engine: character n-gram TF-IDF and a calibrated linear model.

Why this design:

* Character n-grams are robust to typos and to hiragana/kanji spelling
  variants; word n-grams beside them carry meaning (Japanese words come from
  a dictionary-based segmenter, see :mod:`bot.engines.segment`).
* A linear SVM trains in seconds (CLINC150's 15,000 examples in about ten)
  and classifies in well under a millisecond.
* SVM scores are not probabilities: a softmax with one temperature, fitted on
  held-out (out-of-fold) scores, turns them into probabilities; then an
  open-set confidence model (:mod:`bot.engines.confidence`: the margin between
  the two best intents and the similarity to the nearest training example of
  the best one, beside the softmax) fitted on the same held-out predictions
  makes the best intent's confidence calibrated: "0.8" is right ~80 % of the
  time, and a shop question no intent covers gets a low one.
* The out-of-scope threshold is chosen on the same held-out predictions (and
  ``out_of_scope`` examples, when the data has some, are also a class of
  their own).

A model is saved as plain arrays (``classifier.npz``, loaded with
``allow_pickle=False``) plus JSON; the vectorizers are rebuilt from their
vocabulary and IDF on load, so loading a model never executes stored code.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.calibration import expected_calibration_error
from bot.engines.confidence import ConfidenceModel, ExampleIndex, OpenSet, signals
from bot.engines.segment import tokenizer as named_tokenizer
from bot.errors import ModelFormatError
from bot.nlu import OUT_OF_SCOPE, Prediction

ARRAYS_FILE = "classifier.npz"
CONFIG_FILE = "classifier.json"
#: 2 adds the tokenizer name, the example index and the confidence model;
#: models of format 1 (regex words, temperature only) still load.
FORMAT_VERSION = 2
_READABLE_FORMATS = (1, 2)


def normalize_text(text: str) -> str:
    """NFKC (full-width ASCII and half-width kana fold together), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class BuiltinConfig:
    """Hyper-parameters of the built-in engine.

    ``char_ngrams``/``word_ngrams``: n-gram ranges of the two TF-IDF
    featurizers (``None`` disables one). ``word_weight``: scale of the word
    features against the character ones (words help English; Japanese is
    carried by the characters). ``c``: inverse regularisation of the SVM.
    ``calibration_folds``: folds of the out-of-fold predictions used to fit
    the temperature and the threshold. ``ranking_size``: intents kept in a
    prediction's ranking. ``threshold``: force an out-of-scope threshold
    instead of choosing it on held-out data. ``max_in_scope_loss``: the share
    of correctly classified held-out messages the chosen threshold may reject.
    ``workers``: fits run in parallel (default: the CPUs, at most 4).
    ``tokenizer``: the word featurizer's tokens, ``"unidic"`` (Japanese
    segmented by a dictionary) or ``"regex"`` (the first engine's script runs).
    ``open_set``: fit the open-set confidence model (margin, nearest example);
    off, the confidence is the temperature softmax alone (the first engine).
    ``confidence_c``: inverse regularisation of that model.
    ``balanced``: weigh each class by the inverse of its size in the SVM, so
    a large ``out_of_scope`` class does not pull in-scope phrasings to it.
    """

    char_ngrams: tuple[int, int] | None = (1, 4)
    word_ngrams: tuple[int, int] | None = (1, 2)
    word_weight: float = 0.7
    c: float = 1.0
    calibration_folds: int = 3
    ranking_size: int = 5
    threshold: float | None = None
    max_in_scope_loss: float = 0.01
    seed: int = 0
    workers: int | None = None
    tokenizer: str = "unidic"
    open_set: bool = True
    confidence_c: float = 1.0
    balanced: bool = False


#: The first built-in engine (before issue 14), kept selectable for comparison.
BUILTIN_V1 = BuiltinConfig(tokenizer="regex", open_set=False)


@dataclass(frozen=True)
class HeldOut:
    """Figures of the out-of-fold predictions made while calibrating.

    ``in_scope_accuracy`` counts an in-scope example as correct only when its
    intent is right *and* it is above the threshold; ``oos_recall`` is the
    share of ``out_of_scope`` examples recognised as such (``None`` without
    any). ``predicted`` is the out-of-fold intent of each training example,
    in input order (``out_of_scope`` when rejected). ``ece`` is the expected
    calibration error of the best intents' confidences (15 bins; the
    confidence model was fitted on these same predictions, so
    ``tsunagu evaluate`` gives the stricter figure).
    """

    in_scope_accuracy: float
    oos_recall: float | None
    temperature: float
    threshold: float
    folds: int
    ece: float | None = None
    predicted: tuple[str, ...] = field(default=(), repr=False)

    def figures(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("predicted")
        return out


class BuiltinClassifier:
    """A trained built-in model. ``parse`` is pure computation (no I/O), thread-safe."""

    def __init__(
        self,
        vectorizers: Sequence[TfidfVectorizer],
        weights: Sequence[float],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        *,
        temperature: float,
        threshold: float,
        config: BuiltinConfig,
        open_set: OpenSet | None = None,
    ) -> None:
        """Wrap fitted parts; use :meth:`train` or :meth:`load` rather than this.

        ``coef`` is (n_classes, n_features) over the concatenated features of
        ``vectorizers``, each scaled by its entry in ``weights``;
        ``temperature`` divides the scores before the softmax; ``threshold``
        is the confidence below which a message is out of scope. ``open_set``
        calibrates the confidence and adds the out-of-scope detector (see
        :mod:`bot.engines.confidence`).
        """
        self._vectorizers = tuple(vectorizers)
        self._weights = tuple(float(w) for w in weights)
        self._fast = tuple(
            (v.build_analyzer(), v.vocabulary_, np.asarray(v.idf_), w)
            for v, w in zip(self._vectorizers, self._weights, strict=True)
        )
        # Stored transposed and contiguous: one sparse row times this matrix
        # is the whole cost of scoring a message.
        # Rounded through float32, the precision it is saved in, so a loaded
        # model answers exactly like the one that was trained.
        self._coef_t = np.ascontiguousarray(coef.T.astype(np.float32), dtype=np.float64)
        self._intercept = np.asarray(intercept, dtype=np.float64)
        self.classes = tuple(classes)
        self.temperature = float(temperature)
        self.threshold = float(threshold)
        self.config = config
        self.open_set = open_set
        self._oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else -1

    # -- inference ------------------------------------------------------------

    def parse(self, text: str) -> Prediction:
        """Classify one message (well under a millisecond; see :meth:`_scores_one`)."""
        columns, values, scores = self._scores_one(text)
        probabilities = _softmax(scores[np.newaxis, :], self.temperature)
        if self.open_set is None:
            return self._predictions(probabilities, None)[0]
        first, second = np.argsort(-probabilities[0])[:2]
        nearest, runner_up = self.open_set.index.nearest_one(
            columns, values, (int(first), int(second))
        )[:, np.newaxis]
        return self._predictions(
            *self.open_set.apply(probabilities, nearest, runner_up, self._oos)
        )[0]

    def parse_batch(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify many messages at once (evaluation); same results as :meth:`parse`."""
        return self._predictions(*self._probabilities(texts))

    def _scores_one(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The SVM scores of one text, without scikit-learn's per-call overhead.

        ``TfidfVectorizer.transform`` plus ``sparse.hstack`` cost milliseconds
        for a single string (validation, matrix construction); ``respond`` runs
        on the event loop, so this computes the same TF-IDF row directly:
        sublinear term frequency times IDF, L2-normalised per featurizer, then
        only the coefficient rows of the n-grams present. Returns the row's
        non-zero columns and values (for the nearest-example check) and the
        scores.
        """
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for analyze, vocabulary, idf, weight in self._fast:
            counts = Counter(term for term in analyze(text) if term in vocabulary)
            if counts:
                columns = np.fromiter((vocabulary[t] for t in counts), np.intp, len(counts))
                tf = 1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
                row = tf * idf[columns]
                row *= weight / np.sqrt(row @ row)
                indices.append(columns + offset)
                values.append(row)
            offset += len(vocabulary)
        if not indices:
            empty = np.zeros(0, dtype=np.intp)
            return empty, np.zeros(0), self._intercept.copy()
        columns = np.concatenate(indices)
        row = np.concatenate(values)
        return columns, row, row @ self._coef_t[columns] + self._intercept

    def _probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities of ``texts`` and, with the open-set part, P(out of scope)."""
        features = _features(self._vectorizers, self._weights, texts, fit=False)
        scores = features @ self._coef_t + self._intercept
        probabilities = _softmax(np.asarray(scores), self.temperature)
        if self.open_set is None:
            return probabilities, None
        order = np.argsort(-probabilities, axis=1)
        nearest = self.open_set.index.nearest(features, order[:, 0])
        runner_up = self.open_set.index.nearest(features, order[:, 1])
        return self.open_set.apply(probabilities, nearest, runner_up, self._oos)

    def _predictions(
        self, probabilities: np.ndarray, oos_probability: np.ndarray | None
    ) -> list[Prediction]:
        size = min(self.config.ranking_size, len(self.classes))
        oos_threshold = self.open_set.oos_threshold if self.open_set is not None else np.inf
        out = []
        for n, row in enumerate(probabilities):
            order = np.argsort(-row)[:size]
            ranking = tuple((self.classes[i], float(row[i])) for i in order)
            best, confidence = ranking[0]
            if confidence < self.threshold or (
                oos_probability is not None and oos_probability[n] >= oos_threshold
            ):
                best = OUT_OF_SCOPE
            out.append(Prediction(best, confidence, ranking))
        return out

    # -- training ---------------------------------------------------------------

    @classmethod
    def train(
        cls, texts: Sequence[str], intents: Sequence[str], config: BuiltinConfig | None = None
    ) -> tuple[BuiltinClassifier, HeldOut]:
        """Fit a model on ``texts`` labelled ``intents``.

        ``intents`` may include :data:`OUT_OF_SCOPE` for examples of what the
        bot must not answer. Returns the model and the held-out figures of its
        calibration (the same procedure on ``calibration_folds`` folds).
        """
        config = config or BuiltinConfig()
        labels = np.asarray(intents)
        folds = _usable_folds(labels, config.calibration_folds)
        classes = np.unique(labels)
        scores = np.zeros((len(texts), len(classes)))
        # Nearest-example similarity of each held-out message to the training
        # examples of its fold's best and second intent.
        nearest = np.zeros((len(texts), 2))
        splits = []
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
            splits = list(splitter.split(np.zeros(len(labels)), labels))

        def fold(
            split: tuple[np.ndarray, np.ndarray],
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            train_idx, test_idx = split
            part = _fit([texts[i] for i in train_idx], labels[train_idx], config)
            test_features = part.features([texts[i] for i in test_idx])
            # A fold may lack a rare class: scatter its columns into the full
            # class order, leaving the missing ones very unlikely.
            fold_scores = np.full((len(test_idx), len(classes)), -10.0)
            columns = np.searchsorted(classes, part.classes)
            fold_scores[:, columns] = part.scores_of(test_features)
            fold_nearest = np.zeros((len(test_idx), 2))
            if config.open_set:
                index = part.index(len(classes), np.searchsorted(classes, labels[train_idx]))
                order = np.argsort(-fold_scores, axis=1)
                fold_nearest[:, 0] = index.nearest(test_features, order[:, 0])
                fold_nearest[:, 1] = index.nearest(test_features, order[:, 1])
            return test_idx, fold_scores, fold_nearest

        # liblinear releases the GIL while it trains, so the folds and the
        # final fit run side by side on the machine's cores (each fit is
        # independent and seeded: the result does not depend on the order).
        with ThreadPoolExecutor(max_workers=_workers(config)) as pool:
            final = pool.submit(_fit, texts, labels, config)
            for test_idx, fold_scores, fold_nearest in pool.map(fold, splits):
                scores[test_idx] = fold_scores
                nearest[test_idx] = fold_nearest
            model = final.result()
        truth = np.searchsorted(classes, labels)
        open_set: OpenSet | None = None
        if folds >= 2:
            temperature = _fit_temperature(scores, truth)
            probabilities = _softmax(scores, temperature)
            budget = config.max_in_scope_loss
            p_oos = None
            if config.open_set:
                open_set = _fit_open_set(
                    model, probabilities, nearest, classes, labels, config, budget
                )
            if open_set is not None:
                probabilities, p_oos = open_set.apply(
                    probabilities, nearest[:, 0], nearest[:, 1], _oos_column(classes)
                )
                if open_set.detector is not None:
                    # The two tests share the budget of in-scope messages lost.
                    budget /= 2
            threshold = (
                config.threshold
                if config.threshold is not None
                else _choose_threshold(probabilities, classes, labels, budget)
            )
            if open_set is not None and open_set.detector is not None and p_oos is not None:
                accepted = probabilities.max(axis=1) >= threshold
                open_set = replace(
                    open_set,
                    oos_threshold=_choose_oos_threshold(
                        p_oos, accepted, classes[probabilities.argmax(axis=1)], labels, budget
                    ),
                )
            rejected = probabilities.max(axis=1) < threshold
            if open_set is not None and p_oos is not None:
                rejected |= p_oos >= open_set.oos_threshold
            held_out = _held_out(
                probabilities, classes, labels, temperature, threshold, folds, rejected
            )
        else:
            # Too little data to hold any out: keep every prediction.
            temperature, threshold = 0.2, config.threshold or 0.0
            held_out = HeldOut(float("nan"), None, temperature, threshold, 0)
        classifier = cls(
            model.vectorizers,
            model.weights,
            model.svm.coef_,
            model.svm.intercept_,
            [str(c) for c in model.classes],
            temperature=temperature,
            threshold=threshold,
            config=config,
            open_set=open_set,
        )
        return classifier, held_out

    # -- persistence ------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the model as arrays and JSON into ``directory`` (which must exist)."""
        arrays: dict[str, np.ndarray] = {
            "coef": self._coef_t.T.astype(np.float32),
            "intercept": self._intercept,
            "classes": np.asarray(self.classes, dtype=np.str_),
        }
        featurizers = []
        for index, (vectorizer, weight) in enumerate(
            zip(self._vectorizers, self._weights, strict=True)
        ):
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"terms_{index}"] = np.asarray(terms, dtype=np.str_)
            arrays[f"idf_{index}"] = vectorizer.idf_
            featurizers.append(
                {
                    "analyzer": vectorizer.analyzer,
                    "ngram_range": list(vectorizer.ngram_range),
                    "weight": weight,
                    "tokenizer": self.config.tokenizer,
                }
            )
        if self.open_set is not None:
            arrays.update(self.open_set.arrays())
        np.savez_compressed(directory / ARRAYS_FILE, allow_pickle=False, **arrays)
        settings = {
            "format": FORMAT_VERSION,
            "engine": "builtin",
            "temperature": self.temperature,
            "threshold": self.threshold,
            "open_set": self.open_set is not None,
            "featurizers": featurizers,
            "config": asdict(self.config),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(settings, indent=2) + "\n", "utf-8")

    @classmethod
    def load(cls, directory: Path) -> BuiltinClassifier:
        """Rebuild a model saved by :meth:`save`; raises :class:`ModelFormatError`."""
        try:
            settings = json.loads((directory / CONFIG_FILE).read_text("utf-8"))
            with np.load(directory / ARRAYS_FILE, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ModelFormatError(f"{directory}: cannot read the built-in model: {exc}") from exc
        if settings.get("format") not in _READABLE_FORMATS:
            raise ModelFormatError(f"{directory}: unknown model format {settings.get('format')!r}")
        # A format-1 model was the first engine: regex words, temperature only.
        config_fields = {"tokenizer": "regex", "open_set": False, **settings["config"]}
        for key in ("char_ngrams", "word_ngrams"):
            if config_fields.get(key) is not None:
                config_fields[key] = tuple(config_fields[key])
        vectorizers = []
        for index, spec in enumerate(settings["featurizers"]):
            terms = arrays[f"terms_{index}"].tolist()
            vectorizer = _vectorizer(
                spec["analyzer"],
                tuple(spec["ngram_range"]),
                terms,
                tokenizer=spec.get("tokenizer", "regex"),
            )
            vectorizer.idf_ = arrays[f"idf_{index}"]
            vectorizers.append(vectorizer)
        coef = arrays["coef"]
        width = sum(len(v.vocabulary_) for v in vectorizers)
        if coef.shape[1] != width:
            raise ModelFormatError(f"{directory}: coefficients do not match the vocabulary")
        open_set = None
        if settings.get("open_set"):
            try:
                open_set = OpenSet.from_arrays(arrays, width)
            except (KeyError, ValueError, IndexError) as exc:
                raise ModelFormatError(f"{directory}: bad open-set arrays: {exc}") from exc
        return cls(
            vectorizers,
            [spec["weight"] for spec in settings["featurizers"]],
            coef,
            arrays["intercept"],
            arrays["classes"].tolist(),
            temperature=settings["temperature"],
            threshold=settings["threshold"],
            config=BuiltinConfig(**config_fields),
            open_set=open_set,
        )


# -- the pieces ---------------------------------------------------------------------


@dataclass
class _Fitted:
    vectorizers: tuple[TfidfVectorizer, ...]
    weights: tuple[float, ...]
    svm: LinearSVC
    matrix: sparse.csr_matrix  # the training features, one row per example

    @property
    def classes(self) -> np.ndarray:
        return self.svm.classes_

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _features(self.vectorizers, self.weights, texts, fit=False)

    def scores_of(self, features: sparse.csr_matrix) -> np.ndarray:
        scores = self.svm.decision_function(features)
        # decision_function returns one column for two classes.
        return scores if scores.ndim == 2 else np.column_stack([-scores, scores])

    def index(self, classes: int, class_index: np.ndarray) -> ExampleIndex:
        """The training examples by class (``class_index``: each one's column of ``classes``)."""
        return ExampleIndex.build(self.matrix, class_index, classes)


def _vectorizer(
    analyzer: str,
    ngram_range: tuple[int, int],
    vocabulary: list[str] | None = None,
    *,
    tokenizer: str = "regex",
) -> TfidfVectorizer:
    """A TF-IDF featurizer; ``tokenizer`` names the word tokens (:mod:`bot.engines.segment`)."""
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        preprocessor=normalize_text,
        tokenizer=named_tokenizer(tokenizer) if analyzer == "word" else None,
        token_pattern=None,
        sublinear_tf=True,
        dtype=np.float64,
        vocabulary={term: i for i, term in enumerate(vocabulary)} if vocabulary else None,
    )


def _features(
    vectorizers: Sequence[TfidfVectorizer],
    weights: Sequence[float],
    texts: Sequence[str],
    *,
    fit: bool,
) -> sparse.csr_matrix:
    parts = [
        (v.fit_transform(texts) if fit else v.transform(texts)) * weight
        for v, weight in zip(vectorizers, weights, strict=True)
    ]
    return sparse.hstack(parts, format="csr") if len(parts) > 1 else parts[0].tocsr()


def _fit(texts: Sequence[str], labels: np.ndarray, config: BuiltinConfig) -> _Fitted:
    vectorizers, weights = [], []
    if config.char_ngrams:
        vectorizers.append(_vectorizer("char_wb", config.char_ngrams))
        weights.append(1.0)
    if config.word_ngrams:
        vectorizers.append(_vectorizer("word", config.word_ngrams, tokenizer=config.tokenizer))
        weights.append(config.word_weight)
    if not vectorizers:
        raise ValueError("at least one of char_ngrams and word_ngrams must be set")
    matrix = _features(vectorizers, weights, texts, fit=True)
    svm = LinearSVC(
        C=config.c,
        class_weight="balanced" if config.balanced else None,
        random_state=config.seed,
    ).fit(matrix, labels)
    return _Fitted(tuple(vectorizers), tuple(weights), svm, matrix)


def _workers(config: BuiltinConfig) -> int:
    if config.workers is not None:
        return max(1, config.workers)
    return max(1, min(4, os.cpu_count() or 1))


def _usable_folds(labels: np.ndarray, wanted: int) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return max(0, min(wanted, int(counts.min()))) if wanted >= 2 else 0


def _fit_open_set(
    model: _Fitted,
    probabilities: np.ndarray,
    nearest: np.ndarray,
    classes: np.ndarray,
    labels: np.ndarray,
    config: BuiltinConfig,
    budget: float,
) -> OpenSet | None:
    """Fit the calibrator and the detector on out-of-fold softmax ``probabilities``.

    ``nearest`` holds each held-out message's nearest-example similarity to
    its best and second intent. ``None`` when there is too little to learn
    from (see :data:`bot.engines.confidence.MIN_OUTCOMES`); the detector alone
    is left out without enough ``out_of_scope`` examples. Its threshold is set
    later (infinite here).
    """
    truth = np.searchsorted(classes, labels)
    rows = signals(probabilities, nearest[:, 0], nearest[:, 1], _oos_column(classes))
    calibrator = ConfidenceModel.fit(
        rows[:, :1], probabilities.argmax(axis=1) == truth, config.confidence_c
    )
    if calibrator is None:
        return None
    detector = ConfidenceModel.fit(rows, labels == OUT_OF_SCOPE, config.confidence_c)
    return OpenSet(model.index(len(classes), truth), calibrator, detector, float("inf"))


def _choose_oos_threshold(
    p_oos: np.ndarray, accepted: np.ndarray, best: np.ndarray, labels: np.ndarray, budget: float
) -> float:
    """The detector's threshold, chosen on held-out predictions like :func:`_choose_threshold`.

    ``p_oos``: the detector's P(out of scope) per message; ``accepted``: the
    messages the confidence threshold keeps; ``best``: their best intents.
    Rejecting ``p_oos`` at or above the threshold loses at most ``budget`` of
    the correctly answered in-scope messages, and within that maximises
    in-scope accuracy plus out-of-scope recall.
    """
    in_scope = labels != OUT_OF_SCOPE
    correct = in_scope & (best == labels) & accepted
    if not correct.any() or in_scope.all():
        return float("inf")
    ceiling = float(np.quantile(p_oos[correct], 1.0 - budget))
    best_threshold, best_score = float("inf"), -1.0
    for threshold in np.unique(np.round(p_oos[p_oos >= ceiling], 4)):
        kept = accepted & (p_oos < threshold)
        accuracy = (correct & kept).sum() / in_scope.sum()
        recall = (~in_scope & (~kept | (best == OUT_OF_SCOPE))).sum() / (~in_scope).sum()
        if accuracy + recall > best_score:
            best_threshold, best_score = float(threshold), accuracy + recall
    return best_threshold


def _oos_column(classes: np.ndarray) -> int:
    found = np.flatnonzero(classes == OUT_OF_SCOPE)
    return int(found[0]) if len(found) else -1


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of the truth."""
    best_t, best_nll = 1.0, np.inf
    rows = np.arange(len(truth))
    for temperature in np.geomspace(0.02, 2.0, 41):
        p = _softmax(scores, float(temperature))[rows, truth]
        nll = -np.log(np.clip(p, 1e-12, None)).mean()
        if nll < best_nll:
            best_t, best_nll = float(temperature), nll
    return best_t


def _choose_threshold(
    probabilities: np.ndarray, classes: np.ndarray, labels: np.ndarray, max_loss: float
) -> float:
    """Pick the out-of-scope threshold on held-out predictions.

    A threshold may reject at most ``max_loss`` of the in-scope messages the
    model got right (a visitor whose question the bot could have answered gets
    a fallback instead). Within that budget, with ``out_of_scope`` examples, it
    maximises in-scope accuracy plus out-of-scope recall; without any, it is
    the budget's limit. The budget matters: out-of-scope examples are few, so
    each weighs far more in the recall than an in-scope one in the accuracy,
    and an unbounded search would trade much accuracy for little recall.
    """
    confidence = probabilities.max(axis=1)
    predicted = classes[probabilities.argmax(axis=1)]
    in_scope = labels != OUT_OF_SCOPE
    correct = in_scope & (predicted == labels)
    if not correct.any():
        return 0.0
    ceiling = float(np.quantile(confidence[correct], max_loss))
    if in_scope.all():
        return ceiling
    best_threshold, best_score = 0.0, -1.0
    for threshold in np.unique(np.round(confidence[confidence <= ceiling], 3)):
        accepted = confidence >= threshold
        accuracy = (correct & accepted).sum() / in_scope.sum()
        oos_hits = ~in_scope & (~accepted | (predicted == OUT_OF_SCOPE))
        recall = oos_hits.sum() / (~in_scope).sum()
        if accuracy + recall > best_score:
            best_threshold, best_score = float(threshold), accuracy + recall
    return best_threshold


def _held_out(
    probabilities: np.ndarray,
    classes: np.ndarray,
    labels: np.ndarray,
    temperature: float,
    threshold: float,
    folds: int,
    rejected: np.ndarray,
) -> HeldOut:
    confidence = probabilities.max(axis=1)
    predicted = np.where(rejected, OUT_OF_SCOPE, classes[probabilities.argmax(axis=1)])
    in_scope = labels != OUT_OF_SCOPE
    accuracy = float((predicted[in_scope] == labels[in_scope]).mean()) if in_scope.any() else 0.0
    recall = float((predicted[~in_scope] == OUT_OF_SCOPE).mean()) if (~in_scope).any() else None
    ece = expected_calibration_error(confidence, classes[probabilities.argmax(axis=1)] == labels)
    return HeldOut(accuracy, recall, temperature, threshold, folds, ece, tuple(predicted.tolist()))
