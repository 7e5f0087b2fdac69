"""Signed, expiring URLs to an attachment, each naming the party it was issued to.

An ``<img>`` in a widget on another site cannot send the visitor's token, so
the URL itself carries the proof: HMAC-SHA256 with the deployment's secret
over the attachment id, the party (``visitor:<id>`` or ``agent:<id>``) and the
expiry. The route still checks, at fetch time, that the party may read the file.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from live_chat.errors import Forbidden, LinkExpired

# Expiries are rounded up to this many seconds, so links asked for within the
# same minute are the same URL and the browser's cache serves the second.
_ROUND_S = 60


@dataclass(frozen=True, slots=True)
class Party:
    """Who asks: a visitor or an agent (``role``: the agent's role, None for visitors)."""

    kind: Literal["visitor", "agent"]
    id: str
    role: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    expires_at: int  # seconds since the epoch


class AttachmentLinks:
    """Issues and checks links. ``secret`` is the deployment's signing key; ``ttl_s``
    how long a link lasts (at least; rounded up to the minute)."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._key = hashlib.sha256(b"tsunagu.attachment-link:" + secret.encode()).digest()
        self.ttl_s = ttl_s

    def issue(self, attachment_id: str, party: Party, *, now: float | None = None) -> Link:
        now = time.time() if now is None else now
        expires = math.ceil((now + self.ttl_s) / _ROUND_S) * _ROUND_S
        query = urlencode({"p": party.key, "exp": expires,
                           "sig": self._sign(attachment_id, party.key, expires)})
        return Link(f"/api/attachments/{attachment_id}?{query}", expires)

    def check(self, attachment_id: str, party_key: str, expires: str, sig: str, *,
              now: float | None = None) -> None:
        """Raise :class:`Forbidden` for a forged link, :class:`LinkExpired` for an old one."""
        # isascii: "²".isdigit() is true, and int("²") raises.
        if not (expires.isascii() and expires.isdigit()) or len(expires) > 12 \
                or len(party_key) > 80:
            raise Forbidden("this link is not valid")
        expected = self._sign(attachment_id, party_key, int(expires))
        if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
            raise Forbidden("this link is not valid")
        if int(expires) < (time.time() if now is None else now):
            raise LinkExpired("this link has expired; ask for a new one")

    def _sign(self, attachment_id: str, party_key: str, expires: int) -> str:
        message = f"{attachment_id}\n{party_key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
