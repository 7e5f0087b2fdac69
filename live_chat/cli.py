"""The ``tsunagu`` command: serve, metrics, agent, canned; train, parse, respond, evaluate
(bot)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from live_chat.settings import ConfigError, Settings
from live_chat.store.database import create_engine, migrate
from live_chat.store.repository import Store

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsunagu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", help="address to listen on (default TSUNAGU_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default TSUNAGU_PORT or 8080)")
    serve.set_defaults(func=_serve)

    metrics = sub.add_parser(
        "metrics", help="print support metrics from the store (docs/metrics.md)",
        description="The figures of GET /api/reports/summary for the conversations created "
                    "in [since, until).")
    metrics.add_argument("--since", help="ISO date or time; a date is midnight in --tz "
                                         "(default: 7 days before --until)")
    metrics.add_argument("--until", help="ISO date or time (default: now)")
    metrics.add_argument("--tz", help="IANA time zone of dates (default TSUNAGU_TIMEZONE)")
    metrics.add_argument("--json", action="store_true",
                         help="print the API's JSON (without ok)")
    metrics.set_defaults(func=_metrics)

    agent = sub.add_parser("agent", help="manage agent accounts")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_sub.add_parser("add", help="create an agent")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--password", help="at least 8 characters (asked for when left out)")
    add.add_argument("--capacity", type=int, default=4, help="chats at once, 1-10 (default 4)")
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    add.add_argument("--team", action="append", default=[], help="a team (skill); repeatable")
    add.set_defaults(func=_agent_add)
    listing = agent_sub.add_parser("list", help="list agents")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_agent_list)

    canned = sub.add_parser("canned", help="manage canned responses")
    canned_sub = canned.add_subparsers(dest="canned_command", required=True)
    canned_add = canned_sub.add_parser("add", help="add a canned response")
    canned_add.add_argument("--shortcut", required=True, help="keyword agents type after /")
    canned_add.add_argument("--locale", required=True, choices=["ja", "en"])
    canned_add.add_argument("--title", default="")
    canned_add.add_argument("--text", required=True,
                            help="may use {visitor_name} and {agent_name}")
    canned_add.set_defaults(func=_canned_add)
    canned_list = canned_sub.add_parser("list", help="list canned responses")
    canned_list.add_argument("--locale", choices=["ja", "en"])
    canned_list.set_defaults(func=_canned_list)

    visitor = sub.add_parser("visitor", help="a visitor's data")
    visitor_sub = visitor.add_subparsers(dest="visitor_command", required=True)
    forget = visitor_sub.add_parser(
        "forget", help="delete a visitor and everything of theirs (conversations, messages, "
                       "notes, ratings, attached files)")
    forget.add_argument("visitor_id")
    forget.set_defaults(func=_visitor_forget)

    transcripts = sub.add_parser("transcripts", help="old transcripts")
    transcripts_sub = transcripts.add_subparsers(dest="transcripts_command", required=True)
    anonymise = transcripts_sub.add_parser(
        "anonymise", help="blank the texts of conversations that ended more than N days ago "
                          "(the figures of the reports stay)")
    anonymise.add_argument("--older-than-days", type=int, required=True, metavar="N")
    anonymise.set_defaults(func=_transcripts_anonymise)

    _register_bot_commands(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"tsunagu: configuration error: {exc}", file=sys.stderr)
        return 2


def _register_bot_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    try:
        from bot import cli as bot_cli
    except ImportError:  # the bot's commands arrive with the intent-bot work
        return
    bot_cli.register(sub)
    train = sub.choices["train"]
    train.description = (
        "Train the built-in NLU model and make it the active version on every gateway process "
        "(through the database). Without --data it trains on the database's training data "
        "(what admins edit); with --data on a folder of Rasa YAML. Bad training data is "
        "reported with file and line; the active model is kept.")
    train.set_defaults(func=_train)
    sub.choices["respond"].set_defaults(func=_respond)

    export = sub.add_parser("export", help="write the training data as Rasa 3.x YAML files")
    export.add_argument("--out", type=Path, required=True,
                        help="folder to write data/nlu.yml, domain.yml and labels.yml into")
    export.set_defaults(func=_export)
    imports = sub.add_parser(
        "import", help="add the intents, examples and responses of Rasa 3.x YAML files")
    imports.add_argument("files", type=Path, nargs="+", help="nlu.yml, domain.yml… files")
    imports.set_defaults(func=_import)


def _train(args: argparse.Namespace) -> int:
    """``tsunagu train``: train, store in the record (and the local folder), activate."""
    from bot import cli as bot_cli
    from bot.errors import TrainingDataError
    from bot.rasa_format import write_rasa
    from bot.training import train_model
    from bot.training_data import load_training_data
    from live_chat.admin.catalog import Catalog
    from live_chat.admin.registry import ModelRegistry

    settings = Settings.from_env()
    models = args.out or settings.models_dir
    activate = not args.no_activate

    async def run(store: Store) -> Any:
        catalog = Catalog(store)
        if args.data is not None:
            data = await asyncio.to_thread(load_training_data, args.data)
        else:
            await catalog.seed(settings.training_data_dir)
            data = await catalog.training_data()
        version = await asyncio.to_thread(train_model, data, models, activate=activate)
        registry = ModelRegistry(store, models)
        await registry.register(version, actor=None, training_files=write_rasa(data))
        if activate:
            await registry.activate(None, version.name, "tsunagu train")
        return version

    try:
        version = _with_store(run)
    except TrainingDataError as exc:
        bot_cli.print_problems(exc)
        return bot_cli.EXIT_BAD_DATA
    bot_cli.print_trained(version, activated=activate)
    return 0


def _respond(args: argparse.Namespace) -> int:
    """``tsunagu respond`` with the site facts admins set in the database filled in,
    and the gateway's ``TSUNAGU_ANSWER_THRESHOLD`` unless ``--answer-threshold`` is given."""
    from bot import cli as bot_cli
    from live_chat.store.site_facts import SiteFactRecords

    settings = Settings.from_env()  # a bad setting: one line, exit 2 (main)

    async def read(store: Store) -> dict[str, str]:
        async with store.begin() as tx:
            return await SiteFactRecords(tx.session).all()

    try:
        facts = _with_store(read)
    except Exception as exc:  # no database here: the training data's facts still answer
        print(f"tsunagu: site facts not read from the database ({exc}); using the defaults",
              file=sys.stderr)
        facts = {}
    return bot_cli.run_respond(args, facts, settings.answer_threshold)


