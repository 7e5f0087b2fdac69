"""attachments: files sent with messages, and the message's list of them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachments',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('visitor_id', sa.String(length=32), nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=True),
        sa.Column('message_id', sa.String(length=32), nullable=True),
        sa.Column('uploader', sa.String(length=16), nullable=False),
        sa.Column('uploader_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', live_chat.store.models.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('visitor_id', 'conversation_id', 'message_id'):
        op.create_index(f'ix_attachments_{column}', 'attachments', [column], unique=False)
    # Nullable, no default in the database: rows written before read as "no files".
    # A plain ADD COLUMN (no batch copy of the table, which would drop the triggers
    # migration 0008 put on ``messages``).
    op.add_column('messages', sa.Column('attachments', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('messages', 'attachments')
    for column in ('visitor_id', 'conversation_id', 'message_id'):
        op.drop_index(f'ix_attachments_{column}', table_name='attachments')
    op.drop_table('attachments')
