"""Definition writes after create: patch, batch rename, tree edits, copy. Each is one transaction on a Draft."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.service import Actor
from app.db import sort_key, write_transaction
from app.errors import (
    CONFLICT,
    INVALID_STATE,
    LIMIT_EXCEEDED,
    NOT_FOUND,
    READ_ONLY,
    REQUIRED,
    VALIDATION_ERROR,
    AppError,
    ErrorList,
    ServiceError,
    not_found,
)
from app.process import limits, patch
from app.process.draft import PROCESSES, Draft
from app.process.inputs import (
    GroupSpec,
    JobSpec,
    ProcessSpec,
    ReminderDataSpec,
    ReminderSpec,
    TagSpec,
)
from app.process.service import create_process, node_locations, now_utc
from app.process.validation import check_group, check_job

T = TypeVar("T")
MAX_BATCH_ITEMS = 3000


def check_revision(draft: Draft, expected_revision: int | None) -> None:
    current = draft.process["revision"]
    if expected_revision is not None and expected_revision != current:
        raise ServiceError(AppError(
            CONFLICT, f"The process is at revision {current}, not {expected_revision}; reload and retry.",
            "expectedRevision", {"id": draft.process["id"], "currentRevision": current,
                                 "expectedRevision": expected_revision}))


async def _process_row(conn: AsyncConnection, process_id: str) -> Any:
    return (await conn.execute(select(PROCESSES).where(PROCESSES.c.id == process_id))).one()


async def edit(
    *, engine: AsyncEngine, actor: Actor, process_id: str, expected_revision: int | None, mutation: str,
    change: Callable[[Draft, datetime], T], include_trashed: bool = False,
) -> tuple[Any, T]:
    """Load, change and save a process in one transaction; returns (process row, what `change` returned)."""
    async with write_transaction(engine) as conn:
        draft = await Draft.load(conn, actor=actor, process_id=process_id, include_trashed=include_trashed)
        check_revision(draft, expected_revision)
        now = now_utc()
        result = change(draft, now)
        await draft.save(conn, actor=actor, mutation=mutation, now=now)
        return await _process_row(conn, process_id), result


async def process_of_node(engine: AsyncEngine, *, actor: Actor, node_id: str, target: str = "id") -> str:
    """The live process holding a group or job of the actor's workspace; NOT_FOUND otherwise."""
    async with engine.connect() as conn:
        found = (await node_locations(conn, workspace_id=actor.workspace_id, ids=[node_id])).get(node_id)
    if found is None or found[0] == "process":
        raise ServiceError(AppError(NOT_FOUND, f"No group or job with id '{node_id}' exists.", target,
                                    {"id": node_id}))
    return found[1]


# ---- JSON Patch ----

def apply_patch(draft: Draft, now: datetime, *, operations: list[dict[str, Any]], actor: Actor) -> None:
    changes, errors = patch.parse(operations)
    if errors:
        raise ServiceError(errors)
    root = draft.groups[draft.root_id]
    for (scope, column), value in changes:
        if scope == "root":
            draft.require_editable(draft.root_id, f"/root/{'parallel' if column == 'parallel' else 'triggerType'}")
            root[column] = value
        else:
            draft.process[column] = value
            if column == "name":
                draft.process["name_key"] = sort_key(value)
    window = patch.check_window(draft.process["business_start_date"], draft.process["business_end_date"])
    if window:
        raise ServiceError(window)
    cert_flag_changed = any(col == "cert_auto_approve" for (_, col), _ in changes)
    if cert_flag_changed and draft.process["cert_auto_approve"] != draft._before[0]["cert_auto_approve"]:
        for job_id in draft.certification_jobs():
            draft.regenerate(job_id, actor=actor, now=now)


async def patch_process(*, engine: AsyncEngine, actor: Actor, process_id: str, operations: list[dict[str, Any]],
                        expected_revision: int | None) -> Any:
    """Apply a JSON Patch (operations as `{op, path, has_value, value}`) in one transaction; the process row."""
    def change(draft: Draft, now: datetime) -> None:
        apply_patch(draft, now, operations=operations, actor=actor)
    row, _ = await edit(engine=engine, actor=actor, process_id=process_id, expected_revision=expected_revision,
                        mutation="processPatch", change=change)
    return row


# ---- batch rename ----

@dataclass(slots=True)
class BatchItem:
    type: str  # jobName | groupName
    job_update: tuple[str, str] | None  # (id, newName)
    group_update: tuple[str, str] | None


