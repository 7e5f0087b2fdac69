"""The admin HTTP API of API keys (docs/protocol.md, "REST API for programs"): thin handlers.

Sign-in, CSRF, the admin role and the error mapping are
:func:`live_chat.admin_http.route`'s; a key never opens these routes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from live_chat.admin_http import json_body, route
from live_chat.agents import SignedIn
from live_chat.api_keys.directory import ApiKeyIn, ApiKeys
from live_chat.api_shapes import ApiKeyCreatedOut, ApiKeyOneOut, ApiKeysOut
from live_chat.context import CONTEXT
from live_chat.openapi import documented
from live_chat.wire import parse

ADMIN_ONLY = ("admin",)
_ID = "{id:[0-9a-f]{32}}"


def setup_api_key_routes(app: web.Application) -> None:
    add = app.router
    add.add_get("/api/admin/api-keys", route(list_api_keys, roles=ADMIN_ONLY))
    add.add_post("/api/admin/api-keys", route(create_api_key, roles=ADMIN_ONLY))
    add.add_delete(f"/api/admin/api-keys/{_ID}", route(revoke_api_key, roles=ADMIN_ONLY))


def _keys(request: web.Request) -> ApiKeys:
    return ApiKeys(request.app[CONTEXT].store)


@documented("API keys (never the key itself: its first characters, who made it, when "
            "it was last used)", response=ApiKeysOut, tags=("api-keys",))
async def list_api_keys(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"api_keys": await _keys(request).listing()}


@documented("Make an API key; the answer's `key` is shown this once", body=ApiKeyIn,
            response=ApiKeyCreatedOut, errors=(400, 409), tags=("api-keys",))
async def create_api_key(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(ApiKeyIn, await json_body(request))
    return await _keys(request).create(me.agent, data)


@documented("Revoke an API key: refused from its next request on, in every process",
            response=ApiKeyOneOut, errors=(404,), tags=("api-keys",))
async def revoke_api_key(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await _keys(request).revoke(me.agent, request.match_info["id"])
