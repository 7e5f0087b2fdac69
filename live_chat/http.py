"""Plain HTTP routes: health, readiness, the browser bundles and pages."""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.errors import NLUEngineError
from live_chat.admin.routes import setup_admin_api
from live_chat.admin_http import setup_admin_routes
from live_chat.api_keys.routes import setup_api_key_routes
from live_chat.api_queries import BundleQuery
from live_chat.api_shapes import OkOut, ReadyOut, WidgetSiteOut
from live_chat.attachments.routes import setup_attachment_routes
from live_chat.auth_http import setup_auth_routes
from live_chat.context import CONTEXT, REDIS, SETTINGS
from live_chat.inbox_http import setup_inbox_routes
from live_chat.openapi import describe, documented, setup_openapi_route
from live_chat.prometheus import setup_metrics_route
from live_chat.reports.routes import setup_report_routes
from live_chat.webhooks.routes import setup_webhook_routes

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PAGE_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def setup_routes(app: web.Application) -> None:
    setup_auth_routes(app)
    setup_admin_routes(app)
    setup_admin_api(app)
    setup_report_routes(app)
    setup_inbox_routes(app)
    setup_attachment_routes(app)
    setup_metrics_route(app)
    setup_webhook_routes(app)
    setup_api_key_routes(app)
    setup_openapi_route(app)
    add = app.router.add_get
    add("/healthz", healthz)
    add("/readyz", readyz)
    add("/api/widget/site", widget_site)
    add("/widget.js", describe(bundle("widget.js"), "The embeddable widget", auth="public",
                               media="application/javascript", query=BundleQuery, errors=(503,),
                               tags=("pages",)))
    add("/console.js", describe(bundle("console.js"), "The console's script", auth="public",
                                media="application/javascript", query=BundleQuery,
                                errors=(503,), tags=("pages",)))
    add("/", describe(page("demo/index.html", with_facts=True), "A demo page with the widget",
                      auth="public", media="text/html", errors=(404,), tags=("pages",)))
    add("/login", describe(page("console/login.html"), "The console's sign-in page",
                           auth="public", media="text/html", errors=(404,), tags=("pages",)))
    add("/console", describe(page("console/index.html"), "The agent console", auth="public",
                             media="text/html", errors=(404,), tags=("pages",)))


@documented("The process is alive", auth="public", response=OkOut, tags=("meta",))
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


@documented("Database, Redis and Rasa (when used) ready: 200, else 503 naming what is not",
            auth="public", response=ReadyOut, errors=(503,), tags=("meta",))
async def readyz(request: web.Request) -> web.Response:
    """200 when the database (and Redis, if configured, and the Rasa server of
    ``TSUNAGU_NLU=rasa``) answer; 503 naming what does not."""
    problems: dict[str, str] = {}
    ctx = request.app[CONTEXT]
    try:
        await ctx.store.ping()
    except Exception as exc:
        problems["database"] = type(exc).__name__
    # A remote NLU engine (Rasa) that is down leaves every visitor with a fallback.
    check_nlu = getattr(ctx.bot.current.classifier, "check_async", None)
    if check_nlu is not None:
        try:
            await check_nlu()
        except NLUEngineError as exc:
            # Public: the short reason only. The detail (the URL, never the
            # token) is for the server's log.
            log.warning("not ready: %s", exc)
            problems["nlu"] = exc.reason
    redis = request.app[REDIS]
    if redis is not None:
        try:
            await redis.ping()
        except Exception as exc:
            problems["redis"] = type(exc).__name__
    if problems:
        return web.json_response({"ok": False, "unavailable": problems}, status=503)
    return web.json_response({"ok": True})


@documented("The widget header's snapshot (team, avatars, reply time, hours, form)",
            auth="public", response=WidgetSiteOut, tags=("widget",))
async def widget_site(request: web.Request) -> web.Response:
    """The widget header's snapshot (live_chat/site_status.py): public, the same for
    every visitor, so any page or CDN may cache it for a short while."""
    site = await request.app[CONTEXT].site.current()
    return web.json_response({"ok": True, "site": site}, headers={
        "Cache-Control": "public, max-age=30",
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    })


def bundle(name: str) -> Handler:
    """Serve ``widget/dist/<name>``: cacheable, with an ETag, versioned by ``?v=<etag>``."""

    # (mtime, body, etag): every page view of every embedding site asks for the
    # widget, so the file is read and hashed again only when it changes.
    cached: list[tuple[float, bytes, str]] = []

    async def serve(request: web.Request) -> web.StreamResponse:
        path = request.app[SETTINGS].widget_dir / "dist" / name
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return web.Response(
                status=503, text=f"// {name} is not built: run `make widget`\n",
                content_type="application/javascript",
            )
        if not cached or cached[0][0] != mtime:
            body = await asyncio.to_thread(path.read_bytes)
            cached[:] = [(mtime, body, hashlib.sha256(body).hexdigest()[:16])]
        _, body, etag = cached[0]
        headers = {
            "ETag": f'"{etag}"',
            # Versioned URLs (?v=<etag>) may be cached for a year; the bare URL briefly.
            "Cache-Control": "public, max-age=31536000, immutable"
            if request.query.get("v") == etag
            else "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
        }
        if request.headers.get("If-None-Match") == f'"{etag}"':
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/javascript",
                            charset="utf-8", headers=headers)

    return serve


def page(relative: str, *, with_facts: bool = False) -> Handler:
    """Serve an HTML page of ``widget/`` with strict security headers.

    ``with_facts``: fill the page's ``{{name}}`` markers with the site facts
    the bot answers with (HTML-escaped), so the page and the bot say the same.
    """

    async def serve(request: web.Request) -> web.StreamResponse:
        path = request.app[SETTINGS].widget_dir / relative
        if not path.is_file():
            return web.Response(status=404, text="page not built")
        body = path.read_bytes()
        if with_facts:
            facts = request.app[CONTEXT].bot.current.facts
            body = fill_facts(body.decode("utf-8"), facts).encode("utf-8")
        return web.Response(body=body, content_type="text/html",
                            charset="utf-8", headers=_PAGE_SECURITY)

    return serve


_PAGE_FACT = re.compile(r"\{\{([a-z][a-z0-9_]{0,39})\}\}")


def fill_facts(html_text: str, facts: Mapping[str, str]) -> str:
    """``html_text`` with each ``{{name}}`` replaced by the escaped fact (unknown ones stay)."""
    return _PAGE_FACT.sub(
        lambda m: html.escape(facts[m.group(1)]) if m.group(1) in facts else m.group(0),
        html_text,
    )
