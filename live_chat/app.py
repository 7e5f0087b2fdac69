"""The app factory: an aiohttp application with Socket.IO attached. No I/O happens here."""

from __future__ import annotations

import asyncio

import socketio
from aiohttp import web

from live_chat import http, socket_json
from live_chat.agent_events import AgentNamespace
from live_chat.context import CONTEXT, SETTINGS, SIO, ChatContext
from live_chat.origins import Origins
from live_chat.prometheus import PROMETHEUS, GatewayMetrics
from live_chat.redis_clients import PooledRedisManager
from live_chat.resources import chat_resources
from live_chat.settings import Settings
from live_chat.visitor_events import VisitorNamespace


def create_app(settings: Settings) -> web.Application:
    """Build the gateway for ``settings``; resources open when the app starts."""
    app = web.Application(client_max_size=settings.max_payload_bytes)
    app[SETTINGS] = settings
    app[PROMETHEUS] = GatewayMetrics()
    manager = (
        # write_only=False: this process also listens, to deliver emits made elsewhere.
        PooledRedisManager(settings.redis_url, channel=settings.redis_channel,
                           max_connections=settings.redis_max_connections)
        if settings.redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        json=socket_json,
        cors_allowed_origins=Origins(settings.allowed_origins).engineio_check,
        max_http_buffer_size=settings.max_payload_bytes,
        ping_interval=20,
        ping_timeout=20,
    )
    sio.attach(app)
    app[SIO] = sio

    def context() -> ChatContext:
        return app[CONTEXT]

    sio.register_namespace(VisitorNamespace(context))
    sio.register_namespace(AgentNamespace(context))
    app.cleanup_ctx.append(chat_resources)

    async def close_sockets(_: web.Application) -> None:
        # Open websockets would otherwise hold the shutdown for its whole timeout.
        # Every socket at once, and without waiting for the client to read its
        # close packet (engineio's disconnect() waits: a connection that died
        # unnoticed never reads, and the stop would hang on it).
        reason = sio.eio.reason.SERVER_DISCONNECT
        await asyncio.gather(*(socket.close(wait=False, reason=reason)
                               for socket in list(sio.eio.sockets.values())),
                             return_exceptions=True)

    app.on_shutdown.append(close_sockets)
    http.setup_routes(app)
    return app
