"""The ``tsunagu`` command: serve, metrics, and the bot's train / parse / evaluate."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime, timedelta

from aiohttp import web

from live_chat.settings import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsunagu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", help="address to listen on (default TSUNAGU_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default TSUNAGU_PORT or 8080)")
    serve.set_defaults(func=_serve)

    metrics = sub.add_parser("metrics", help="print support metrics from the store")
    metrics.add_argument("--since", type=_when, help="ISO date/time, UTC (default: 7 days ago)")
    metrics.add_argument("--until", type=_when, help="ISO date/time, UTC (default: now)")
    metrics.add_argument("--json", action="store_true", help="print one JSON object")
    metrics.set_defaults(func=_metrics)

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
    from live_chat.metrics import summary
    from live_chat.store.database import create_engine, migrate
    from live_chat.store.repository import Store

    settings = Settings.from_env()
    until = args.until or datetime.now(UTC)
    since = args.since or until - timedelta(days=7)

    async def run() -> dict[str, object]:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            return (await summary(Store(engine), since, until)).as_dict()
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:>22}  {shown}")
    return 0


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
