"""agent status events (online/away/offline over time, for agent utilisation)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:21:50.919470
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_status_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('agent_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', live_chat.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agent_status_events', schema=None) as batch_op:
        batch_op.create_index('ix_agent_status_events_agent_created', ['agent_id', 'created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_agent_status_events_created_at'), ['created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agent_status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_status_events_created_at'))
        batch_op.drop_index('ix_agent_status_events_agent_created')

    op.drop_table('agent_status_events')
