"""``POST /api/attachments``, ``GET /api/attachments/{id}/link`` and ``GET /api/attachments/{id}``.

Visitors authenticate with ``Authorization: Bearer <visitor_token>`` (the widget
runs on other sites, so these two answer CORS for the allowed origins); agents
with their bearer token or the console's cookie (plus ``X-CSRF-Token`` to
upload). The file itself is fetched with a signed link (an ``<img>`` cannot
send a header); a request that does say who it is must be the link's party.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import BodyPartReader, web

from live_chat.api_queries import AttachmentQuery
from live_chat.api_shapes import LinkOut, UploadOut
from live_chat.attachments.links import Link, Party
from live_chat.attachments.sniff import is_image
from live_chat.auth_http import THROTTLES, authenticate
from live_chat.context import CONTEXT
from live_chat.errors import ChatError, Forbidden, InvalidPayload, RateLimited, TooLarge
from live_chat.openapi import documented

_STATUS = {"invalid": 400, "forbidden": 403, "expired": 403, "not_found": 404,
           "conflict": 409, "too_large": 413, "unsupported_type": 415, "rate_limited": 429}
# Past the limit the upload is read on (and dropped) up to this much more, so the
# browser, still sending, reads the 413 instead of a reset connection.
_DRAIN_BYTES = 64 * 1024 * 1024
_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def setup_attachment_routes(app: web.Application) -> None:
    app.router.add_post("/api/attachments", upload)
    app.router.add_route("OPTIONS", "/api/attachments", preflight)
    app.router.add_get("/api/attachments/{id}/link", link)
    app.router.add_route("OPTIONS", "/api/attachments/{id}/link", preflight)
    app.router.add_get("/api/attachments/{id}", fetch)


def _error(request: web.Request, exc: ChatError, status: int | None = None) -> web.Response:
    return _cors(request, web.json_response(exc.to_ack(),
                                            status=status or _STATUS.get(exc.code, 503)))


def _link_out(found: Link) -> dict[str, object]:
    return {"url": found.url, "expires_at": found.expires_at}


async def _caller(request: web.Request, *, csrf_required: bool) -> Party | None:
    """Who the request says it is: a visitor's token first, then an agent's session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        visitor_id = request.app[CONTEXT].tokens.visitor_id(header.removeprefix("Bearer ").strip())
        if visitor_id is not None:
            return Party("visitor", visitor_id)
    signed_in = await authenticate(request, csrf_required=csrf_required)
    if signed_in is None:
        return None
    return Party("agent", signed_in.agent.id, signed_in.agent.role)