def apply_batch(draft: Draft, _now: datetime, *, items: list[BatchItem]) -> None:
    if len(items) > MAX_BATCH_ITEMS:
        raise ServiceError(AppError(LIMIT_EXCEEDED, f"A batch holds at most {MAX_BATCH_ITEMS} items; "
                                    f"{len(items)} given.", "data", {"limit": MAX_BATCH_ITEMS, "actual": len(items)}))
    errs = ErrorList()
    seen: dict[str, int] = {}
    renames: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        target = f"data[{index}]"
        given, other = ((item.job_update, item.group_update) if item.type == "jobName"
                        else (item.group_update, item.job_update))
        field = "jobNameUpdate" if item.type == "jobName" else "groupNameUpdate"
        if given is None or other is not None:
            errs.add(VALIDATION_ERROR, f"An item of type {item.type} carries exactly `{field}`.", target,
                     index=index, id=(given or other or ("", ""))[0])
            continue
        node_id, new_name = given
        meta = {"index": index, "id": node_id}
        if node_id in seen:
            errs.add(VALIDATION_ERROR, f"Id '{node_id}' is renamed twice (first at data[{seen[node_id]}]).",
                     target, **meta)
            continue
        seen[node_id] = index
        want_group = item.type == "groupName"
        if not draft.has(node_id):
            errs.add(NOT_FOUND, f"No {'group' if want_group else 'job'} with id '{node_id}' exists in this process.",
                     target, **meta)
        elif draft.is_group(node_id) != want_group:
            errs.add(VALIDATION_ERROR, f"'{node_id}' is a {'job' if want_group else 'group'}; use type "
                     f"{'jobName' if want_group else 'groupName'} for it.", target, **meta)
        elif not new_name.strip():
            errs.add(REQUIRED, "newName must not be empty.", target, **meta)
        elif len(new_name) > limits.MAX_NAME_LENGTH:
            errs.add(LIMIT_EXCEEDED, f"newName is at most {limits.MAX_NAME_LENGTH} characters.", target,
                     **meta, limit=limits.MAX_NAME_LENGTH, actual=len(new_name))
        else:
            try:
                draft.require_editable(node_id, target)
            except ServiceError as exc:
                errs.errors.extend(AppError(e.code, e.message, target, {**meta, **(e.meta or {})})
                                   for e in exc.errors)
                continue
            renames.append((node_id, new_name))
    if errs:
        raise ServiceError(errs.errors)
    for node_id, new_name in renames:
        if draft.is_group(node_id):
            draft.groups[node_id]["name"] = new_name
        else:
            job = draft.jobs[node_id]
            job["arguments"] = {**job["arguments"], "title": new_name}


async def batch_rename(*, engine: AsyncEngine, actor: Actor, process_id: str, items: list[BatchItem],
                       expected_revision: int | None) -> Any:
    """Rename jobs and groups, all or none, in one transaction; the process row."""
    def change(draft: Draft, now: datetime) -> None:
        apply_batch(draft, now, items=items)
    row, _ = await edit(engine=engine, actor=actor, process_id=process_id, expected_revision=expected_revision,
                        mutation="processBatchUpdate", change=change)
    return row


# ---- tree edits ----

@dataclass(frozen=True, slots=True)
class Position:
    """Where a node goes among its new siblings: an index, before or after a sibling; default last."""

    index: int | None = None
    before: str | None = None
    after: str | None = None


def resolve_position(draft: Draft, parent_id: str, position: Position | None, *, moving: str | None = None) -> int:
    siblings = [c for c in draft.children[parent_id] if c != moving]
    if position is None or (position.index is None and position.before is None and position.after is None):
        return len(siblings)
    if position.index is not None:
        if not 0 <= position.index <= len(siblings):
            raise ServiceError(AppError(VALIDATION_ERROR, f"position.index must lie between 0 and {len(siblings)}.",
                                        "position.index", {"min": 0, "max": len(siblings), "actual": position.index}))
        return position.index
    sibling = position.before or position.after
    field = "position.before" if position.before else "position.after"
    if sibling not in siblings:
        raise ServiceError(AppError(VALIDATION_ERROR, f"'{sibling}' is not a child of the parent group.", field,
                                    {"id": sibling, "parentId": parent_id}))
    at = siblings.index(str(sibling))
    return at if position.before else at + 1


def require_parent_group(draft: Draft, parent_id: str, target: str = "parentId") -> None:
    if not draft.is_group(parent_id):
        raise ServiceError(AppError(NOT_FOUND, f"No group with id '{parent_id}' exists in this process.", target,
                                    {"id": parent_id}))
    draft.require_editable(parent_id, target)


