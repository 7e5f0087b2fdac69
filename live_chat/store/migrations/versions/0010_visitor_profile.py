"""visitor name and e-mail (pre-chat form, signed identity)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): nullable columns, which SQLite adds in place.
    op.add_column('visitors', sa.Column('name', sa.String(length=100), nullable=True))
    op.add_column('visitors', sa.Column('email', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('name')