def _export(args: argparse.Namespace) -> int:
    from live_chat.admin.catalog import Catalog

    settings = Settings.from_env()

    async def run(store: Store) -> dict[str, str]:
        catalog = Catalog(store)
        await catalog.seed(settings.training_data_dir)
        return await catalog.export_files()

    for relative, content in _with_store(run).items():
        path = args.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, "utf-8")
        print(f"wrote {path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from live_chat.admin.catalog import Catalog, ImportIn
    from live_chat.errors import ChatError

    settings = Settings.from_env()
    try:
        files = ImportIn.model_validate({"files": [
            {"name": str(path), "content": path.read_text("utf-8")} for path in args.files]})
    except (OSError, UnicodeDecodeError) as exc:
        print(f"tsunagu: cannot read {exc}", file=sys.stderr)
        return 2

    async def run(store: Store) -> dict[str, Any]:
        catalog = Catalog(store)
        await catalog.seed(settings.training_data_dir)
        return await catalog.import_files(None, files)

    try:
        result = _with_store(run)
    except ChatError as exc:
        print(f"tsunagu: {exc.message}", file=sys.stderr)
        for problem in exc.details.get("problems", []):
            print(f"  {problem['file']}:{problem['line']}: {problem['message']}", file=sys.stderr)
        return 2
    for problem in result["warnings"]:
        print(f"warning: {problem['file']}:{problem['line']}: {problem['message']}",
              file=sys.stderr)
    counts = result["imported"]
    print(f"imported {counts['intents']} intents, {counts['examples']} examples, "
          f"{counts['responses']} responses; run `tsunagu train` to use them")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from live_chat.app import create_app

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings.from_env(**overrides)
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                print=lambda _: print(f"tsunagu listening on http://{settings.host}:{settings.port}",
                                      flush=True))
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from live_chat.errors import ChatError
    from live_chat.reports.summary import summary
    from live_chat.reports.window import ReportWindow

    settings = Settings.from_env()
    query = {name: value for name in ("since", "until", "tz")
             if (value := getattr(args, name)) is not None}
    try:
        window = ReportWindow.from_query(query, default_tz=settings.timezone)
    except ChatError as exc:
        print(f"tsunagu: {exc.message}", file=sys.stderr)
        return 2
    figures = _with_store(lambda store: summary(store, window))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    print(_metrics_table(figures))
    return 0


