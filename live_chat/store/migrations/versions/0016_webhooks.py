"""webhooks: subscriptions, the outbox its triggers fill, and the delivery log

Triggers on ``conversation_events`` and ``messages`` append an outbox row in
the transaction that records the event, whoever writes it (the ORM path, the
group commit's executemany, a script), but only when an active subscription
wants that event: a deployment without webhooks pays one lookup in a tiny
table per row.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

#: The conversation events that are webhook events, and their webhook names
#: (a transfer gives the chat to an agent too; an abandoned wait ends it).
EVENT_NAMES = {
    "created": "conversation.created",
    "escalated": "escalated",
    "assigned": "assigned",
    "transferred": "assigned",
    "closed": "closed",
    "abandoned": "closed",
    "csat": "csat",
}
# These are this file's constants, not input: building the SQL from them is safe.
_CASE = "CASE NEW.type " + " ".join(
    f"WHEN '{type_}' THEN '{name}'" for type_, name in EVENT_NAMES.items()) + " END"
_TYPES = ", ".join(f"'{type_}'" for type_ in EVENT_NAMES)


def _wanted(name_sql: str) -> str:
    return ("EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active "  # noqa: S608
            f"AND events LIKE '% ' || {name_sql} || ' %')")


def upgrade() -> None:
    when = live_chat.store.models.UTCDateTime(timezone=True)
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', sa.String(length=400), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('created_at', when, nullable=False),
        sa.Column('updated_at', when, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'webhook_outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=False),
        sa.Column('source_id', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('subscription_id', sa.String(length=32), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.String(length=48), nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('next_attempt_at', when, nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('replay_of', sa.Integer(), nullable=True),
        sa.Column('created_at', when, nullable=False),
        sa.Column('delivered_at', when, nullable=True),
        sa.Column('failed_at', when, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_webhook_deliveries_subscription_id', 'webhook_deliveries',
                    ['subscription_id'])
    op.create_index('ix_webhook_deliveries_conversation_id', 'webhook_deliveries',
                    ['conversation_id'])
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries',
                    ['delivered_at', 'failed_at', 'next_attempt_at'])
    if op.get_context().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    op.execute(f"""
        CREATE FUNCTION webhook_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE name text := {_CASE};
        BEGIN
            IF {_wanted('name')} THEN
                INSERT INTO webhook_outbox (event, conversation_id, source_id)
                VALUES (name, NEW.conversation_id, NEW.id::text);
            END IF;
            RETURN NULL;
        END $$""")  # noqa: S608
    op.execute(f"""
        CREATE TRIGGER webhook_outbox_events AFTER INSERT ON conversation_events
        FOR EACH ROW WHEN (NEW.type IN ({_TYPES}))
        EXECUTE FUNCTION webhook_outbox_event()""")
    op.execute(f"""
        CREATE FUNCTION webhook_outbox_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_wanted("'message.created'")} THEN
                INSERT INTO webhook_outbox (event, conversation_id, source_id)
                VALUES ('message.created', NEW.conversation_id, NEW.id);
            END IF;
            RETURN NULL;
        END $$""")  # noqa: S608
    op.execute("""
        CREATE TRIGGER webhook_outbox_messages AFTER INSERT ON messages
        FOR EACH ROW EXECUTE FUNCTION webhook_outbox_message()""")


def _sqlite_triggers() -> None:
    op.execute(f"""
        CREATE TRIGGER webhook_outbox_events AFTER INSERT ON conversation_events
        WHEN NEW.type IN ({_TYPES}) AND {_wanted(_CASE)}
        BEGIN
            INSERT INTO webhook_outbox (event, conversation_id, source_id)
            VALUES ({_CASE}, NEW.conversation_id, CAST(NEW.id AS TEXT));
        END""")  # noqa: S608
    op.execute(f"""
        CREATE TRIGGER webhook_outbox_messages AFTER INSERT ON messages
        WHEN {_wanted("'message.created'")}
        BEGIN
            INSERT INTO webhook_outbox (event, conversation_id, source_id)
            VALUES ('message.created', NEW.conversation_id, NEW.id);
        END""")  # noqa: S608


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER webhook_outbox_events ON conversation_events")
        op.execute("DROP TRIGGER webhook_outbox_messages ON messages")
        op.execute("DROP FUNCTION webhook_outbox_event()")
        op.execute("DROP FUNCTION webhook_outbox_message()")
    else:
        op.execute("DROP TRIGGER webhook_outbox_events")
        op.execute("DROP TRIGGER webhook_outbox_messages")
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_conversation_id', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_subscription_id', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_outbox')
    op.drop_table('webhook_subscriptions')
