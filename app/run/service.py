"""Runs: start one from a definition, act on it through the engine, read it in batches. No GraphQL here."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import faults
from app.auth.service import WRITE, Actor, require_scope
from app.auth.service import users_by_ids as auth_users_by_ids
from app.bus import announce, bus
from app.clock import SYSTEM_CLOCK, Clock
from app.db import (
    PerDialect,
    Reads,
    fetch_plain,
    plain_connection,
    reader,
    table,
    update_many,
    write_transaction,
)
from app.errors import CONFLICT, LIMIT_EXCEEDED, NOT_FOUND, AppError, ErrorList, ServiceError
from app.ids import new_id
from app.notify import service as notify_service
from app.notify.models import Reminder
from app.process import health, listing
from app.process import service as process_service
from app.process.validation import check_job
from app.run import actions, changes, reminders
from app.run.calendar import BusinessCalendar
from app.run.due import due_date, is_overdue, waiting_for
from app.run.engine import RunState
from app.run.models import SETTLED, GroupRun, JobRun, ProcessRun, RunEvent
from app.run.notices import notices

RUNS, GROUP_RUNS, JOB_RUNS, RUN_EVENTS = table(ProcessRun), table(GroupRun), table(JobRun), table(RunEvent)
REMINDERS = table(Reminder)
GROUP_COLUMNS = ("status", "eligible_to_start", "revision", "started_at", "completed_at", "parent_group_run_id",
                 "ordinal")
JOB_COLUMNS = ("status", "action_status", "eligible_to_start", "revision", "started_at", "completed_at",
               "arguments", "exception", "comment", "ordinal", "due_date", "waiting_for")
RUN_COLUMNS = ("status", "completed_date", "event_seq", "revision", "modified_at", "modified_by", "tree_version")


def referenced_users(jobs: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for j in jobs:
        a = j["arguments"]
        out.update(u for u in (a.get("assignee"), a.get("approver"), a.get("user")) if u)
    return out


async def people(conn: AsyncConnection, *, workspace_id: str, ids: set[str]) -> dict[str, Any]:
    """Every asked id with its user row of the workspace, or None: read once per action for the engine's
    active-user rule and for the action's notifications (`notify_service.write(known=...)`)."""
    if not ids:
        return {}
    found = await auth_users_by_ids(conn, workspace_id=workspace_id, ids=sorted(ids))
    return {uid: found.get(uid) for uid in ids}


def active_of(found: dict[str, Any]) -> set[str]:
    return {uid for uid, row in found.items() if row is not None and row.active}


# ---- starting a run ----

def _shifter(process: Any, today: date) -> Callable[[date | None], date | None]:
    if not process.relative_dates or process.business_start_date is None:
        return lambda d: d
    cal = BusinessCalendar.of(process.business_days_of_week,
                              [date.fromisoformat(d) for d in process.business_date_exclusions or []],
                              [date.fromisoformat(d) for d in process.business_date_inclusions or []])
    anchor = process.business_start_date

    def shift(d: date | None) -> date | None:
        return None if d is None else cal.shift(d, anchor=anchor, run_started=today)
    return shift


def _shift_args(args: dict[str, Any], shift: Callable[[date | None], date | None]) -> dict[str, Any]:
    out = copy.deepcopy(args)
    for key in ("dueDate", "approverDueDate"):
        if out.get(key):
            out[key] = str(shift(date.fromisoformat(out[key])))
    return out


