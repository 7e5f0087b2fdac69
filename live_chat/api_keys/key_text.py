"""The text of an API key: made, hashed, and checked for its shape."""

from __future__ import annotations

import hashlib
import secrets

from live_chat.api_keys import KEY_PREFIX

#: Characters of a key kept in clear to find its row and to name it in lists.
SHOWN_CHARS = 12
#: Random bytes in a key (256 bits: guessing is hopeless, so one SHA-256 suffices).
RANDOM_BYTES = 32
#: The longest text taken for a key; anything longer is refused unread.
MAX_KEY_CHARS = 100


def new_key() -> str:
    """A fresh key: ``tsk_`` and 43 URL-safe characters."""
    return KEY_PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def key_hash(key: str) -> str:
    """What the database keeps of ``key``: its SHA-256 in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def shown_part(key: str) -> str:
    """The key's first :data:`SHOWN_CHARS` characters (``tsk_AbCd1234``)."""
    return key[:SHOWN_CHARS]


def is_key(token: str) -> bool:
    """Whether a bearer token is meant as an API key (a login token never starts so)."""
    return token.startswith(KEY_PREFIX)


def well_formed(key: str) -> bool:
    return (SHOWN_CHARS < len(key) <= MAX_KEY_CHARS and key.isascii()
            and key.isprintable())
