"""HTTP APIs for the console: agents for transfer, canned responses, the supervisor view.

Every route checks who is calling (:func:`~live_chat.auth_http.authenticate`)
and, for changes, the CSRF header; roles gate what each may do.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from live_chat.agents import SignedIn
from live_chat.api_keys.directory import ApiKeys
from live_chat.api_keys.key_text import is_key
from live_chat.api_queries import CannedQuery
from live_chat.api_shapes import AgentsOut, CannedListOut, CannedOneOut, OkOut, OverviewOut
from live_chat.auth_http import authenticate, error
from live_chat.canned import CannedIn
from live_chat.context import CONTEXT, SETTINGS
from live_chat.errors import ChatError, Forbidden, InvalidPayload, TooLong
from live_chat.openapi import describe, doc_of, documented, with_roles
from live_chat.supervision import agent_view, overview
from live_chat.wire import parse, storable

Handler = Callable[[web.Request, SignedIn], Awaitable[Any]]
_DOC_FIELDS = ("auth", "body", "response", "status", "media", "errors", "query", "tags",
               "scope", "also_media")
_STATUS = {"invalid": 400, "too_long": 400, "forbidden": 403, "not_found": 404,
           "invalid_token": 401, "insufficient_scope": 403,
           "conflict": 409, "gate_refused": 409, "no_email": 409, "rate_limited": 429,
           "unavailable": 503, "mail_unavailable": 503}


def setup_admin_routes(app: web.Application) -> None:
    app.router.add_get("/api/agents", route(list_agents))
    app.router.add_get("/api/canned", route(list_canned))
    app.router.add_post("/api/canned", route(add_canned, roles=("admin",)))
    app.router.add_put("/api/canned/{id:\\d{1,9}}", route(update_canned, roles=("admin",)))
    app.router.add_delete("/api/canned/{id:\\d{1,9}}", route(delete_canned, roles=("admin",)))
    app.router.add_get("/api/supervisor/overview",
                       route(supervisor_overview, roles=("supervisor", "admin")))


def route(handler: Handler, *, roles: tuple[str, ...] | None = None,
          scope: str | None = None) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap ``handler`` with sign-in, CSRF and role checks and the error mapping.

    ``handler`` returns a dict (answered as ``{"ok": true, ...}``) or a ready
    response (a download); ``roles`` limits who may call it (any agent when
    ``None``); ``scope`` names the API-key scope that also opens it (a read-only
    route; None: keys are refused with 403 ``insufficient_scope``, see
    :mod:`live_chat.api_keys`).
    """

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            signed_in = await _api_key_caller(request, scope)
        except ChatError as exc:
            return _refused(exc)
        if signed_in is None:
            signed_in = await authenticate(request, csrf_required=request.method != "GET")
        if signed_in is None:
            return error(401, "forbidden", "sign in first (and send X-CSRF-Token with changes)")
        try:
            if (roles is not None and signed_in.api_key_id is None
                    and signed_in.agent.role not in roles):
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            _check_url_text(request)
            result = await handler(request, signed_in)
        except ChatError as exc:
            return web.json_response(exc.to_ack(), status=_STATUS.get(exc.code, 400))
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response({"ok": True, **result})

    # The OpenAPI description beside the handler, with who may call it.
    doc = with_roles(doc_of(handler), roles, scope)
    if doc is not None:
        describe(wrapped, doc.summary, **{k: getattr(doc, k) for k in _DOC_FIELDS})
    return wrapped


async def _api_key_caller(request: web.Request, scope: str | None) -> SignedIn | None:
    """The key's stand-in when the request carries ``Bearer tsk_…``; None for any other
    credentials. Raises :class:`InvalidKey` or :class:`InsufficientScope`."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not is_key(token):
        return None
    holder = await ApiKeys(request.app[CONTEXT].store).verify(token, scope)
    return SignedIn(holder.reader(), "", api_key_id=holder.id)


def _refused(exc: ChatError) -> web.Response:
    """An API key's refusal, with the RFC 6750 header programs look for."""
    status = _STATUS.get(exc.code, 401)
    response = web.json_response(exc.to_ack(), status=status)
    response.headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return response


def _check_url_text(request: web.Request) -> None:
    """The path's parameters and the query's values go to the database too: the same
    rule as for payload text (see :func:`live_chat.wire.storable`)."""
    for name, value in (*request.match_info.items(), *request.query.items()):
        if not storable(value):
            raise InvalidPayload(f"{name}: must not contain NUL or unpaired surrogate characters")


async def json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise InvalidPayload("send a JSON object") from None
    except web.HTTPRequestEntityTooLarge:
        raise TooLong(f"send at most {request.app[SETTINGS].max_payload_bytes} bytes") from None


@documented("Agents, with status and load (for transfers)", response=AgentsOut,
            tags=("console",))
async def list_agents(request: web.Request, me: SignedIn) -> dict[str, Any]:
    ctx = request.app[CONTEXT]
    return {"agents": await agent_view(ctx.store, ctx.routing)}


@documented("Search canned responses (q, locale)", response=CannedListOut,
            query=CannedQuery, tags=("console",))
async def list_canned(request: web.Request, me: SignedIn) -> dict[str, Any]:
    query = request.query.get("q") or None
    locale = request.query.get("locale") or None
    return {"canned": await request.app[CONTEXT].canned.search(query, locale)}


@documented("Add a canned response", body=CannedIn, response=CannedOneOut,
            errors=(400, 409), tags=("console",))
async def add_canned(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(CannedIn, await json_body(request))
    return {"canned": await request.app[CONTEXT].canned.add(data)}


@documented("Change a canned response", body=CannedIn, response=CannedOneOut,
            errors=(400, 404, 409), tags=("console",))
async def update_canned(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(CannedIn, await json_body(request))
    canned_id = int(request.match_info["id"])
    return {"canned": await request.app[CONTEXT].canned.update(canned_id, data)}


@documented("Delete a canned response", response=OkOut, errors=(404,),
            tags=("console",))
async def delete_canned(request: web.Request, me: SignedIn) -> dict[str, Any]:
    await request.app[CONTEXT].canned.delete(int(request.match_info["id"]))
    return {}


@documented("The supervisor's overview: queue, agents, today's figures",
            response=OverviewOut, tags=("console",))
async def supervisor_overview(request: web.Request, me: SignedIn) -> dict[str, Any]:
    ctx = request.app[CONTEXT]
    return await overview(ctx.store, ctx.routing, ctx.settings.timezone)
