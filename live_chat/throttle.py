"""Per-address limits: sign-in attempts and new visitors, and who the client is.

Two limits on sign-in, both checked on every attempt:

- per client address, whatever the e-mail (:data:`PER_ADDRESS`): one address
  cannot guess across many accounts;
- per client address and e-mail (:data:`PER_ACCOUNT`): enough for typos, not
  for guessing one password. Keyed by address too, so that someone hammering
  an agent's e-mail from elsewhere cannot lock the agent out.

With Redis the counts are shared by every process (N processes do not allow N
times the tries); without, they are the process's own. A third limit bounds
the new visitors one address may make (each may go on to store a row).
Behind a reverse proxy
every request comes from the proxy: :func:`client_address` then reads
``X-Forwarded-For``, but only when the peer is one of the trusted proxies,
since anyone can send that header.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis

from live_chat.rate_limit import RateLimiter

log = logging.getLogger(__name__)

# Sign-in attempts: (attempts, window in seconds)
PER_ADDRESS = (30, 300.0)
PER_ACCOUNT = (10, 60.0)

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
    """The gateway's per-address limits, counted in Redis (``redis``, under ``prefix``,
    shared by every process) or, without Redis, in the process.

    ``new_visitors_per_minute``: new visitors (connects without a valid token)
    one address may make a minute; beyond, the connect is refused.
    ``trusted_proxies``: the reverse proxies whose ``X-Forwarded-For`` is read.
    """

    def __init__(self, redis: Redis | None, prefix: str, *, new_visitors_per_minute: int,
                 trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = trusted_networks(trusted_proxies)
        self._warned = False
        self._redis = redis
        self._prefix = prefix
        self._new_visitors = (new_visitors_per_minute, 60.0)
        self._local: dict[str, RateLimiter] = {}

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
        account = f"{address} {email.strip().lower()}"
        address_ok = await self._allow("address", address, PER_ADDRESS)
        account_ok = await self._allow("account", account, PER_ACCOUNT)
        return address_ok and account_ok

    async def new_visitor(self, address: str) -> bool:
        """Count one new visitor from ``address``; False when over the limit."""
        return await self._allow("visitor", address, self._new_visitors)

    async def _allow(self, kind: str, key: str, limit: tuple[int, float]) -> bool:
        most, window_s = limit
        if self._redis is None:
            limiter = self._local.setdefault(kind, RateLimiter(most, window_s))
            return limiter.allow(key)
        # A fixed window per key: one INCR, with the window's expiry set with it.
        window = int(time.time() // window_s)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        name = f"{self._prefix}throttle:{kind}:{digest}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, int(window_s) + 1).execute()
        return int(count) <= most