def _metrics_table(figures: dict[str, Any]) -> str:
    """The summary as aligned lines: the figures, then the per-intent, per-agent,
    per-locale rows and the wait histogram."""
    def shown(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)

    lines = [f"{'since':>20}  {figures['since']}", f"{'until':>20}  {figures['until']}",
             f"{'tz':>20}  {figures['tz']}"]
    for key, value in figures.items():
        if key in ("since", "until", "tz") or isinstance(value, list):
            continue
        if isinstance(value, dict):
            value = "  ".join(f"{name}={count}" for name, count in value.items())
        lines.append(f"{key:>20}  {shown(value)}")
    for key in ("by_intent", "by_agent", "by_locale", "wait_histogram"):
        rows = figures[key]
        lines.append(f"\n{key}")
        if not rows:
            lines.append("  (none)")
            continue
        names = list(rows[0])
        cells = [names, *([shown(row[name]) for name in names] for row in rows)]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(names))]
        lines += ["  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths,
                                                                                  strict=True))
                  for row in cells]
    return "\n".join(lines)


def _with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database (migrated first)."""
    settings = Settings.from_env()

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            return await work(Store(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_store_or_say(work: Callable[[Store], Awaitable[T]]) -> T | None:
    """:func:`_with_store`, with a refusal (a :class:`ChatError`) printed: None then."""
    from live_chat.errors import ChatError

    try:
        return _with_store(work)
    except ChatError as exc:
        print(f"tsunagu: {exc.message}", file=sys.stderr)
        return None


def _visitor_forget(args: argparse.Namespace) -> int:
    from live_chat.attachments.blobs import blob_store
    from live_chat.store.retention import forget_visitor

    blobs = blob_store(Settings.from_env())
    count = _with_store_or_say(lambda store: forget_visitor(store, args.visitor_id, blobs))
    if count is None:
        return 1
    print(f"forgot visitor {args.visitor_id} and {count} conversation(s)")
    return 0


def _transcripts_anonymise(args: argparse.Namespace) -> int:
    from live_chat.attachments.blobs import blob_store
    from live_chat.store.retention import anonymise_before

    if args.older_than_days < 1:
        print("tsunagu: --older-than-days must be at least 1", file=sys.stderr)
        return 2
    cutoff = datetime.now(UTC) - timedelta(days=args.older_than_days)
    blobs = blob_store(Settings.from_env())
    count = _with_store(lambda store: anonymise_before(store, cutoff, blobs))
    print(f"anonymised the conversations that ended before {cutoff.isoformat()}: {count}")
    return 0


def _agent_add(args: argparse.Namespace) -> int:
    from live_chat.agents import AgentDirectory
    from live_chat.auth import AgentTokens

    password = args.password or getpass.getpass("password: ")

    async def add(store: Store) -> Any:
        directory = AgentDirectory(store, AgentTokens("unused-for-creating-agents", 60))
        return await directory.create(
            email=args.email, name=args.name, password=password, capacity=args.capacity,
            role=args.role, teams=tuple(args.team),
        )

    agent = _with_store_or_say(add)
    if agent is None:
        return 1
    print(f"added {agent.role} {agent.name} <{agent.email}> id={agent.id} "
          f"capacity={agent.capacity} teams={','.join(agent.teams) or '-'}")
    return 0


def _agent_list(args: argparse.Namespace) -> int:
    async def rows(store: Store) -> list[Any]:
        async with store.begin() as tx:
            return list(await tx.agents())

    agents = _with_store(rows)
    if args.json:
        print(json.dumps([{"id": a.id, "email": a.email, "name": a.name, "role": a.role,
                           "capacity": a.capacity, "teams": a.teams} for a in agents]))
        return 0
    for a in agents:
        print(f"{a.id}  {a.role:<10} {a.capacity:>2}  {a.email:<30} {a.name}  "
              f"{','.join(a.teams) or '-'}")
    return 0


def _canned_add(args: argparse.Namespace) -> int:
    from live_chat.canned import CannedIn, CannedResponses
    from live_chat.wire import parse

    async def add(store: Store) -> dict[str, Any]:
        data = parse(CannedIn, {"shortcut": args.shortcut, "locale": args.locale,
                                "title": args.title, "text": args.text})
        return await CannedResponses(store).add(data)

    row = _with_store_or_say(add)
    if row is None:
        return 1
    print(f"added /{row['shortcut']} ({row['locale']}) id={row['id']}")
    return 0


def _canned_list(args: argparse.Namespace) -> int:
    from live_chat.canned import CannedResponses

    async def rows(store: Store) -> list[dict[str, Any]]:
        return await CannedResponses(store).search(locale=args.locale)

    for row in _with_store(rows):
        print(f"{row['id']:>4}  /{row['shortcut']:<16} {row['locale']}  {row['text']}")
    return 0
