"""The bot's commands: ``tsunagu train``, ``parse``, ``respond``, ``evaluate``.

The gateway's ``live_chat/cli.py`` adds them to the ``tsunagu`` command with
:func:`register`; ``python -m bot`` runs them on their own. Exit codes: 0
success, 1 no model or engine unreachable, 2 bad training data or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot import paths
from bot.assistant import Bot
from bot.decision import Decision
from bot.errors import BotError, ModelNotFoundError, TrainingDataError
from bot.evaluation import cross_validate
from bot.model_store import ModelVersion
from bot.site_facts import load_defaults
from bot.training import train_model
from bot.training_data import load_training_data

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_DATA = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``, ``parse``, ``respond`` and ``evaluate`` to a ``tsunagu`` command's
    subparsers.

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

    respond = subparsers.add_parser(
        "respond",
        help="the bot's decision on each stdin line (a fresh conversation each), one JSON line out",
        description='Read visitor messages from stdin, print {"text", "intent", "confidence", '
        '"action", "reply", "quick_replies"} per line, each as the first message of a new '
        'conversation; action is "answer", "clarify", "fallback" or "escalate".',
    )
    respond.add_argument(
        "--model",
        type=Path,
        help="a model version folder (default: the active model, trained if none)",
    )
    respond.add_argument("--models", type=Path, help="models folder (default: <data>/models)")
    respond.add_argument(
        "--locale",
        default="en",
        help="the widget's locale, used when a line does not show its language (default: en)",
    )
    respond.add_argument(
        "--answer-threshold",
        type=_threshold,
        help="the least confidence the bot answers with, 0 to 1; below it, it asks "
        "(default: under tsunagu TSUNAGU_ANSWER_THRESHOLD, else the model's own, else 0.7)",
    )
    respond.set_defaults(func=run_respond)

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


def load_bot(args: argparse.Namespace, facts: Mapping[str, str] | None = None) -> Bot | int:
    """The bot ``--model``/``--models`` name (answering with ``facts`` when given, else
    the training data's default facts), or the exit code after printing why not."""
    try:
        if args.model is not None:
            bot = Bot.load(args.model).with_facts(load_defaults(paths.training_dir()))
        else:
            bot = Bot.load_or_train(args.models or paths.models_dir(), paths.training_dir())
    except TrainingDataError as exc:
        print_problems(exc)
        return EXIT_BAD_DATA
    except (ModelNotFoundError, BotError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return bot if facts is None else bot.with_facts({**bot.facts, **facts})


def run_parse(args: argparse.Namespace) -> int:
    """``tsunagu parse``: one JSON line per stdin line."""
    bot = load_bot(args)
    if isinstance(bot, int):
        return bot
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


def run_respond(args: argparse.Namespace, facts: Mapping[str, str] | None = None,
                answer_threshold: float | None = None) -> int:
    """``tsunagu respond``: the decision on each stdin line, one JSON line each.

    ``facts``: site facts overriding the training data's defaults (the
    gateway's command passes those an admin set). ``answer_threshold``: the
    one to use without ``--answer-threshold`` (the gateway's command passes
    its checked ``TSUNAGU_ANSWER_THRESHOLD``); ``None``: the model's own.
    """
    bot = load_bot(args, facts)
    if isinstance(bot, int):
        return bot
    threshold = args.answer_threshold if args.answer_threshold is not None else answer_threshold
    if threshold is not None:
        bot = Bot(bot.classifier, bot.policy.responses, version=bot.version,
                  facts=bot.facts, answer_threshold=threshold)
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        # A fresh conversation per line: no state carried over.
        decision = bot.respond(text, locale=args.locale)
        print(json.dumps(decision_out(text, decision), ensure_ascii=False), flush=True)
    return EXIT_OK


def decision_out(text: str, decision: Decision) -> dict[str, Any]:
    """The JSON line ``tsunagu respond`` prints for one message."""
    return {
        "text": text,
        "intent": decision.intent,
        "confidence": decision.confidence,
        "action": decision.action.value,
        "reply": decision.text,
        "quick_replies": [{"title": q.title, "payload": q.payload} for q in decision.quick_replies],
        "priority": decision.priority,
    }


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


def _threshold(raw: str) -> float:
    """``--answer-threshold``: a number from 0 to 1 (else a usage error, exit 2)."""
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {raw!r})") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {raw})")
    return value


def main(argv: list[str] | None = None) -> int:
    """``python -m bot``: the same commands without the gateway."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
