"""Who is told about what: the notifications a set of run transitions asks for (docs/notifications.md). Pure: it reads
the events an action recorded and the run's state after it; no database (docs/notifications.md has the table).
"""

from __future__ import annotations

from typing import Any

from app.notify.service import NewNotification
from app.run.due import PEOPLE_ACTIONS, due_date
from app.run.engine import APPROVER, CLIENT_ACTIONS_WITH_ASSIGNEE, CONDITIONAL, SIGNER, RunState

Row = dict[str, Any]


def title_of(state: RunState, job: Row) -> str:
    """A job run's title; a generated job run carries its certification's."""
    args = job["arguments"]
    if job["action"] in PEOPLE_ACTIONS:
        cert = state.jobs.get(args.get("certificationJob") or "")
        return str((cert or {}).get("arguments", {}).get("title") or "Certification")
    return str(args.get("title") or "Untitled job")


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _sent(state: RunState, job: Row, event: Row) -> NewNotification | None:
    args, run = job["arguments"], state.run
    title = title_of(state, job)
    returned = event["from_value"] in ("complete", "cancelled")  # a certification return sends signers back
    due = due_date(job, state.jobs)
    due_line = f"Due: {due.isoformat()}" if due else None
    if job["action"] in CLIENT_ACTIONS_WITH_ASSIGNEE:
        who, subject, ask = args.get("assignee"), f"New task: {title}", "is waiting for you"
        details = args.get("instructions")
    elif job["action"] == SIGNER:
        who, details = args.get("user"), None
        subject, ask = (f"Sign again: {title}", "was returned: please sign it again") if returned else (
            f"Signature requested: {title}", "waits for your signature")
    elif job["action"] in (APPROVER, CONDITIONAL):
        who, subject, ask, details = args.get("user"), f"Approval requested: {title}", "waits for your approval", None
    else:
        return None
    if not who:
        return None
    kind = "jobReturned" if returned else "jobSent"
    comment = f"Comment: {event['comment']}" if returned and event.get("comment") else None
    body = _lines(f'"{title}" in run "{run["name"]}" {ask}.', due_line, comment, details)
    return NewNotification(user_id=who, kind=kind, subject=subject, body=body, run_id=run["id"], job_run_id=job["id"])


def notices(state: RunState) -> list[NewNotification]:
    """The notifications asked for by the transitions `state.events` recorded (one action's, cascade included)."""
    run = state.run
    manager = run["manager_user_id"]
    out: list[NewNotification] = []
    for e in state.events:
        if e["node_kind"] == "job" and e["node_id"] in state.jobs:
            job = state.jobs[e["node_id"]]
            args = job["arguments"]
            title = title_of(state, job)
            if e["field"] == "actionStatus" and e["to_value"] == "sent":
                made = _sent(state, job, e)
                if made is not None:
                    out.append(made)
            elif (e["field"] == "actionStatus" and e["to_value"] == "approval" and args.get("approver")):
                due = due_date(job, state.jobs)
                out.append(NewNotification(
                    user_id=args["approver"], kind="jobSent", subject=f"Approval requested: {title}",
                    body=_lines(f'"{title}" in run "{run["name"]}" was submitted and waits for your approval.',
                                f"Due: {due.isoformat()}" if due else None, f"Comment: {e['comment']}" if e["comment"] else None),
                    run_id=run["id"], job_run_id=job["id"]))
            elif (e["field"] == "actionStatus" and e["to_value"] == "returned"
                  and job["action"] in CLIENT_ACTIONS_WITH_ASSIGNEE and args.get("assignee")):
                out.append(NewNotification(
                    user_id=args["assignee"], kind="jobReturned", subject=f"Returned: {title}",
                    body=_lines(f'"{title}" in run "{run["name"]}" was returned to you.',
                                f"Comment: {e['comment']}" if e["comment"] else None),
                    run_id=run["id"], job_run_id=job["id"]))
            elif e["field"] == "status" and e["to_value"] == "error":
                out.append(NewNotification(
                    user_id=manager, kind="errorHold", subject=f"Run on hold: {run['name']}",
                    body=_lines(f'"{title}" in run "{run["name"]}" cannot start: {e["comment"] or "an error"}.',
                                "The run is on hold until you edit and restart the job run, or skip it."),
                    run_id=run["id"], job_run_id=job["id"]))
        elif e["node_kind"] == "run" and e["field"] == "status":
            if e["to_value"] == "complete":
                out.append(NewNotification(user_id=manager, kind="runCompleted", subject=f"Run completed: {run['name']}",
                                           body=f'Run "{run["name"]}" is complete.', run_id=run["id"]))
            elif e["to_value"] == "cancelled":
                out.append(NewNotification(user_id=manager, kind="runCancelled", subject=f"Run cancelled: {run['name']}",
                                           body=_lines(f'Run "{run["name"]}" was cancelled.',
                                                       f"Comment: {e['comment']}" if e["comment"] else None),
                                           run_id=run["id"]))
    return out
