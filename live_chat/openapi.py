"""The OpenAPI 3.1 document of the HTTP routes, served at ``GET /api/openapi.json``.

Built, never written by hand: every route in ``app.router`` carries a :class:`RouteDoc`
(set with :func:`describe` beside the route, or by
:func:`live_chat.admin_http.route`, which also knows who may call it), and the
schemas are the pydantic models' own ``model_json_schema()``. A route without a
description makes :func:`build_document` raise (and the test suite fail).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from live_chat.api_shapes import ErrorOut

#: Who may call a route: ``public`` (anyone), ``visitor`` (visitor token, or an agent),
#: ``agent`` (any signed-in agent), ``metrics`` (the metrics token), or a tuple of roles.
Auth = str | tuple[str, ...]
H = TypeVar("H", bound=Callable[..., Any])

_ATTRIBUTE = "__openapi__"
_ERROR_TEXT = {400: "bad input (`invalid`, `too_long`)",
               401: "no or bad credentials (`forbidden`; an unknown or revoked API key: "
                    "`invalid_token`)",
               403: "not allowed (`forbidden`; an API key this route does not take: "
                    "`insufficient_scope`)", 404: "not found (`not_found`)",
               409: "conflict", 413: "too large", 415: "unsupported type",
               429: "rate limited", 503: "unavailable"}


@dataclass(frozen=True, slots=True)
class RouteDoc:
    """What the document says of one route.

    ``body``/``response``: pydantic models of the JSON request and answer
    (``response`` None with ``media`` naming a non-JSON answer: a page, a file).
    ``errors``: the error statuses it may answer, each ``{ok: false, error,
    message}``. ``query``: a model whose fields are the query parameters (by
    alias; each field's ``description`` says what it means). ``scope``: the
    API-key scope that also opens the route (:mod:`live_chat.api_keys`).
    ``also_media``: other media types the answer may be asked for in (text, not
    JSON).
    """

    summary: str
    auth: Auth = "agent"
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media: str = "application/json"
    errors: tuple[int, ...] = ()
    query: type[BaseModel] | None = None
    tags: tuple[str, ...] = field(default=())
    scope: str | None = None
    also_media: tuple[str, ...] = ()


def describe(handler: H, summary: str, **options: Any) -> H:
    """Attach a :class:`RouteDoc` to ``handler`` (returned, so it reads beside the route)."""
    setattr(handler, _ATTRIBUTE, RouteDoc(summary, **options))
    return handler


def documented(summary: str, **options: Any) -> Callable[[H], H]:
    """:func:`describe` as a decorator of a handler function."""
    return lambda handler: describe(handler, summary, **options)


def doc_of(handler: Any) -> RouteDoc | None:
    return getattr(handler, _ATTRIBUTE, None)


def with_roles(doc: RouteDoc | None, roles: tuple[str, ...] | None,
               scope: str | None = None) -> RouteDoc | None:
    """``doc`` with the auth, API-key scope and errors :func:`live_chat.admin_http.route`
    enforces (403 on every such route: an API key without the scope gets it)."""
    if doc is None:
        return None
    errors = {*doc.errors, 401, 403}
    return replace(doc, auth=roles or doc.auth, scope=scope, errors=tuple(sorted(errors)))


# -- building the document ----------------------------------------------------------


class Undocumented(LookupError):
    """A route in the router has no :class:`RouteDoc`."""


def build_document(app: web.Application, *, title: str = "tsunagu",
                   version: str = "0.1.0") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of ``app`` (HEAD and OPTIONS aside:
    aiohttp adds a HEAD to each GET; OPTIONS answer CORS preflights)."""
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS") or route.resource is None:
            continue
        raw = route.resource.canonical
        if raw.startswith("/socket.io"):
            continue  # Socket.IO's own transport: docs/protocol.md describes it
        doc = doc_of(route.handler)
        if doc is None:
            missing.append(f"{route.method} {raw}")
            continue
        path, parameters = openapi_path(_raw_path(route))
        paths.setdefault(path, {})[route.method.lower()] = _operation(
            doc, parameters, schemas, f"{route.method.lower()}_{path}")
    if missing:
        raise Undocumented("routes without an OpenAPI description: " + ", ".join(missing))
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The HTTP API of the tsunagu gateway (docs/protocol.md). "
                                "Errors are `{ok: false, error, message}` with a stable code."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an agent's token from POST /api/auth/login "
                                          "(or a visitor token where a route says so)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "tsunagu_session",
                            "description": "the console's cookie; changes also need the "
                                           "X-CSRF-Token header (the csrf of login)"},
                "metricsToken": {"type": "http", "scheme": "bearer",
                                 "description": "TSUNAGU_METRICS_TOKEN"},
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "an API key `tsk_…` made by an admin "
                                          "(POST /api/admin/api-keys), for the read-only "
                                          "routes that name its scope: `read` "
                                          "(conversations, transcripts, visitors) or "
                                          "`reports`. Unknown or revoked: 401 "
                                          "`invalid_token`; a route it does not open: "
                                          "403 `insufficient_scope`."},
            },
        },
    }


