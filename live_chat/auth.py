"""Who is talking: visitor tokens and identities, agent passwords and sessions.

A visitor token is an itsdangerous signature over the visitor id with a
timestamp; it expires after ``ttl_s`` and is the only thing that ties a socket
to a visitor (ids sent by the client are never trusted). An agent token signs
a session id the same way; the session row decides whether it still counts.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class SignedIds:
    """Sign an id with a timestamp, and read it back while it is younger than ``ttl_s``.

    ``secret`` is the deployment's signing key (shared by all processes);
    ``salt`` keeps tokens of one kind from being accepted as another.
    """

    def __init__(self, secret: str, ttl_s: int, *, salt: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=salt)
        self.ttl_s = ttl_s

    def issue(self, id_: str) -> str:
        return self._serializer.dumps({"id": id_})

    def read(self, token: object) -> str | None:
        """The id in ``token``, or None when it is missing, forged or expired."""
        if not isinstance(token, str) or not token or len(token) > 512:
            return None
        try:
            data = self._serializer.loads(token, max_age=self.ttl_s)
        except (SignatureExpired, BadSignature):
            return None
        id_ = data.get("id") if isinstance(data, dict) else None
        return id_ if isinstance(id_, str) else None


class VisitorTokens(SignedIds):
    """Visitor tokens: the signed visitor id."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        super().__init__(secret, ttl_s, salt="tsunagu.visitor")

    def visitor_id(self, token: object) -> str | None:
        return self.read(token)


class AgentTokens(SignedIds):
    """Agent tokens: the signed session id, plus the session's anti-forgery value."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        super().__init__(secret, ttl_s, salt="tsunagu.agent-session")
        self._secret = secret.encode()

    def session_id(self, token: object) -> str | None:
        return self.read(token)

    def csrf(self, session_id: str) -> str:
        """The value a cookie-authenticated request must echo in X-CSRF-Token."""
        return hmac.new(self._secret, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def identity_text(user_id: str, name: str | None = None, email: str | None = None) -> str:
    """What a site signs to vouch for a logged-in user: ``user_id`` alone, or,
    when it also passes a name or an e-mail, ``user_id + "\n" + name + "\n" +
    email`` (a missing one as empty text), so neither can be changed in the page."""
    if name is None and email is None:
        return user_id
    return f"{user_id}\n{name or ''}\n{email or ''}"


def identity_matches(secret: str, user_id: str, given_hmac: str, *,
                     name: str | None = None, email: str | None = None) -> bool:
    """True when ``given_hmac`` is HMAC-SHA256(secret, :func:`identity_text`) in hex
    (constant-time)."""
    signed = identity_text(user_id, name, email).encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    # Bytes: compare_digest refuses str with non-ASCII characters by raising.
    return hmac.compare_digest(expected.encode(), given_hmac.lower().encode())


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
