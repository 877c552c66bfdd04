"""Live lists: the changes behind the screens people keep open, the viewer's inbox and the workspace's runs.

An action writes, in its own transaction, one row per run it started or whose status it changed and one per
job run that entered, left or changed in someone's inbox. The rows are numbered 1, 2, ... per workspace: the
workspace's counter row is reserved by an upsert that locks it until the commit (PostgreSQL; SQLite's write
transaction is exclusive anyway), so number order is commit order and a reader that has seen number n has
seen every number below it. Subscribers read rows after their cursor, so a replay followed by live delivery
(and a reconnect with the last cursor) has no gap and no duplicate. Costs per action that changes a list: two
statements (the reservation and the insert) and one `pg_notify` on PostgreSQL, whatever the size of the run.
No GraphQL here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.bus import announce, bus
from app.db import table
from app.run.due import waiting_for
from app.run.engine import RunState
from app.run.models import JobRun, ProcessRun, RunChange, RunChangeSequence

RUN_CHANGES, RUN_CHANGE_SEQUENCES, JOB_RUNS, RUNS = table(RunChange), table(RunChangeSequence), table(JobRun), table(ProcessRun)
Row = dict[str, Any]
RUN, INBOX = "run", "inbox"
# What an inbox row shows: a change of any of these, while the job run stays in the inbox, is an `updated`.
SHOWN = ("status", "action_status", "arguments", "comment", "due_date", "exception")


def runs_key(workspace_id: str) -> str:
    """The wake-up key of a workspace's run changes."""
    return f"runs:{workspace_id}"


def inbox_key(user_id: str) -> str:
    """The wake-up key of a person's inbox changes."""
    return f"inbox:{user_id}"


def _waiting(job: Row | None) -> set[str]:
    who = None if job is None else waiting_for(job)
    return set() if who is None else {who}


def diff(state: RunState, old_run: Row | None, old_jobs: dict[str, Row]) -> list[Row]:
    """The list changes an action made (pure): the run started or changed status; job runs entered, left or
    changed (`updated`) in people's inboxes. `old_run` is None for a run being started."""
    run = state.run
    out: list[Row] = []
    if old_run is None or old_run["status"] != run["status"]:
        out.append({"kind": RUN, "change": "started" if old_run is None else "status", "run_id": run["id"],
                    "job_run_id": None, "user_id": None, "status": run["status"],
                    "previous_status": None if old_run is None else old_run["status"]})
    for job_id in sorted(state.jobs):
        job, old = state.jobs[job_id], old_jobs.get(job_id)
        before, after = _waiting(old), _waiting(job)
        if not before and not after:
            continue
        shown = old is None or any(old[c] != job[c] for c in SHOWN)
        for user_id in sorted(before | after):
            change = "entered" if user_id not in before else "left" if user_id not in after else "updated"
            if change != "updated" or shown:
                out.append({"kind": INBOX, "change": change, "run_id": run["id"], "job_run_id": job_id,
                            "user_id": user_id, "status": job["action_status"],
                            "previous_status": None if old is None else old["action_status"]})
    return out


async def _reserve(conn: AsyncConnection, workspace_id: str, count: int) -> int:
    """Reserve `count` numbers of the workspace's sequence (locking its row until the commit); the last one."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(RUN_CHANGE_SEQUENCES).values(workspace_id=workspace_id, last_seq=count)
    stmt = stmt.on_conflict_do_update(index_elements=[RUN_CHANGE_SEQUENCES.c.workspace_id],
                                      set_={"last_seq": RUN_CHANGE_SEQUENCES.c.last_seq + stmt.excluded.last_seq})
    return int((await conn.execute(stmt.returning(RUN_CHANGE_SEQUENCES.c.last_seq))).scalar_one())


async def record(conn: AsyncConnection, state: RunState, old_run: Row | None, old_jobs: dict[str, Row],
                 now: datetime) -> list[str]:
    """Inside the action's write transaction, as late as possible (the workspace's counter stays locked until
    the commit): write the action's list changes and announce them. Returns the wake-up keys for `wake`."""
    changes = diff(state, old_run, old_jobs)
    if not changes:
        return []
    workspace_id = state.run["workspace_id"]
    first = await _reserve(conn, workspace_id, len(changes)) - len(changes) + 1
    await conn.execute(insert(RUN_CHANGES), [{**c, "workspace_id": workspace_id, "seq": first + i, "at": now}
                                    for i, c in enumerate(changes)])
    keys = sorted({runs_key(workspace_id) if c["kind"] == RUN else inbox_key(c["user_id"]) for c in changes})
    await announce(conn, *keys)
    return keys


def wake(keys: list[str]) -> None:
    """After the commit: wake this process's subscribers of these lists."""
    for key in keys:
        bus.wake(key)


# ---- reads of the subscriptions ----

async def latest_seq(conn: AsyncConnection, *, workspace_id: str) -> int:
    """The newest change number of the workspace (0 before its first change)."""
    value = (await conn.execute(select(RUN_CHANGE_SEQUENCES.c.last_seq).where(RUN_CHANGE_SEQUENCES.c.workspace_id == workspace_id))).scalar_one_or_none()
    return int(value or 0)


def _conditions(*, workspace_id: str, user_id: str | None, status: str | None) -> list[Any]:
    if user_id is not None:
        return [RUN_CHANGES.c.workspace_id == workspace_id, RUN_CHANGES.c.user_id == user_id]
    conds = [RUN_CHANGES.c.workspace_id == workspace_id, RUN_CHANGES.c.kind == RUN]
    if status is not None:
        conds.append((RUN_CHANGES.c.status == status) | (RUN_CHANGES.c.previous_status == status))
    return conds


async def changes_after(conn: AsyncConnection, *, workspace_id: str, user_id: str | None, status: str | None,
                        after_seq: int, first: int) -> list[Any]:
    """A person's inbox changes (`user_id`), or else the workspace's run changes (those where the run's status
    becomes or stops being `status`, when given), after a number, oldest first: first + 1 rows."""
    conds = _conditions(workspace_id=workspace_id, user_id=user_id, status=status)
    stmt = select(RUN_CHANGES).where(*conds, RUN_CHANGES.c.seq > after_seq).order_by(RUN_CHANGES.c.seq).limit(first + 1)
    return list((await conn.execute(stmt)).all())


async def count_after(conn: AsyncConnection, *, workspace_id: str, user_id: str | None, status: str | None,
                      after_seq: int, cap: int) -> int:
    """How many changes wait after a number, counted up to `cap` + 1 (the stall watchdog's measure)."""
    conds = _conditions(workspace_id=workspace_id, user_id=user_id, status=status)
    inner = select(RUN_CHANGES.c.seq).where(*conds, RUN_CHANGES.c.seq > after_seq).limit(cap + 1).subquery()
    return int((await conn.execute(select(func.count()).select_from(inner))).scalar_one())


async def job_runs_of(conn: AsyncConnection, *, workspace_id: str, ids: list[str]) -> dict[str, Any]:
    """Job runs of the workspace by id, as they are now (one statement)."""
    if not ids:
        return {}
    stmt = select(JOB_RUNS).join(RUNS, RUNS.c.id == JOB_RUNS.c.run_id).where(JOB_RUNS.c.id.in_(ids), RUNS.c.workspace_id == workspace_id)
    return {r.id: r for r in (await conn.execute(stmt)).all()}
