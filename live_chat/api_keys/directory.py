"""API keys as the admin API and the request check see them: make, list, revoke, verify.

Making and revoking are written to the audit log (``api_key.create``,
``api_key.revoke``) in the same transaction. :meth:`ApiKeys.verify` reads the
row on every request (an indexed lookup by the key's first characters, then a
constant-time comparison of hashes), so revoking takes effect at once in every
process; ``last_used_at`` is written at most once a minute per key.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import func, select, update

from live_chat.admin import audit
from live_chat.api_keys import SCOPES
from live_chat.api_keys.key_text import is_key, key_hash, new_key, shown_part, well_formed
from live_chat.errors import ChatError, Conflict, Forbidden, NotFound
from live_chat.store.models import Agent, ApiKey, utcnow
from live_chat.store.repository import Store
from live_chat.wire import Payload

#: Keys that may be active at once (revoke one to make another).
MAX_ACTIVE_KEYS = 100
#: How stale ``last_used_at`` may get before a request writes it again.
LAST_USED_EVERY = timedelta(minutes=1)

Scope = Literal["read", "reports"]


class InvalidKey(ChatError):
    """401: the bearer token looks like an API key but is unknown, revoked or malformed."""

    code = "invalid_token"


class InsufficientScope(Forbidden):
    """403: a valid key on a route its scopes do not open (admin routes: never)."""

    code = "insufficient_scope"


class ApiKeyIn(Payload):
    """``POST /api/admin/api-keys``: a name people recognise and the scopes (default read)."""

    name: str = Field(min_length=1, max_length=100,
                      description="what the key is for, e.g. 'Salesforce sync'")
    scopes: list[Scope] = Field(default=["read"], min_length=1, max_length=len(SCOPES),
                                description="read: conversations, transcripts, visitors; "
                                            "reports: /api/reports")

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("name must not be blank")
        return name.strip()


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a valid key belongs to: its row's id, name and scopes."""

    id: str
    name: str
    scopes: tuple[str, ...]

    def reader(self) -> Agent:
        """An unsaved agent that stands for the key in the read handlers: a supervisor
        (reads every conversation), never stored, never a socket."""
        return Agent(id=self.id, name=f"API key {self.name}", email="", password_hash="",
                     role="supervisor", capacity=0, teams=[])


def api_key_out(row: ApiKey) -> dict[str, Any]:
    """A key as lists show it: never the key nor its hash, only its first characters."""
    return {
        "id": row.id, "name": row.name, "prefix": row.prefix, "scopes": row.scopes.split(),
        "created_at": row.created_at.isoformat(),
        "created_by": ({"id": row.created_by_id, "name": row.created_by_name}
                       if row.created_by_id else None),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


class ApiKeys:
    """The keys of the record in ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, actor: Agent, data: ApiKeyIn) -> dict[str, Any]:
        """The new key's listing and, this once, the ``key`` itself."""
        key = new_key()
        scopes = [s for s in SCOPES if s in data.scopes]  # one each, documented order
        async with self.store.begin() as tx:
            active = await tx.session.scalar(
                select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None)))
            if (active or 0) >= MAX_ACTIVE_KEYS:
                raise Conflict(f"at most {MAX_ACTIVE_KEYS} active keys; revoke one first")
            row = ApiKey(name=data.name, prefix=shown_part(key), secret_hash=key_hash(key),
                         scopes=" ".join(scopes), created_by_id=actor.id,
                         created_by_name=actor.name, created_at=utcnow())
            tx.session.add(row)
            await tx.session.flush()
            shown = api_key_out(row)
            await audit.record(tx.session, actor, "api_key.create", row.id, after=shown)
        return {"api_key": shown, "key": key}

    async def listing(self) -> list[dict[str, Any]]:
        """Every key, the newest first (revoked ones too, with ``revoked_at``)."""
        async with self.store.begin() as tx:
            rows: Sequence[ApiKey] = (await tx.session.scalars(
                select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id))).all()
        return [api_key_out(row) for row in rows]

    async def revoke(self, actor: Agent, key_id: str) -> dict[str, Any]:
        """Revoke a key (its next request is refused); revoking it again changes nothing."""
        async with self.store.begin() as tx:
            row = await tx.session.get(ApiKey, key_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no API key {key_id}")
            if row.revoked_at is None:
                before = api_key_out(row)
                row.revoked_at = utcnow()
                await audit.record(tx.session, actor, "api_key.revoke", row.id, before=before,
                                   after=api_key_out(row))
            return {"api_key": api_key_out(row)}

    async def verify(self, key: str, scope: str | None) -> KeyHolder:
        """The holder of ``key`` if it is active and has ``scope`` (None: the route takes
        no key). Raises :class:`InvalidKey` (401) or :class:`InsufficientScope` (403)."""
        if not is_key(key) or not well_formed(key):
            raise InvalidKey("this API key is malformed")
        digest = key_hash(key)
        now = utcnow()
        async with self.store.begin() as tx:
            rows = (await tx.session.scalars(
                select(ApiKey).where(ApiKey.prefix == shown_part(key)))).all()
            # Compared in constant time, whichever row (if any) matches.
            found = [row for row in rows
                     if hmac.compare_digest(row.secret_hash.encode(), digest.encode())]
            row = found[0] if found else None
            if row is None or row.revoked_at is not None:
                raise InvalidKey("this API key is unknown or revoked")
            holder = KeyHolder(row.id, row.name, tuple(row.scopes.split()))
            if scope is None or scope not in holder.scopes:
                raise InsufficientScope(
                    "API keys do not open this route" if scope is None else
                    f"this route needs an API key with the scope {scope!r}")
            if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
                await tx.session.execute(update(ApiKey).where(ApiKey.id == row.id)
                                         .values(last_used_at=now))
        return holder
