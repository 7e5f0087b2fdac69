"""read receipts: how far the visitor and the agent have read each conversation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs with a server default (no batch copy of the table,
    # which would drop its report-facts triggers on SQLite); existing
    # conversations start unread (0).
    for column in ('visitor_read_seq', 'agent_read_seq'):
        op.add_column('conversations', sa.Column(column, sa.Integer(), nullable=False,
                                                 server_default='0'))


def downgrade() -> None:
    # A plain DROP COLUMN too (SQLite 3.35+), for the same triggers' sake.
    op.drop_column('conversations', 'agent_read_seq')
    op.drop_column('conversations', 'visitor_read_seq')
