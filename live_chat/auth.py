"""Who is talking: signed visitor tokens and site-vouched visitor identities.

A visitor token is an itsdangerous signature over the visitor id with a
timestamp; it expires after ``ttl_s`` and is the only thing that ties a socket
to a visitor (ids sent by the client are never trusted).
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_VISITOR_SALT = "tsunagu.visitor"


class VisitorTokens:
    """Issue and check visitor tokens.

    ``secret`` is the deployment's signing key (shared by all processes);
    ``ttl_s`` is how long a token stays valid after it was issued.
    """

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_VISITOR_SALT)
        self._ttl_s = ttl_s

    def issue(self, visitor_id: str) -> str:
        return self._serializer.dumps({"v": visitor_id})

    def visitor_id(self, token: object) -> str | None:
        """The visitor id in ``token``, or None when it is missing, forged or expired."""
        if not isinstance(token, str) or not token or len(token) > 512:
            return None
        try:
            data = self._serializer.loads(token, max_age=self._ttl_s)
        except (SignatureExpired, BadSignature):
            return None
        visitor_id = data.get("v") if isinstance(data, dict) else None
        return visitor_id if isinstance(visitor_id, str) else None


def identity_matches(secret: str, user_id: str, given_hmac: str) -> bool:
    """True when ``given_hmac`` is HMAC-SHA256(secret, user_id) in hex (constant-time)."""
    expected = hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given_hmac.lower())