def add_node(draft: Draft, now: datetime, *, actor: Actor, parent_id: str, position: Position | None,
             spec: GroupSpec | JobSpec, path: str) -> str:
    require_parent_group(draft, parent_id)
    errs = ErrorList()
    if isinstance(spec, GroupSpec):
        level = draft.group_level(parent_id) + 1
        count = 1 + check_group(errs, spec, path, level)
    else:
        count = 1
        check_job(errs, spec, path)
    total = draft.client_node_count() + count
    if total > limits.MAX_TREE_NODES:
        errs.add(LIMIT_EXCEEDED, f"A process holds at most {limits.MAX_TREE_NODES} groups and jobs below its root; "
                 f"this would make {total}.", path, limit=limits.MAX_TREE_NODES, actual=total)
    if errs:
        raise ServiceError(errs.errors)
    index = resolve_position(draft, parent_id, position)
    return draft.insert(spec, parent_id=parent_id, index=index, actor=actor, now=now)


def move_node(draft: Draft, _now: datetime, *, node_id: str, parent_id: str, position: Position | None) -> None:
    if node_id == draft.root_id:
        raise ServiceError(AppError(VALIDATION_ERROR, "The root group cannot be moved.", "id", {"id": node_id}))
    require_editable_place(draft, node_id)
    require_parent_group(draft, parent_id)
    if draft.is_generated(parent_id):
        raise ServiceError(AppError(READ_ONLY, "Nodes cannot be moved into a generated group.", "parentId",
                                    {"id": parent_id}))
    if parent_id == node_id or node_id in draft.ancestors(parent_id):
        raise ServiceError(AppError(VALIDATION_ERROR, "A group cannot be moved under itself or its own descendant.",
                                    "parentId", {"id": node_id, "parentId": parent_id}))
    if draft.is_group(node_id):
        depth = draft.group_level(parent_id) + 1 + draft.subtree_depth(node_id)
        if depth > limits.MAX_GROUP_DEPTH:
            raise ServiceError(AppError(LIMIT_EXCEEDED, f"Groups nest at most {limits.MAX_GROUP_DEPTH} levels below "
                                        f"the root; this move would reach level {depth}.", "parentId",
                                        {"limit": limits.MAX_GROUP_DEPTH, "actual": depth}))
    index = resolve_position(draft, parent_id, position, moving=node_id)
    draft.move(node_id, parent_id=parent_id, index=index)


def require_editable_place(draft: Draft, node_id: str) -> None:
    """A node's place (parent, position) may change unless it is generated, read-only, or under a read-only group."""
    draft.require_editable(node_id, "id", own_fields=False)
    if draft.is_group(node_id) and draft.groups[node_id]["read_only"]:
        raise ServiceError(AppError(READ_ONLY, f"Group {node_id} is read-only; its place cannot change.", "id",
                                    {"id": node_id, "readOnlyGroupId": node_id}))


def remove_node(draft: Draft, _now: datetime, *, node_id: str) -> None:
    if node_id == draft.root_id:
        raise ServiceError(AppError(VALIDATION_ERROR, "The root group cannot be removed; trash the process instead.",
                                    "id", {"id": node_id}))
    require_editable_place(draft, node_id)
    draft.remove(node_id)


def update_group(draft: Draft, _now: datetime, *, group_id: str, changes: dict[str, Any]) -> None:
    group = draft.groups[group_id]
    lifting = changes == {"read_only": False} and group["read_only"]
    if lifting:
        lock = draft.locked_by_parent(group_id)
        if lock is not None:
            raise ServiceError(AppError(READ_ONLY, f"Group {lock} above is read-only.", "id",
                                        {"id": group_id, "readOnlyGroupId": lock}))
    else:
        draft.require_editable(group_id, "id")
    errs = ErrorList()
    if "name" in changes:
        if not str(changes["name"]).strip():
            errs.add(REQUIRED, "name must not be empty.", "name", field="name")
        elif len(changes["name"]) > limits.MAX_NAME_LENGTH:
            errs.add(LIMIT_EXCEEDED, f"name is at most {limits.MAX_NAME_LENGTH} characters.", "name",
                     limit=limits.MAX_NAME_LENGTH, actual=len(changes["name"]))
    if errs:
        raise ServiceError(errs.errors)
    group.update(changes)


def update_job(draft: Draft, now: datetime, *, actor: Actor, job_id: str, changes: dict[str, Any],
               tags: list[tuple[str, str]] | None, spec: JobSpec) -> None:
    draft.require_editable(job_id, "id")
    errs = ErrorList()
    check_job(errs, spec, "input")
    if errs:
        raise ServiceError(errs.errors)
    job = draft.jobs[job_id]
    before = copy.deepcopy((job["action"], job["arguments"]))
    job.update(changes)
    if tags is not None:
        draft.set_tags(job_id, tags)
    steps = ("signerSteps", "approverSteps")
    if before[0] != job["action"] or any(before[1].get(k) != job["arguments"].get(k) for k in steps):
        draft.regenerate(job_id, actor=actor, now=now)


