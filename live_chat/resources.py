"""Start-up and shut-down of what the gateway holds: database, Redis, the bot.

Used as an aiohttp ``cleanup_ctx``: everything is opened when the app starts
(never at import) and closed in reverse order when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import socketio
from aiohttp import web
from redis.asyncio import Redis

from bot import Bot
from live_chat.auth import VisitorTokens
from live_chat.broadcast import SocketNotifier
from live_chat.context import CONTEXT, REDIS, SETTINGS, SIO, BotHolder, ChatContext
from live_chat.conversations import ConversationService
from live_chat.origins import Origins
from live_chat.rate_limit import RateLimiter
from live_chat.store.database import create_engine, migrate
from live_chat.store.repository import Store
from live_chat.visitors import VisitorDirectory

log = logging.getLogger(__name__)


async def chat_resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    sio: socketio.AsyncServer = app[SIO]
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    except Exception as exc:
        await engine.dispose()
        raise RuntimeError(f"cannot prepare the database at {engine.url!r}: {exc}") from exc
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    # Training the first model takes seconds: keep the event loop free meanwhile.
    bot = await asyncio.to_thread(
        Bot.load_or_train, settings.models_dir, settings.training_data_dir
    )
    log.info("bot model %s loaded", bot.version)
    store = Store(engine)
    notifier = SocketNotifier(sio)
    holder = BotHolder(bot)
    conversations = ConversationService(store, holder, notifier, max_text=settings.max_text)
    app[REDIS] = redis
    app[CONTEXT] = ChatContext(
        settings=settings,
        store=store,
        bot=holder,
        tokens=VisitorTokens(settings.secret_key, settings.visitor_token_ttl_s),
        origins=Origins(settings.allowed_origins),
        limiter=RateLimiter(settings.rate_limit_messages, settings.rate_limit_window_s),
        notifier=notifier,
        visitors=VisitorDirectory(store),
        conversations=conversations,
    )
    yield
    await conversations.drain()
    await sio.shutdown()
    if redis is not None:
        await redis.aclose()
    await engine.dispose()
