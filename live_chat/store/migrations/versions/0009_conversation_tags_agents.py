"""conversation tags, and every agent a conversation was given to (the console inbox)

``conversation_agents`` is filled from the ``assigned`` events already
recorded (their ``data.agent_id``), so the inbox finds past conversations by
agent from the start.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_tags',
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', live_chat.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('conversation_id', 'tag')
    )
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_tags_tag', ['tag', 'conversation_id'],
                              unique=False)
    op.create_table('conversation_agents',
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('agent_id', sa.String(length=32), nullable=False),
    sa.Column('assigned_at', live_chat.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ),
    sa.PrimaryKeyConstraint('conversation_id', 'agent_id')
    )
    with op.batch_alter_table('conversation_agents', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_agents_agent', ['agent_id', 'conversation_id'],
                              unique=False)
    # The agents of conversations recorded before this table existed.
    agent_id = ("data->>'agent_id'" if op.get_bind().dialect.name == "postgresql"
                else "json_extract(data, '$.agent_id')")
    # Constant SQL: {agent_id} is one of the two expressions above.
    op.execute(
        "INSERT INTO conversation_agents (conversation_id, agent_id, assigned_at) "  # noqa: S608
        f"SELECT conversation_id, {agent_id}, MAX(created_at) FROM conversation_events "
        f"WHERE type = 'assigned' AND {agent_id} IS NOT NULL "
        f"GROUP BY conversation_id, {agent_id}"
    )


def downgrade() -> None:
    with op.batch_alter_table('conversation_agents', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_agents_agent')
    op.drop_table('conversation_agents')
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_tags_tag')
    op.drop_table('conversation_tags')
