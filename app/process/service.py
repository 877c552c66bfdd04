"""Process definitions: create, read in batches, purge. No GraphQL here (edits live in edits.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.service import Actor
from app.auth.service import users_by_ids as auth_users_by_ids
from app.clock import utc_now
from app.db import (
    PerDialect,
    Reads,
    fetch_plain,
    plain_connection,
    reader,
    sort_key,
    write_transaction,
)
from app.errors import CONFLICT, INVALID_STATE, AppError, ServiceError, not_found
from app.ids import new_id
from app.process import health, history
from app.process.draft import GROUPS, HISTORY, JOBS, PROCESSES, TAG_LINKS, Draft
from app.process.inputs import ProcessSpec, ReminderDataSpec
from app.process.rows import RowBuilder
from app.process.tree import WHOLE, TagRow, Tree, TreeRead, assemble
from app.process.validation import validate_process


def now_utc() -> datetime:
    return utc_now()


def reminder_json(data: ReminderDataSpec | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {"mode": data.mode}
    if data.mode == "custom":
        out["reminders"] = [
            {"daysFromDue": r.days_from_due, "subject": r.subject, "body": r.body} for r in data.reminders
        ]
    return out


async def create_process(
    *, engine: AsyncEngine, actor: Actor, spec: ProcessSpec, mutation: str = "processCreate",
    source_process_run: str | None = None,
) -> Any:
    """Create a process with its whole tree in one transaction; returns the stored process row."""
    errors = validate_process(spec)
    if errors:
        raise ServiceError(errors)
    now = now_utc()
    process_id = new_id()
    rows = RowBuilder(process_id=process_id, actor=actor, now=now, cert_auto_approve=spec.cert_auto_approve)
    root_id = rows.add_tree(spec.root, parent_group_id=None, ordinal=0)
    values = {
        "id": process_id, "workspace_id": actor.workspace_id, "name": spec.name, "name_key": sort_key(spec.name),
        "auto_close": spec.auto_close, "cert_auto_approve": spec.cert_auto_approve,
        "relative_dates": spec.relative_dates, "ipm_beta_enabled": spec.ipm_beta_enabled,
        "iwm_opt_out": spec.iwm_opt_out, "due_date": spec.due_date,
        "business_start_date": spec.business_start_date, "business_end_date": spec.business_end_date,
        "business_days_of_week": spec.business_days_of_week,
        "business_date_exclusions": [d.isoformat() for d in spec.business_date_exclusions],
        "business_date_inclusions": [d.isoformat() for d in spec.business_date_inclusions],
        "calendars": list(spec.calendars),
        "default_cert_approver_reminders": reminder_json(spec.default_cert_approver_reminders),
        "default_cert_signer_reminders": reminder_json(spec.default_cert_signer_reminders),
        "source_process_run": source_process_run, "root_group_id": root_id, "revision": 1, "created_at": now, "created_by": actor.user_id,
        "modified_at": now, "modified_by": actor.user_id,
    }
    doc = Draft(dict(values), rows.groups, rows.jobs, rows.tags).doc()
    async with write_transaction(engine) as conn:
        await conn.execute(insert(PROCESSES), [values])
        await _insert_all(conn, rows)
        await conn.execute(insert(HISTORY), [{
            "id": new_id(), "process_id": process_id, "revision": 1, "mutation": mutation, "user_id": actor.user_id,
            "at": now, "operations": history.diff(None, doc), "inverse": history.diff(doc, None)}])
        return (await conn.execute(select(PROCESSES).where(PROCESSES.c.id == process_id))).one()


async def _insert_all(conn: AsyncConnection, rows: RowBuilder) -> None:
    if rows.groups:
        await conn.execute(insert(GROUPS), rows.groups)
    if rows.jobs:
        await conn.execute(insert(JOBS), rows.jobs)
    if rows.tags:
        await conn.execute(insert(TAG_LINKS), rows.tags)


# ---- reads used by the per-request loaders (one statement per batch) ----

async def processes_by_ids(conn: Reads, *, workspace_id: str, ids: Iterable[str]) -> dict[str, Any]:
    """Live (not trashed) processes of one workspace, by id."""
    rows = await fetch_plain(conn, _PROCESSES_BY_IDS(conn), {"ids": list(ids), "workspace_id": workspace_id})
    return {r.id: r for r in rows}


# The hot reads are built once (constructing a statement costs more than running a small one), their ids in
# one parameter (app/db.py PerDialect: `= ANY(array)` on PostgreSQL, an expanding IN on SQLite).
_PROCESSES_BY_IDS = PerDialect(lambda in_ids: select(PROCESSES).where(
    in_ids(PROCESSES.c.id, "ids"), PROCESSES.c.workspace_id == bindparam("workspace_id"), PROCESSES.c.trashed_at.is_(None)))
_STAMPS = frozenset({"created_at", "created_by", "modified_at", "modified_by"})
_GROUPS_OF_PROCESSES = PerDialect(lambda in_ids: select(GROUPS).where(in_ids(GROUPS.c.process_id, "ids")))


@lru_cache(maxsize=16)
def _jobs(by: str, stamps: bool, tags: bool, arguments: bool = True) -> PerDialect:
    """Jobs whose `by` column (process_id or parent_group_id) is one of parameter `ids`, with their tags
    (one row per tag, outer join) when `tags`, the created/modified columns when `stamps`, and the arguments
    when `arguments`."""
    columns = [c for c in JOBS.c if (stamps or c.name not in _STAMPS) and (arguments or c.name != "arguments")]
    if not tags:
        return PerDialect(lambda in_ids: select(*columns).where(in_ids(JOBS.c[by], "ids")))
    joined = select(*columns, TAG_LINKS.c.id.label("tag_id"), TAG_LINKS.c.category.label("tag_category"),
                    TAG_LINKS.c.value.label("tag_value"), TAG_LINKS.c.position.label("tag_position")
                    ).select_from(JOBS.outerjoin(TAG_LINKS, TAG_LINKS.c.job_id == JOBS.c.id))
    return PerDialect(lambda in_ids: joined.where(in_ids(JOBS.c[by], "ids")))


async def read_process(*, engine: AsyncEngine, actor: Actor, process_id: str) -> tuple[Any, Tree] | None:
    """One live process of the actor's workspace with its whole tree (REST reads); None when not visible."""
    async with plain_connection(engine) as conn:
        return await _process_and_tree(conn, actor, process_id)