def find_node(draft: Draft, node_id: str, *, want_group: bool | None = None) -> None:
    if not draft.has(node_id) or (want_group is not None and draft.is_group(node_id) != want_group):
        kind = "node" if want_group is None else ("group" if want_group else "job")
        raise ServiceError(not_found(kind, node_id))


# ---- trash and restore ----

async def trash_process(*, engine: AsyncEngine, actor: Actor, process_id: str, expected_revision: int | None) -> Any:
    """Move a live process to the trash; every read but the trash listing stops seeing it."""
    def change(draft: Draft, now: datetime) -> None:
        draft.process["trashed_at"] = now
        draft.process["trashed_by"] = actor.user_id
    row, _ = await edit(engine=engine, actor=actor, process_id=process_id, expected_revision=expected_revision,
                        mutation="processTrash", change=change)
    return row


async def restore_process(*, engine: AsyncEngine, actor: Actor, process_id: str, expected_revision: int | None
                          ) -> Any:
    """Bring a trashed process back."""
    def change(draft: Draft, _now: datetime) -> None:
        if draft.process["trashed_at"] is None:
            raise ServiceError(AppError(INVALID_STATE, "The process is not in the trash.", "id", {"id": process_id}))
        draft.process["trashed_at"] = None
        draft.process["trashed_by"] = None
    row, _ = await edit(engine=engine, actor=actor, process_id=process_id, expected_revision=expected_revision,
                        mutation="processRestore", change=change, include_trashed=True)
    return row


# ---- copy ----

def draft_to_spec(draft: Draft, *, name: str) -> ProcessSpec:
    """The client-written part of a loaded process as a create spec (generated nodes are derived again)."""
    def group(gid: str) -> GroupSpec:
        g = draft.groups[gid]
        spec = GroupSpec(name=g["name"], parallel=g["parallel"], trigger_type=g["trigger_type"],
                         read_only=g["read_only"], due_date=g["due_date"])
        for child in draft.children[gid]:
            if draft.is_generated(child):
                continue
            if draft.is_group(child):
                spec.children.append(group(child))
            else:
                j = draft.jobs[child]
                spec.children.append(JobSpec(action=j["action"], arguments=copy.deepcopy(j["arguments"]),
                                             trigger_type=j["trigger_type"],
                                             tags=[TagSpec(t["category"], t["value"]) for t in draft.tags.get(child, [])]))
        return spec

    p = draft.process

    def reminders(data: dict[str, Any] | None) -> ReminderDataSpec | None:
        if data is None:
            return None
        return ReminderDataSpec(mode=data["mode"], reminders=[
            ReminderSpec(r["daysFromDue"], r["subject"], r["body"]) for r in data.get("reminders", [])])

    return ProcessSpec(
        name=name, root=group(draft.root_id), auto_close=p["auto_close"], cert_auto_approve=p["cert_auto_approve"],
        relative_dates=p["relative_dates"], ipm_beta_enabled=p["ipm_beta_enabled"], iwm_opt_out=p["iwm_opt_out"],
        due_date=p["due_date"], business_start_date=p["business_start_date"],
        business_end_date=p["business_end_date"], business_days_of_week=p["business_days_of_week"],
        business_date_exclusions=[date.fromisoformat(d) for d in p["business_date_exclusions"] or []],
        business_date_inclusions=[date.fromisoformat(d) for d in p["business_date_inclusions"] or []],
        calendars=list(p["calendars"] or []),
        default_cert_approver_reminders=reminders(p["default_cert_approver_reminders"]),
        default_cert_signer_reminders=reminders(p["default_cert_signer_reminders"]),
    )


async def copy_process(*, engine: AsyncEngine, actor: Actor, process_id: str, name: str | None) -> Any:
    """A new process with the same fields and tree (new ids); generated groups are derived anew."""
    async with engine.connect() as conn:
        draft = await Draft.load(conn, actor=actor, process_id=process_id)
    return await create_process(engine=engine, actor=actor, mutation="processCopy",
                                spec=draft_to_spec(draft, name=name if name is not None
                                                   else f"Copy of {draft.process['name']}"))


def job_spec(job: dict[str, Any], changes: dict[str, Any], tags: list[tuple[str, str]] | None,
             old_tags: list[dict[str, Any]]) -> JobSpec:
    """The job as it will be after an update, for the write-time checks."""
    return JobSpec(action=changes.get("action", job["action"]), arguments=changes.get("arguments", job["arguments"]),
                   trigger_type=changes.get("trigger_type", job["trigger_type"]),
                   tags=[TagSpec(c, v) for c, v in (tags if tags is not None
                                                    else [(t["category"], t["value"]) for t in old_tags])])
