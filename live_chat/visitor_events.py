"""The ``/visitor`` namespace: thin handlers that validate, authorize and delegate.

The visitor is known only from the signed token checked at connect and kept
in the Socket.IO session; no handler trusts an id sent by the client.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from live_chat.auth import identity_matches
from live_chat.boundary import acked, first_arg, refused
from live_chat.broadcast import VISITOR_NS, visitor_room
from live_chat.context import ChatContext, ContextGetter, ServiceNamespace
from live_chat.errors import Forbidden, InvalidPayload, RateLimited
from live_chat.presence import RedisPresence
from live_chat.store.models import Visitor
from live_chat.wire import (
    ActivityIn,
    CsatIn,
    EmailTranscriptIn,
    Empty,
    IdentityIn,
    LeaveMessageIn,
    ProfileIn,
    ReadIn,
    SyncIn,
    TypingIn,
    VisitorMessageIn,
    parse,
    profile_out,
    storable,
)

log = logging.getLogger(__name__)


class VisitorNamespace(ServiceNamespace):
    """Handlers of ``/visitor`` (PROTOCOL.md). ``context`` returns the running services."""

    def __init__(self, context: ContextGetter) -> None:
        super().__init__(VISITOR_NS, context)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        ctx = self.ctx
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not ctx.origins.visitor_allowed(origin, environ):
            raise refused("forbidden", f"origin {origin} may not embed this chat")
        auth = auth if isinstance(auth, dict) else {}
        locale = _short_text(auth.get("locale"), 35)
        page_url = _page_url(auth.get("page_url"))
        visitor_id, stored = await self._visitor(ctx, auth, environ, locale=locale,
                                                 page_url=page_url)
        await self.save_session(sid, {
            "visitor_id": visitor_id, "stored": stored is not None, "page_url": page_url,
            "locale": locale or (stored.locale if stored else None),
            "identified": stored is not None and stored.user_id is not None,
        })
        await self.enter_room(sid, visitor_room(visitor_id))
        await ctx.presence.opened(visitor_id, sid)
        # Emitted from a task: inside connect, the client has not yet been told
        # it is connected and would drop the event.
        self.server.start_background_task(self._send_session, sid, visitor_id)

    async def _visitor(self, ctx: ChatContext, auth: dict[str, Any], environ: dict[str, Any],
                       *, locale: str | None, page_url: str | None
                       ) -> tuple[str, Visitor | None]:
        """The visitor's id, and their row if it is stored yet."""
        identity = auth.get("identity")
        if identity is not None:
            verified = _verified_identity(ctx, identity)
            visitor = await ctx.visitors.for_user(verified.user_id, locale=locale,
                                                  page_url=page_url, name=verified.name,
                                                  email=verified.email)
            return visitor.id, visitor
        visitor_id = ctx.tokens.visitor_id(auth.get("token"))
        if visitor_id is not None:
            # Our own signed token: the id stays theirs, stored or not yet.
            return visitor_id, await ctx.visitors.touch(visitor_id, locale=locale,
                                                        page_url=page_url)
        request = environ.get("aiohttp.request")
        address = ctx.throttles.address(request) if request else environ.get("REMOTE_ADDR", "")
        if not await ctx.throttles.new_visitor(address):
            raise refused("rate_limited", "too many new visitors from this address; "
                                          "connect again in a minute")
        return ctx.visitors.new_id(), None

    async def _send_session(self, sid: str, visitor_id: str) -> None:
        ctx = self.ctx
        conversation = await ctx.conversations.current(visitor_id)
        session = await self.get_session(sid)
        stored = await ctx.visitors.profile(visitor_id) if session.get("stored") else None
        await self.emit(
            "session",
            {"visitor_token": ctx.tokens.issue(visitor_id), "visitor_id": visitor_id,
             "conversation": conversation, "site": await ctx.site.current(),
             "profile": profile_out(stored, identified=bool(session.get("identified")))},
            to=sid,
        )
        # Back (maybe from a closed tab): served again if waiting; the agent is told.
        await ctx.visitor_presence.arrived(visitor_id, conversation)

    async def _sender(self, sid: str) -> tuple[str, str | None]:
        """The visitor behind ``sid``, if they may send one more message now."""
        visitor_id, locale = await self._visitor_session(sid)
        if not await self.ctx.throttles.visitor_message(visitor_id):
            raise RateLimited("too many messages; wait a few seconds and send again")
        await self._kept(sid)
        return visitor_id, locale

    async def _kept(self, sid: str) -> None:
        """Store the visitor behind ``sid`` if this is the first thing they ask to keep."""
        session = await self.get_session(sid)
        if not session.get("stored"):
            await self.ctx.visitors.keep(session["visitor_id"], locale=session.get("locale"),
                                         page_url=session.get("page_url"))
            session["stored"] = True

    async def _visitor_session(self, sid: str) -> tuple[str, str | None]:
        session = await self.get_session(sid)
        return session["visitor_id"], session.get("locale")

    @acked
    async def on_message(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(VisitorMessageIn, first_arg(args))
        visitor_id, locale = await self._sender(sid)
        sent = await self.ctx.conversations.visitor_message(visitor_id, data, locale=locale,
                                                            sid=sid)
        if sent.locale is not None and sent.locale != locale:
            # What they wrote said their language: the next conversation of this
            # connection starts in it (the record has it already).
            session = await self.get_session(sid)
            session["locale"] = sent.locale
        return {"message": sent.message}

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        visitor_id = session.get("visitor_id") if session else None
        if visitor_id is None:
            return
        if await self.ctx.visitor_presence.tab_closed(visitor_id, sid) == 0:
            self.ctx.conversations.visitor_left(
                visitor_id, after_s=self.ctx.settings.abandon_after_s
            )

    async def rejoin(self) -> None:
        """Count this process's visitor tabs again (Redis lost what it knew of them)."""
        async for sid, session in self.local_sessions():
            visitor_id = session.get("visitor_id")
            presence = self.ctx.presence
            if visitor_id and isinstance(presence, RedisPresence):  # Redis only
                await presence.rejoined(visitor_id, sid)

    @acked
    async def on_site(self, sid: str, *args: Any) -> dict[str, Any]:
        """The header snapshot again (the widget asks when its panel opens)."""
        parse(Empty, first_arg(args))
        await self._visitor_session(sid)
        return {"site": await self.ctx.site.current()}

    @acked
    async def on_profile(self, sid: str, *args: Any) -> dict[str, Any]:
        """The pre-chat form: keep the visitor's name and e-mail."""
        data = parse(ProfileIn, first_arg(args))
        session = await self.get_session(sid)
        if session.get("identified"):
            raise Forbidden("the site vouches for this visitor's name and e-mail")
        visitor_id, _ = await self._sender(sid)  # counts as a message toward the rate limit
        visitor = await self.ctx.visitors.set_profile(visitor_id, name=data.name,
                                                      email=data.email)
        return {"profile": profile_out(visitor)}

    @acked
    async def on_leave_message(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(LeaveMessageIn, first_arg(args))
        visitor_id, locale = await self._sender(sid)
        return {"conversation": await self.ctx.conversations.leave_message(visitor_id, data,
                                                                           locale=locale)}

    @acked
    async def on_sync(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(SyncIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        return await self.ctx.conversations.sync(visitor_id, data.since_seq)

    @acked
    async def on_typing(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(TypingIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        conversation = await self.ctx.conversations.open_conversation(visitor_id)
        if conversation is not None:
            await self.ctx.notifier.typing(conversation, "visitor", data.typing)
        return {}

    @acked
    async def on_read(self, sid: str, *args: Any) -> dict[str, Any]:
        """The visitor has had their conversation up to ``seq`` in view (read receipts)."""
        data = parse(ReadIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        if not await self.ctx.throttles.visitor_read(visitor_id):
            raise RateLimited("too many read receipts; wait a few seconds")
        return await self.ctx.read_receipts.visitor_read(visitor_id, data.seq)

    @acked
    async def on_activity(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(ActivityIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        await self.ctx.visitor_presence.activity(visitor_id, data.idle)
        return {}

    @acked
    async def on_request_human(self, sid: str, *args: Any) -> dict[str, Any]:
        parse(Empty, first_arg(args))
        visitor_id, locale = await self._visitor_session(sid)
        await self._kept(sid)
        return {"conversation": await self.ctx.conversations.request_human(visitor_id,
                                                                           locale=locale)}

    @acked
    async def on_back_to_bot(self, sid: str, *args: Any) -> dict[str, Any]:
        parse(Empty, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        return {"conversation": await self.ctx.conversations.back_to_bot(visitor_id)}

    @acked
    async def on_close(self, sid: str, *args: Any) -> dict[str, Any]:
        parse(Empty, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        return {"conversation": await self.ctx.conversations.close(visitor_id)}

    @acked
    async def on_email_transcript(self, sid: str, *args: Any) -> dict[str, Any]:
        """E-mail the latest conversation's transcript (now if it ended, else at its end)."""
        data = parse(EmailTranscriptIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        await self.ctx.transcripts.request(visitor_id, data.email)
        return {"status": "queued"}

    @acked
    async def on_csat(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(CsatIn, first_arg(args))
        visitor_id, _ = await self._visitor_session(sid)
        await self.ctx.conversations.csat(visitor_id, data)
        return {}


def _verified_identity(ctx: ChatContext, identity: Any) -> IdentityIn:
    """``auth.identity`` once its HMAC is checked (docs/widget.md, "Identity")."""
    if not isinstance(identity, dict):
        raise refused("invalid", "identity must be {user_id, hmac, name?, email?}")
    try:
        verified = parse(IdentityIn, identity)
    except InvalidPayload as exc:
        raise refused("invalid", f"identity must be {{user_id, hmac, name?, email?}} "
                                 f"with text values ({exc})") from None
    signs_more = "name" in identity or "email" in identity
    if signs_more and "\n" in verified.user_id:
        raise refused("invalid", "identity.user_id must be one line when name or email is given")
    secret = ctx.settings.identity_secret
    # The name and e-mail are checked as sent (not as trimmed): that is what was signed.
    name = email = None
    if signs_more:
        name = identity.get("name") or ""
        email = identity.get("email") or ""
    if secret is None or not identity_matches(secret, verified.user_id, verified.hmac,
                                              name=name, email=email):
        raise refused("forbidden", "the identity could not be verified")
    return verified


def _short_text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value and storable(value) else None


def _page_url(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 2000 or not storable(value):
        return None
    return value if urlsplit(value).scheme in ("http", "https") else None