async def _process_and_tree(conn: Reads, actor: Actor, process_id: str) -> tuple[Any, Tree] | None:
    row = (await processes_by_ids(conn, workspace_id=actor.workspace_id, ids=[process_id])).get(process_id)
    if row is None:
        return None
    return row, (await trees_by_process_ids(conn, process_ids=[process_id]))[process_id]


async def check_health(*, engine: AsyncEngine, actor: Actor, process_id: str) -> list[AppError] | None:
    """The health check of one live process: every problem a run would meet; None when not visible."""
    async with reader(engine).connect() as conn:
        found = await _process_and_tree(conn, actor, process_id)
        if found is None:
            return None
        row, tree = found
        users = await auth_users_by_ids(conn, workspace_id=actor.workspace_id,
                                        ids=sorted(health.referenced_users(tree)))
    return health.check(row, tree, {uid for uid, u in users.items() if u.active})


async def trees_by_process_ids(conn: Reads, *, process_ids: list[str],
                               read: TreeRead = WHOLE) -> dict[str, Tree]:
    """Trees of the given processes in two statements: the groups, then the jobs (with their tags).

    With a `read.depth`, only the client groups down to it and the jobs of the groups above it are read
    (the root is at 0): a query that reads two levels of a tree does not pay for the levels below; and
    the created/modified columns and tags only when `read` asks for them (see TreeRead).
    Callers pass only ids they already resolved within the caller's workspace.
    """
    depth = read.depth
    if depth is None:
        read = WHOLE
        groups: Sequence[Any] = await fetch_plain(conn, _GROUPS_OF_PROCESSES(conn), {"ids": process_ids})
        job_rows = await fetch_plain(conn, _jobs("process_id", True, True)(conn), {"ids": process_ids})
    else:
        groups = await fetch_plain(conn, _groups_to_depth(depth, read.stamps)(conn), {"ids": process_ids})
        reached = [g.id for g in groups if g.lvl < depth]
        job_rows = await fetch_plain(conn, _jobs("parent_group_id", read.stamps, read.tags, read.arguments)(conn),
                                     {"ids": reached}) if reached else []
    by_process_groups: dict[str, list[Any]] = {pid: [] for pid in process_ids}
    for g in groups:
        by_process_groups[g.process_id].append(g)
    by_process_jobs: dict[str, list[Any]] = {pid: [] for pid in process_ids}
    tags: dict[str, dict[str, list[tuple[int, TagRow]]]] = {pid: {} for pid in process_ids}
    if read.tags:
        seen: set[str] = set()
        for j in job_rows:
            if j.id not in seen:
                seen.add(j.id)
                by_process_jobs[j.process_id].append(j)
            if j.tag_id is not None:
                tags[j.process_id].setdefault(j.id, []).append(
                    (j.tag_position, TagRow(j.tag_id, j.tag_category, j.tag_value)))
    else:
        for j in job_rows:
            by_process_jobs[j.process_id].append(j)
    out: dict[str, Tree] = {}
    for pid in process_ids:
        ordered = {jid: [t for _, t in sorted(items, key=lambda it: it[0])] for jid, items in tags[pid].items()}
        out[pid] = assemble(pid, by_process_groups[pid], by_process_jobs[pid], ordered)
    return out


