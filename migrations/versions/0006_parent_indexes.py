"""indexes on the parent columns of trees

Cascading deletes of a group's children, loading only the jobs of the groups a query reaches, and any
engine that walks a tree by parent (the benchmark's PostGraphile peer) look rows up by their parent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("process_group", "parent_group_id"),
    ("process_job", "parent_group_id"),
    ("group_run", "parent_group_run_id"),
    ("job_run", "parent_group_run_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
