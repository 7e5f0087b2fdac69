"""The gateway's limits (sign-in, new visitors, visitor messages, agent events),
and who the client is.

Sign-in is checked three ways on every attempt:

- per client address, whatever the e-mail (:data:`PER_ADDRESS`): one address
  cannot guess across many accounts;
- per client address and e-mail (:data:`PER_ACCOUNT`): enough for typos, not
  for guessing one password;
- per account, from anywhere: after :data:`FREE_FAILURES` wrong passwords in a
  row the account waits 1 s, then 2 s, 4 s … at most :data:`BACKOFF_CAP_S`
  before the next try. Many addresses cannot guess one password quickly, and
  since tries during the wait are refused without being counted, an attacker
  can hold an agent off for :data:`BACKOFF_CAP_S` at the very most, never ban
  them. A right password clears the count.

With Redis every count is shared by every process (N processes do not allow
N times the tries, a visitor's tabs on two processes share one message
limit); without, they are the process's own. Behind a reverse proxy every
request comes from the proxy: :func:`client_address` then reads
``X-Forwarded-For``, but only when the peer is one of the trusted proxies,
since anyone can send that header.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis

from live_chat.rate_limit import RateLimiter

log = logging.getLogger(__name__)

# Sign-in attempts: (attempts, window in seconds)
PER_ADDRESS = (30, 300.0)
PER_ACCOUNT = (10, 60.0)
#: Wrong passwords for one account before it must wait between tries.
FREE_FAILURES = 5
#: The longest wait between tries for one account, in seconds.
BACKOFF_CAP_S = 60.0
#: An account's wrong passwords are forgotten after this long without one.
FAILURES_KEPT_S = 900
#: Read receipts one visitor may send, all their tabs together: (reports, window in
#: seconds). The widget sends at most about one a second while messages arrive.
VISITOR_READS = (120, 60.0)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``TSUNAGU_TRUSTED_PROXIES`` entries (addresses or CIDR ranges) as networks."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """The address of the client behind ``request``.

    The peer's own address, unless the peer is a trusted proxy: then the
    nearest address in ``X-Forwarded-For`` that is not a trusted proxy
    (the ones before it could have been written by the client).
    """
    peer = request.remote or ""
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


class Throttles:
    """The gateway's limits, counted in Redis (``redis``, under ``prefix``, shared by
    every process) or, without Redis, in the process.

    ``new_visitors_per_minute``: new visitors (connects without a valid token)
    one address may make a minute; beyond, the connect is refused.
    ``visitor_messages``: (messages, window in seconds) one visitor may send,
    whatever tab or process they use.
    ``agent_events_per_minute``: events one agent may send a minute, all
    their consoles together.
    ``trusted_proxies``: the reverse proxies whose ``X-Forwarded-For`` is read.
    """

    def __init__(self, redis: Redis | None, prefix: str, *, new_visitors_per_minute: int,
                 visitor_messages: tuple[int, float] = (10, 10.0),
                 agent_events_per_minute: int = 600,
                 trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = trusted_networks(trusted_proxies)
        self._warned = False
        self._redis = redis
        self._prefix = prefix
        self._new_visitors = (new_visitors_per_minute, 60.0)
        self._visitor_messages = visitor_messages
        self._agent_events = (agent_events_per_minute, 60.0)
        self._local: dict[str, RateLimiter] = {}
        # Without Redis: account -> (wrong passwords in a row, last one at, wait until)
        self._failures: dict[str, tuple[int, float, float]] = {}

    def address(self, request: web.Request) -> str:
        """The client behind ``request`` (see :func:`client_address`)."""
        peer = request.remote or ""
        if (not self._warned and "X-Forwarded-For" in request.headers
                and not _is_trusted(peer, self.trusted)):
            # Most likely a reverse proxy nobody listed: every client behind it
            # would share its address, and its limits.
            self._warned = True
            log.warning("requests from %s carry X-Forwarded-For but %s is not in "
                        "TSUNAGU_TRUSTED_PROXIES: all its clients share one address for the "
                        "sign-in and new-visitor limits", peer, peer)
        return client_address(request, self.trusted)

    async def sign_in(self, address: str, email: str) -> bool:
        """Count one sign-in attempt by ``address`` for ``email``; False when over a limit."""
        account = f"{address} {_account(email)}"
        address_ok = await self._allow("address", address, PER_ADDRESS)
        account_ok = await self._allow("account", account, PER_ACCOUNT)
        return address_ok and account_ok

    async def sign_in_wait(self, email: str, now: float | None = None) -> float:
        """Seconds the account ``email`` must wait before its next try (0: try now)."""
        now = time.time() if now is None else now
        if self._redis is None:
            until = self._failures.get(_account(email), (0, 0.0, 0.0))[2]
        else:
            raw = await self._redis.hget(self._backoff_key(email), "until")
            until = float(raw) if raw is not None else 0.0
        return max(0.0, until - now)

    async def sign_in_failed(self, email: str, now: float | None = None) -> None:
        """Count a wrong password for ``email``, from wherever it came."""
        now = time.time() if now is None else now
        if self._redis is None:
            account = _account(email)
            failures, last, _ = self._failures.get(account, (0, 0.0, 0.0))
            failures = failures + 1 if now - last < FAILURES_KEPT_S else 1
            self._failures[account] = (failures, now, now + _backoff(failures))
            if len(self._failures) > 100_000:
                self._forget_failures(now)
            return
        key = self._backoff_key(email)
        async with self._redis.pipeline(transaction=True) as pipe:
            failures, _ = await pipe.hincrby(key, "n", 1).expire(key, FAILURES_KEPT_S).execute()
        await self._redis.hset(key, "until", repr(now + _backoff(int(failures))))

    async def sign_in_succeeded(self, email: str) -> None:
        """A right password: the account's wrong ones are forgotten."""
        if self._redis is None:
            self._failures.pop(_account(email), None)
        else:
            await self._redis.delete(self._backoff_key(email))

    async def new_visitor(self, address: str) -> bool:
        """Count one new visitor from ``address``; False when over the limit."""
        return await self._allow("visitor", address, self._new_visitors)

    async def visitor_message(self, visitor_id: str) -> bool:
        """Count one message (or form) from ``visitor_id``; False when over the limit."""
        return await self._allow("message", visitor_id, self._visitor_messages)

    async def visitor_read(self, visitor_id: str) -> bool:
        """Count one read receipt from ``visitor_id``; False when over :data:`VISITOR_READS`."""
        return await self._allow("read", visitor_id, VISITOR_READS)

    async def agent_event(self, agent_id: str) -> bool:
        """Count one event from ``agent_id``; False when over the limit."""
        return await self._allow("agent", agent_id, self._agent_events)

    async def _allow(self, kind: str, key: str, limit: tuple[int, float]) -> bool:
        most, window_s = limit
        if self._redis is None:
            limiter = self._local.setdefault(kind, RateLimiter(most, window_s))
            return limiter.allow(key)
        # A fixed window per key: one INCR, with the window's expiry set with it.
        window = int(time.time() // window_s)
        name = f"{self._prefix}throttle:{kind}:{_digest(key)}:{window}"
        async with self._redis.pipeline(transaction=False) as pipe:
            count, _ = await pipe.incr(name).expire(name, math.ceil(window_s) + 1).execute()
        return int(count) <= most

    def _backoff_key(self, email: str) -> str:
        return f"{self._prefix}throttle:backoff:{_digest(_account(email))}"

    def _forget_failures(self, now: float) -> None:
        for account in [a for a, (_, last, _) in self._failures.items()
                        if now - last >= FAILURES_KEPT_S]:
            del self._failures[account]


def _account(email: str) -> str:
    return email.strip().lower()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _backoff(failures: int) -> float:
    """The wait after the ``failures``-th wrong password in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(BACKOFF_CAP_S, 2.0 ** (failures - FREE_FAILURES))
