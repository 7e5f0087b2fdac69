"""The admin HTTP API of webhooks (docs/protocol.md, "Webhooks"): thin handlers.

Sign-in, CSRF, the admin role and the error mapping are
:func:`live_chat.admin_http.route`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from live_chat.admin_http import json_body, route
from live_chat.agents import SignedIn
from live_chat.api_queries import DeliveriesQuery
from live_chat.api_shapes import (
    DeliveriesOut,
    DeliveryOneOut,
    OkOut,
    ReplayOut,
    WebhookCreatedOut,
    WebhookOneOut,
    WebhooksOut,
)
from live_chat.errors import InvalidPayload
from live_chat.openapi import documented
from live_chat.webhooks.delivery import DeliveryWorker
from live_chat.webhooks.log import DeliveryLog
from live_chat.webhooks.subscriptions import SubscriptionIn, Subscriptions, SubscriptionUpdate
from live_chat.wire import parse

ADMIN_ONLY = ("admin",)
_ID = "{id:[0-9a-z-]{1,32}}"


@dataclass(frozen=True, slots=True)
class Webhooks:
    """What the webhook routes work with; built by ``resources.py`` at start-up."""

    subscriptions: Subscriptions
    log: DeliveryLog
    worker: DeliveryWorker


WEBHOOKS = web.AppKey("tsunagu.webhooks", Webhooks)


def setup_webhook_routes(app: web.Application) -> None:
    add = app.router
    add.add_get("/api/admin/webhooks", route(list_webhooks, roles=ADMIN_ONLY))
    add.add_post("/api/admin/webhooks", route(create_webhook, roles=ADMIN_ONLY))
    add.add_put(f"/api/admin/webhooks/{_ID}", route(update_webhook, roles=ADMIN_ONLY))
    add.add_delete(f"/api/admin/webhooks/{_ID}", route(delete_webhook, roles=ADMIN_ONLY))
    add.add_get("/api/admin/webhook-deliveries", route(deliveries, roles=ADMIN_ONLY))
    add.add_get("/api/admin/webhook-deliveries/{id:\\d{1,9}}",
                route(delivery, roles=ADMIN_ONLY))
    add.add_post("/api/admin/webhook-deliveries/{id:\\d{1,9}}/replay",
                 route(replay, roles=ADMIN_ONLY))


def _webhooks(request: web.Request) -> Webhooks:
    return request.app[WEBHOOKS]


@documented("Webhook subscriptions", response=WebhooksOut, tags=("webhooks",))
async def list_webhooks(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"webhooks": await _webhooks(request).subscriptions.listing()}


@documented("Subscribe a URL to events", body=SubscriptionIn, response=WebhookCreatedOut,
            errors=(400, 409), tags=("webhooks",))
async def create_webhook(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(SubscriptionIn, await json_body(request))
    return await _webhooks(request).subscriptions.create(me.agent, data)


@documented("Change a subscription", body=SubscriptionUpdate, response=WebhookOneOut,
            errors=(400, 404, 409), tags=("webhooks",))
async def update_webhook(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(SubscriptionUpdate, await json_body(request))
    return await _webhooks(request).subscriptions.update(me.agent, request.match_info["id"],
                                                         data)


@documented("Delete a subscription", response=OkOut, errors=(404,), tags=("webhooks",))
async def delete_webhook(request: web.Request, me: SignedIn) -> dict[str, Any]:
    await _webhooks(request).subscriptions.delete(me.agent, request.match_info["id"])
    return {}


@documented("The delivery log (subscription, status, event, limit, before)",
            response=DeliveriesOut, query=DeliveriesQuery, errors=(400,), tags=("webhooks",))
async def deliveries(request: web.Request, me: SignedIn) -> dict[str, Any]:
    query = request.query
    return {"deliveries": await _webhooks(request).log.listing(
        subscription_id=query.get("subscription") or None, status=query.get("status") or None,
        event=query.get("event") or None, limit=_number(query.get("limit"), 50) or 50,
        before_id=_number(query.get("before"), None))}


@documented("One delivery, with the body it posts", response=DeliveryOneOut, errors=(404,),
            tags=("webhooks",))
async def delivery(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"delivery": await _webhooks(request).log.get(int(request.match_info["id"]))}


@documented("Send a delivery again", response=ReplayOut, errors=(404, 409), tags=("webhooks",))
async def replay(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"delivery": await _webhooks(request).log.replay(me.agent,
                                                            int(request.match_info["id"]))}


def _number(raw: str | None, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # "²".isdigit() is true
        raise InvalidPayload("limit and before are whole numbers")
    return int(raw)