def _origin_refused(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and not request.app[CONTEXT].origins.visitor_allowed(
        origin, _environ(request))


def _environ(request: web.Request) -> dict[str, str]:
    return {"HTTP_HOST": request.host, "wsgi.url_scheme": request.scheme,
            "HTTP_X_FORWARDED_PROTO": request.headers.get("X-Forwarded-Proto", "")}


def _cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_refused(request):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


async def preflight(request: web.Request) -> web.StreamResponse:
    response = web.Response(status=204)
    if not _origin_refused(request):
        response.headers.update({
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        })
    return _cors(request, response)


@documented("Upload a file (multipart field file; an agent adds conversation_id)",
            auth="visitor", response=UploadOut, status=201,
            errors=(400, 401, 403, 404, 413, 415, 429), tags=("attachments",))
async def upload(request: web.Request) -> web.StreamResponse:
    """One file (multipart field ``file``; an agent adds ``conversation_id``)."""
    ctx = request.app[CONTEXT]
    if _origin_refused(request):
        return _error(request, Forbidden("this page may not send files here"))
    party = await _caller(request, csrf_required=True)
    if party is None:
        return _error(request, Forbidden("send the visitor token or sign in"), 401)
    throttles = request.app[THROTTLES]
    allowed = (await throttles.visitor_message(party.id) if party.kind == "visitor"
               else await throttles.agent_event(party.id))
    if not allowed:
        return _error(request, RateLimited("too many uploads; wait a few seconds"))
    limit = ctx.attachments.max_bytes
    too_large = TooLarge(f"a file may have at most {limit} bytes", max_bytes=limit)
    if (request.content_length or 0) > limit + _DRAIN_BYTES:
        return _error(request, too_large)
    try:
        fields = await _read_form(request, limit)
    except ChatError as exc:
        return _error(request, exc)
    if fields is None:
        return _error(request, too_large)
    data, name, conversation_id = fields
    try:
        shown, signed = await ctx.attachments.upload(party, data, name,
                                                     conversation_id=conversation_id)
    except ChatError as exc:
        return _error(request, exc)
    return _cors(request, web.json_response(
        {"ok": True, "attachment": shown, **_link_out(signed)}, status=201))


async def _read_form(request: web.Request, limit: int
                     ) -> tuple[bytes, str | None, str | None] | None:
    """The file's bytes and name, and the conversation_id field; None when the file is
    over ``limit`` (what follows is read and dropped)."""
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise InvalidPayload("send multipart/form-data with a field named file") from None
    data: bytes | None = None
    name: str | None = None
    conversation_id: str | None = None
    over = False
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise InvalidPayload("nested multipart is not accepted")
        if part.name == "file" and data is None:
            name = part.filename
            chunks, size = [], 0
            while chunk := await part.read_chunk(256 * 1024):
                size += len(chunk)
                if size > limit + _DRAIN_BYTES:
                    return None
                if size > limit:
                    over = True
                    chunks.clear()
                elif not over:
                    chunks.append(chunk)
            data = b"".join(chunks)
        elif part.name == "conversation_id":
            raw = (await part.read(decode=True))[:65]
            conversation_id = raw.decode("ascii", "replace") or None
        else:
            await part.release()
    if over:
        return None
    if data is None:
        raise InvalidPayload("send the file in a multipart field named file")
    return data, name, conversation_id


@documented("A signed link to a file for the caller", auth="visitor", response=LinkOut,
            errors=(401, 403, 404), tags=("attachments",))
async def link(request: web.Request) -> web.StreamResponse:
    """A signed URL to one file for the caller, who must be one of its conversation's parties."""
    if _origin_refused(request):
        return _error(request, Forbidden("this page may not read files here"))
    party = await _caller(request, csrf_required=False)
    if party is None:
        return _error(request, Forbidden("send the visitor token or sign in"), 401)
    try:
        signed = await request.app[CONTEXT].attachments.link(party, request.match_info["id"])
    except ChatError as exc:
        return _error(request, exc)
    return _cors(request, web.json_response({"ok": True, **_link_out(signed)}))


@documented("The file behind a signed link (p, exp, sig)", auth="public",
            media="application/octet-stream", query=AttachmentQuery, errors=(403, 404),
            tags=("attachments",))
async def fetch(request: web.Request) -> web.StreamResponse:
    """The file behind a signed link, with headers that keep a browser from running it."""
    query = request.query
    caller = None
    if request.headers.get("Authorization"):
        caller = await _caller(request, csrf_required=False)
        if caller is None:
            return _error(request, Forbidden("the Authorization header is not valid"))
    try:
        stored = await request.app[CONTEXT].attachments.read(
            request.match_info["id"], query.get("p", ""), query.get("exp", ""),
            query.get("sig", ""), caller=caller)
    except ChatError as exc:
        return _error(request, exc)
    attachment = stored.attachment
    disposition = "inline" if is_image(attachment.type) else "attachment"
    ascii_name = attachment.name.encode("ascii", "replace").decode().replace('"', "'")
    headers = {
        **_FILE_HEADERS,
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(attachment.name)}",
        "Cache-Control": "private, max-age=300",
    }
    return web.Response(body=stored.data, content_type=attachment.type, headers=headers)