@lru_cache(maxsize=32)
def _groups_to_depth(depth: int, stamps: bool = True) -> PerDialect:
    """The client groups of the processes (parameter `ids`) from their roots (level 0) down to `depth`, with
    their level: one recursive statement that walks the parent index instead of reading every group.
    The roots come from `process.root_group_id` (primary-key lookups; found as the processes' groups without
    a parent, PostgreSQL scanned every parentless group of the table). Without `stamps`, the
    created/modified columns are left out."""
    def build(in_ids: Any, dialect: str) -> Any:
        columns = [c for c in GROUPS.c if stamps or c.name not in _STAMPS]
        top = (select(*columns, literal(0).label("lvl"))
               .select_from(PROCESSES.join(GROUPS, GROUPS.c.id == PROCESSES.c.root_group_id))
               .where(in_ids(PROCESSES.c.id, "ids"))
               .cte("tree_levels", recursive=True))
        child = GROUPS.alias("child")
        if dialect != "postgresql":  # SQLite walks the parent index as a join (and has no LATERAL)
            return select(top.union_all(select(*(child.c[c.name] for c in columns), (top.c.lvl + 1).label("lvl"))
                                        .where(child.c.parent_group_id == top.c.id, top.c.lvl < depth)))
        # On PostgreSQL the children of each reached group come from a LATERAL subquery that it cannot
        # flatten (OFFSET 0): it then looks them up in the parent index group by group. As a join it was
        # free to hash every group of the table instead, and did for 50 trees once the plan was cached:
        # 3-4 ms of database CPU per read, where the index lookups take 1.2 ms.
        children = (select(*(child.c[c.name] for c in columns)).where(child.c.parent_group_id == top.c.id)
                    .offset(0).lateral("children"))
        walk = top.union_all(select(*children.c, (top.c.lvl + 1).label("lvl"))
                             .select_from(top.join(children, true())).where(top.c.lvl < depth))
        return select(walk)
    return PerDialect(build, by_name=True)