async def start_run(*, engine: AsyncEngine, actor: Actor, process_id: str, clock: Clock = SYSTEM_CLOCK,
                    email: bool = False, notifications: bool = True) -> Any:
    """Copy a valid definition into a new run and start it; refused with the health check's errors.
    `email`: an SMTP relay is configured (notifications to people with an address are pending delivery);
    `notifications` off (the NOTIFICATIONS setting): no notification is written and no reminder planned."""
    require_scope(actor, WRITE)
    now = clock.now()
    async with write_transaction(engine) as conn:
        process = (await process_service.processes_by_ids(conn, workspace_id=actor.workspace_id,
                                                          ids=[process_id])).get(process_id)
        if process is None:
            raise ServiceError(AppError(NOT_FOUND, f"No process with id '{process_id}' exists.", "processId",
                                        {"id": process_id}))
        tree = (await process_service.trees_by_process_ids(conn, process_ids=[process_id]))[process_id]
        found = await people(conn, workspace_id=actor.workspace_id,
                             ids=health.referenced_users(tree) | {actor.user_id})
        problems = health.check(process, tree, active_of(found))
        if problems:
            raise ServiceError(problems)
        shift = _shifter(process, now.date())
        run_id = new_id()
        ids = {gid: new_id() for gid in tree.groups} | {jid: new_id() for jid in tree.jobs}
        groups = {ids[g.id]: {
            "id": ids[g.id], "run_id": run_id,
            "parent_group_run_id": ids[g.parent_group_id] if g.parent_group_id else None,
            "parent_job_run_id": ids[g.parent_job_id] if g.parent_job_id else None,
            "source_group_id": g.id, "ordinal": g.ordinal, "name": g.name, "parallel": g.parallel,
            "trigger_type": g.trigger_type, "due_date": shift(g.due_date), "generated": g.generated,
            "status": "waiting", "eligible_to_start": False, "revision": 1, "started_at": None,
            "completed_at": None} for g in tree.groups.values()}
        jobs = {}
        for j in tree.jobs.values():
            args = _shift_args(j.arguments, shift)
            if "certificationJob" in args:
                args["certificationJob"] = ids[args["certificationJob"]]
            jobs[ids[j.id]] = {
                "id": ids[j.id], "run_id": run_id, "parent_group_run_id": ids[j.parent_group_id],
                "source_job_id": j.id, "ordinal": j.ordinal, "action": j.action, "arguments": args,
                "trigger_type": j.trigger_type, "generated": j.generated, "status": "waiting",
                "action_status": "waiting", "eligible_to_start": False, "exception": False, "comment": None,
                "revision": 1, "started_at": None, "completed_at": None}
        run = {"id": run_id, "workspace_id": actor.workspace_id, "process_id": process_id, "name": process.name,
               "status": "running", "manager_user_id": actor.user_id, "auto_close": process.auto_close,
               "cert_auto_approve": process.cert_auto_approve, "due_date": shift(process.due_date),
               "completed_date": None, "root_group_run_id": ids[tree.root_id or ""], "event_seq": 0, "revision": 1,
               "tree_version": 1,
               "created_at": now, "created_by": actor.user_id, "modified_at": now, "modified_by": actor.user_id,
               "calendar": {"daysOfWeek": process.business_days_of_week,
                            "exclusions": process.business_date_exclusions or [],
                            "inclusions": process.business_date_inclusions or []},
               "reminder_defaults": {"signer": process.default_cert_signer_reminders,
                                     "approver": process.default_cert_approver_reminders}}
        unasked = referenced_users(list(jobs.values())) - found.keys()
        found |= await people(conn, workspace_id=actor.workspace_id, ids=unasked)
        state = RunState(run=run, groups=groups, jobs=jobs, actor_id=actor.user_id, now=now,
                         is_active_user=active_of(found).__contains__)
        state.start_run()
        set_derived_columns(state)
        await conn.execute(insert(RUNS), [run])
        if groups:
            await conn.execute(insert(GROUP_RUNS), list(groups.values()))
        if jobs:
            await conn.execute(insert(JOB_RUNS), list(jobs.values()))
        await _insert_events(conn, run_id, state.events)
        told = await _notify(conn, state, email=email, known=found) if notifications else []
        if notifications:
            await replan(conn, state, stored=[])
        await process_service.note_run(conn, process_id=process_id, run_id=run_id, at=now)
        live = await changes.record(conn, state, None, {}, now)
        row = (await conn.execute(select(RUNS).where(RUNS.c.id == run_id))).one()
    bus.wake(run_id)
    notify_service.wake(told)
    changes.wake(live)
    return row


