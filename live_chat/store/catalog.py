"""SQL of the bot's training data: intents, their examples and answers, other responses.

:class:`CatalogRecords` works inside a transaction the caller opened
(``Store.begin()``), so a change and its audit entry commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import BotExample, BotIntent, BotResponse, Message, utcnow


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

    async def examples_by_hash(self, hashes: Iterable[str]) -> dict[str, BotExample]:
        wanted = list(set(hashes))
        if not wanted:
            return {}
        rows = await self.session.scalars(
            select(BotExample).where(BotExample.text_hash.in_(wanted)))
        return {row.text_hash: row for row in rows}

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

    def add_example(self, **fields: Any) -> BotExample:
        example = BotExample(**fields)
        self.session.add(example)
        return example

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
