"""The migrations build exactly the schema the models describe.

A column, index or table added to ``live_chat/store/models.py`` without a
migration (or the other way round) works in a test that creates tables from
the models and fails in production, where only migrations run. Alembic's own
autogenerate comparison finds the difference, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from live_chat.store.database import create_engine, migrate
from live_chat.store.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_the_migrated_schema_is_the_models_schema(database_url: str | None,
                                                        tmp_path: Any) -> None:
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], "\n".join(map(str, differences))
