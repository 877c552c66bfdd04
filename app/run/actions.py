"""What people do on a run (docs/runs.md rules 5-10 and "Who acts"), applied to a RunState."""

from __future__ import annotations

from typing import Any

from app.errors import (
    FORBIDDEN,
    INVALID_STATE,
    NOT_FOUND,
    READ_ONLY,
    VALIDATION_ERROR,
    AppError,
    ServiceError,
)
from app.run.engine import (
    APPROVER,
    CLIENT_ACTIONS_WITH_ASSIGNEE,
    CONDITIONAL,
    SIGNER,
    Row,
    RunState,
    refuse,
    require_comment,
    require_manager,
    require_open,
)
from app.run.models import SETTLED


def _missing(kind: str, node_id: str) -> ServiceError:
    return ServiceError(AppError(NOT_FOUND, f"No {kind} with id '{node_id}' exists.", "id", {"id": node_id}))


def _job(state: RunState, job_id: str) -> Row:
    if job_id not in state.jobs:
        raise _missing("job run", job_id)
    require_open(state)
    return state.jobs[job_id]


def node_of_kind(state: RunState, node_id: str, kind: str) -> Row:
    """The run, group run or job run named by an action's input; NOT_FOUND when it is of another kind."""
    if kind == "run" and node_id == state.run["id"]:
        return state.run
    if kind == "group run" and node_id in state.groups:
        return state.groups[node_id]
    if kind == "job run" and node_id in state.jobs:
        return state.jobs[node_id]
    raise _missing(kind, node_id)


def _require_person(state: RunState, job: Row, who: str | None, role: str) -> None:
    if not who or state.actor_id != who:
        raise refuse(FORBIDDEN, f"Only the job run's {role} may do this.", job["id"], role=role)


def _require_action(job: Row, *allowed: str) -> None:
    if job["status"] != "running" or job["action_status"] not in allowed:
        raise refuse(INVALID_STATE, f"Not allowed while the job run is {job['status']}/{job['action_status']}.",
                     job["id"], status=job["status"], actionStatus=job["action_status"])


def submit(state: RunState, job_id: str, comment: str | None) -> None:
    """The assignee hands in the work: to approval when there is an approver, else complete (rule 5)."""
    job = _job(state, job_id)
    if job["action"] not in CLIENT_ACTIONS_WITH_ASSIGNEE:
        raise refuse(INVALID_STATE, f"A {job['action']} job run is not submitted.", job_id)
    _require_person(state, job, job["arguments"].get("assignee"), "assignee")
    _require_action(job, "sent", "returned")
    if job["arguments"].get("approver"):
        state.set_action(job_id, "approval", comment)
    else:
        state.complete_job(job_id, "complete", comment)
    state.refresh_holds()


def approve(state: RunState, job_id: str, comment: str | None) -> None:
    job = _job(state, job_id)
    if job["action"] in CLIENT_ACTIONS_WITH_ASSIGNEE:
        _require_person(state, job, job["arguments"].get("approver"), "approver")
        _require_action(job, "approval")
    elif job["action"] in (APPROVER, CONDITIONAL):
        _require_person(state, job, job["arguments"].get("user"), "approver")
        _require_action(job, "sent")
    else:
        raise refuse(INVALID_STATE, f"A {job['action']} job run is not approved.", job_id)
    state.complete_job(job_id, "complete", comment)
    state.refresh_holds()


def return_(state: RunState, job_id: str, comment: str | None) -> None:
    """The approver sends the work back with a comment; a certification approver sends every signer back."""
    text = require_comment(comment, "return")
    job = _job(state, job_id)
    if job["action"] in CLIENT_ACTIONS_WITH_ASSIGNEE:
        _require_person(state, job, job["arguments"].get("approver"), "approver")
        _require_action(job, "approval")
        state.set_action(job_id, "returned", text)
    elif job["action"] in (APPROVER, CONDITIONAL):
        _require_person(state, job, job["arguments"].get("user"), "approver")
        _require_action(job, "sent")
        _return_certification(state, state.certification_of(job), text)
    else:
        raise refuse(INVALID_STATE, f"A {job['action']} job run cannot be returned.", job_id)
    state.refresh_holds()


def _return_certification(state: RunState, cert: Row, comment: str) -> None:
    """Rule 6: every signer job run goes back to sent, approver steps already done back to waiting."""
    state.set_action(cert["id"], "returned", comment)
    top = state.generated[cert["id"]]
    for child in state.children[top]:
        row = state.node(child)
        jobs = [state.jobs[j] for j in state.children.get(child, ())] if child in state.groups else [row]
        signer_step = any(j["action"] == SIGNER for j in jobs)
        if signer_step:
            state.set_status(child, "running", comment)
            for j in jobs:
                j["exception"] = False
                state.set_status(j["id"], "running", comment)
                state.set_action(j["id"], "sent", comment)
        else:
            for j in jobs:
                state.set_status(j["id"], "waiting", comment)
                state.set_action(j["id"], "waiting", comment)
                j["eligible_to_start"] = False
            if child in state.groups:
                state.set_status(child, "waiting", comment)


