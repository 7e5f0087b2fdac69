"""api_keys: admin-made keys for server-to-server reads (CRM pulls), stored as hashes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import live_chat.store.models

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = live_chat.store.models.UTCDateTime(timezone=True)
    op.create_table(
        'api_keys',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=100), nullable=False),
        sa.Column('created_by_id', sa.String(length=32), nullable=True),
        sa.Column('created_by_name', sa.String(length=200), nullable=True),
        sa.Column('created_at', when, nullable=False),
        sa.Column('last_used_at', when, nullable=True),
        sa.Column('revoked_at', when, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_api_keys_prefix', 'api_keys', ['prefix'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_keys_prefix', table_name='api_keys')
    op.drop_table('api_keys')
