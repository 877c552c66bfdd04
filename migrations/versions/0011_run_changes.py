"""live lists: the per-workspace change log of runs and inboxes, and its per-workspace sequence

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('run_change_sequence',
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                            name=op.f('fk_run_change_sequence_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_run_change_sequence'))
    )
    op.create_table('run_change',
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('change', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('job_run_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('previous_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_run_change_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('workspace_id', 'seq', name=op.f('pk_run_change'))
    )
    with op.batch_alter_table('run_change', schema=None) as batch_op:
        batch_op.create_index('ix_run_change_kind', ['workspace_id', 'kind', 'seq'], unique=False)
        batch_op.create_index('ix_run_change_user', ['workspace_id', 'user_id', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('run_change', schema=None) as batch_op:
        batch_op.drop_index('ix_run_change_user')
        batch_op.drop_index('ix_run_change_kind')

    op.drop_table('run_change')
    op.drop_table('run_change_sequence')
