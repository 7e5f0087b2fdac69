"""Agent accounts and sign-in sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from live_chat.auth import AgentTokens, hash_password, password_matches
from live_chat.errors import Conflict, InvalidPayload
from live_chat.store.models import Agent, utcnow
from live_chat.store.repository import IntegrityError, Store

ROLES = ("agent", "supervisor", "admin")
SESSION_COOKIE = "tsunagu_session"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class SignedIn:
    """An agent with the session their token or cookie belongs to.

    For a request made with an API key, ``agent`` is the key's unsaved stand-in
    (:meth:`live_chat.api_keys.directory.KeyHolder.reader`), ``session_id`` is
    empty and ``api_key_id`` names the key.
    """

    agent: Agent
    session_id: str
    api_key_id: str | None = None


class AgentDirectory:
    """Create agents, check passwords, open and end sessions.

    ``tokens`` signs session ids; a session also lives as a row, so signing out
    (or an admin revoking it) takes effect at once, before the token expires.
    """

    def __init__(self, store: Store, tokens: AgentTokens) -> None:
        self.store = store
        self.tokens = tokens

    async def create(self, *, email: str, name: str, password: str, capacity: int = 4,
                     role: str = "agent", teams: tuple[str, ...] = ()) -> Agent:
        email = email.strip().lower()
        if not _EMAIL.match(email):
            raise InvalidPayload(f"not an e-mail address: {email!r}")
        if not name.strip():
            raise InvalidPayload("name must not be empty")
        if len(password) < MIN_PASSWORD:
            raise InvalidPayload(f"password must have at least {MIN_PASSWORD} characters")
        if role not in ROLES:
            raise InvalidPayload(f"role must be one of {', '.join(ROLES)}")
        if not 1 <= capacity <= 10:
            raise InvalidPayload("capacity must be between 1 and 10")
        try:
            async with self.store.begin() as tx:
                return await tx.add_agent(
                    email=email, name=name.strip(), password_hash=hash_password(password),
                    role=role, capacity=capacity, teams=sorted(set(teams)),
                )
        except IntegrityError:
            raise Conflict(f"an agent with e-mail {email} already exists") from None

    async def all(self) -> list[Agent]:
        async with self.store.begin() as tx:
            return list(await tx.agents())

    async def sign_in(self, email: str, password: str) -> tuple[Agent, str] | None:
        """The agent and a new session token, or None for a wrong e-mail or password."""
        async with self.store.begin() as tx:
            agent = await tx.agent_by_email(email.strip().lower())
            if not password_matches(agent.password_hash if agent else None, password):
                return None
            assert agent is not None
            session = await tx.add_agent_session(
                agent.id, utcnow() + timedelta(seconds=self.tokens.ttl_s)
            )
        return agent, self.tokens.issue(session.id)

    async def signed_in(self, token: object) -> SignedIn | None:
        """Who ``token`` belongs to, if its session is still open."""
        session_id = self.tokens.session_id(token)
        return None if session_id is None else await self.session(session_id)

    async def session(self, session_id: str) -> SignedIn | None:
        """The agent of an open session, or None once it is revoked or expired."""
        async with self.store.begin() as tx:
            session = await tx.agent_session(session_id)
            if session is None or session.revoked_at is not None or session.expires_at < utcnow():
                return None
            agent = await tx.agent(session.agent_id)
        return None if agent is None else SignedIn(agent, session_id)

    async def sign_out(self, session_id: str) -> None:
        async with self.store.begin() as tx:
            await tx.revoke_agent_session(session_id)
