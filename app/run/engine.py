"""The run engine: the rules of docs/runs.md as pure functions over an in-memory run (no database, no GraphQL).

A RunState holds the run, its group runs and job runs as mutable dicts. Every change goes
through `_set`, which records one event per transition (with the next sequence number) and
bumps the node's revision; the caller saves rows and events in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.errors import FORBIDDEN, INVALID_STATE, VALIDATION_ERROR, AppError, ServiceError
from app.run.models import SETTLED

Row = dict[str, Any]
CLIENT_ACTIONS_WITH_ASSIGNEE = ("sendTask", "contentRequest")
SIGNER = "certificationSignerGenerated"
APPROVER = "certificationApproverGenerated"
CONDITIONAL = "certificationConditionalApproverGenerated"
FINALIZER = "certificationPhaseFinalizerGenerated"


def refuse(code: str, message: str, node_id: str | None = None, **meta: Any) -> ServiceError:
    return ServiceError(AppError(code, message, "id", {"id": node_id, **meta} if node_id else meta or None))


@dataclass
class RunState:
    run: Row
    groups: dict[str, Row]
    jobs: dict[str, Row]
    actor_id: str
    now: datetime
    is_active_user: Callable[[str], bool]
    events: list[Row] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)
    generated: dict[str, str] = field(default_factory=dict)  # certification job run id -> its group run id

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        self.children = {gid: [] for gid in self.groups}
        self.generated = {}
        for g in sorted(self.groups.values(), key=lambda g: g["ordinal"]):
            if g["parent_group_run_id"] is not None:
                self.children[g["parent_group_run_id"]].append(g["id"])
            elif g["parent_job_run_id"] is not None:
                self.generated[g["parent_job_run_id"]] = g["id"]
        for j in self.jobs.values():
            self.children[j["parent_group_run_id"]].append(j["id"])
        for kids in self.children.values():
            kids.sort(key=lambda i: self.node(i)["ordinal"])

    # ---- lookups ----

    def node(self, node_id: str) -> Row:
        return self.groups.get(node_id) or self.jobs[node_id]

    def parent_of(self, node_id: str) -> str | None:
        if node_id in self.jobs:
            return str(self.jobs[node_id]["parent_group_run_id"])
        g = self.groups[node_id]
        parent: str | None = g["parent_group_run_id"] or g["parent_job_run_id"]
        return parent

    def ancestors(self, node_id: str) -> list[str]:
        out: list[str] = []
        current = self.parent_of(node_id)
        while current is not None:
            out.append(current)
            current = self.parent_of(current)
        return out

    def jobs_below(self, node_id: str) -> list[Row]:
        """Every job run in the subtree (generated ones included), the node itself if it is a job."""
        out: list[Row] = []
        stack = [node_id]
        while stack:
            nid = stack.pop()
            if nid in self.jobs:
                out.append(self.jobs[nid])
                if nid in self.generated:
                    stack.append(self.generated[nid])
            else:
                stack.extend(self.children.get(nid, ()))
        return out

    def groups_below(self, node_id: str) -> list[Row]:
        out: list[Row] = []
        stack = [node_id]
        while stack:
            nid = stack.pop()
            if nid in self.groups:
                out.append(self.groups[nid])
                stack.extend(self.children.get(nid, ()))
            elif nid in self.generated:
                stack.append(self.generated[nid])
        return out

    def certification_of(self, job: Row) -> Row:
        return self.jobs[job["arguments"]["certificationJob"]]

    # ---- recording ----

    def _set(self, kind: str, row: Row, column: str, value: Any, comment: str | None = None) -> None:
        old = row[column]
        if old == value:
            return
        row[column] = value
        row["revision"] = row.get("revision", 0) + 1
        self.run["event_seq"] += 1
        self.events.append({"seq": self.run["event_seq"], "node_id": row["id"], "node_kind": kind,
                            "field": "actionStatus" if column == "action_status" else "status",
                            "from_value": old, "to_value": value, "user_id": self.actor_id, "at": self.now,
                            "comment": comment})

    def set_status(self, node_id: str, value: str, comment: str | None = None) -> None:
        if node_id == self.run["id"]:
            self._set("run", self.run, "status", value, comment)
            return
        kind = "group" if node_id in self.groups else "job"
        row = self.node(node_id)
        self._set(kind, row, "status", value, comment)
        if value == "running" and row.get("started_at") is None:
            row["started_at"] = self.now
        if value in SETTLED:
            row["completed_at"] = self.now

    def set_action(self, job_id: str, value: str, comment: str | None = None) -> None:
        self._set("job", self.jobs[job_id], "action_status", value, comment)

    # ---- starting (rules 2-7) ----

    def start_run(self) -> None:
        self.make_eligible(self.run["root_group_run_id"])
        self.refresh_holds()

    def make_eligible(self, node_id: str) -> None:
        row = self.node(node_id)
        if row["status"] != "waiting":
            return
        if row["trigger_type"] == "whenEligible" or row.get("generated"):
            self.start(node_id)
        elif not row["eligible_to_start"]:
            row["eligible_to_start"] = True
            row["revision"] += 1

    def start(self, node_id: str) -> None:
        row = self.node(node_id)
        if row["eligible_to_start"]:
            row["eligible_to_start"] = False
        if node_id in self.groups:
            self.set_status(node_id, "running")
            self.advance(node_id)
        else:
            self.start_job(node_id)

    def start_job(self, job_id: str) -> None:
        job = self.jobs[job_id]
        action, args = job["action"], job["arguments"]
        people = [args.get("assignee"), args.get("approver")] if action in CLIENT_ACTIONS_WITH_ASSIGNEE else (
            [args.get("user")] if action in (SIGNER, APPROVER, CONDITIONAL) else [])
        missing = [p for p in people if p and not self.is_active_user(p)]
        if action in CLIENT_ACTIONS_WITH_ASSIGNEE and not args.get("assignee"):
            missing.append("(no assignee)")
        if missing:
            self.set_status(job_id, "error", f"not an active user of the workspace: {', '.join(missing)}")
            return
        self.set_status(job_id, "running")
        if action == FINALIZER:
            self.complete_job(job_id, "complete")
        elif action == CONDITIONAL and not self.any_signer_exception(self.certification_of(job)):
            self.complete_job(job_id, "complete", "approved by itself: no signer reported an exception")
        else:
            self.set_action(job_id, "sent")
            if action == "certification":
                gen = self.generated.get(job_id)
                if gen is None:
                    self.complete_job(job_id, "complete")
                else:
                    self.make_eligible(gen)

    def advance(self, group_id: str) -> None:
        """Start what became eligible in a running group; complete it when every child is settled."""
        group = self.groups[group_id]
        if group["status"] not in ("running", "errorHold"):
            return
        kids = self.children[group_id]
        if all(self.node(k)["status"] in SETTLED for k in kids):
            self.complete_group(group_id)
            return
        if group["parallel"]:
            for k in kids:
                self.make_eligible(k)
        else:
            for k in kids:
                if self.node(k)["status"] not in SETTLED:
                    self.make_eligible(k)
                    break

    def complete_group(self, group_id: str) -> None:
        self.set_status(group_id, "complete")
        parent = self.parent_of(group_id)
        if parent is None:
            if self.run["auto_close"]:
                self.close_run()
        elif parent in self.jobs:  # a certification's generated group finished: so did the certification
            self.complete_job(parent, "complete")
        else:
            self.advance(parent)

    def complete_job(self, job_id: str, action_status: str, comment: str | None = None) -> None:
        self.set_action(job_id, action_status, comment)
        self.set_status(job_id, "complete", comment)
        job = self.jobs[job_id]
        parent = job["parent_group_run_id"]
        if job["action"] in (SIGNER, APPROVER, CONDITIONAL) and self.step_mode(job) == "someone":
            for sibling in self.children[parent]:
                if sibling != job_id and self.jobs[sibling]["status"] not in SETTLED:
                    self.set_action(sibling, "cancelled", "another user of the step acted")
                    self.set_status(sibling, "cancelled", "another user of the step acted")
        self.advance(parent)

    def step_mode(self, job: Row) -> str:
        cert = self.certification_of(job)["arguments"]
        steps = (cert.get("signerSteps") or []) + (cert.get("approverSteps") or [])
        index = job["arguments"]["certificationStep"]
        return str(steps[index]["mode"]) if index < len(steps) else "everyone"

    def any_signer_exception(self, cert_job: Row) -> bool:
        return any(j["exception"] for j in self.jobs_below(cert_job["id"]) if j["action"] == SIGNER)

    # ---- holds (rule 7) ----

    def refresh_holds(self) -> None:
        """Every running group (and the run) above a job in `error` shows errorHold, and back when resolved."""
        in_error = {j["id"] for j in self.jobs.values() if j["status"] == "error"}
        held: set[str] = set()
        for job_id in in_error:
            held.update(a for a in self.ancestors(job_id) if a in self.groups)
        for g in self.groups.values():
            if g["id"] in held and g["status"] == "running":
                self.set_status(g["id"], "errorHold")
            elif g["id"] not in held and g["status"] == "errorHold":
                self.set_status(g["id"], "running")
        if held and self.run["status"] == "running":
            self.set_status(self.run["id"], "errorHold")
        elif not held and self.run["status"] == "errorHold":
            self.set_status(self.run["id"], "running")

    # ---- closing and cancelling (rules 8, 9) ----

    def close_run(self) -> None:
        self.set_status(self.run["id"], "complete")
        self.run["completed_date"] = self.now

    def cancel(self, node_id: str, comment: str | None) -> None:
        """cancelling, then every unsettled job run below cancelled, then the node itself (rule 8)."""
        if node_id == self.run["id"]:
            self.set_status(node_id, "cancelling", comment)
            root = self.run["root_group_run_id"]
            for job in self.jobs_below(root):
                self._cancel_job(job["id"], comment)
            for group in self.groups_below(root):
                if group["status"] not in SETTLED:
                    self.set_status(group["id"], "cancelled", comment)
            self.set_status(node_id, "cancelled", comment)
            return
        self.set_status(node_id, "cancelling", comment)
        for job in self.jobs_below(node_id):
            if job["id"] != node_id:
                self._cancel_job(job["id"], comment)
        for group in self.groups_below(node_id):
            if group["id"] != node_id and group["status"] not in SETTLED:
                self.set_status(group["id"], "cancelled", comment)
        if node_id in self.jobs and self.jobs[node_id]["action_status"] not in ("complete", "skipped"):
            self.set_action(node_id, "cancelled", comment)
        self.set_status(node_id, "cancelled", comment)
        parent = self.parent_of(node_id)
        if parent in self.groups:
            self.advance(parent)
        elif parent is not None:
            self.complete_job(parent, "complete")

    def _cancel_job(self, job_id: str, comment: str | None) -> None:
        job = self.jobs[job_id]
        if job["status"] in SETTLED:
            return
        if job["action_status"] not in ("complete", "skipped", "cancelled"):
            self.set_action(job_id, "cancelled", comment)
        self.set_status(job_id, "cancelled", comment)


def require_manager(state: RunState) -> None:
    if state.actor_id != state.run["manager_user_id"]:
        raise refuse(FORBIDDEN, "Only the run's manager may do this.", state.run["id"],
                     managerUser=state.run["manager_user_id"])


def require_open(state: RunState) -> None:
    if state.run["status"] in ("cancelled", "cancelling"):
        raise refuse(INVALID_STATE, f"The run is {state.run['status']}.", state.run["id"], status=state.run["status"])


def require_comment(comment: str | None, what: str) -> str:
    if comment is None or not comment.strip():
        raise ServiceError(AppError(VALIDATION_ERROR, f"A comment is required to {what}.", "comment"))
    return comment
