"""outgoing_mail: e-mails about one message (offline messages to the team, agents' replies)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = live_chat.store.models.UTCDateTime(timezone=True)
    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('message_id', sa.String(length=32), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('next_try_at', when, nullable=False),
        sa.Column('created_at', when, nullable=False),
        sa.Column('sent_at', when, nullable=True),
        sa.Column('failed_at', when, nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_outgoing_mail_conversation_id', 'outgoing_mail',
                    ['conversation_id'], unique=False)
    op.create_index('ix_outgoing_mail_due', 'outgoing_mail',
                    ['sent_at', 'failed_at', 'next_try_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outgoing_mail_due', table_name='outgoing_mail')
    op.drop_index('ix_outgoing_mail_conversation_id', table_name='outgoing_mail')
    op.drop_table('outgoing_mail')
