"""SQL of the bot's training data: intents, their examples and answers, other responses.

:class:`CatalogRecords` works inside a transaction the caller opened
(``Store.begin()``), so a change and its audit entry commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import BotExample, BotIntent, BotResponse, Message, utcnow

_CHUNK = 500


class CatalogRecords:
    """Queries over ``bot_intents``, ``bot_examples`` and ``bot_responses``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_empty(self) -> bool:
        return await self.session.scalar(select(func.count()).select_from(BotIntent)) == 0

    async def intents(self, query: str | None = None) -> Sequence[BotIntent]:
        """Every intent by name; ``query`` keeps those whose name or an example contains it."""
        statement = select(BotIntent).order_by(BotIntent.name)
        if query:
            pattern = f"%{query.lower()}%"
            with_example = select(BotExample.intent).where(
                func.lower(BotExample.text).like(pattern))
            statement = statement.where(or_(BotIntent.name.like(pattern),
                                            BotIntent.name.in_(with_example)))
        return (await self.session.scalars(statement)).all()

    async def intent(self, name: str) -> BotIntent | None:
        return await self.session.get(BotIntent, name)

    async def example_counts(self) -> dict[str, dict[str, int]]:
        """``{intent: {locale: count}}`` in one grouped query."""
        rows = await self.session.execute(
            select(BotExample.intent, BotExample.locale, func.count())
            .group_by(BotExample.intent, BotExample.locale))
        counts: dict[str, dict[str, int]] = {}
        for intent, locale, count in rows:
            counts.setdefault(intent, {})[locale] = count
        return counts

    async def examples(self, intent: str | None = None) -> Sequence[BotExample]:
        statement = select(BotExample).order_by(BotExample.intent, BotExample.id)
        if intent is not None:
            statement = statement.where(BotExample.intent == intent)
        return (await self.session.scalars(statement)).all()

    async def example(self, example_id: int) -> BotExample | None:
        return await self.session.get(BotExample, example_id)

    async def examples_by_hash(self, hashes: Iterable[str]) -> dict[str, tuple[int, str]]:
        """``{text hash: (example id, intent)}`` of the examples among ``hashes``."""
        wanted = sorted(set(hashes))
        found: dict[str, tuple[int, str]] = {}
        # In chunks: PostgreSQL takes at most 32,767 parameters in one statement.
        for start in range(0, len(wanted), _CHUNK):
            rows = await self.session.execute(
                select(BotExample.text_hash, BotExample.id, BotExample.intent)
                .where(BotExample.text_hash.in_(wanted[start:start + _CHUNK])))
            found.update({text_hash: (row_id, intent) for text_hash, row_id, intent in rows})
        return found

    async def responses(self) -> Sequence[BotResponse]:
        return (await self.session.scalars(select(BotResponse).order_by(BotResponse.name))).all()

    async def visitor_messages(self, message_ids: Sequence[str]) -> Sequence[Message]:
        """The visitor messages among ``message_ids`` (others are not labellable)."""
        if not message_ids:
            return []
        rows = await self.session.scalars(
            select(Message).where(Message.id.in_(list(message_ids)), Message.sender == "visitor"))
        return rows.all()

    def add_intent(self, name: str, response: list[dict[str, Any]],
                   labels: dict[str, Any]) -> BotIntent:
        intent = BotIntent(name=name, revision=1, response=response, labels=labels)
        self.session.add(intent)
        return intent

    async def add_examples(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert examples (column dicts) in chunks of Core inserts; their new ids, in order.

        Core rather than the ORM: seeding and imports add thousands, and the
        ORM's unit of work would spend seconds of the event loop on them.
        """
        ids: list[int] = []
        for start in range(0, len(rows), _CHUNK):
            chunk = [{"created_at": utcnow(), **row} for row in rows[start:start + _CHUNK]]
            result = await self.session.execute(
                insert(BotExample).returning(BotExample.id, sort_by_parameter_order=True), chunk)
            ids.extend(result.scalars().all())
        return ids

    def add_response(self, name: str, variations: list[dict[str, Any]]) -> None:
        self.session.add(BotResponse(name=name, variations=variations))

    async def update_intent(self, name: str, revision: int, **fields: Any) -> bool:
        """Change the intent only if it is still at ``revision``; False when someone was first."""
        result = await self.session.execute(
            update(BotIntent)
            .where(BotIntent.name == name, BotIntent.revision == revision)
            .values(revision=BotIntent.revision + 1, updated_at=utcnow(), **fields)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    async def delete_intent(self, name: str, revision: int) -> bool:
        await self.session.execute(delete(BotExample).where(BotExample.intent == name))
        result = await self.session.execute(
            delete(BotIntent).where(BotIntent.name == name, BotIntent.revision == revision))
        return bool(getattr(result, "rowcount", 0))

    async def delete_example(self, example: BotExample) -> None:
        await self.session.delete(example)

    async def flush(self) -> None:
        await self.session.flush()