def sign(state: RunState, job_id: str, exception: bool, comment: str | None) -> None:
    """A certification signer signs; reporting an exception needs a comment (rule 6)."""
    job = _job(state, job_id)
    if job["action"] != SIGNER:
        raise refuse(INVALID_STATE, "Only certification signer job runs are signed.", job_id)
    _require_person(state, job, job["arguments"].get("user"), "signer")
    _require_action(job, "sent")
    if exception:
        require_comment(comment, "report an exception")
    job["exception"] = exception
    job["comment"] = comment
    cert = state.certification_of(job)
    if cert["action_status"] == "returned":
        state.set_action(cert["id"], "sent")
    state.complete_job(job_id, "complete", comment)
    state.refresh_holds()


def skip(state: RunState, job_id: str, comment: str | None) -> None:
    require_manager(state)
    job = _job(state, job_id)
    if job["status"] in SETTLED:
        raise refuse(INVALID_STATE, f"The job run is already {job['status']}.", job_id, status=job["status"])
    if job["status"] == "waiting":
        state.set_status(job_id, "running", comment)
    # A skipped certification takes its generated steps with it: nothing below it is left to run.
    for below in state.jobs_below(job_id):
        if below["id"] != job_id:
            state._cancel_job(below["id"], comment)
    for group in state.groups_below(job_id):
        if group["status"] not in SETTLED:
            state.set_status(group["id"], "cancelled", comment)
    state.complete_job(job_id, "skipped", comment)
    state.refresh_holds()


def restart(state: RunState, job_id: str, comment: str | None) -> None:
    """The manager starts a job run again: after an error, or to resend it to its people."""
    require_manager(state)
    job = _job(state, job_id)
    if job["status"] not in ("error", "running"):
        raise refuse(INVALID_STATE, f"Only a job run in error or running restarts; it is {job['status']}.", job_id,
                     status=job["status"])
    state.set_status(job_id, "waiting", comment)
    state.set_action(job_id, "waiting", comment)
    state.start_job(job_id)
    state.refresh_holds()


EDITABLE_ARGUMENTS = ("title", "instructions", "assignee", "approver", "dueDate", "approverDueDate", "document",
                      "section")


def edit(state: RunState, job_id: str, changes: dict[str, Any]) -> None:
    """The manager changes a job run's own copy of its arguments before it settles."""
    require_manager(state)
    job = _job(state, job_id)
    if job["status"] in SETTLED:
        raise refuse(INVALID_STATE, f"The job run is already {job['status']}.", job_id, status=job["status"])
    bad = [k for k in changes if k not in EDITABLE_ARGUMENTS or (job["action"] not in CLIENT_ACTIONS_WITH_ASSIGNEE
           and k not in ("title", "dueDate", "document"))]
    if bad:
        raise refuse(VALIDATION_ERROR, f"These arguments cannot be edited on a {job['action']} job run: "
                     f"{', '.join(bad)}.", job_id, fields=bad)
    args = dict(job["arguments"])
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    if args != job["arguments"]:
        job["arguments"] = args
        job["revision"] += 1


def start_node(state: RunState, node_id: str, kind: str) -> None:
    """The manager starts a manual group or job once it is eligible (rule 3)."""
    row = node_of_kind(state, node_id, kind)
    require_manager(state)
    require_open(state)
    if not row["eligible_to_start"] or row["status"] != "waiting":
        raise refuse(INVALID_STATE, "Only an eligible, waiting node can be started.", node_id,
                     status=row["status"], eligibleToStart=row["eligible_to_start"])
    state.start(node_id)
    state.refresh_holds()


def cancel(state: RunState, node_id: str, comment: str | None, kind: str) -> None:
    row = node_of_kind(state, node_id, kind)
    require_manager(state)
    require_open(state)
    if row["status"] in SETTLED:
        raise refuse(INVALID_STATE, f"It is already {row['status']}.", node_id, status=row["status"])
    state.cancel(node_id, comment)
    state.refresh_holds()


def close(state: RunState, node_id: str) -> None:
    """Rule 9: the manager closes a run once every job run is settled."""
    node_of_kind(state, node_id, "run")
    require_manager(state)
    if state.run["status"] not in ("running",):
        raise refuse(INVALID_STATE, f"Only a running run can be closed; it is {state.run['status']}.",
                     state.run["id"], status=state.run["status"])
    open_jobs = [j["id"] for j in state.jobs.values() if j["status"] not in SETTLED]
    if open_jobs:
        raise refuse(INVALID_STATE, f"{len(open_jobs)} job runs are not settled yet.", state.run["id"],
                     unsettledJobRunIds=open_jobs[:20])
    state.close_run()


