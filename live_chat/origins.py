"""Which web pages may open a socket: the allow-list of TSUNAGU_ALLOWED_ORIGINS.

A page served by the gateway itself (the demo page, the console) is always
allowed. Programs that send no Origin header are not browsers and are let
through: the allow-list protects visitors' browsers, the token protects data.
"""

from __future__ import annotations

from typing import Any


class Origins:
    """``allowed`` are exact origins such as ``https://shop.example``; ``*`` allows any."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = frozenset(allowed)

    def visitor_allowed(self, origin: str, environ: dict[str, Any]) -> bool:
        return "*" in self.allowed or origin in self.allowed or same_origin(origin, environ)

    def engineio_check(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """For Engine.IO's ``cors_allowed_origins`` callable (all namespaces)."""
        return origin is None or self.visitor_allowed(origin, environ)


def same_origin(origin: str, environ: dict[str, Any]) -> bool:
    host = environ.get("HTTP_HOST")
    if not host:
        return False
    schemes = {environ.get("wsgi.url_scheme", "http")}
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
    if forwarded:
        schemes.add(forwarded.split(",")[0].strip())
    return origin in {f"{scheme}://{host}" for scheme in schemes}
