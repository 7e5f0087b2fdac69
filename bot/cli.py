"""The bot's commands: ``tsunagu train``, ``tsunagu parse``, ``tsunagu evaluate``.

The gateway's ``live_chat/cli.py`` adds them to the ``tsunagu`` command with
:func:`register`; ``python -m bot`` runs them on their own. Exit codes: 0
success, 1 no model or engine unreachable, 2 bad training data or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot import paths
from bot.assistant import Bot
from bot.errors import BotError, ModelNotFoundError, TrainingDataError
from bot.evaluation import cross_validate
from bot.model_store import ModelVersion
from bot.training import train_model
from bot.training_data import load_training_data

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_DATA = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``, ``parse`` and ``evaluate`` to a ``tsunagu`` command's subparsers.

    Each sets ``func`` to a handler taking the parsed namespace and returning
    an exit code.
    """
    train = subparsers.add_parser(
        "train",
        help="train a model version from training data and make it active",
        description="Train the built-in NLU model and make it the active version. "
        "Bad training data is reported with file and line; the active model is kept.",
    )
    train.add_argument("--data", type=Path, help="training data folder (default: training_data/)")
    train.add_argument("--out", type=Path, help="models folder (default: <data folder>/models)")
    train.add_argument(
        "--no-activate", action="store_true", help="store the version without activating it"
    )
    train.set_defaults(func=run_train)

    parse = subparsers.add_parser(
        "parse",
        help="classify one utterance per stdin line, one JSON line out",
        description='Read utterances from stdin, print {"text", "intent", "confidence", '
        '"ranking"} per line; intent is "out_of_scope" when out of scope.',
    )
    parse.add_argument(
        "--model",
        type=Path,
        help="a model version folder (default: the active model, trained if none)",
    )
    parse.add_argument("--models", type=Path, help="models folder (default: <data>/models)")
    parse.set_defaults(func=run_parse)

    evaluate = subparsers.add_parser(
        "evaluate",
        help="cross-validate the built-in engine on training data",
        description="Stratified K-fold cross-validation: in-scope accuracy (per language), "
        "out-of-scope recall, per-intent precision/recall/F1, most confused pairs.",
    )
    evaluate.add_argument(
        "--data", type=Path, help="training data folder (default: training_data/)"
    )
    evaluate.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.set_defaults(func=run_evaluate)


def run_train(args: argparse.Namespace) -> int:
    """``tsunagu train``: train, store, activate; print the version and held-out figures."""
    data_dir = args.data or paths.training_dir()
    models = args.out or paths.models_dir()
    try:
        version = train_model(data_dir, models, activate=not args.no_activate)
    except TrainingDataError as exc:
        print_problems(exc)
        return EXIT_BAD_DATA
    print_trained(version, activated=not args.no_activate)
    return EXIT_OK


def print_trained(version: ModelVersion, *, activated: bool) -> None:
    """What ``tsunagu train`` prints about a new version."""
    figures = version.metadata.get("evaluation", {})
    print(f"trained {version.name} -> {version.path}")
    print(
        f"examples: {version.metadata['examples']}, "
        f"seconds: {version.metadata['training_seconds']}, "
        f"threshold: {figures.get('threshold', 0):.3f}"
    )
    for key, value in figures.items():
        if key.startswith(("in_scope_accuracy", "oos_recall")) and value is not None:
            print(f"held-out {key}: {value:.3f}")
    print("active" if activated else "not activated (--no-activate)")


def run_parse(args: argparse.Namespace) -> int:
    """``tsunagu parse``: one JSON line per stdin line."""
    try:
        if args.model is not None:
            bot = Bot.load(args.model)
        else:
            bot = Bot.load_or_train(args.models or paths.models_dir(), paths.training_dir())
    except TrainingDataError as exc:
        print_problems(exc)
        return EXIT_BAD_DATA
    except (ModelNotFoundError, BotError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            prediction = bot.parse(text)
        except BotError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(json.dumps(prediction.to_dict(text), ensure_ascii=False), flush=True)
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    """``tsunagu evaluate``: cross-validation report."""
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return EXIT_BAD_DATA
    try:
        data = load_training_data(args.data or paths.training_dir())
    except TrainingDataError as exc:
        print_problems(exc)
        return EXIT_BAD_DATA
    report = cross_validate(data, folds=args.folds)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format())
    return EXIT_OK


def print_problems(exc: TrainingDataError) -> None:
    print("error: invalid training data; nothing was changed", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot``: the same commands without the gateway."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
