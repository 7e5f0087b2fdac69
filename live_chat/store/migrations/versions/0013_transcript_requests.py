"""transcript_requests: visitors' requests for their transcript by e-mail

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = live_chat.store.models.UTCDateTime(timezone=True)
    op.create_table(
        'transcript_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('next_try_at', when, nullable=False),
        sa.Column('created_at', when, nullable=False),
        sa.Column('sent_at', when, nullable=True),
        sa.Column('failed_at', when, nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_transcript_requests_conversation_id', 'transcript_requests',
                    ['conversation_id'], unique=False)
    op.create_index('ix_transcript_requests_due', 'transcript_requests',
                    ['sent_at', 'failed_at', 'next_try_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_transcript_requests_due', table_name='transcript_requests')
    op.drop_index('ix_transcript_requests_conversation_id', table_name='transcript_requests')
    op.drop_table('transcript_requests')
