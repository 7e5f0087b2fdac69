"""HTTP routes of the console inbox: search, read a conversation, tags, visitor profiles.

Any signed-in agent may call them; what each sees is
:mod:`live_chat.conversation_records`' rule. Sign-in, CSRF and the error
mapping are :func:`live_chat.admin_http.route`'s. The query's parameters are
checked here; a bad one is 400 ``invalid`` naming it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from aiohttp import web
from multidict import MultiMapping

from live_chat.admin_http import json_body, route
from live_chat.agents import SignedIn
from live_chat.api_queries import ConversationSearchQuery, TranscriptQuery
from live_chat.api_shapes import (
    ConversationTranscriptOut,
    EmailReplyOut,
    SearchOut,
    TagsOut,
    TranscriptOut,
    VisitorProfileOut,
)
from live_chat.context import CONTEXT
from live_chat.conversation_records import ConversationRecords, transcript_text
from live_chat.errors import InvalidPayload
from live_chat.lifecycle import State
from live_chat.openapi import documented
from live_chat.store.conversation_search import MAX_PAGE, Cursor, Filters
from live_chat.wire import EmailReplyIn, TagIn, parse

_ID = "{id:[A-Za-z0-9_.:-]{1,64}}"
STATES: tuple[str, ...] = get_args(State)
#: Search text: long enough to mean something, short enough to stay cheap.
_TEXT_MAX = 200
#: The most messages one transcript page holds.
TRANSCRIPT_PAGE = 1000


def setup_inbox_routes(app: web.Application) -> None:
    add = app.router
    add.add_get("/api/conversations", route(search_conversations, scope="read"))
    add.add_get(f"/api/conversations/{_ID}", route(read_conversation, scope="read"))
    add.add_get(f"/api/conversations/{_ID}/transcript",
                route(conversation_transcript, scope="read"))
    add.add_post(f"/api/conversations/{_ID}/tags", route(add_conversation_tag))
    add.add_post(f"/api/conversations/{_ID}/reply", route(reply_by_email))
    add.add_delete(f"/api/conversations/{_ID}/tags/{{tag}}", route(remove_conversation_tag))
    add.add_get(f"/api/visitors/{_ID}", route(visitor_profile, scope="read"))


def records(request: web.Request) -> ConversationRecords:
    ctx = request.app[CONTEXT]
    return ConversationRecords(ctx.store, ctx.notifier,
                               ctx.message_mail if ctx.settings.sends_email else None)


@documented("Search conversations (q, state, visitor, email, intent, agent, from, to, tag, "
            "limit, cursor), newest first, a page at a time", response=SearchOut,
            query=ConversationSearchQuery, errors=(400,), tags=("inbox",))
async def search_conversations(request: web.Request, me: SignedIn) -> dict[str, Any]:
    query = request.query
    filters = parse_filters(query)
    cursor = decode_cursor(query.get("cursor") or None)
    limit = _int(query.get("limit"), "limit", 1, MAX_PAGE, default=25)
    page, following = await records(request).search(me.agent, filters, cursor=cursor,
                                                    limit=limit)
    return {"conversations": page,
            "next_cursor": encode_cursor(following) if following else None}


@documented("A conversation's transcript: messages with intents, notes, tags, CSAT",
            response=TranscriptOut, errors=(404,), tags=("inbox",))
async def read_conversation(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await records(request).read(me.agent, request.match_info["id"])


@documented("A conversation's transcript for programs (a CRM): who said what, when; "
            "JSON, or text/plain with format=text or Accept: text/plain",
            response=ConversationTranscriptOut, query=TranscriptQuery,
            also_media=("text/plain",), errors=(400, 404), tags=("inbox",))
async def conversation_transcript(request: web.Request, me: SignedIn) -> web.StreamResponse:
    query = request.query
    transcript = await records(request).transcript(
        me.agent, request.match_info["id"],
        after_seq=_int(query.get("after_seq"), "after_seq", 0, 2**31 - 1, default=0),
        limit=_int(query.get("limit"), "limit", 1, TRANSCRIPT_PAGE, default=500))
    fmt = query.get("format") or ""
    if fmt not in ("", "json", "text"):
        raise InvalidPayload("format: json or text")
    accept = request.headers.get("Accept", "")
    if fmt == "text" or (not fmt and accept.startswith("text/plain")):
        headers = ({"X-Next-After-Seq": str(transcript["next_after_seq"])}
                   if transcript["next_after_seq"] is not None else {})
        return web.Response(text=transcript_text(transcript), content_type="text/plain",
                            charset="utf-8", headers=headers)
    return web.json_response({"ok": True, **transcript})


@documented("A visitor and the conversations of theirs the caller may read",
            response=VisitorProfileOut, errors=(404,), tags=("inbox",))
async def visitor_profile(request: web.Request, me: SignedIn) -> dict[str, Any]:
    return await records(request).visitor(me.agent, request.match_info["id"])


@documented("Answer an ended conversation by e-mail to the visitor (stored as an agent "
            "message)", body=EmailReplyIn, response=EmailReplyOut,
            errors=(400, 404, 409, 503), tags=("inbox",))
async def reply_by_email(request: web.Request, me: SignedIn) -> dict[str, Any]:
    ctx = request.app[CONTEXT]
    data = parse(EmailReplyIn, await json_body(request))
    return await records(request).reply_by_email(
        me.agent, request.match_info["id"], data, max_text=ctx.settings.max_text,
        redact=ctx.conversations.redact)


@documented("Tag a conversation", body=TagIn, response=TagsOut, errors=(400, 404), tags=("inbox",))
async def add_conversation_tag(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(TagIn, await json_body(request))
    tags = await records(request).tag(me.agent, request.match_info["id"], data.tag, on=True)
    return {"tags": tags}


@documented("Remove a tag", response=TagsOut, errors=(400, 404), tags=("inbox",))
async def remove_conversation_tag(request: web.Request, me: SignedIn) -> dict[str, Any]:
    data = parse(TagIn, {"tag": request.match_info["tag"]})
    tags = await records(request).tag(me.agent, request.match_info["id"], data.tag, on=False)
    return {"tags": tags}


# -- the query ---------------------------------------------------------------------


def parse_filters(query: MultiMapping[str]) -> Filters:
    """``q, state, visitor, email, intent, agent, from, to, tag`` as :class:`Filters`.

    ``state`` may list several, comma-separated; ``from``/``to`` are ISO dates
    (``to`` includes its whole day, UTC) or ISO times with an offset.
    """
    text = (query.get("q") or "").strip()
    if len(text) > _TEXT_MAX:
        raise InvalidPayload(f"q: at most {_TEXT_MAX} characters")
    states = tuple(s for s in (query.get("state") or "").split(",") if s)
    for state in states:
        if state not in STATES:
            raise InvalidPayload(f"state: one of {', '.join(STATES)}")
    tag = query.get("tag") or None
    return Filters(
        text=text or None, states=states,
        visitor=_short(query, "visitor", 200), email=_short(query, "email", 254),
        intent=_short(query, "intent", 64),
        agent_id=_short(query, "agent", 64),
        since=_when(query.get("from"), "from", end=False),
        until=_when(query.get("to"), "to", end=True),
        tag=parse(TagIn, {"tag": tag}).tag if tag else None,
    )


def _short(query: MultiMapping[str], name: str, most: int) -> str | None:
    value = (query.get(name) or "").strip()
    if len(value) > most:
        raise InvalidPayload(f"{name}: at most {most} characters")
    return value or None


def _when(raw: str | None, name: str, *, end: bool) -> datetime | None:
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidPayload(f"{name}: an ISO date (2026-12-05) or time with offset") from None
    if moment.tzinfo is None:
        raise InvalidPayload(f"{name}: give the time's offset (Z or +09:00)")
    return moment.astimezone(UTC)


def _int(raw: str | None, name: str, low: int, high: int, *, default: int) -> int:
    if raw is None or raw == "":
        return default
    # isascii: "²".isdigit() is true, and int("²") raises (a 500 before).
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidPayload(f"{name}: a whole number from {low} to {high}")
    return int(raw)


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{cursor.created_at.isoformat()}|{cursor.conversation_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None) -> Cursor | None:
    """The ``cursor`` a previous page returned; anything else is ``invalid``."""
    if raw is None:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        when, conversation_id = text.split("|", 1)
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None or not 0 < len(conversation_id) <= 64:
            raise ValueError(text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidPayload("cursor: pass back the next_cursor of the previous page") from None
    return Cursor(moment, conversation_id)
