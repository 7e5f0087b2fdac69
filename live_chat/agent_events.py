"""The ``/agent`` namespace. Until agent accounts exist, every connection is refused."""

from __future__ import annotations

from typing import Any

import socketio

from live_chat.broadcast import AGENT_NS
from live_chat.context import ContextGetter


class AgentNamespace(socketio.AsyncNamespace):
    def __init__(self, context: ContextGetter) -> None:
        super().__init__(AGENT_NS)
        self._context = context

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        raise socketio.exceptions.ConnectionRefusedError(
            {"error": "forbidden", "message": "agent sign-in is not available yet"}
        )
