"""sort keys compare byte-wise on PostgreSQL (collation "C"), as on SQLite and in Python

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite compares strings byte-wise already
    # ALTER ... TYPE rebuilds the indexes that use the column with the new collation.
    op.alter_column("process", "name_key", type_=sa.String(collation="C"), existing_nullable=False)
    op.alter_column("app_user", "name_key", type_=sa.String(200, collation="C"), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("process", "name_key", type_=sa.String(), existing_nullable=False)
    op.alter_column("app_user", "name_key", type_=sa.String(200), existing_nullable=False)
