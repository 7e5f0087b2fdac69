"""The admin HTTP API of docs/admin.md: thin handlers over the admin services.

Sign-in, CSRF, roles and the error mapping are :func:`live_chat.admin_http.route`'s.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import Field

from live_chat.admin import audit
from live_chat.admin.catalog import (
    Catalog,
    ExamplesIn,
    ImportIn,
    IntentIn,
    IntentUpdate,
)
from live_chat.admin.inbox import Inbox
from live_chat.admin.jobs import TrainingJobs
from live_chat.admin.registry import ModelRegistry
from live_chat.admin.site_facts import SiteFacts
from live_chat.admin_http import json_body, route
from live_chat.agents import SignedIn
from live_chat.api_queries import AuditQuery, DeleteIntentQuery, IntentsQuery, UnmatchedQuery
from live_chat.api_shapes import (
    ActiveModelOut,
    AuditOut,
    ExamplesAddedOut,
    IgnoredOut,
    ImportedOut,
    IntentOut,
    IntentsOut,
    JobOut,
    JobsOut,
    ModelsOut,
    OkOut,
    SiteFactsOut,
    UnmatchedOut,
)
from live_chat.context import CONTEXT
from live_chat.errors import InvalidPayload, TooLong
from live_chat.openapi import documented
from live_chat.wire import Payload, parse

ADMIN_ONLY = ("admin",)
MAX_IMPORT_BYTES = 5_000_000
#: The largest whole number a query parameter may hold (a 32-bit database integer).
MAX_NUMBER = 2**31 - 1


@dataclass(frozen=True, slots=True)
class AdminServices:
    """What the admin API works with; built by ``resources.py`` at start-up."""

    catalog: Catalog
    inbox: Inbox
    registry: ModelRegistry
    jobs: TrainingJobs
    site_facts: SiteFacts


ADMIN = web.AppKey("tsunagu.admin", AdminServices)


class MessageIdsIn(Payload):
    message_ids: list[str] = Field(min_length=1, max_length=1000)


class FlagIn(Payload):
    intent: str | None = Field(default=None, max_length=64)


class SiteFactsIn(Payload):
    # name -> text, or null to bring back the default; checked by SiteFacts.update.
    facts: dict[str, str | None] = Field(min_length=1, max_length=100)


class ActivateIn(Payload):
    reason: str | None = Field(default=None, max_length=2000)


def setup_admin_api(app: web.Application) -> None:
    add = app.router
    add.add_get("/api/admin/intents", route(list_intents, roles=ADMIN_ONLY))
    add.add_post("/api/admin/intents", route(create_intent, roles=ADMIN_ONLY))
    add.add_get("/api/admin/intents/{name}", route(get_intent, roles=ADMIN_ONLY))
    add.add_put("/api/admin/intents/{name}", route(update_intent, roles=ADMIN_ONLY))
    add.add_delete("/api/admin/intents/{name}", route(delete_intent, roles=ADMIN_ONLY))
    add.add_post("/api/admin/examples", route(add_examples, roles=ADMIN_ONLY))
    add.add_delete("/api/admin/examples/{id:\\d{1,9}}", route(delete_example, roles=ADMIN_ONLY))
    add.add_get("/api/admin/unmatched", route(unmatched, roles=ADMIN_ONLY))
    add.add_post("/api/admin/unmatched/ignore", route(ignore, roles=ADMIN_ONLY))
    add.add_post("/api/messages/{id}/flag", route(flag))
    add.add_post("/api/admin/train", route(train, roles=ADMIN_ONLY))
    add.add_get("/api/admin/train", route(jobs, roles=ADMIN_ONLY))
    add.add_get("/api/admin/train/{id}", route(job, roles=ADMIN_ONLY))
    add.add_get("/api/admin/models", route(models, roles=ADMIN_ONLY))
    add.add_post("/api/admin/models/{version}/activate", route(activate, roles=ADMIN_ONLY))
    add.add_get("/api/admin/export", route(export, roles=ADMIN_ONLY))
    add.add_post("/api/admin/import", route(import_files, roles=ADMIN_ONLY))
    add.add_get("/api/admin/audit", route(audit_log, roles=ADMIN_ONLY))
    add.add_get("/api/admin/site-facts", route(site_facts, roles=ADMIN_ONLY))
    add.add_put("/api/admin/site-facts", route(update_site_facts, roles=ADMIN_ONLY))


def _admin(request: web.Request) -> AdminServices:
    return request.app[ADMIN]


@documented("Intents with counts (q filters)", response=IntentsOut, query=IntentsQuery,
            tags=("admin",))
async def list_intents(request: web.Request, me: SignedIn) -> dict[str, Any]:
    query = request.query.get("q", "").strip()[:200] or None
    return {"intents": await _admin(request).catalog.summaries(query)}


@documented("One intent: examples, responses, revision", response=IntentOut,
            errors=(404,), tags=("admin",))
async def get_intent(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"intent": await _admin(request).catalog.intent(request.match_info["name"])}


@documented("Create an intent", body=IntentIn, response=ExamplesAddedOut, errors=(400, 409),
            tags=("admin",))
async def create_intent(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(IntentIn, await json_body(request))
    return await _admin(request).catalog.create_intent(me.agent, data)


@documented("Change an intent's responses or labels (revision checked)",
            body=IntentUpdate, response=IntentOut, errors=(400, 404, 409), tags=("admin",))
async def update_intent(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(IntentUpdate, await json_body(request))
    return await _admin(request).catalog.update_intent(me.agent, request.match_info["name"], data)


@documented("Delete an intent (?revision=N)", response=OkOut, errors=(400, 404, 409),
            query=DeleteIntentQuery, tags=("admin",))
async def delete_intent(request: web.Request, me: SignedIn) -> dict[str, Any]:
    revision = _int_query(request, "revision", None)
    if revision is None:
        raise InvalidPayload("say which revision you are deleting: ?revision=N")
    await _admin(request).catalog.delete_intent(me.agent, request.match_info["name"], revision)
    return {}


@documented("Add examples to an intent (a text or inbox messages)", body=ExamplesIn,
            response=ExamplesAddedOut, errors=(400, 404, 409), tags=("admin",))
async def add_examples(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(ExamplesIn, await json_body(request))
    return await _admin(request).catalog.add_examples(me.agent, data)


@documented("Delete an example", response=IntentOut, errors=(404,), tags=("admin",))
async def delete_example(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await _admin(request).catalog.delete_example(me.agent, int(request.match_info["id"]))


@documented("The unmatched inbox, grouped (days, locale)", response=UnmatchedOut,
            query=UnmatchedQuery, errors=(400,), tags=("admin",))
async def unmatched(request: web.Request, me: SignedIn) -> dict[str, Any]:
    days = _int_query(request, "days", 30)
    locale = request.query.get("locale") or None
    if locale not in (None, "ja", "en"):
        raise InvalidPayload("locale is ja or en")
    return {"groups": await _admin(request).inbox.groups(days=max(1, min(days or 30, 365)),
                                                         locale=locale)}


@documented("Take messages out of the inbox", body=MessageIdsIn, response=IgnoredOut,
            errors=(400,), tags=("admin",))
async def ignore(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(MessageIdsIn, await json_body(request))
    return {"ignored": await _admin(request).inbox.ignore(data.message_ids, me.agent)}


@documented("Flag a message the bot got wrong (any agent)", body=FlagIn, response=OkOut,
            errors=(400, 404), tags=("admin",))
async def flag(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(FlagIn, await json_body(request))
    await _admin(request).inbox.flag(request.match_info["id"], me.agent, data.intent)
    return {}


@documented("Start a training job", response=JobOut, errors=(409,), tags=("admin",))
async def train(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"job": await _admin(request).jobs.start(me.agent)}


@documented("Recent training jobs", response=JobsOut, tags=("admin",))
async def jobs(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"jobs": await _admin(request).jobs.recent()}


@documented("One training job and its gate report", response=JobOut, errors=(404,),
            tags=("admin",))
async def job(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return {"job": await _admin(request).jobs.get(request.match_info["id"])}


@documented("Model versions, the active one marked", response=ModelsOut, tags=("admin",))
async def models(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await _admin(request).registry.listing()


@documented("Activate a model version (a reason when the gate refused it)",
            body=ActivateIn, response=ActiveModelOut, errors=(400, 404, 409), tags=("admin",))
async def activate(request: web.Request, me: SignedIn) -> dict[str, Any]:
    body = await json_body(request) if request.can_read_body else {}
    data = parse(ActivateIn, body)
    return await _admin(request).registry.activate(me.agent, request.match_info["version"],
                                                  data.reason)


@documented("The training data as Rasa YAML files in a zip", media="application/zip",
            tags=("admin",))
async def export(request: web.Request, me: SignedIn) -> web.StreamResponse:
    files = await _admin(request).catalog.export_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return web.Response(body=buffer.getvalue(), content_type="application/zip", headers={
        "Content-Disposition": 'attachment; filename="tsunagu-training-data.zip"'})


@documented("Import Rasa YAML files", body=ImportIn, response=ImportedOut,
            errors=(400,), tags=("admin",))
async def import_files(request: web.Request, me: SignedIn) -> dict[str, Any]:
    # A whole Rasa project is larger than the chat's packet limit: read up to its own.
    too_long = TooLong(f"send at most {MAX_IMPORT_BYTES // 1_000_000} MB of training data at once")
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise too_long
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise too_long
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidPayload("send a JSON object {files: [{name, content}]}") from None
    data = parse(ImportIn, body)
    return await _admin(request).catalog.import_files(me.agent, data)


@documented("The site facts the bot answers with", response=SiteFactsOut, tags=("admin",))
async def site_facts(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await _admin(request).site_facts.listing()


@documented("Change site facts (null brings back the default)", body=SiteFactsIn,
            response=SiteFactsOut, errors=(400,), tags=("admin",))
async def update_site_facts(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(SiteFactsIn, await json_body(request))
    return await _admin(request).site_facts.update(me.agent, data.facts)


@documented("The audit log (action, target, limit, before)", response=AuditOut,
            query=AuditQuery, errors=(400,), tags=("admin",))
async def audit_log(request: web.Request, me: SignedIn) -> dict[str, Any]:
    store = request.app[CONTEXT].store
    async with store.begin() as tx:
        entries = await audit.entries(
            tx.session, action=request.query.get("action") or None,
            target=request.query.get("target") or None,
            limit=_int_query(request, "limit", 100) or 100,
            before_id=_int_query(request, "before", None))
    return {"entries": entries}


def _int_query(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise InvalidPayload(f"{name} must be a whole number") from None
    # Beyond a database integer (SQLite raised OverflowError: a 500) no id or count lies.
    if abs(number) > MAX_NUMBER:
        raise InvalidPayload(f"{name} must be at most {MAX_NUMBER}")
    return number