def set_derived_columns(state: RunState) -> None:
    """Every job run's due date column and whom it waits for, from its status, action status and arguments
    (app/run/due.py)."""
    for job in state.jobs.values():
        job["due_date"] = due_date(job, state.jobs)
        job["waiting_for"] = waiting_for(job)


async def replan(conn: AsyncConnection, state: RunState, *, stored: list[Any] | None = None) -> None:
    """Bring the run's reminder plan in line with what its job runs wait for now: plan what is new, drop what
    no longer applies (settled, another person, another due date), keep what already fired."""
    if stored is None:
        stored = list((await conn.execute(select(REMINDERS).where(REMINDERS.c.run_id == state.run["id"]))).all())
    drop, add = reminders.diff(reminders.plan(state), stored)
    if drop:
        await conn.execute(delete(REMINDERS).where(REMINDERS.c.id.in_(drop), REMINDERS.c.fired_at.is_(None)))
    if add:
        await conn.execute(insert(REMINDERS), [{
            "id": new_id(), "workspace_id": state.run["workspace_id"], "run_id": state.run["id"],
            "job_run_id": p.job_run_id, "user_id": p.user_id, "kind": p.kind, "due_date": p.due_date,
            "fire_at": p.fire_at, "subject": p.subject, "body": p.body, "fired_at": None} for p in add])


async def _notify(conn: AsyncConnection, state: RunState, *, email: bool, known: dict[str, Any]) -> list[str]:
    """The outbox: the notifications the action's transitions ask for, in the action's transaction (`known`:
    the user rows the action already read)."""
    return await notify_service.write(conn, workspace_id=state.run["workspace_id"], notifications=notices(state),
                                      now=state.now, email=email, known=known)


async def _insert_events(conn: AsyncConnection, run_id: str, events: list[dict[str, Any]]) -> None:
    if events:
        await conn.execute(insert(RUN_EVENTS), [{"id": new_id(), "run_id": run_id, **e} for e in events])
        await announce(conn, run_id)


# ---- acting on a run ----

async def load_state(conn: AsyncConnection, *, actor: Actor, run_id: str, now: datetime
                     ) -> tuple[RunState, dict[str, Any]]:
    """Lock the run row (so two gateway processes never apply a transition twice) and load its tree; with the
    user rows of the people it names and of its manager (`people`)."""
    row = (await conn.execute(select(RUNS).where(RUNS.c.id == run_id, RUNS.c.workspace_id == actor.workspace_id)
                              .with_for_update())).first()
    if row is None:
        raise ServiceError(AppError(NOT_FOUND, f"No run with id '{run_id}' exists.", "id", {"id": run_id}))
    groups = [dict(g) for g in (await conn.execute(select(GROUP_RUNS).where(GROUP_RUNS.c.run_id == run_id))).mappings().all()]
    jobs = [dict(j) for j in (await conn.execute(select(JOB_RUNS).where(JOB_RUNS.c.run_id == run_id))).mappings().all()]
    found = await people(conn, workspace_id=actor.workspace_id, ids=referenced_users(jobs) | {row.manager_user_id})
    state = RunState(run=dict(row._mapping), groups={g["id"]: g for g in groups}, jobs={j["id"]: j for j in jobs},
                     actor_id=actor.user_id, now=now, is_active_user=active_of(found).__contains__)
    return state, found


async def run_of_node(engine: AsyncEngine, *, actor: Actor, node_id: str) -> str:
    """The run holding a run, group run or job run id of the actor's workspace; NOT_FOUND otherwise."""
    async with engine.connect() as conn:
        found = (await node_locations(conn, workspace_id=actor.workspace_id, ids=[node_id])).get(node_id)
    if found is None:
        raise ServiceError(AppError(NOT_FOUND, f"No run, group run or job run with id '{node_id}' exists.", "id",
                                    {"id": node_id}))
    return found[1]


