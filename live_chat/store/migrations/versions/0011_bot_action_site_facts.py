"""the bot's action on its messages; site facts set by an admin

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (SQLite keeps the table and its
    # report-facts triggers).
    op.add_column('messages', sa.Column('action', sa.String(length=16), nullable=True))
    op.create_table('site_facts',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=32), nullable=True),
    sa.Column('updated_at', live_chat.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('site_facts')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('action')
