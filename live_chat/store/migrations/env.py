"""Alembic environment: migrations run on the connection the gateway hands in.

``live_chat.store.database.migrate`` passes its connection through
``config.attributes["connection"]``; the offline mode is not used.
"""

from __future__ import annotations

from alembic import context

from live_chat.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through live_chat.store.database.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
