"""The ``/agent`` namespace: thin handlers that authenticate, authorize and delegate.

An agent is known from the session token (the ``auth.token`` field or the
session cookie set by ``POST /api/auth/login``); every event re-checks that
the session is still open, so signing out ends a socket's rights at once.
"""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any

from live_chat.agents import SESSION_COOKIE, SignedIn
from live_chat.boundary import acked, first_arg, refused
from live_chat.broadcast import AGENT_NS, agent_room, watch_room
from live_chat.context import ContextGetter, ServiceNamespace
from live_chat.errors import Forbidden, NotFound, RateLimited
from live_chat.origins import same_origin
from live_chat.supervision import SUPERVISORS_ROOM
from live_chat.wire import (
    AgentCloseIn,
    AgentMessageIn,
    AgentReadIn,
    AgentSyncIn,
    AgentTypingIn,
    ConversationRef,
    NoteIn,
    PresenceIn,
    TransferIn,
    parse,
)

log = logging.getLogger(__name__)


class AgentNamespace(ServiceNamespace):
    """Handlers of ``/agent`` (PROTOCOL.md). ``context`` returns the running services."""

    def __init__(self, context: ContextGetter) -> None:
        super().__init__(AGENT_NS, context)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        ctx = self.ctx
        origin = environ.get("HTTP_ORIGIN")
        # The console is served by the gateway itself; no other page may drive it.
        if origin is not None and not same_origin(origin, environ):
            raise refused("forbidden", f"origin {origin} may not open the agent console")
        token = auth.get("token") if isinstance(auth, dict) else None
        signed_in = await ctx.agents.signed_in(token or _cookie(environ, SESSION_COOKIE))
        if signed_in is None:
            raise refused("forbidden", "sign in first: POST /api/auth/login")
        agent = signed_in.agent
        # The status the console asks to start with (its login page's choice,
        # or what the agent had before a reconnect); anything else: the default.
        status = auth.get("status") if isinstance(auth, dict) else None
        status = status if status in ("online", "away") else None
        await self.save_session(sid, {"agent_id": agent.id, "session_id": signed_in.session_id})
        await self.enter_room(sid, agent_room(agent.id))
        await self.enter_room(sid, f"session:{signed_in.session_id}")
        if agent.role in ("supervisor", "admin"):
            await self.enter_room(sid, SUPERVISORS_ROOM)
        # After connect (see VisitorNamespace.on_connect): register, go online, say hello.
        self.server.start_background_task(self._welcome, sid, signed_in, status)

    async def _welcome(self, sid: str, signed_in: SignedIn, status: str | None) -> None:
        routing = self.ctx.routing
        try:
            status = await routing.agent_connected(signed_in.agent, sid, status=status)
            if not self.server.manager.is_connected(sid, self.namespace):
                # The socket closed while it was being registered, and its
                # disconnect ran first: take the registration back, or the agent
                # would count as connected forever and get chats nobody sees.
                await routing.agent_disconnected(signed_in.agent.id, sid)
                return
            await self.emit("hello", await self.ctx.desk.hello(signed_in.agent, status), to=sid)
            self.ctx.supervisor_feed.changed()
        except Exception:
            log.exception("could not welcome agent %s", signed_in.agent.id)
            await self.disconnect(sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        if session and "agent_id" in session:
            try:
                await self.ctx.routing.agent_disconnected(session["agent_id"], sid)
            except NotFound:
                pass  # disconnected before it was ever registered (see _welcome)
            self.ctx.supervisor_feed.changed()

    async def end_lapsed_sessions(self) -> None:
        """Close this process's agent sockets whose session was signed out or expired.

        Logout closes the sockets of the process that handled it at once; those
        on other processes, and sessions that simply expired, are found here.
        """
        async for sid, session in self.local_sessions():
            session_id = session.get("session_id")
            if session_id and await self.ctx.agents.session(session_id) is None:
                await self.emit("session_ended", {"reason": "signed_out"}, to=sid)
                await self.disconnect(sid)

    async def rejoin(self) -> None:
        """Register this process's agent sockets again (Redis lost what it knew of them)."""
        async for sid, session in self.local_sessions():
            signed_in = (await self.ctx.agents.session(session["session_id"])
                         if "session_id" in session else None)
            if signed_in is not None:
                await self.ctx.routing.agent_connected(signed_in.agent, sid)

    async def _agent(self, sid: str) -> SignedIn:
        session = await self.get_session(sid)
        signed_in = None
        if session and "session_id" in session:
            signed_in = await self.ctx.agents.session(session["session_id"])
        if signed_in is None:
            await self.disconnect(sid)
            raise Forbidden("your session has ended; sign in again")
        if not await self.ctx.throttles.agent_event(signed_in.agent.id):
            raise RateLimited("too many events from your consoles; wait a few seconds")
        return signed_in

    @acked
    async def on_message(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(AgentMessageIn, first_arg(args))
        me = await self._agent(sid)
        message, _ = await self.ctx.desk.send(me.agent, data)
        return {"message": message}

    @acked
    async def on_typing(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(AgentTypingIn, first_arg(args))
        me = await self._agent(sid)
        await self.ctx.desk.typing(me.agent, data, sid)
        return {}

    @acked
    async def on_read(self, sid: str, *args: Any) -> dict[str, Any]:
        """The agent has had a chat they hold up to ``seq`` in view (read receipts)."""
        data = parse(AgentReadIn, first_arg(args))
        me = await self._agent(sid)
        return await self.ctx.read_receipts.agent_read(me.agent, data.conversation_id, data.seq)

    @acked
    async def on_note(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(NoteIn, first_arg(args))
        me = await self._agent(sid)
        return {"note": await self.ctx.desk.note(me.agent, data)}

    @acked
    async def on_transfer(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(TransferIn, first_arg(args))
        me = await self._agent(sid)
        return {"conversation": await self.ctx.desk.transfer(me.agent, data)}

    @acked
    async def on_handback(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(ConversationRef, first_arg(args))
        me = await self._agent(sid)
        return {"conversation": await self.ctx.desk.handback(me.agent, data.conversation_id)}

    @acked
    async def on_close(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(AgentCloseIn, first_arg(args))
        me = await self._agent(sid)
        return {"conversation": await self.ctx.desk.close(me.agent, data)}

    @acked
    async def on_watch(self, sid: str, *args: Any) -> dict[str, Any]:
        """Supervisors: follow a conversation read-only (its messages, notes, state)."""
        data = parse(ConversationRef, first_arg(args))
        me = await self._agent(sid)
        self.ctx.desk.check_supervising(me.agent)
        # Join first: a message stored meanwhile is then in the snapshot or the stream.
        await self.enter_room(sid, watch_room(data.conversation_id))
        try:
            return await self.ctx.desk.watch(me.agent, data.conversation_id)
        except Exception:
            await self.leave_room(sid, watch_room(data.conversation_id))
            raise

    @acked
    async def on_unwatch(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(ConversationRef, first_arg(args))
        await self._agent(sid)
        await self.leave_room(sid, watch_room(data.conversation_id))
        return {}

    @acked
    async def on_takeover(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(ConversationRef, first_arg(args))
        me = await self._agent(sid)
        return {"conversation": await self.ctx.desk.take_over(me.agent, data.conversation_id)}

    @acked
    async def on_presence(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(PresenceIn, first_arg(args))
        me = await self._agent(sid)
        await self.ctx.routing.set_status(me.agent.id, data.status)
        self.ctx.supervisor_feed.changed()
        return {"status": data.status}

    @acked
    async def on_sync(self, sid: str, *args: Any) -> dict[str, Any]:
        data = parse(AgentSyncIn, first_arg(args))
        me = await self._agent(sid)
        return await self.ctx.desk.sync(me.agent, data)


def _cookie(environ: dict[str, Any], name: str) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(name)
    except CookieError:
        return None
    return morsel.value if morsel else None