def reopen(state: RunState, node_id: str) -> None:
    node_of_kind(state, node_id, "run")
    require_manager(state)
    if state.run["status"] != "complete":
        raise refuse(INVALID_STATE, f"Only a complete run can be reopened; it is {state.run['status']}.",
                     state.run["id"], status=state.run["status"])
    state.set_status(state.run["id"], "running")
    state.run["completed_date"] = None


def add_jobs(state: RunState, *, parent_id: str, sibling_id: str | None, before: bool | None,
             specs: list[Any]) -> list[str]:
    """Rule 10: add job runs under a group run, before/after a sibling or appended; a completed group (and
    every completed group above it, and a completed run) reopens."""
    from app.ids import new_id
    from app.process import certification

    require_manager(state)
    require_open(state)
    if parent_id not in state.groups:
        raise ServiceError(AppError(NOT_FOUND, f"No group run with id '{parent_id}' exists in this run.",
                                    "parentGroupRunId", {"id": parent_id}))
    if state.groups[parent_id]["generated"]:
        raise ServiceError(AppError(READ_ONLY, "Job runs cannot be added to a generated certification group run.",
                                    "parentGroupRunId", {"id": parent_id}))
    cancelled = [g for g in [parent_id, *state.ancestors(parent_id)]
                 if g in state.groups and state.groups[g]["status"] in ("cancelled", "cancelling")]
    if cancelled:
        # Job runs under a cancelled group would never start, and the run could close around them.
        raise ServiceError(AppError(INVALID_STATE, "Job runs cannot be added under a cancelled group run.",
                                    "parentGroupRunId", {"id": parent_id, "cancelledGroupRunId": cancelled[0]}))
    siblings = state.children[parent_id]
    if sibling_id is None:
        index = len(siblings)
    elif sibling_id not in siblings:
        raise ServiceError(AppError(VALIDATION_ERROR, f"'{sibling_id}' is not a child of the parent group run.",
                                    "relativeSiblingId", {"id": sibling_id}))
    else:
        index = siblings.index(sibling_id) + (0 if before is None or before else 1)
    run_id = state.run["id"]

    def job_row(parent: str, ordinal: int, action: str, arguments: dict[str, Any], trigger: str, generated: bool
                ) -> Row:
        row = {"id": new_id(), "run_id": run_id, "parent_group_run_id": parent, "source_job_id": "",
               "ordinal": ordinal, "action": action, "arguments": arguments, "trigger_type": trigger,
               "generated": generated, "status": "waiting", "action_status": "waiting", "eligible_to_start": False,
               "exception": False, "comment": None, "revision": 1, "started_at": None, "completed_at": None}
        state.jobs[row["id"]] = row
        return row

    def group_row(*, parent_group_id: str | None, parent_job_id: str | None, ordinal: int, name: str,
                  parallel: bool, **_: Any) -> Row:
        row = {"id": new_id(), "run_id": run_id, "parent_group_run_id": parent_group_id,
               "parent_job_run_id": parent_job_id, "source_group_id": "", "ordinal": ordinal, "name": name,
               "parallel": parallel, "trigger_type": "whenEligible", "due_date": None, "generated": True,
               "status": "waiting", "eligible_to_start": False, "revision": 1, "started_at": None,
               "completed_at": None}
        state.groups[row["id"]] = row
        return row

    added: list[str] = []
    for offset, spec in enumerate(specs):
        row = job_row(parent_id, index + offset, spec.action, dict(spec.arguments), spec.trigger_type, False)
        if spec.action == "certification":
            certification.generate(
                job_id=row["id"], arguments=row["arguments"], cert_auto_approve=bool(state.run["cert_auto_approve"]),
                make_group=group_row,
                make_job=lambda *, parent_group_id, ordinal, action, arguments, **_: job_row(
                    parent_group_id, ordinal, action, arguments, "whenEligible", True))
        added.append(row["id"])
    ordered = siblings[:index] + added + siblings[index:]
    for i, nid in enumerate(ordered):
        state.node(nid)["ordinal"] = i
    state.index()
    # Reopen what completed: the parent, every completed group above it, and the run.
    for gid in [parent_id, *state.ancestors(parent_id)]:
        if gid in state.groups and state.groups[gid]["status"] == "complete":
            state.set_status(gid, "running")
            state.groups[gid]["completed_at"] = None
    if state.run["status"] == "complete":
        state.set_status(state.run["id"], "running")
        state.run["completed_date"] = None
    state.advance(parent_id)
    state.refresh_holds()
    return added
