"""The training job: cross-validate, train, compare with the active model, store.

The gateway runs it in a child process (training takes seconds of CPU and
must never run on its event loop)::

    python -m bot.job --data DIR --out MODELS_DIR [--active VERSION_DIR]
                      [--active-data DIR] [--replay FILE] [--folds N]

``--data``: the Rasa YAML folder to train the candidate on. ``--out``: the
:mod:`bot.model_store` folder that receives the new version (not activated).
``--active``: the active model's version folder (for the replay and its
figures). ``--active-data``: the data the active model was trained on,
cross-validated (stage ``baseline``) only when the active version's metadata
has no ``"cv"``. ``--replay``: JSON lines ``{"message_id", "text"}``, the
last 7 days of visitor messages. ``--folds``: cross-validation folds (5).

Standard output is the protocol, one JSON object per line, flushed:

* ``{"stage": STAGE, "progress": 0.0..1.0}`` with stages in the order
  ``preparing``, ``cross_validating`` (a line per fold), ``baseline`` (when
  needed, a line per fold), ``training``, ``replaying``, ``storing``;
  ``progress`` never goes down;
* finally ``{"done": {"version", "path", "cv", "active_cv", "report"}}``
  (``report`` is the GateReport of docs/admin.md), exit 0;
* or ``{"error": "invalid training data: FILE:LINE: MESSAGE; ..."}``, exit 2,
  or ``{"error": SENTENCE}``, exit 1 (the traceback goes to standard error).

The new version's ``metadata.json`` records its figures under ``"cv"``, so a
later job against it needs no baseline. Nothing is pickled.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO

from bot.cli import EXIT_BAD_DATA, EXIT_FAILED, EXIT_OK
from bot.engines.builtin import BuiltinClassifier
from bot.errors import BotError, TrainingDataError
from bot.evaluation import cross_validate
from bot.gate import compare, replay
from bot.model_store import read_version
from bot.training import fit_model, store_model
from bot.training_data import TrainingData, load_training_data

STAGES = ("preparing", "cross_validating", "baseline", "training", "replaying", "storing")
# Share of the whole job given to "preparing" (reading the data), before the
# cost of the other stages is known.
_PREPARING = 0.02


class JobFailed(Exception):
    """A failure to report as ``{"error": message}`` with exit code ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    # argparse exits with 2 on bad arguments, which the protocol reserves for
    # bad training data: report usage errors as ordinary failures instead.
    def error(self, message: str) -> NoReturn:
        raise JobFailed(f"bad arguments: {message}")


@dataclass(frozen=True)
class _Active:
    name: str
    classifier: BuiltinClassifier
    cv: dict[str, Any] | None