def _raw_path(route: web.AbstractRoute) -> str:
    """The route's path with each parameter's pattern: ``/api/canned/{id:\\d{1,9}}``."""
    resource = route.resource
    assert resource is not None
    info = resource.get_info()
    if "pattern" not in info:
        return str(info.get("path") or resource.canonical)
    source = info["pattern"].pattern

    def with_pattern(match: re.Match[str]) -> str:
        name = match.group(1)
        return "{" + name + ":" + _group(source, name) + "}"

    return re.sub(r"\{(\w+)\}", with_pattern, str(info["formatter"]))


def _group(source: str, name: str) -> str:
    """The body of the named group ``name`` in a regular expression's ``source``."""
    start = source.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, i = 1, start
    while depth:
        if source[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(source[i], 0)
        i += 1
    return source[start:i - 1]


def openapi_path(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """``/api/canned/{id:\\d{1,9}}`` → ``/api/canned/{id}`` and its path parameters
    (the route's pattern kept, so generated ids look like real ones)."""
    out: list[str] = []
    parameters: list[dict[str, Any]] = []
    i = 0
    while i < len(raw):
        if raw[i] != "{":
            out.append(raw[i])
            i += 1
            continue
        depth, j = 0, i
        while True:  # the matching brace: patterns hold braces of their own
            depth += {"{": 1, "}": -1}.get(raw[j], 0)
            if depth == 0:
                break
            j += 1
        name, _, pattern = raw[i + 1:j].partition(":")
        schema = {"type": "string", "minLength": 1,
                  "pattern": f"^{pattern or '[^{}/]+'}$"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        out.append("{" + name + "}")
        i = j + 1
    return "".join(out), parameters


def _operation(doc: RouteDoc, parameters: list[dict[str, Any]], schemas: dict[str, Any],
               operation_id: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": re.sub(r"[^A-Za-z0-9_]+", "_", operation_id).strip("_"),
        "security": _security(doc.auth, doc.scope),
    }
    if doc.tags:
        operation["tags"] = list(doc.tags)
    said = [f"Roles: {', '.join(doc.auth)}."] if isinstance(doc.auth, tuple) else []
    if doc.scope:
        said.append(f"API keys with the scope `{doc.scope}` may call it too.")
    if said:
        operation["description"] = " ".join(said)
    query = [] if doc.query is None else _query_parameters(doc.query)
    if parameters or query:
        operation["parameters"] = parameters + query
    if doc.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _schema_ref(doc.body, schemas)}}}
    operation["responses"] = {}
    success: dict[str, Any] = {"description": "success"}
    if doc.response is not None:
        success["content"] = {doc.media: {"schema": _schema_ref(doc.response, schemas)}}
    elif doc.media:
        success["content"] = {doc.media: {"schema": {
            "type": "object" if doc.media == "application/json" else "string"}}}
    for media in doc.also_media:
        success.setdefault("content", {})[media] = {"schema": {"type": "string"}}
    operation["responses"][str(doc.status)] = success
    error = {"content": {"application/json": {"schema": _schema_ref(ErrorOut, schemas)}}}
    for status in doc.errors:
        operation["responses"][str(status)] = {
            "description": _ERROR_TEXT.get(status, "error"), **error}
    return operation


def _security(auth: Auth, scope: str | None = None) -> list[dict[str, list[str]]]:
    if auth == "public":
        return []
    if auth == "metrics":
        return [{"metricsToken": []}]
    return [{"bearer": []}, {"session": []}, *([{"apiKey": [scope]}] if scope else [])]


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One parameter per field of ``model`` (by alias). A query has no null: an
    optional field's schema is its other type, and leaving it out means the default."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        branches = [b for b in prop.pop("anyOf", ()) if b.get("type") != "null"]
        if len(branches) == 1:
            prop.update(branches[0])
        elif branches:
            prop["anyOf"] = branches
        if prop.get("default", 0) is None:
            del prop["default"]
        parameter = {"name": name, "in": "query", "required": name in required,
                     "schema": {k: v for k, v in prop.items() if k != "title"}}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _schema_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    """``model``'s JSON Schema in the components (its nested models beside it)."""
    if model.__name__ not in schemas:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, nested in schema.pop("$defs", {}).items():
            schemas.setdefault(name, nested)
        schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# -- the route ----------------------------------------------------------------------


# The document, built on first use (every route is in the router by then).
OPENAPI = web.AppKey("tsunagu.openapi", dict)


def setup_openapi_route(app: web.Application) -> None:
    app[OPENAPI] = {}
    app.router.add_get("/api/openapi.json", openapi_json)


async def openapi_json(request: web.Request) -> web.Response:
    cached = request.app[OPENAPI]
    if not cached:
        cached.update(build_document(request.app))
    return web.json_response(cached, headers={"Cache-Control": "no-cache"})


describe(openapi_json, "This document (OpenAPI 3.1)", auth="public", tags=("meta",))

