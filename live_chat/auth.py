"""Who is talking: visitor tokens and identities, agent passwords and sessions.

A visitor token is an itsdangerous signature over the visitor id with a
timestamp; it expires after ``ttl_s`` and is the only thing that ties a socket
to a visitor (ids sent by the client are never trusted).
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
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


_AGENT_SALT = "tsunagu.agent-session"
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong address costs as
# long as a wrong password and does not reveal which addresses exist.
_DUMMY_HASH = _hasher.hash("tsunagu-no-such-agent")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (parameters and salt inside the string)."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class AgentTokens:
    """Sign agent session ids; the session row decides whether the token still counts."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_AGENT_SALT)
        self._secret = secret.encode()
        self.ttl_s = ttl_s

    def issue(self, session_id: str) -> str:
        return self._serializer.dumps({"s": session_id})

    def csrf(self, session_id: str) -> str:
        """The anti-forgery value a cookie-authenticated request must echo in X-CSRF-Token."""
        return hmac.new(self._secret, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()

    def session_id(self, token: object) -> str | None:
        if not isinstance(token, str) or not token or len(token) > 512:
            return None
        try:
            data = self._serializer.loads(token, max_age=self.ttl_s)
        except (SignatureExpired, BadSignature):
            return None
        session_id = data.get("s") if isinstance(data, dict) else None
        return session_id if isinstance(session_id, str) else None