class Progress:
    """Writes the protocol lines and maps each stage's own 0..1 onto the whole job."""

    def __init__(self, out: TextIO) -> None:
        """``out`` receives the JSON lines (the real standard output)."""
        self._out = out
        self._last = 0.0
        self._spans: dict[str, tuple[float, float]] = {"preparing": (0.0, _PREPARING)}

    def plan(self, costs: dict[str, float]) -> None:
        """Share what is left after ``preparing`` among the stages, by relative ``costs``."""
        total = sum(costs.values()) or 1.0
        start = _PREPARING
        for stage in STAGES[1:]:
            width = (1.0 - _PREPARING) * costs.get(stage, 0.0) / total
            self._spans[stage] = (start, width)
            start += width

    def stage(self, name: str, fraction: float = 0.0) -> None:
        """Report that stage ``name`` is ``fraction`` (0..1) done."""
        start, width = self._spans[name]
        # Never backwards, whatever rounding or a re-plan would say.
        self._last = max(self._last, min(1.0, start + width * fraction))
        self.line({"stage": name, "progress": round(self._last, 4)})

    def line(self, obj: dict[str, Any]) -> None:
        """Write one protocol line and flush it (the gateway reads as we go)."""
        self._out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self._out.flush()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The job's command line (see the module docstring); raises :class:`JobFailed`."""
    parser = _Parser(prog="python -m bot.job", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="candidate's Rasa YAML folder")
    parser.add_argument("--out", type=Path, required=True, help="models folder to store into")
    parser.add_argument("--active", type=Path, help="the active model's version folder")
    parser.add_argument("--active-data", type=Path, help="the active model's training data")
    parser.add_argument("--replay", type=Path, help="JSON lines of {message_id, text}")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    args = parser.parse_args(argv)
    if args.folds < 2:
        raise JobFailed("bad arguments: --folds must be at least 2")
    return args


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """Do the whole job, reporting on ``progress``; returns the ``done`` object."""
    progress.stage("preparing")
    try:
        data = load_training_data(args.data)
    except TrainingDataError as exc:
        problems = "; ".join(str(p) for p in exc.problems)
        raise JobFailed(f"invalid training data: {problems}", EXIT_BAD_DATA) from exc
    active = _load_active(args.active) if args.active is not None else None
    messages = _read_replay(args.replay) if args.replay is not None else []
    baseline_data = None
    if active is not None and active.cv is None and args.active_data is not None:
        try:
            baseline_data = load_training_data(args.active_data)
        except TrainingDataError as exc:
            # The candidate is still worth training: without the active
            # figures the gate refuses it and says so, and an admin decides.
            print(f"active model's training data is unusable, no baseline: {exc}", file=sys.stderr)
    progress.stage("preparing", 1.0)

    # Relative costs in "one full training": a fold trains on (k-1)/k of the data.
    fold_cost = (args.folds - 1) / args.folds
    progress.plan(
        {
            "cross_validating": args.folds * fold_cost,
            "baseline": args.folds * fold_cost if baseline_data is not None else 0.0,
            "training": 1.0,
            "replaying": 0.1 if messages and active is not None else 0.02,
            "storing": 0.05,
        }
    )
    def figures(of: TrainingData, stage: str) -> dict[str, Any]:
        progress.stage(stage)
        return cross_validate(
            of, args.folds, on_fold=lambda done, total: progress.stage(stage, done / total)
        ).figures()

    cv = figures(data, "cross_validating")
    active_cv = active.cv if active is not None else None
    if baseline_data is not None:
        active_cv = figures(baseline_data, "baseline")

    progress.stage("training")
    trained = fit_model(data)
    progress.stage("training", 1.0)

    progress.stage("replaying")
    rows = replay(active.classifier, trained.classifier, messages) if active is not None else []
    report = compare(cv, active_cv, rows, active_version=active.name if active else None)
    progress.stage("replaying", 1.0)

    progress.stage("storing")
    version = store_model(trained, args.out, activate=False, extra_metadata={"cv": cv})
    progress.stage("storing", 1.0)
    return {
        "version": version.name,
        "path": str(version.path.resolve()),
        "cv": cv,
        "active_cv": active_cv,
        "report": report,
    }


def _load_active(folder: Path) -> _Active:
    try:
        version = read_version(folder)
        classifier = BuiltinClassifier.load(folder)
    except BotError as exc:
        raise JobFailed(f"cannot load the active model from {folder}: {exc}") from exc
    cv = version.metadata.get("cv")
    return _Active(version.name, classifier, cv if isinstance(cv, dict) else None)


def _read_replay(path: Path) -> list[tuple[str, str]]:
    """The ``(message_id, text)`` pairs of a JSON-lines file; blank lines are skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFailed(f"cannot read the replay file {path}: {exc}") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("message_id"), str | int)
            or not isinstance(item.get("text"), str)
        ):
            raise JobFailed(
                f'replay file {path}:{number}: expected a JSON object with "message_id" and "text"'
            )
        rows.append((str(item["message_id"]), item["text"]))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job with ``argv`` (default: the command line); returns the exit code."""
    protocol = sys.stdout
    # Anything else that prints (a library, a stray debug line) must not be
    # mistaken for a protocol line: it goes to standard error.
    sys.stdout = sys.stderr
    progress = Progress(protocol)
    try:
        done = run(parse_args(argv), progress)
    except JobFailed as exc:
        progress.line({"error": _sentence(str(exc))})
        return exc.code
    except Exception as exc:
        traceback.print_exc()
        progress.line({"error": _sentence(f"training failed: {type(exc).__name__}: {exc}")})
        return EXIT_FAILED
    finally:
        sys.stdout = protocol
    progress.line({"done": done})
    return EXIT_OK


def _sentence(text: str) -> str:
    # One line for the job row and the admin page, however the error was worded.
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