async def act(*, engine: AsyncEngine, actor: Actor, node_id: str, expected_revision: int | None,
              change: Callable[[RunState], None], clock: Clock = SYSTEM_CLOCK, email: bool = False,
              notifications: bool = True) -> tuple[Any, RunState]:
    """Apply one action to the run holding `node_id`, cascade included, in one transaction (its notifications
    included)."""
    require_scope(actor, WRITE)
    run_id = await run_of_node(engine, actor=actor, node_id=node_id)
    now = clock.now()
    async with write_transaction(engine) as conn:
        state, found = await load_state(conn, actor=actor, run_id=run_id, now=now)
        if expected_revision is not None:
            row = state.run if node_id == run_id else state.node(node_id)
            if row["revision"] != expected_revision:
                raise ServiceError(AppError(CONFLICT, f"It is at revision {row['revision']}, not {expected_revision}.",
                                            "expectedRevision", {"id": node_id, "currentRevision": row["revision"],
                                                                 "expectedRevision": expected_revision}))
        before = copy.deepcopy((state.run, state.groups, state.jobs))
        change(state)
        set_derived_columns(state)
        await save_state(conn, state, before, actor=actor)
        told = await _notify(conn, state, email=email, known=found) if notifications else []
        if notifications and _waiting_changed(before[2], state):
            await replan(conn, state)
        live = await changes.record(conn, state, before[0], before[2], now)
        saved = (await conn.execute(select(RUNS).where(RUNS.c.id == run_id))).one()
    bus.wake(run_id)  # after the commit: subscribers of this process read the new events now
    notify_service.wake(told)
    changes.wake(live)
    return saved, state


def _waiting_changed(old_jobs: dict[str, Any], state: RunState) -> bool:
    """Whether an action changed what any job run waits for (whom, until when): only then is the plan redone."""
    keys = ("status", "action_status", "arguments", "due_date")
    return state.jobs.keys() != old_jobs.keys() or any(
        any(old_jobs[jid].get(k) != j.get(k) for k in keys) for jid, j in state.jobs.items())


async def save_state(conn: AsyncConnection, state: RunState, before: tuple[Any, Any, Any], *, actor: Actor) -> None:
    old_run, old_groups, old_jobs = before
    new_groups = [g for gid, g in state.groups.items() if gid not in old_groups]
    new_jobs = [j for jid, j in state.jobs.items() if jid not in old_jobs]
    changed_groups = [g for gid, g in state.groups.items() if gid in old_groups and
                      any(old_groups[gid][c] != g[c] for c in GROUP_COLUMNS)]
    changed_jobs = [j for jid, j in state.jobs.items() if jid in old_jobs and
                    any(old_jobs[jid][c] != j[c] for c in JOB_COLUMNS)]
    if new_groups:
        await conn.execute(insert(GROUP_RUNS), new_groups)
    if new_jobs:
        await conn.execute(insert(JOB_RUNS), new_jobs)
    await update_many(conn, GROUP_RUNS, changed_groups, GROUP_COLUMNS)
    await update_many(conn, JOB_RUNS, changed_jobs, JOB_COLUMNS)
    faults.reached("run.save.mid")  # crash tests: some of this request's writes are made, none committed
    if new_groups or new_jobs or changed_groups or changed_jobs:
        state.run["tree_version"] += 1  # in the same transaction: readers' cached trees miss from the commit on
    if state.events or any(old_run[c] != state.run[c] for c in RUN_COLUMNS) or changed_groups or changed_jobs:
        state.run["modified_at"], state.run["modified_by"] = state.now, actor.user_id
        await conn.execute(update(RUNS).where(RUNS.c.id == state.run["id"]).values(
            {c: state.run[c] for c in RUN_COLUMNS}))
    await _insert_events(conn, state.run["id"], state.events)


# ---- reads used by loaders ----