async def node_locations(conn: AsyncConnection, *, workspace_id: str, ids: list[str]) -> dict[str, tuple[str, str]]:
    """For ids of live processes, groups and jobs of a workspace: id -> (kind, process id)."""
    live = select(PROCESSES.c.id).where(PROCESSES.c.workspace_id == workspace_id, PROCESSES.c.trashed_at.is_(None))
    stmt = (
        select(PROCESSES.c.id, PROCESSES.c.id.label("process_id"), _literal("process"))
        .where(PROCESSES.c.id.in_(ids), PROCESSES.c.workspace_id == workspace_id, PROCESSES.c.trashed_at.is_(None))
        .union_all(
            select(GROUPS.c.id, GROUPS.c.process_id, _literal("group"))
            .where(GROUPS.c.id.in_(ids), GROUPS.c.process_id.in_(live)),
            select(JOBS.c.id, JOBS.c.process_id, _literal("job"))
            .where(JOBS.c.id.in_(ids), JOBS.c.process_id.in_(live)),
        )
    )
    return {r[0]: (r[2], r[1]) for r in (await conn.execute(stmt)).all()}


def _literal(kind: str) -> Any:
    from sqlalchemy import literal

    return literal(kind).label("kind")


# ---- purge (trash and restore are edits: see app/process/edits.py) ----

async def purge_process(*, engine: AsyncEngine, actor: Actor, process_id: str, expected_revision: int | None) -> str:
    """Delete a trashed process and its tree for good."""
    async with write_transaction(engine) as conn:
        stmt = select(PROCESSES).where(PROCESSES.c.id == process_id, PROCESSES.c.workspace_id == actor.workspace_id).with_for_update()
        row = (await conn.execute(stmt)).first()
        if row is None:
            raise ServiceError(not_found("process", process_id))
        if row.trashed_at is None:
            raise ServiceError(AppError(code=INVALID_STATE,
                                        message="Only a process in the trash can be purged; trash it first.",
                                        target="id", meta={"id": process_id}))
        if expected_revision is not None and expected_revision != row.revision:
            raise ServiceError(AppError(
                code=CONFLICT, message=f"The process is at revision {row.revision}, not {expected_revision}.",
                target="expectedRevision",
                meta={"id": row.id, "currentRevision": row.revision, "expectedRevision": expected_revision}))
        for table in (HISTORY, TAG_LINKS, JOBS, GROUPS):
            await conn.execute(delete(table).where(table.c.process_id == process_id))
        await conn.execute(delete(PROCESSES).where(PROCESSES.c.id == process_id))
        return process_id


async def history_pages(
    conn: AsyncConnection, *, process_ids: list[str], first: int, before_revision: int | None
) -> dict[str, list[Any]]:
    """Newest-first history entries of several processes, `first + 1` each, in one statement."""
    rn = func.row_number().over(partition_by=HISTORY.c.process_id, order_by=HISTORY.c.revision.desc()).label("rn")
    conds: list[ColumnElement[bool]] = [HISTORY.c.process_id.in_(process_ids)]
    if before_revision is not None:
        conds.append(HISTORY.c.revision < before_revision)
    inner = select(HISTORY, rn).where(*conds).subquery()
    stmt = select(inner).where(inner.c.rn <= first + 1).order_by(inner.c.process_id, inner.c.revision.desc())
    out: dict[str, list[Any]] = {pid: [] for pid in process_ids}
    for row in (await conn.execute(stmt)).all():
        out[row.process_id].append(row)
    return out


async def note_run(conn: AsyncConnection, *, process_id: str, run_id: str, at: datetime) -> None:
    """Record a process's newest run for the list order (called by the run domain); no revision change."""
    await conn.execute(PROCESSES.update().where(PROCESSES.c.id == process_id).values(latest_run_at=at, latest_run_id=run_id))
