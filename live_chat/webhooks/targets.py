"""Which URLs a webhook may post to: the guard against server-side request forgery.

Whoever creates a subscription makes the gateway send requests from inside
the deployment's network. Without a guard an admin account (or a stolen
one) could aim them at the cloud metadata service (169.254.169.254), a
database's HTTP port or an internal admin page. So, unless
``TSUNAGU_WEBHOOK_ALLOW_PRIVATE`` is on (tests, a receiver on the same host):

- only ``http``/``https`` URLs without credentials in them are accepted;
- an address written in the URL must be a public one;
- a host name is checked again at every delivery, on the addresses it
  resolves to then (:class:`PublicOnlyResolver`), and the connection is
  made to those checked addresses, so a name that later resolves to an
  internal address (DNS rebinding) gets nowhere; redirects are not followed.

``TSUNAGU_WEBHOOK_ALLOWED_HOSTS`` narrows further: only those hosts (an
entry starting with ``.`` allows a domain's subdomains).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_URL = 2000


class RefusedUrl(ValueError):
    """Why a URL may not be a subscription's: the sentence, and ``reason``, a stable word.

    ``reason`` is one of ``not_url`` (too long, not http/https, no host),
    ``credentials`` (a user or password in it), ``host_not_allowed`` (outside
    TSUNAGU_WEBHOOK_ALLOWED_HOSTS) and ``private_address`` (loopback, private,
    link-local, reserved or ``localhost``): the console words its message from it.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_url(url: str, allowed_hosts: Sequence[str] = (), *, allow_private: bool) -> str:
    """``url`` if a subscription may post to it; else :class:`RefusedUrl` saying why."""
    if len(url) > MAX_URL:
        raise RefusedUrl(f"the URL is longer than {MAX_URL} characters", "not_url")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise RefusedUrl("not a URL", "not_url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedUrl("use an http:// or https:// URL with a host", "not_url")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("put no user name or password in the URL (use the signature)",
                         "credentials")
    if allowed_hosts and not host_allowed(host, allowed_hosts):
        raise RefusedUrl(f"{host} is not one of TSUNAGU_WEBHOOK_ALLOWED_HOSTS",
                         "host_not_allowed")
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise RefusedUrl(f"{host} is this machine (set TSUNAGU_WEBHOOK_ALLOW_PRIVATE "
                             "to allow private addresses)", "private_address")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and not is_public(address):
            raise RefusedUrl(f"{host} is not a public address (set "
                             "TSUNAGU_WEBHOOK_ALLOW_PRIVATE to allow private addresses)",
                             "private_address")
    return url


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether ``host`` is named by ``allowed_hosts`` (``.example.com``: its subdomains)."""
    return any(host == entry or (entry.startswith(".") and host.endswith(entry))
               for entry in allowed_hosts)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routed unicast address (not loopback, private, link-local, reserved…)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class PublicOnlyResolver(AbstractResolver):
    """Resolves names like the default resolver, then drops every non-public address.

    A name with public addresses only connects to those; one with none fails
    the attempt with :class:`OSError` naming the address it pointed to.
    """

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if is_public(ipaddress.ip_address(r["host"]))]
        if not public:
            shown = results[0]["host"] if results else "nothing"
            raise OSError(f"{host} resolves to {shown}, not a public address "
                          "(TSUNAGU_WEBHOOK_ALLOW_PRIVATE allows it)")
        return public

    async def close(self) -> None:
        await self._inner.close()