async def runs_by_ids(conn: Reads, *, workspace_id: str, ids: list[str]) -> dict[str, Any]:
    rows = await fetch_plain(conn, _RUNS_BY_IDS(conn), {"ids": ids, "workspace_id": workspace_id})
    return {r.id: r for r in rows}


# Hot reads built once, their ids in one parameter (see app/process/service.py).
_RUNS_BY_IDS = PerDialect(lambda in_ids: select(RUNS).where(in_ids(RUNS.c.id, "ids"),
                                                           RUNS.c.workspace_id == bindparam("workspace_id")))
_GROUP_RUNS = PerDialect(lambda in_ids: select(GROUP_RUNS).where(in_ids(GROUP_RUNS.c.run_id, "ids")))
_JOB_RUNS = PerDialect(lambda in_ids: select(JOB_RUNS).where(in_ids(JOB_RUNS.c.run_id, "ids")))
_STATUS_COUNTS = PerDialect(lambda in_ids: select(JOB_RUNS.c.run_id, JOB_RUNS.c.status, func.count())
                            .where(in_ids(JOB_RUNS.c.run_id, "ids")).group_by(JOB_RUNS.c.run_id, JOB_RUNS.c.status))


async def run_trees(conn: Reads, *, run_ids: list[str]) -> dict[str, tuple[list[Any], list[Any]]]:
    """All group runs and all job runs of the given runs: two statements."""
    out: dict[str, tuple[list[Any], list[Any]]] = {rid: ([], []) for rid in run_ids}
    for g in await fetch_plain(conn, _GROUP_RUNS(conn), {"ids": run_ids}):
        out[g.run_id][0].append(g)
    for j in await fetch_plain(conn, _JOB_RUNS(conn), {"ids": run_ids}):
        out[j.run_id][1].append(j)
    return out


