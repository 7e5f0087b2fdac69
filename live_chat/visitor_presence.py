"""Whether the visitor is still there: for the queue, and for the agent talking to them.

- A visitor whose last tab closed counts as gone after a grace period
  (``TSUNAGU_VISITOR_GRACE``, 10 s: a reload or a hop to another page of the
  site comes back well within it). Their conversation then takes no agent's
  slot (:meth:`handoff.backend.HandoffBackend.visitor_left`) but keeps its
  place in the queue; when they come back it is served again at once.
  Abandoning a wait for good is :class:`~live_chat.conversations.ConversationService`'s
  (``TSUNAGU_ABANDON_AFTER``).
- The agent holding the conversation gets ``visitor_presence`` whenever the
  visitor comes back (``online``), reports idle or active again (the widget's
  ``activity``), or is gone (``left``).

Tab counts live in :mod:`live_chat.presence` (shared through Redis with several
processes; a dead process's tabs are closed by the others, see
``live_chat/hosts.py``, and pass through :meth:`VisitorPresence.tab_closed`
like any other).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from live_chat.broadcast import SocketNotifier
from live_chat.presence import LocalPresence, RedisPresence, VisitorState
from live_chat.routing import Routing
from live_chat.store.repository import Store

log = logging.getLogger(__name__)

_PRESENT = ("queued", "assigned")  # the states where handoff knows the conversation


class VisitorPresence:
    """``tabs`` counts each visitor's open tabs; ``store`` is the record;
    ``routing`` reaches the handoff backend; ``notifier`` the agents;
    ``grace_s`` is how long after the last tab closed the visitor counts as gone.
    """

    def __init__(self, tabs: LocalPresence | RedisPresence, store: Store, routing: Routing,
                 notifier: SocketNotifier, *, grace_s: float) -> None:
        self.tabs = tabs
        self.store = store
        self.routing = routing
        self.notifier = notifier
        self.grace_s = grace_s
        self._timers: set[asyncio.Task[None]] = set()

    async def arrived(self, visitor_id: str, conversation: dict[str, Any] | None) -> None:
        """A tab of the visitor connected; ``conversation`` is their open one
        (as the ``session`` event showed it), or None."""
        if conversation is None or conversation["state"] not in _PRESENT:
            return
        await self.routing.visitor_back(conversation["id"])
        agent = conversation.get("agent")
        if conversation["state"] == "assigned" and agent:
            await self._tell(agent["id"], conversation["id"], visitor_id, "online")

    async def tab_closed(self, visitor_id: str, sid: str | None) -> int:
        """Count one tab closed (``sid`` None: one a dead process left); how many stay open.

        When none does, the visitor counts as gone once ``grace_s`` has passed
        without a tab coming back (on any process).
        """
        remaining = await self.tabs.closed(visitor_id, sid)
        if remaining == 0:
            left_at = await self.tabs.left_at(visitor_id)
            task = asyncio.get_running_loop().create_task(self._gone_after(visitor_id, left_at))
            self._timers.add(task)
            task.add_done_callback(self._timer_done)
        return remaining

    async def activity(self, visitor_id: str, idle: bool) -> None:
        """A tab reports the visitor idle (or active again): tell their agent of a change."""
        if not await self.tabs.set_idle(visitor_id, idle):
            return
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id)
        if conversation is not None and conversation.state == "assigned" and conversation.agent_id:
            state = await self.tabs.state(visitor_id)
            await self._tell(conversation.agent_id, conversation.id, visitor_id, state)

    async def sweep(self) -> None:
        """Mark gone the waiting visitors no timer did (its process stopped, or
        Redis lost the mark); run periodically by every process."""
        async with self.store.begin() as tx:
            waiting = await tx.conversations_in(("queued",))
        now = datetime.now(UTC).timestamp()
        for conversation in waiting:
            if await self.tabs.open_tabs(conversation.visitor_id) > 0:
                continue
            left = await self.tabs.left_at(conversation.visitor_id)
            if left is None or now - left >= self.grace_s:
                await self.routing.visitor_left(conversation.id)

    async def stop(self) -> None:
        """Drop pending timers (shutdown); the sweep of another process covers them."""
        for timer in list(self._timers):
            timer.cancel()
        await asyncio.gather(*list(self._timers), return_exceptions=True)

    async def _gone_after(self, visitor_id: str, left_at: float | None) -> None:
        await asyncio.sleep(self.grace_s)
        if await self.tabs.open_tabs(visitor_id) > 0:
            return  # back, maybe on another process
        if await self.tabs.left_at(visitor_id) != left_at:
            return  # came back and left again since: that close has its own timer
        async with self.store.begin() as tx:
            conversation = await tx.open_conversation(visitor_id)
        if conversation is None or conversation.state not in _PRESENT:
            return
        await self.routing.visitor_left(conversation.id)
        if conversation.state == "assigned" and conversation.agent_id:
            await self._tell(conversation.agent_id, conversation.id, visitor_id, "left")

    async def _tell(self, agent_id: str, conversation_id: str, visitor_id: str,
                    presence: VisitorState) -> None:
        await self.notifier.to_agent(agent_id, "visitor_presence", {
            "conversation_id": conversation_id, "visitor_id": visitor_id,
            "presence": presence, "at": datetime.now(UTC).isoformat(),
        })

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        self._timers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("visitor presence check failed", exc_info=task.exception())
