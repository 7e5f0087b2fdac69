"""Finding or making the visitor behind a connection.

An anonymous visitor's id is minted at connect and carried in their signed
token, but their row is written only when they first ask for something to be
kept (a message, a leave-a-message form, a request for a person): a page view
with the widget stores nothing, so handshakes cannot grow the database.
"""

from __future__ import annotations

from live_chat.store.models import Visitor, new_id, utcnow
from live_chat.store.portable import insert_for
from live_chat.store.repository import IntegrityError, Store


class VisitorDirectory:
    """Visitor records: anonymous ones from tokens, identified ones from a site's user id."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def new_id() -> str:
        """An id for a new anonymous visitor; nothing is stored until :meth:`keep`."""
        return new_id()

    async def keep(self, visitor_id: str, *, locale: str | None, page_url: str | None) -> None:
        """Store the visitor ``visitor_id`` unless it is already (from another tab, say)."""
        async with self.store.begin() as tx:
            now = utcnow()
            await tx.session.execute(
                insert_for(tx.session, Visitor)
                .values(id=visitor_id, locale=locale, page_url=page_url,
                        created_at=now, last_seen_at=now)
                .on_conflict_do_nothing(index_elements=["id"]))

    async def profile(self, visitor_id: str) -> Visitor | None:
        """The visitor's row (for their name and e-mail), None if not stored yet."""
        async with self.store.begin() as tx:
            return await tx.visitor(visitor_id)

    async def set_profile(self, visitor_id: str, *, name: str | None,
                          email: str | None) -> Visitor:
        """Keep what the visitor wrote in the pre-chat form; a blank field keeps
        what was there. The caller has stored the visitor (:meth:`keep`)."""
        async with self.store.begin() as tx:
            visitor = await tx.visitor(visitor_id)
            if visitor is None:
                raise LookupError(f"visitor {visitor_id} is not stored")
            if name is not None:
                visitor.name = name
            if email is not None:
                visitor.email = email
            return visitor

    async def touch(self, visitor_id: str, *, locale: str | None,
                    page_url: str | None) -> Visitor | None:
        """The visitor with ``visitor_id``, marked as seen now; None if not stored."""
        async with self.store.begin() as tx:
            visitor = await tx.visitor(visitor_id)
            if visitor is not None:
                await tx.touch_visitor(visitor, locale=locale, page_url=page_url)
            return visitor

    async def for_user(self, user_id: str, *, locale: str | None, page_url: str | None,
                       name: str | None = None, email: str | None = None) -> Visitor:
        """The one visitor of a site-verified ``user_id``, made on first sight.

        ``name`` and ``email``, when the site signed them too, replace what was
        kept (the site knows its user better than any form)."""
        for _ in range(2):
            try:
                async with self.store.begin() as tx:
                    visitor = await tx.visitor_by_user(user_id)
                    if visitor is None:
                        visitor = await tx.add_visitor(locale=locale, page_url=page_url,
                                                       user_id=user_id)
                    else:
                        await tx.touch_visitor(visitor, locale=locale, page_url=page_url)
                    if name is not None or email is not None:
                        visitor.name, visitor.email = name, email
                    return visitor
            except IntegrityError:
                continue  # another connection made it first; read theirs
        raise RuntimeError(f"could not create or read the visitor for user {user_id!r}")