async def status_counts(conn: Reads, *, run_ids: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {rid: {} for rid in run_ids}
    for run_id, status, n in await fetch_plain(conn, _STATUS_COUNTS(conn), {"ids": run_ids}, tuples=True):
        out[run_id][status] = int(n)
    return out


async def node_locations(conn: AsyncConnection, *, workspace_id: str, ids: list[str]) -> dict[str, tuple[str, str]]:
    """For ids of runs, group runs and job runs of a workspace: id -> (kind, run id)."""
    from sqlalchemy import literal

    ws_runs = select(RUNS.c.id).where(RUNS.c.workspace_id == workspace_id)
    stmt = select(RUNS.c.id, RUNS.c.id.label("run_id"), literal("run").label("kind")).where(
        RUNS.c.id.in_(ids), RUNS.c.workspace_id == workspace_id).union_all(
        select(GROUP_RUNS.c.id, GROUP_RUNS.c.run_id, literal("group").label("kind")).where(GROUP_RUNS.c.id.in_(ids),
                                                                             GROUP_RUNS.c.run_id.in_(ws_runs)),
        select(JOB_RUNS.c.id, JOB_RUNS.c.run_id, literal("job").label("kind")).where(JOB_RUNS.c.id.in_(ids),
                                                                           JOB_RUNS.c.run_id.in_(ws_runs)))
    return {r[0]: (r[2], r[1]) for r in (await conn.execute(stmt)).all()}


async def events_page(conn: AsyncConnection, *, run_id: str, first: int, after_seq: int) -> list[Any]:
    stmt = select(RUN_EVENTS).where(RUN_EVENTS.c.run_id == run_id, RUN_EVENTS.c.seq > after_seq).order_by(RUN_EVENTS.c.seq).limit(first + 1)
    return list((await conn.execute(stmt)).all())


async def last_comments(conn: AsyncConnection, *, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The latest event carrying a comment of each (run id, job run id): one statement (through the run's
    index) for the batch."""
    if not keys:
        return {}
    stmt = (select(RUN_EVENTS)
            .where(RUN_EVENTS.c.run_id.in_(sorted({r for r, _ in keys})),
                   RUN_EVENTS.c.node_id.in_(sorted({j for _, j in keys})), RUN_EVENTS.c.comment.is_not(None))
            .order_by(RUN_EVENTS.c.seq))
    found: dict[tuple[str, str], Any] = {}
    for row in (await conn.execute(stmt)).all():
        found[(row.run_id, row.node_id)] = row
    return found


async def runs_page(engine: AsyncEngine, *, workspace_id: str, process_id: str | None, status: str | None,
                    first: int, after: tuple[str, str] | None, overdue_on: date | None = None,
                    overdue: bool | None = None) -> tuple[list[Any], bool]:
    """Runs newest first (created, then id), optionally of one process or with one status; with `overdue`,
    only runs that have (true) or have not (false) a job run overdue on the date `overdue_on`."""
    conds = [RUNS.c.workspace_id == workspace_id]
    if process_id is not None:
        conds.append(RUNS.c.process_id == process_id)
    if status is not None:
        conds.append(RUNS.c.status == status)
    if overdue is not None and overdue_on is not None:
        late = select(JOB_RUNS.c.id).where(JOB_RUNS.c.run_id == RUNS.c.id, JOB_RUNS.c.due_date < overdue_on,
                                      JOB_RUNS.c.status.not_in(sorted(SETTLED))).exists()
        conds.append(late if overdue else ~late)
    if after is not None:
        at, id_ = datetime.fromisoformat(after[0]), after[1]
        conds.append((RUNS.c.created_at < at) | ((RUNS.c.created_at == at) & (RUNS.c.id < id_)))
    stmt = select(RUNS).where(*conds).order_by(RUNS.c.created_at.desc(), RUNS.c.id.desc()).limit(first + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    return rows[:first], len(rows) > first


async def inbox(engine: AsyncEngine, *, actor: Actor, action_status: str | None, overdue_on: date | None = None,
                overdue: bool | None = None) -> list[Any]:
    """Job runs waiting for the actor: as assignee (sent, returned), approver (approval), signer or
    certification approver (sent); with `overdue`, only those that are (true) or are not (false) overdue on
    the date `overdue_on`."""
    ws_runs = select(RUNS.c.id).where(RUNS.c.workspace_id == actor.workspace_id)
    # The job runs whose `waiting_for` column (kept with every write of a job run: set_derived_columns) names the
    # actor: one indexed read of the actor's own rows.
    stmt = (select(JOB_RUNS).where(JOB_RUNS.c.waiting_for == actor.user_id, JOB_RUNS.c.run_id.in_(ws_runs))
            .order_by(JOB_RUNS.c.run_id, JOB_RUNS.c.id))
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    mine = []
    for j in rows:
        late = overdue is None or overdue_on is None or is_overdue(j.due_date, j.status, overdue_on) == overdue
        if late and (action_status is None or j.action_status == action_status):
            mine.append(j)
    return mine


async def create_process_from_run(*, engine: AsyncEngine, actor: Actor, run_id: str, name: str | None) -> Any:
    """A new process whose tree is the run's client-written tree (its current argument copies);
    `sourceProcessRun` names the run."""
    from app.process.inputs import GroupSpec, JobSpec, ProcessSpec

    require_scope(actor, WRITE)
    async with engine.connect() as conn:
        run = (await runs_by_ids(conn, workspace_id=actor.workspace_id, ids=[run_id])).get(run_id)
        if run is None:
            raise ServiceError(AppError(NOT_FOUND, f"No run with id '{run_id}' exists.", "runId", {"id": run_id}))
        groups, jobs = (await run_trees(conn, run_ids=[run_id]))[run_id]
    kids: dict[str, list[Any]] = {}
    for row in [*groups, *jobs]:
        if not row.generated and row.parent_group_run_id is not None:
            kids.setdefault(row.parent_group_run_id, []).append(row)
    group_ids = {g.id for g in groups}

    def group(row: Any) -> GroupSpec:
        spec = GroupSpec(name=row.name, parallel=row.parallel, trigger_type=row.trigger_type, due_date=row.due_date)
        for child in sorted(kids.get(row.id, []), key=lambda r: r.ordinal):
            if child.id in group_ids:
                spec.children.append(group(child))
            else:
                spec.children.append(JobSpec(action=child.action, arguments=dict(child.arguments),
                                             trigger_type=child.trigger_type))
        return spec

    root = next(g for g in groups if g.id == run.root_group_run_id)
    spec = ProcessSpec(name=name or run.name, root=group(root), auto_close=run.auto_close,
                       cert_auto_approve=run.cert_auto_approve, due_date=run.due_date)
    return await process_service.create_process(engine=engine, actor=actor, spec=spec,
                                                mutation="processCreateFromRun", source_process_run=run_id)


async def latest_event_seq(conn: AsyncConnection, *, run_id: str) -> int:
    return int((await conn.execute(select(RUNS.c.event_seq).where(RUNS.c.id == run_id))).scalar_one_or_none() or 0)


# ---- reads and writes of the REST door (one call per endpoint) ----

MAX_ADDED_JOBS = 100


def check_added_jobs(specs: list[Any]) -> None:
    """The write-time checks of the definition, for jobs added to a run; at most 100 per call."""
    if len(specs) > MAX_ADDED_JOBS:
        raise ServiceError(AppError(LIMIT_EXCEEDED, f"At most {MAX_ADDED_JOBS} jobs are added per call; "
                                    f"{len(specs)} given.", "jobs", {"limit": MAX_ADDED_JOBS, "actual": len(specs)}))
    errs = ErrorList()
    for i, spec in enumerate(specs):
        check_job(errs, spec, f"jobs[{i}]")
    if errs:
        raise ServiceError(errs.errors)


async def add_job_runs(*, engine: AsyncEngine, actor: Actor, run_id: str, specs: list[Any],
                       parent_group_run_id: str | None, relative_sibling_id: str | None, before: bool | None
                       ) -> tuple[Any, list[str]]:
    """Rule 10: add jobs to a run; (the run row, the added job run ids in order)."""
    added: list[str] = []

    def change(state: RunState) -> None:
        check_added_jobs(specs)
        added.extend(actions.add_jobs(state, parent_id=parent_group_run_id or state.run["root_group_run_id"],
                                      specs=specs, before=before, sibling_id=relative_sibling_id))
    row, _ = await act(engine=engine, actor=actor, node_id=run_id, expected_revision=None, change=change)
    return row, added


async def read_run(*, engine: AsyncEngine, actor: Actor, run_id: str) -> tuple[Any, list[Any], list[Any]] | None:
    """A run of the actor's workspace with all its group runs and job runs; None when not visible."""
    async with plain_connection(engine) as conn:
        row = (await runs_by_ids(conn, workspace_id=actor.workspace_id, ids=[run_id])).get(run_id)
        if row is None:
            return None
        groups, jobs = (await run_trees(conn, run_ids=[run_id]))[run_id]
    return row, groups, jobs


async def process_summaries(*, engine: AsyncEngine, actor: Actor, first: int, after: list[Any] | None,
                            order: listing.Order, name_contains: str | None
                            ) -> tuple[listing.Page, dict[str, Any], dict[str, dict[str, int]]]:
    """A page of live process summaries with their latest runs and those runs' status counts: three
    statements whatever the page size."""
    engine = reader(engine)
    page = await listing.page(engine, workspace_id=actor.workspace_id, trashed=False, first=first, after=after,
                              order=order, name_contains=name_contains, summary_only=True)
    run_ids = [r.latest_run_id for r in page.rows if r.latest_run_id is not None]
    if not run_ids:
        return page, {}, {}
    async with engine.connect() as conn:
        runs = await runs_by_ids(conn, workspace_id=actor.workspace_id, ids=run_ids)
        counts = await status_counts(conn, run_ids=run_ids)
    return page, runs, counts
