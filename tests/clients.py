"""A python-socketio visitor client for tests: connect, call, and wait for events."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from typing import Any

import aiohttp
import socketio

EVENT_TIMEOUT = 10.0

#: Clients connected and not yet disconnected, for :func:`disconnect_all`.
_CONNECTED: set[VisitorClient] = set()


def cid() -> str:
    """A fresh client_id, as a widget or console makes one per message."""
    return uuid.uuid4().hex


class VisitorClient:
    """One visitor tab. ``origin`` sets the Origin header like a browser on that page."""

    def __init__(self, url: str, *, token: str | None = None, locale: str = "en",
                 origin: str | None = None, auth: dict[str, Any] | None = None,
                 namespace: str = "/visitor") -> None:
        self.url = url
        self.namespace = namespace
        self.auth = auth if auth is not None else {"token": token, "locale": locale}
        self.headers = {"Origin": origin} if origin else {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.session: dict[str, Any] = {}
        for name in ("session", "message", "status", "typing", "conversation", "hello",
                     "assigned", "connect_error", "resync", "read"):
            self.sio.on(name, self._recorder(name), namespace=namespace)

    def _recorder(self, name: str) -> Any:
        def record(data: Any) -> None:
            self.events[name].put_nowait(data)
        return record

    async def connect(self) -> VisitorClient:
        await self.sio.connect(self.url, namespaces=[self.namespace], auth=self.auth,
                               headers=self.headers, transports=["websocket"],
                               wait_timeout=EVENT_TIMEOUT)
        _CONNECTED.add(self)
        if self.namespace == "/visitor":
            self.session = await self.next("session")
        return self

    async def call(self, event: str, data: Any = None) -> Any:
        if data is None:
            return await self.sio.call(event, namespace=self.namespace, timeout=EVENT_TIMEOUT)
        return await self.sio.call(event, data, namespace=self.namespace, timeout=EVENT_TIMEOUT)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace=self.namespace)

    async def next(self, event: str, timeout: float = EVENT_TIMEOUT) -> Any:
        return await asyncio.wait_for(self.events[event].get(), timeout)

    async def next_where(self, event: str, predicate: Any, timeout: float = EVENT_TIMEOUT) -> Any:
        """The next ``event`` whose payload satisfies ``predicate`` (earlier ones are dropped)."""
        async def wait() -> Any:
            while True:
                data = await self.events[event].get()
                if predicate(data):
                    return data
        return await asyncio.wait_for(wait(), timeout)

    def pending(self, event: str) -> list[Any]:
        queue = self.events[event]
        items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def send(self, text: str, client_id: str, **extra: Any) -> Any:
        return await self.call("message", {"client_id": client_id, "text": text, **extra})

    async def disconnect(self) -> None:
        _CONNECTED.discard(self)
        if self.sio.connected:
            await self.sio.disconnect()

    async def __aenter__(self) -> VisitorClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()


async def login(url: str, email: str, password: str) -> tuple[int, dict[str, Any], Any]:
    """POST /api/auth/login; returns (status, body, cookies)."""
    async with aiohttp.ClientSession() as http, http.post(
        f"{url}/api/auth/login", json={"email": email, "password": password}
    ) as response:
        return response.status, await response.json(), response.cookies


class AgentClient(VisitorClient):
    """An agent's console as a python-socketio client on ``/agent``."""

    def __init__(self, url: str, token: str, **kwargs: Any) -> None:
        super().__init__(url, auth={"token": token}, namespace="/agent", **kwargs)
        self.token = token
        self.hello: dict[str, Any] = {}
        for name in ("note", "session_ended", "overview", "tags", "visitor_presence"):
            self.sio.on(name, self._recorder(name), namespace="/agent")

    @classmethod
    async def signed_in(cls, url: str, email: str, password: str) -> AgentClient:
        status, body, _ = await login(url, email, password)
        assert status == 200, body
        client = cls(url, body["token"])
        await client.connect()
        client.hello = await client.next("hello")
        return client


async def disconnect_all(url: str) -> None:
    """Disconnect the clients a test left connected to the gateway at ``url``.

    A gateway stopping under a connected python-socketio client waits about
    5 s for that client's websocket to close; tests that end with their
    clients still connected would each pay it at teardown.
    """
    left = [client for client in _CONNECTED if client.url == url]
    for client in left:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 2)

