"""Finding or making the visitor behind a connection."""

from __future__ import annotations

from live_chat.store.models import Visitor
from live_chat.store.repository import IntegrityError, Store


class VisitorDirectory:
    """Visitor records: anonymous ones from tokens, identified ones from a site's user id."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, *, locale: str | None, page_url: str | None) -> Visitor:
        async with self.store.begin() as tx:
            return await tx.add_visitor(locale=locale, page_url=page_url)

    async def touch(self, visitor_id: str, *, locale: str | None,
                    page_url: str | None) -> Visitor | None:
        """The visitor with ``visitor_id``, marked as seen now; None if unknown."""
        async with self.store.begin() as tx:
            visitor = await tx.visitor(visitor_id)
            if visitor is not None:
                await tx.touch_visitor(visitor, locale=locale, page_url=page_url)
            return visitor

    async def for_user(self, user_id: str, *, locale: str | None,
                       page_url: str | None) -> Visitor:
        """The one visitor of a site-verified ``user_id``, made on first sight."""
        for _ in range(2):
            try:
                async with self.store.begin() as tx:
                    visitor = await tx.visitor_by_user(user_id)
                    if visitor is None:
                        return await tx.add_visitor(locale=locale, page_url=page_url,
                                                    user_id=user_id)
                    await tx.touch_visitor(visitor, locale=locale, page_url=page_url)
                    return visitor
            except IntegrityError:
                continue  # another connection made it first; read theirs
        raise RuntimeError(f"could not create or read the visitor for user {user_id!r}")
