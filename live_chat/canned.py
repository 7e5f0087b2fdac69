"""Canned responses: ready answers agents insert with ``/`` + shortcut."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from live_chat.errors import Conflict, NotFound
from live_chat.store.models import CannedResponse, utcnow
from live_chat.store.repository import IntegrityError, Store
from live_chat.wire import Payload

PLACEHOLDERS = ("visitor_name", "agent_name")


class CannedIn(Payload):
    shortcut: str = Field(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")
    locale: str = Field(pattern=r"^(ja|en)$")
    title: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=4000)


def canned_out(row: CannedResponse) -> dict[str, Any]:
    return {"id": row.id, "shortcut": row.shortcut, "locale": row.locale,
            "title": row.title or row.shortcut, "text": row.text,
            "placeholders": [p for p in PLACEHOLDERS if "{" + p + "}" in row.text]}


class CannedResponses:
    """List, search and manage canned responses (admins manage, every agent reads)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def search(self, query: str | None = None,
                     locale: str | None = None) -> list[dict[str, Any]]:
        async with self.store.begin() as tx:
            rows = await tx.canned_responses(query=query, locale=locale)
        return [canned_out(r) for r in rows]

    async def add(self, data: CannedIn) -> dict[str, Any]:
        try:
            async with self.store.begin() as tx:
                row = await tx.add_canned_response(
                    shortcut=data.shortcut, locale=data.locale, title=data.title,
                    text=data.text,
                )
                return canned_out(row)
        except IntegrityError:
            raise Conflict(
                f"/{data.shortcut} already exists in {data.locale}; edit it instead"
            ) from None

    async def update(self, canned_id: int, data: CannedIn) -> dict[str, Any]:
        try:
            async with self.store.begin() as tx:
                row = await tx.canned_response(canned_id)
                if row is None:
                    raise NotFound(f"no canned response {canned_id}")
                row.shortcut, row.locale = data.shortcut, data.locale
                row.title, row.text, row.updated_at = data.title, data.text, utcnow()
                await tx.session.flush()
                return canned_out(row)
        except IntegrityError:
            raise Conflict(f"/{data.shortcut} already exists in {data.locale}") from None

    async def delete(self, canned_id: int) -> None:
        async with self.store.begin() as tx:
            row = await tx.canned_response(canned_id)
            if row is None:
                raise NotFound(f"no canned response {canned_id}")
            await tx.delete_canned_response(row)
