"""Start-up and shut-down of what the gateway holds: database, Redis, handoff, the bot.

Used as an aiohttp ``cleanup_ctx``: everything is opened when the app starts
(never at import) and closed in reverse order when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import socketio
from aiohttp import web
from redis.asyncio import Redis

from bot import Bot
from bot.site_facts import load_defaults
from handoff import HandoffBackend, MemoryBackend, RedisBackend
from live_chat.admin.catalog import Catalog
from live_chat.admin.inbox import Inbox
from live_chat.admin.jobs import TrainingJobs
from live_chat.admin.registry import ModelRegistry
from live_chat.admin.routes import ADMIN, AdminServices
from live_chat.admin.site_facts import WATCH_S as SITE_FACTS_WATCH_S
from live_chat.admin.site_facts import SiteFacts
from live_chat.agent_desk import AgentDesk
from live_chat.agents import AgentDirectory
from live_chat.attachments.blobs import BlobStore, blob_store
from live_chat.attachments.links import AttachmentLinks
from live_chat.attachments.service import Attachments
from live_chat.auth import AgentTokens, VisitorTokens
from live_chat.auth_http import THROTTLES
from live_chat.background import every
from live_chat.broadcast import AGENT_NS, VISITOR_NS, SocketNotifier
from live_chat.canned import CannedResponses
from live_chat.context import CONTEXT, REDIS, SETTINGS, SIO, BotHolder, ChatContext
from live_chat.conversations import ConversationService
from live_chat.hosts import Hosts
from live_chat.mail.messages import MessageMail
from live_chat.mail.transcripts import Transcripts
from live_chat.origins import Origins
from live_chat.presence import LocalPresence, RedisPresence
from live_chat.prometheus import PROMETHEUS
from live_chat.read_receipts import ReadReceipts
from live_chat.redaction import Redactor
from live_chat.redis_clients import redis_client
from live_chat.routing import Routing
from live_chat.settings import Settings
from live_chat.site_status import SiteStatus
from live_chat.store.attachments import AttachmentRecord
from live_chat.store.bot_models import ModelRecords
from live_chat.store.database import create_engine, migrate, startup_lock
from live_chat.store.report_facts import REFRESH_S as FACTS_REFRESH_S
from live_chat.store.report_facts import refresh_facts
from live_chat.store.repository import Store
from live_chat.store.retention import anonymise_before
from live_chat.store.site_facts import SiteFactRecords
from live_chat.supervision import SupervisorFeed, overview
from live_chat.throttle import Throttles
from live_chat.visitor_presence import VisitorPresence
from live_chat.visitors import VisitorDirectory
from live_chat.webhooks.delivery import DeliveryWorker
from live_chat.webhooks.log import DeliveryLog
from live_chat.webhooks.routes import WEBHOOKS, Webhooks
from live_chat.webhooks.subscriptions import Subscriptions, sync_from_settings

log = logging.getLogger(__name__)

# How often each process looks for agents whose grace period ended.
GRACE_SWEEP_S = 1.0
# How often each process makes the handoff backend agree with the record.
REPAIR_S = 30.0
# TSUNAGU_RETENTION_DAYS is applied hourly (a run walks the ended conversations
# before the cutoff; those already blank cost an UPDATE that matches nothing).
RETENTION_S = 3600.0
# After Redis lost its state, how long a process waits for every process to
# listen again before telling its clients to sync (python-socketio's back-off
# is 1 s, then 2 s, 4 s...; a Redis back within a few seconds is met in time).
RESYNC_WAIT_S = 30.0
# How often each process closes agent sockets whose session ended elsewhere.
SESSION_CHECK_S = 10.0
# How often each process looks for a newly activated bot model: activation is
# promised on every process within 5 s, and the look is one indexed row.
MODEL_WATCH_S = 1.0


async def chat_resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    sio: socketio.AsyncServer = app[SIO]
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    except Exception as exc:
        await engine.dispose()
        raise RuntimeError(f"cannot prepare the database at {engine.url!r}: {exc}") from exc
    metrics = app[PROMETHEUS]
    metrics.watch_engine(engine)
    redis = (redis_client(settings.redis_url, settings.redis_max_connections,
                          observe=metrics.redis_seconds.observe)
             if settings.redis_url else None)
    store = Store(engine)
    catalog = Catalog(store)
    registry = ModelRegistry(store, settings.models_dir,
                             answer_threshold=settings.answer_threshold)
    try:
        async with startup_lock(engine):
            bot = await _first_bot(settings, catalog, registry)
            await sync_from_settings(store, settings)
    except BaseException:
        await engine.dispose()
        raise
    log.info("bot model %s loaded", bot.version)
    notifier = SocketNotifier(sio)
    notifier.on_message = metrics.message
    hosts = (Hosts(redis, settings.handoff_prefix, ttl_s=settings.host_ttl_s)
             if redis is not None else None)
    presence = (RedisPresence(redis, settings.handoff_prefix, hosts) if hosts is not None
                else LocalPresence())
    routing = Routing(_handoff_backend(settings, redis), store, notifier, tabs=presence,
                      hours=settings.hours(), hosts=hosts)
    visitor_presence = VisitorPresence(presence, store, routing, notifier,
                                       grace_s=settings.visitor_grace_s)
    holder = BotHolder(bot)
    redact = Redactor(settings.mask_patterns)
    blobs = blob_store(settings)
    attachments = Attachments(AttachmentRecord(store), blobs,
                              AttachmentLinks(settings.secret_key, settings.attachment_link_ttl_s),
                              max_bytes=settings.attachment_max_bytes)
    message_mail = MessageMail(store, settings)
    conversations = ConversationService(
        store, holder, notifier, routing, presence, attachments, max_text=settings.max_text,
        redact=redact, observer=metrics, team_mail=message_mail)
    agents = AgentDirectory(store, AgentTokens(settings.secret_key, settings.agent_session_ttl_s))
    desk = AgentDesk(store, routing, notifier, attachments, max_text=settings.max_text,
                     redact=redact, release_bot=conversations.release_bot)
    feed = SupervisorFeed(sio, partial(overview, store, routing, settings.timezone),
                          namespace=AGENT_NS, shared=redis is not None)
    notifier.on_change = feed.changed
    app[REDIS] = redis
    throttles = app[THROTTLES] = Throttles(
        redis, settings.handoff_prefix, trusted_proxies=settings.trusted_proxies,
        new_visitors_per_minute=settings.new_visitors_per_minute,
        visitor_messages=(settings.rate_limit_messages, settings.rate_limit_window_s),
        agent_events_per_minute=settings.agent_events_per_minute)
    transcripts = Transcripts(store, settings)
    app[CONTEXT] = ChatContext(
        settings=settings,
        store=store,
        bot=holder,
        tokens=VisitorTokens(settings.secret_key, settings.visitor_token_ttl_s),
        origins=Origins(settings.allowed_origins),
        notifier=notifier,
        visitors=VisitorDirectory(store),
        conversations=conversations,
        routing=routing,
        agents=agents,
        desk=desk,
        canned=CannedResponses(store),
        presence=presence,
        visitor_presence=visitor_presence,
        supervisor_feed=feed,
        throttles=throttles,
        site=SiteStatus(settings, store, routing.backend),
        attachments=attachments,
        transcripts=transcripts,
        read_receipts=ReadReceipts(store, notifier),
        message_mail=message_mail,
    )
    jobs = TrainingJobs(store, catalog, registry, folds=settings.gate_folds)
    site_facts = SiteFacts(store, holder, load_defaults(settings.training_data_dir))
    await site_facts.refresh()
    webhooks = DeliveryWorker(store, settings, settings.public_url
                              or f"http://{settings.host}:{settings.port}")
    app[WEBHOOKS] = Webhooks(Subscriptions(store, settings), DeliveryLog(store, webhooks.wake),
                             webhooks)
    app[ADMIN] = AdminServices(catalog=catalog, inbox=Inbox(store, holder), registry=registry,
                               jobs=jobs, site_facts=site_facts)
    try:
        await routing.reconcile()
    except Exception:
        # Redis down at start: serve anyway (readyz says 503); the periodic repair catches up.
        log.exception("could not reconcile the handoff backend at start; will retry")
    background: list[asyncio.Task[None]] = []
    resyncs: set[asyncio.Task[None]] = set()
    if hosts is not None:
        tab_gone = partial(_tab_gone, visitor_presence, conversations,
                           settings.abandon_after_s)
        resync = partial(_resync_when_listening, sio, hosts, settings.redis_channel)
        reap = partial(hosts.tick, routing.connection_lost, tab_gone,
                       partial(_rejoin, sio, routing, partial(_start, resyncs, resync)))
        try:
            await reap()  # alive before the first socket is registered under this process
        except Exception:
            log.exception("could not reach Redis to say this process is alive; will retry")
        background.append(asyncio.create_task(every(settings.host_ttl_s / 3, reap)))
    background += [asyncio.create_task(every(GRACE_SWEEP_S, routing.expire_grace)),
                  asyncio.create_task(every(REPAIR_S, routing.repair)),
                  asyncio.create_task(every(REPAIR_S, partial(
                      conversations.sweep_abandoned, settings.abandon_after_s))),
                  asyncio.create_task(every(REPAIR_S, visitor_presence.sweep)),
                  asyncio.create_task(routing.run_announcer()),
                  asyncio.create_task(feed.run()),
                  # Reports refresh the facts themselves; this keeps their share small.
                  asyncio.create_task(every(FACTS_REFRESH_S, partial(refresh_facts, store))),
                  asyncio.create_task(every(SESSION_CHECK_S,
                                             sio.namespace_handlers[AGENT_NS].end_lapsed_sessions))]
    background.append(asyncio.create_task(webhooks.run()))
    if settings.sends_email:
        background += [asyncio.create_task(transcripts.run()),
                       asyncio.create_task(message_mail.run())]
    if settings.retention_days:
        background.append(asyncio.create_task(every(
            RETENTION_S, partial(_apply_retention, store, blobs, settings.retention_days))))
    if not bot.version.startswith("rasa:"):
        background.append(asyncio.create_task(every(
            MODEL_WATCH_S, partial(_watch_bot, store, registry, site_facts, holder))))
    else:
        background.append(asyncio.create_task(every(SITE_FACTS_WATCH_S, site_facts.refresh)))
    yield
    await jobs.stop()
    background += resyncs
    for task in background:
        task.cancel()
    for task in background:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await conversations.stop()
    await visitor_presence.stop()
    await desk.stop()
    if hosts is not None:
        with contextlib.suppress(Exception):  # Redis gone: the others reap us
            await hosts.leave()
    await sio.shutdown()
    if redis is not None:
        await redis.aclose()
    await engine.dispose()


async def _watch_bot(store: Store, registry: ModelRegistry, site_facts: SiteFacts,
                     holder: BotHolder) -> None:
    """One tick of the bot watch: the active model version and the site facts, read in
    one transaction (one checkout of SQLite's single connection), then applied."""
    async with store.begin() as tx:
        active = await ModelRecords(tx.session).active()
        stored = await SiteFactRecords(tx.session).all()
    site_facts.apply(stored)
    await registry.swap_to(active.version if active else None, holder)


async def _rejoin(sio: socketio.AsyncServer, routing: Routing,
                  resync: Callable[[], None]) -> None:
    """Redis lost the shared state: this process's agents and tabs, then the chats,
    then (``resync``, in the background) this process's clients are told to sync."""
    await sio.namespace_handlers[AGENT_NS].rejoin()
    await sio.namespace_handlers[VISITOR_NS].rejoin()
    # The chats the record has with agents but Redis no longer knows go back
    # to the queue and out again to the agents now registered, at once.
    await routing.repair()
    resync()


async def _resync_when_listening(sio: socketio.AsyncServer, hosts: Hosts, channel: str) -> None:
    """Emits between processes were lost meanwhile: this process's clients sync,
    once every process listens again (a sync before that would miss what is
    emitted until then). Waited for apart from the heartbeat, which must not stall."""
    if not await hosts.all_listening(channel, timeout_s=RESYNC_WAIT_S):
        log.warning("not every process listens on Redis again after %d s; resyncing anyway",
                    RESYNC_WAIT_S)
    for namespace in (VISITOR_NS, AGENT_NS):
        await sio.emit("resync", {}, namespace=namespace, ignore_queue=True)


def _start(tasks: set[asyncio.Task[None]], work: Callable[[], Awaitable[None]]) -> None:
    """Run ``work`` in the background, kept in ``tasks`` until it ends (stopped at shutdown)."""
    task = asyncio.create_task(work())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _apply_retention(store: Store, blobs: BlobStore, days: int) -> None:
    await anonymise_before(store, datetime.now(UTC) - timedelta(days=days), blobs)


async def _tab_gone(visitor_presence: VisitorPresence, conversations: ConversationService,
                    abandon_after_s: float, visitor_id: str) -> None:
    """A visitor tab a dead process left: closed, as if the visitor had closed it."""
    if await visitor_presence.tab_closed(visitor_id, None) == 0:
        conversations.visitor_left(visitor_id, after_s=abandon_after_s)


def _handoff_backend(settings: Settings, redis: Redis | None) -> HandoffBackend:
    options = {"grace_seconds": settings.agent_grace_s,
               "avg_handle_seconds": settings.avg_handle_s}
    if redis is None:
        return MemoryBackend(**options)
    return RedisBackend(redis, prefix=settings.handoff_prefix, **options)



async def _first_bot(settings: Settings, catalog: Catalog, registry: ModelRegistry) -> Bot:
    """The bot to serve at start: the active version of the record (made on a first start).

    The training data is seeded into the record from ``training_data/`` once.
    With ``TSUNAGU_NLU=rasa`` the classifier is a Rasa server, with
    ``TSUNAGU_BOT=rasa`` the whole dialogue is a Rasa assistant; no model
    version is involved in either.
    """
    await catalog.seed(settings.training_data_dir)
    if "rasa" in (settings.bot_engine, settings.nlu_engine):
        return await asyncio.to_thread(_rasa_bot, settings)
    version = await registry.bootstrap(catalog.training_data, settings.training_data_dir)
    return await asyncio.to_thread(
        partial(Bot.from_version, version, answer_threshold=settings.answer_threshold))


def _rasa_bot(settings: Settings) -> Bot:
    """The bot of ``TSUNAGU_BOT=rasa`` (a whole assistant) or ``TSUNAGU_NLU=rasa`` (its
    intents, our answers): both from the server, token and timeout that :class:`Settings`
    read and checked at start, never from the environment."""
    assert settings.rasa_url is not None  # Settings.resolved() refuses to start without it
    server = {"url": settings.rasa_url, "token": settings.rasa_token,
              "timeout": settings.rasa_timeout, "answer_threshold": settings.answer_threshold}
    if settings.bot_engine == "rasa":
        return Bot.with_rasa_assistant(settings.training_data_dir, **server)
    return Bot.with_rasa(settings.training_data_dir, threshold=settings.rasa_threshold, **server)
