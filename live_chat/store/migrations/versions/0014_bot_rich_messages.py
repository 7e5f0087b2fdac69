"""bot messages carry an image and a custom payload (a Rasa assistant's answers)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs on both databases (SQLite keeps the table and its
    # report-facts triggers).
    op.add_column('messages', sa.Column('image', sa.Text(), nullable=True))
    op.add_column('messages', sa.Column('custom', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('custom')
        batch_op.drop_column('image')
