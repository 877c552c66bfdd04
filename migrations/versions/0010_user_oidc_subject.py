"""app_user.oidc_subject: the OpenID Connect subject a user signs in as

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN and a unique index (several NULLs allowed on both databases): no table rebuild.
    op.add_column('app_user', sa.Column('oidc_subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    op.create_index(op.f('ix_app_user_oidc_subject'), 'app_user', ['oidc_subject'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_app_user_oidc_subject'), table_name='app_user')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('oidc_subject')
