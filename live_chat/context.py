"""The running services of one gateway, as the handlers see them.

Built by ``resources.py`` at start-up and stored under :data:`CONTEXT`; a
plain record of references, not a place for behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from redis.asyncio import Redis

from bot import Bot
from live_chat.agent_desk import AgentDesk
from live_chat.agents import AgentDirectory
from live_chat.attachments.service import Attachments
from live_chat.auth import VisitorTokens
from live_chat.broadcast import SocketNotifier
from live_chat.canned import CannedResponses
from live_chat.conversations import ConversationService
from live_chat.mail.messages import MessageMail
from live_chat.mail.transcripts import Transcripts
from live_chat.origins import Origins
from live_chat.presence import LocalPresence, RedisPresence
from live_chat.read_receipts import ReadReceipts
from live_chat.routing import Routing
from live_chat.settings import Settings
from live_chat.site_status import SiteStatus
from live_chat.store.repository import Store
from live_chat.supervision import SupervisorFeed
from live_chat.throttle import Throttles
from live_chat.visitor_presence import VisitorPresence
from live_chat.visitors import VisitorDirectory


class BotHolder:
    """The bot currently serving; ``swap`` replaces it without a restart.

    The site facts its answers name stay with the holder: a swapped-in model
    answers with the facts the serving one had, and :meth:`set_facts`
    changes them for the model serving.
    """

    def __init__(self, bot: Bot) -> None:
        self.current = bot

    def __call__(self) -> Bot:
        return self.current

    def swap(self, bot: Bot) -> None:
        self.current = bot.with_facts(self.current.facts)

    def set_facts(self, facts: Mapping[str, str]) -> None:
        """Answer with ``facts`` from now on (a no-op when they are the same)."""
        if dict(facts) != dict(self.current.facts):
            self.current = self.current.with_facts(facts)


@dataclass(frozen=True, slots=True)
class ChatContext:
    settings: Settings
    store: Store
    bot: BotHolder
    tokens: VisitorTokens
    origins: Origins
    notifier: SocketNotifier
    visitors: VisitorDirectory
    conversations: ConversationService
    routing: Routing
    agents: AgentDirectory
    desk: AgentDesk
    canned: CannedResponses
    presence: LocalPresence | RedisPresence
    visitor_presence: VisitorPresence
    supervisor_feed: SupervisorFeed
    throttles: Throttles
    site: SiteStatus
    attachments: Attachments
    transcripts: Transcripts
    read_receipts: ReadReceipts
    message_mail: MessageMail


ContextGetter = Callable[[], ChatContext]

CONTEXT = web.AppKey("tsunagu.context", ChatContext)
SETTINGS = web.AppKey("tsunagu.settings", Settings)
SIO = web.AppKey("tsunagu.sio", socketio.AsyncServer)
# None when the deployment runs without Redis (one process).
REDIS = web.AppKey("tsunagu.redis", Redis | None)  # type: ignore[arg-type]


class ServiceNamespace(socketio.AsyncNamespace):
    """A Socket.IO namespace whose handlers reach the running services as ``self.ctx``.

    ``context`` returns them; it is called at event time because the services
    open when the app starts, after the namespaces are registered.
    """

    def __init__(self, namespace: str, context: ContextGetter) -> None:
        super().__init__(namespace)
        self._context = context

    @property
    def ctx(self) -> ChatContext:
        return self._context()

    async def local_sessions(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """This process's sockets in the namespace, each with its session."""
        for sid, _ in list(self.server.manager.get_participants(self.namespace, None)):
            try:
                session = await self.get_session(sid)
            except KeyError:
                continue  # still connecting or already gone
            yield sid, session
