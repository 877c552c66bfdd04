"""process.name_key recomputed from the name: renames before b0b22c5 left the old name's key

The draft's save wrote a renamed process's name but not its `name_key` (the list's NAME order, name filter
and cursors), so every process renamed before that fix still sorts and filters by its old name until its
next rename. This rewrites the key of each row whose key is not the application's key of its name.

Downgrade does nothing: the keys it replaced were wrong, and no schema changed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _sort_key(name: str) -> str:
    # A copy of app.db.sort_key as of this revision: migrations import no app code, so that this one
    # computes the same keys however the application's rule changes later (a later rule gets its own
    # migration). Python's casefold, not the database's lower(): 'Straße' -> 'strasse'.
    return name.casefold()


def upgrade() -> None:
    conn = op.get_bind()
    processes = sa.table('process', sa.column('id', sa.String), sa.column('name', sa.String),
                         sa.column('name_key', sa.String))
    fix = (processes.update().where(processes.c.id == sa.bindparam('b_id'))
           .values(name_key=sa.bindparam('b_key')))
    last: str | None = None
    while True:  # keyset batches by id: a large table is never read at once
        page = sa.select(processes.c.id, processes.c.name, processes.c.name_key).order_by(processes.c.id).limit(BATCH)
        if last is not None:
            page = page.where(processes.c.id > last)
        rows = conn.execute(page).all()
        if not rows:
            return
        stale = [{'b_id': r.id, 'b_key': _sort_key(r.name)} for r in rows if r.name_key != _sort_key(r.name)]
        if stale:
            conn.execute(fix, stale)
        last = rows[-1].id


def downgrade() -> None:
    pass  # the keys replaced were stale: nothing to put back
