"""partial indexes for the process lists

The list indexes led with (workspace_id, trashed_at, ...). PostgreSQL does not take `trashed_at IS NULL` as
fixing an index column, so their order could not serve ORDER BY: each page sorted the whole workspace
(185 ms of database CPU for a page of 100 half-way through 1,000,000 processes). Partial indexes per list
(live, trash) and order (name, due date, latest run) lead with workspace_id and then the order's keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 07:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = (("live", "trashed_at IS NULL"), ("trash", "trashed_at IS NOT NULL"))
ORDERS = (("name", ()), ("due", ("due_date",)), ("run", ("latest_run_at",)))
OLD = (("ix_process_ws_name", ()), ("ix_process_ws_due", ("due_date",)), ("ix_process_ws_run", ("latest_run_at",)))


def upgrade() -> None:
    with op.batch_alter_table("process", schema=None) as batch_op:
        for name, _ in OLD:
            batch_op.drop_index(name)
        for state, condition in STATES:
            for order, columns in ORDERS:
                batch_op.create_index(f"ix_process_{state}_{order}", ["workspace_id", *columns, "name_key", "id"],
                                      unique=False, postgresql_where=sa.text(condition),
                                      sqlite_where=sa.text(condition))


def downgrade() -> None:
    with op.batch_alter_table("process", schema=None) as batch_op:
        for state, _ in STATES:
            for order, _ in ORDERS:
                batch_op.drop_index(f"ix_process_{state}_{order}")
        for name, columns in OLD:
            batch_op.create_index(name, ["workspace_id", "trashed_at", *columns, "name_key", "id"], unique=False)
