"""job_run.waiting_for: whom a job run waits for now, kept with its writes, so that an inbox is one indexed read

The inbox read every running job run of the workspace and decided in Python which wait for the caller
(about 12,000 rows per read under the benchmark's workload (f)). The run service now keeps the answer in a
column with every write of a job run (app/run/service.py set_due_dates); this adds it, indexed, and fills it
for the rows there are.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
# A copy of app/run/due.py waiting_for and its constants as of this revision: migrations import no app code,
# so that this one fills the column the same way however the application's rule changes later.
CLIENT_ACTIONS_WITH_ASSIGNEE = ("sendTask", "contentRequest")
PEOPLE_ACTIONS = ("certificationSignerGenerated", "certificationApproverGenerated",
                  "certificationConditionalApproverGenerated")


def _waiting_for(status: str, action: str, state: str, args: dict[str, Any]) -> str | None:
    if status != "running":
        return None
    if action in CLIENT_ACTIONS_WITH_ASSIGNEE:
        who = args.get("assignee") if state in ("sent", "returned") else (
            args.get("approver") if state == "approval" else None)
    elif action in PEOPLE_ACTIONS:
        who = args.get("user") if state == "sent" else None
    else:
        who = None
    return str(who) if who else None


def upgrade() -> None:
    op.add_column('job_run', sa.Column('waiting_for', sa.String(length=32), nullable=True))
    op.create_index('ix_job_run_waiting_for', 'job_run', ['waiting_for'])
    conn = op.get_bind()
    jobs = sa.table('job_run', sa.column('id', sa.String), sa.column('status', sa.String),
                    sa.column('action', sa.String), sa.column('action_status', sa.String),
                    sa.column('arguments', sa.JSON), sa.column('waiting_for', sa.String))
    fill = jobs.update().where(jobs.c.id == sa.bindparam('b_id')).values(waiting_for=sa.bindparam('b_who'))
    last: str | None = None
    while True:  # keyset batches of running job runs by id (no other row waits for anyone)
        page = (sa.select(jobs.c.id, jobs.c.status, jobs.c.action, jobs.c.action_status, jobs.c.arguments)
                .where(jobs.c.status == 'running').order_by(jobs.c.id).limit(BATCH))
        if last is not None:
            page = page.where(jobs.c.id > last)
        rows = conn.execute(page).all()
        if not rows:
            return
        found = [{'b_id': r.id, 'b_who': who} for r in rows
                 if (who := _waiting_for(r.status, r.action, r.action_status, r.arguments or {})) is not None]
        if found:
            conn.execute(fill, found)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index('ix_job_run_waiting_for', table_name='job_run')
    op.drop_column('job_run', 'waiting_for')
