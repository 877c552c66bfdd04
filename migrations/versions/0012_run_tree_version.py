"""process_run.tree_version: a counter of the run tree's changes, for the gateways' tree cache

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default (existing runs start at 1): no table rebuild.
    op.add_column('process_run', sa.Column('tree_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        batch_op.drop_column('tree_version')
