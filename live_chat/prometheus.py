"""Prometheus metrics of one gateway process, served at ``GET /metrics``.

Not the KPI figures of ``tsunagu metrics`` (:mod:`live_chat.metrics`, read from the
record): these are the live gauges, counters and latency histograms of the process
that answers, in Prometheus's text format. Each process keeps its own registry and
exposes its own figures, so a deployment of several processes is scraped process by
process (Prometheus sums them); the queue gauges are read from the shared handoff
backend at scrape time, so every process reports the same queue.

``/metrics`` answers only a request with ``Authorization: Bearer
<TSUNAGU_METRICS_TOKEN>``; without that setting it is 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

import socketio
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff import AgentStatus, HandoffBackend
from live_chat.broadcast import AGENT_NS, VISITOR_NS
from live_chat.context import CONTEXT, SETTINGS, SIO
from live_chat.openapi import documented

log = logging.getLogger(__name__)

# Seconds: a query or a Redis command is usually well under a millisecond here;
# the upper buckets are there to show a stall.
_STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# The built-in engine decides in ~0.1 ms; Rasa is an HTTP call (RASA_TIMEOUT, 2 s).
_NLU_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_STARTED = "_tsunagu_started"


class GatewayMetrics:
    """The metrics of one process, in a registry of their own (not prometheus_client's
    global one: tests run several gateways in one process).

    Counters are moved by the services as things happen (:meth:`message`,
    :meth:`bot_decided`, :meth:`escalated`), latencies by the hooks installed with
    :meth:`watch_engine` and :func:`live_chat.redis_clients.redis_client`; the
    gauges are read when scraped (:meth:`refresh`).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter(
            "tsunagu_messages", "Messages stored and sent, by sender "
            "(visitor, bot, agent, system)", ["sender"], registry=r)
        self.bot_decisions = Counter(
            "tsunagu_bot_decisions", "Decisions the bot made on visitor messages, by action "
            "(answer, clarify, fallback, escalate)", ["action"], registry=r)
        self.escalations = Counter(
            "tsunagu_escalations", "Conversations handed to people, by who asked "
            "(bot, visitor)", ["by"], registry=r)
        self.db_seconds = Histogram(
            "tsunagu_db_query_seconds", "Time of one database statement",
            buckets=_STORE_BUCKETS, registry=r)
        self.redis_seconds = Histogram(
            "tsunagu_redis_command_seconds", "Time of one Redis command or pipeline "
            "(routing, presence, limits; not the Socket.IO pub/sub)",
            buckets=_STORE_BUCKETS, registry=r)
        self.nlu_seconds = Histogram(
            "tsunagu_nlu_seconds", "Time the bot took to classify a visitor message and "
            "decide (Rasa: the HTTP round trip)", buckets=_NLU_BUCKETS, registry=r)
        self.connected = Gauge(
            "tsunagu_connected_sockets", "Sockets open on this process, by namespace "
            "(visitor: one per tab; agent: one per console)", ["namespace"], registry=r)
        self.agents_online = Gauge(
            "tsunagu_agents_online", "Agents online and connected (every process)",
            registry=r)
        self.queue_length = Gauge(
            "tsunagu_queue_length", "Conversations waiting for a person (every process)",
            registry=r)
        self.queue_oldest_wait = Gauge(
            "tsunagu_queue_oldest_wait_seconds", "How long the longest-waiting conversation "
            "has waited (0 for an empty queue)", registry=r)
        self.handoff_up = Gauge(
            "tsunagu_handoff_up", "1 when the handoff backend answered the last scrape",
            registry=r)

    # -- what the services report -------------------------------------------------

    def message(self, sender: str) -> None:
        self.messages.labels(sender).inc()

    def bot_decided(self, action: str, seconds: float) -> None:
        self.bot_decisions.labels(action).inc()
        self.nlu_seconds.observe(seconds)

    def escalated(self, by: str) -> None:
        self.escalations.labels(by).inc()

    def watch_engine(self, engine: AsyncEngine) -> None:
        """Time every statement ``engine`` runs (SQLAlchemy's cursor events)."""

        def before(_conn: Any, _cursor: Any, _stmt: Any, _params: Any, context: Any,
                   _many: bool) -> None:
            setattr(context, _STARTED, time.perf_counter())

        def after(_conn: Any, _cursor: Any, _stmt: Any, _params: Any, context: Any,
                  _many: bool) -> None:
            started = getattr(context, _STARTED, None)
            if started is not None:
                self.db_seconds.observe(time.perf_counter() - started)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)

    # -- the scrape ----------------------------------------------------------------

    async def refresh(self, sio: socketio.AsyncServer, backend: HandoffBackend) -> None:
        """Read the gauges: this process's sockets, and the shared queue and agents."""
        for label, namespace in (("visitor", VISITOR_NS), ("agent", AGENT_NS)):
            sockets = sum(1 for _ in sio.manager.get_participants(namespace, None))
            self.connected.labels(label).set(sockets)
        try:
            queue = await backend.queue()
            agents = await backend.agents()
        except Exception:
            # Redis away: the other figures are still worth a scrape.
            log.warning("metrics: the handoff backend did not answer", exc_info=True)
            self.handoff_up.set(0)
            return
        self.handoff_up.set(1)
        self.queue_length.set(len(queue))
        oldest = min((entry.enqueued_at for entry in queue), default=None)
        self.queue_oldest_wait.set(0.0 if oldest is None
                                   else max(0.0, backend.clock() - oldest))
        self.agents_online.set(sum(1 for a in agents
                                   if a.status == AgentStatus.ONLINE and a.connected))

    def render(self) -> bytes:
        return generate_latest(self.registry)


PROMETHEUS = web.AppKey("tsunagu.prometheus", GatewayMetrics)


def setup_metrics_route(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_endpoint)


@documented("This process's Prometheus metrics (text format)", auth="metrics",
            media="text/plain", errors=(401, 404), tags=("meta",))
async def metrics_endpoint(request: web.Request) -> web.Response:
    """The process's metrics for a bearer of ``TSUNAGU_METRICS_TOKEN``; 404 when unset."""
    token = request.app[SETTINGS].metrics_token
    if not token:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return web.json_response(
            {"ok": False, "error": "forbidden", "message": "send Authorization: Bearer "
             "<TSUNAGU_METRICS_TOKEN>"}, status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    metrics = request.app[PROMETHEUS]
    await metrics.refresh(request.app[SIO], request.app[CONTEXT].routing.backend)
    return web.Response(body=metrics.render(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST,
                                 "Cache-Control": "no-store"})
