"""How many sign-in attempts to allow, and from whom.

Two limits, both checked on every attempt:

- per client address, whatever the e-mail (:data:`PER_ADDRESS`): one address
  cannot guess across many accounts;
- per client address and e-mail (:data:`PER_ACCOUNT`): enough for typos, not
  for guessing one password. Keyed by address too, so that someone hammering
  an agent's e-mail from elsewhere cannot lock the agent out.

With Redis the counts are shared by every process (N processes do not allow N
times the tries); without, they are the process's own. Behind a reverse proxy
every request comes from the proxy: :func:`client_address` then reads
``X-Forwarded-For``, but only when the peer is one of the trusted proxies,
since anyone can send that header.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis

from live_chat.rate_limit import RateLimiter

# (attempts, window in seconds)
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


class LoginThrottle:
    """Counts sign-in attempts in Redis (``redis``, under ``prefix``) or in the process."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._local = {"address": RateLimiter(*PER_ADDRESS),
                       "account": RateLimiter(*PER_ACCOUNT)}

    async def allow(self, address: str, email: str) -> bool:
        """Count one attempt by ``address`` for ``email``; False when over either limit."""
        account = f"{address} {email.strip().lower()}"
        checks = (("address", address, PER_ADDRESS), ("account", account, PER_ACCOUNT))
        if self._redis is None:
            return all([self._local[kind].allow(key) for kind, key, _ in checks])
        allowed = True
        for kind, key, (limit, window_s) in checks:
            allowed = await self._count(kind, key, window_s) <= limit and allowed
        return allowed

    async def _count(self, kind: str, key: str, window_s: float) -> int:
        # A fixed window per key: one INCR, with the window's expiry set with it.
        window = int(time.time() // window_s)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        name = f"{self._prefix}login:{kind}:{digest}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:  # type: ignore[union-attr]
            count, _ = await pipe.incr(name).expire(name, int(window_s) + 1).execute()
        return int(count)
