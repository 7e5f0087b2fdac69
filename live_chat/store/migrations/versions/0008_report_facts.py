"""report facts: one derived row per conversation, and the queue of conversations to derive

Triggers on ``conversations``, ``messages``, ``conversation_events`` and
``csat`` append the conversation's id to ``report_facts_queue`` whenever its
record is written, whoever writes it (the gateway, an import, a hand-written
fixture): the facts can then never silently fall behind the record. Every
existing conversation is queued, so the first refresh derives them all.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

#: Per table: the column naming the conversation, and the columns whose update matters
#: (None: any update). ``conversations`` is updated on every message (its seq
#: counter), which says nothing new about the facts.
WATCHED = {
    "conversations": ("id", "visitor_id, state, team, agent_id, locale, resolution, created_at"),
    "messages": ("conversation_id", "conversation_id, sender, intent, confidence, seq, created_at"),
    "conversation_events": ("conversation_id", None),
    "csat": ("conversation_id", None),
}


def upgrade() -> None:
    utc = live_chat.store.models.UTCDateTime(timezone=True)
    op.create_table(
        'report_facts',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('visitor_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', utc, nullable=False),
        sa.Column('created_us', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('team', sa.String(length=64), nullable=True),
        sa.Column('locale', sa.String(length=35), nullable=True),
        sa.Column('agent_id', sa.String(length=32), nullable=True),
        sa.Column('resolution', sa.String(length=64), nullable=True),
        sa.Column('intent', sa.String(length=64), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=True) for name in (
            'first_visitor_us', 'last_visitor_us', 'first_bot_us', 'last_message_us')),
        sa.Column('bot_resolved', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=True) for name in (
            'escalated_us', 'assigned_us', 'first_agent_reply_us', 'closed_us',
            'closed_by_agent_us', 'abandoned_us')),
        *(sa.Column(name, utc, nullable=True) for name in (
            'escalated_at', 'assigned_at', 'first_agent_reply_at', 'closed_at', 'abandoned_at')),
        sa.Column('csat', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_facts_created', 'report_facts', ['created_at'])
    op.create_index('ix_report_facts_visitor_created', 'report_facts',
                    ['visitor_id', 'created_us'])
    op.create_table(
        'report_facts_queue',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_report_facts_queue_conversation_id'), 'report_facts_queue',
                    ['conversation_id'])
    if op.get_context().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    op.execute("INSERT INTO report_facts_queue (conversation_id) SELECT id FROM conversations")


def _postgresql_triggers() -> None:
    for table, (column, columns) in WATCHED.items():
        # Table and column names are this file's constants, not input.
        op.execute(f"""
            CREATE FUNCTION report_facts_enqueue_{table}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    INSERT INTO report_facts_queue (conversation_id) VALUES (OLD.{column});
                ELSE
                    INSERT INTO report_facts_queue (conversation_id) VALUES (NEW.{column});
                END IF;
                RETURN NULL;
            END $$""")  # noqa: S608
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        op.execute(f"""
            CREATE TRIGGER report_facts_{table} AFTER INSERT OR DELETE OR {update} ON {table}
            FOR EACH ROW EXECUTE FUNCTION report_facts_enqueue_{table}()""")


def _sqlite_triggers() -> None:
    for table, (column, columns) in WATCHED.items():
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD"),
                           (f"UPDATE OF {columns}" if columns else "UPDATE", "NEW")):
            name = f"report_facts_{table}_{event.split()[0].lower()}"
            op.execute(f"""
                CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN
                    INSERT INTO report_facts_queue (conversation_id) VALUES ({row}.{column});
                END""")  # noqa: S608


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in WATCHED:
        if postgresql:
            op.execute(f"DROP TRIGGER report_facts_{table} ON {table}")
            op.execute(f"DROP FUNCTION report_facts_enqueue_{table}()")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER report_facts_{table}_{event}")
    op.drop_index(op.f('ix_report_facts_queue_conversation_id'), table_name='report_facts_queue')
    op.drop_table('report_facts_queue')
    op.drop_index('ix_report_facts_visitor_created', table_name='report_facts')
    op.drop_index('ix_report_facts_created', table_name='report_facts')
    op.drop_table('report_facts')
