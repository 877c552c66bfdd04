"""reminders and due dates: the reminder plan table, job runs' due dates, runs' calendar and reminder defaults

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PEOPLE = ("certificationSignerGenerated", "certificationApproverGenerated",
          "certificationConditionalApproverGenerated")


def upgrade() -> None:
    op.create_table('reminder',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('job_run_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('fire_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_reminder_user_id_app_user')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_reminder_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_due', ['fired_at', 'fire_at'], unique=False)
        batch_op.create_index('ix_reminder_run', ['run_id'], unique=False)
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reminder_defaults', sa.JSON(), nullable=True))
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
    _backfill_due_dates()


def _backfill_due_dates() -> None:
    """Job runs written before this revision: their due date from their arguments (app/run/due.py's rule)."""
    import json
    from datetime import date

    conn = op.get_bind()
    jt = sa.table('job_run', sa.column('id', sa.String), sa.column('action', sa.String),
                  sa.column('arguments', sa.JSON), sa.column('action_status', sa.String),
                  sa.column('due_date', sa.Date))
    rows = conn.execute(sa.select(jt.c.id, jt.c.action, jt.c.arguments, jt.c.action_status)).all()
    args = {r.id: (r.arguments if isinstance(r.arguments, dict) else json.loads(r.arguments)) for r in rows}
    updates = []
    for r in rows:
        a = args[r.id]
        if r.action in PEOPLE:
            due = (args.get(a.get("certificationJob") or "") or {}).get("dueDate")
        elif r.action == "sendTask" and r.action_status == "approval":
            due = a.get("approverDueDate") or a.get("dueDate")
        elif r.action in ("sendTask", "contentRequest", "certification"):
            due = a.get("dueDate")
        else:
            due = None
        if due:
            updates.append({"b_id": r.id, "b_due": date.fromisoformat(due)})
    if updates:
        conn.execute(jt.update().where(jt.c.id == sa.bindparam("b_id")).values(due_date=sa.bindparam("b_due")),
                     updates)


def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_column('due_date')
    with op.batch_alter_table('process_run', schema=None) as batch_op:
        batch_op.drop_column('reminder_defaults')
        batch_op.drop_column('calendar')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_run')
        batch_op.drop_index('ix_reminder_due')
    op.drop_table('reminder')
