"""``POST /api/auth/login`` and ``/logout``, and who is calling an HTTP API.

A program sends ``Authorization: Bearer <token>``; the console relies on the
HttpOnly session cookie and must echo the ``csrf`` value from login in the
``X-CSRF-Token`` header of every state-changing call, which a page on another
site cannot read. A program's API key (``Bearer tsk_…``) is not a session: the
routes that take one check it in :func:`live_chat.admin_http.route`
(:mod:`live_chat.api_keys`); here it is refused like any unknown token.
"""

from __future__ import annotations

import hmac
import math
from typing import Any

from aiohttp import web

from live_chat.agents import SESSION_COOKIE, SignedIn
from live_chat.api_shapes import LoginIn, LoginOut, OkOut, SessionOut
from live_chat.broadcast import AGENT_NS
from live_chat.context import CONTEXT, SIO
from live_chat.openapi import documented
from live_chat.throttle import Throttles
from live_chat.wire import agent_out, storable

THROTTLES = web.AppKey("tsunagu.throttles", Throttles)


def setup_auth_routes(app: web.Application) -> None:
    """The sign-in routes (their throttle is opened with the app's resources)."""
    app.router.add_post("/api/auth/login", login)
    app.router.add_post("/api/auth/logout", logout)
    app.router.add_get("/api/auth/session", current_session)


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": code, "message": message}, status=status)


@documented("Sign in: a token, the session cookie and the csrf value", auth="public",
            body=LoginIn, response=LoginOut, errors=(400, 401, 429), tags=("auth",))
async def login(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        return error(400, "invalid", "send a JSON object {email, password}")
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and 0 < len(body[k]) <= 320 and storable(body[k])
        for k in ("email", "password")
    ):
        return error(400, "invalid", "send a JSON object {email, password}")
    throttles = request.app[THROTTLES]
    email = body["email"]
    if not await throttles.sign_in(throttles.address(request), email):
        return error(429, "rate_limited", "too many sign-in attempts; wait a few minutes")
    wait = await throttles.sign_in_wait(email)
    if wait > 0:
        response = error(429, "rate_limited", f"too many wrong passwords for this account; "
                                              f"try again in {math.ceil(wait)} s")
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    ctx = request.app[CONTEXT]
    result = await ctx.agents.sign_in(email, body["password"])
    if result is None:
        await throttles.sign_in_failed(email)
        return error(401, "forbidden", "wrong e-mail or password")
    await throttles.sign_in_succeeded(email)
    agent, token = result
    session_id = ctx.agents.tokens.session_id(token)
    assert session_id is not None
    status = await ctx.routing.agent_status(agent.id)
    response = web.json_response({
        "ok": True, "token": token, "agent": agent_out(agent, status),
        "csrf": ctx.agents.tokens.csrf(session_id),
    })
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
        secure=_is_https(request), max_age=ctx.settings.agent_session_ttl_s,
    )
    return response


@documented("Sign out: the session ends and its sockets close", response=OkOut,
            errors=(401,), tags=("auth",))
async def logout(request: web.Request) -> web.Response:
    signed_in = await authenticate(request)
    if signed_in is None:
        return error(401, "forbidden", "not signed in (or missing X-CSRF-Token)")
    ctx = request.app[CONTEXT]
    await ctx.agents.sign_out(signed_in.session_id)
    await _close_sockets(request.app, signed_in.session_id)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@documented("Who the cookie belongs to, and its csrf value", response=SessionOut,
            errors=(401,), tags=("auth",))
async def current_session(request: web.Request) -> web.Response:
    """Who the cookie belongs to, and the csrf value to use (for a reloaded console)."""
    signed_in = await authenticate(request, csrf_required=False)
    if signed_in is None:
        return error(401, "forbidden", "not signed in")
    ctx = request.app[CONTEXT]
    status = await ctx.routing.agent_status(signed_in.agent.id)
    return web.json_response({
        "ok": True, "agent": agent_out(signed_in.agent, status),
        "csrf": ctx.agents.tokens.csrf(signed_in.session_id),
    })


async def authenticate(request: web.Request, *, csrf_required: bool = True) -> SignedIn | None:
    """The signed-in agent of a request: bearer token, or cookie plus CSRF header."""
    agents = request.app[CONTEXT].agents
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return await agents.signed_in(header.removeprefix("Bearer ").strip())
    signed_in = await agents.signed_in(request.cookies.get(SESSION_COOKIE))
    if signed_in is None or not csrf_required:
        return signed_in
    expected = agents.tokens.csrf(signed_in.session_id)
    given = request.headers.get("X-CSRF-Token", "")
    return signed_in if hmac.compare_digest(expected.encode(), given.encode()) else None


async def _close_sockets(app: web.Application, session_id: str) -> None:
    sio = app[SIO]
    room = f"session:{session_id}"
    # Every process's sockets hear this; the sockets of this process are closed now,
    # and any other would be refused at its next event (the session row is revoked).
    await sio.emit("session_ended", {"reason": "signed_out"}, room=room, namespace=AGENT_NS)
    local: list[Any] = list(sio.manager.get_participants(AGENT_NS, room))
    for sid, _eio_sid in local:
        await sio.disconnect(sid, namespace=AGENT_NS)


def _is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return request.secure or forwarded.split(",")[0].strip() == "https"
