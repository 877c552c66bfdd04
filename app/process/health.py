"""The health check (the seed's POST /processes/{id}/validation): every problem a run would meet.

Writes refuse only what cannot be stored; what is merely incomplete is reported here.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from app.errors import AppError
from app.process.tree import Tree

EMPTY_PROCESS = "EMPTY_PROCESS"
MISSING_REQUIRED_FIELD = "MISSING_REQUIRED_FIELD"
EMPTY_STEP = "EMPTY_STEP"
DUPLICATE_STEP_USER = "DUPLICATE_STEP_USER"
MISSING_BUSINESS_WINDOW = "MISSING_BUSINESS_WINDOW"
DATE_OUTSIDE_BUSINESS_WINDOW = "DATE_OUTSIDE_BUSINESS_WINDOW"
INACTIVE_USER = "INACTIVE_USER"

HEALTH_CODES = {
    EMPTY_PROCESS: "The process has no job to run.",
    MISSING_REQUIRED_FIELD: "A job lacks an argument a run needs (`meta.field`).",
    EMPTY_STEP: "A certification step names no user.",
    DUPLICATE_STEP_USER: "A certification step names the same user twice.",
    MISSING_BUSINESS_WINDOW: "relativeDates is on but businessStartDate/businessEndDate are not set.",
    DATE_OUTSIDE_BUSINESS_WINDOW: "A due date lies outside the business window.",
    INACTIVE_USER: "An assignee, approver, signer or certification approver is not an active user of the workspace.",
}

REQUIRED_ARGUMENTS = {
    "sendTask": ("title", "assignee"),
    "contentRequest": ("title", "assignee", "document"),
    "certification": ("title", "signerSteps"),
}


def referenced_users(tree: Tree) -> set[str]:
    """User ids the tree's client jobs name (assignees, approvers, step users)."""
    users: set[str] = set()
    for job in tree.jobs.values():
        if job.generated:
            continue
        args = job.arguments
        users.update(u for u in (args.get("assignee"), args.get("approver")) if u)
        for key in ("signerSteps", "approverSteps"):
            for step in args.get(key) or []:
                users.update(u for u in step.get("users", []) if u)
    return users


def check(process: Any, tree: Tree, active_users: set[str]) -> list[AppError]:
    """Every problem of a stored process, in tree order; an empty list when it can run."""
    errors: list[AppError] = []
    client_jobs = [j for j in _jobs_in_order(tree) if not j.generated]
    if not client_jobs:
        errors.append(AppError(EMPTY_PROCESS, "The process has no job; add at least one before running it.",
                               process.id, {"processId": process.id}))
    start, end = process.business_start_date, process.business_end_date
    if process.relative_dates and (start is None or end is None):
        errors.append(AppError(MISSING_BUSINESS_WINDOW, "relativeDates needs businessStartDate and businessEndDate.",
                               process.id, {"processId": process.id, "field": "businessStartDate"}))

    def outside(d: date | None, target: str, meta: dict[str, Any]) -> None:
        if d is not None and start is not None and end is not None and not start <= d <= end:
            errors.append(AppError(DATE_OUTSIDE_BUSINESS_WINDOW,
                                   f"{meta['field']} {d.isoformat()} lies outside the business window "
                                   f"{start.isoformat()}..{end.isoformat()}.", target, meta))

    outside(process.due_date, process.id, {"processId": process.id, "field": "dueDate"})
    for g in tree.groups.values():
        if not g.generated:
            outside(g.due_date, g.id, {"groupId": g.id, "field": "dueDate"})
    for job in client_jobs:
        args = job.arguments
        for field in REQUIRED_ARGUMENTS.get(job.action, ()):
            if not args.get(field):
                errors.append(AppError(MISSING_REQUIRED_FIELD, f"The {job.action} job lacks '{field}'.", job.id,
                                       {"jobId": job.id, "field": field}))
        for field in ("dueDate", "approverDueDate"):
            if args.get(field):
                outside(date.fromisoformat(args[field]), job.id, {"jobId": job.id, "field": field})
        for field in ("assignee", "approver"):
            user = args.get(field)
            if user and user not in active_users:
                errors.append(_inactive(job.id, field, user))
        for key in ("signerSteps", "approverSteps"):
            for i, step in enumerate(args.get(key) or []):
                users = step.get("users") or []
                where = {"jobId": job.id, "field": key, "step": i}
                if not users:
                    errors.append(AppError(EMPTY_STEP, f"{key}[{i}] names no user.", job.id, where))
                for user, n in Counter(users).items():
                    if n > 1:
                        errors.append(AppError(DUPLICATE_STEP_USER, f"{key}[{i}] names user '{user}' {n} times.",
                                               job.id, {**where, "userId": user}))
                for user in dict.fromkeys(users):
                    if user not in active_users:
                        errors.append(_inactive(job.id, f"{key}[{i}].users", user))
    return errors


def _inactive(job_id: str, field: str, user: str) -> AppError:
    return AppError(INACTIVE_USER, f"'{user}' ({field}) is not an active user of this workspace.", job_id,
                    {"jobId": job_id, "field": field, "userId": user})


def _jobs_in_order(tree: Tree) -> list[Any]:
    out: list[Any] = []
    stack = [tree.root_id] if tree.root_id else []
    while stack:
        gid = stack.pop()
        for is_group, row in reversed(tree.children.get(gid, [])):
            if is_group:
                stack.append(row.id)
        out.extend(row for is_group, row in tree.children.get(gid, []) if not is_group)
    return out
