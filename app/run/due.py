"""Due dates and who a job run waits for (pure): the rules that reminders, overdue notices and the overdue
filters share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.run.engine import APPROVER, CLIENT_ACTIONS_WITH_ASSIGNEE, CONDITIONAL, SIGNER
from app.run.models import SETTLED

Row = dict[str, Any]
PEOPLE_ACTIONS = (SIGNER, APPROVER, CONDITIONAL)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def due_date(job: Row, jobs: dict[str, Row]) -> date | None:
    """When the job run's current person is due: the approver's date while in approval (falling back to the
    due date), a generated certification job run's certification's, the job's own otherwise."""
    args = job["arguments"]
    if job["action"] in PEOPLE_ACTIONS:
        cert = jobs.get(args.get("certificationJob") or "")
        return _date((cert or {}).get("arguments", {}).get("dueDate"))
    if job["action"] == "sendTask" and job["action_status"] == "approval":
        return _date(args.get("approverDueDate") or args.get("dueDate"))
    if job["action"] in (*CLIENT_ACTIONS_WITH_ASSIGNEE, "certification"):
        return _date(args.get("dueDate"))
    return None


def waiting_for(job: Mapping[str, Any]) -> str | None:
    """The person a running job run waits for: assignee (sent, returned), approver (approval), signer or
    certification approver (sent); None when it waits for nobody."""
    if job["status"] != "running":
        return None
    args, action, state = job["arguments"], job["action"], job["action_status"]
    if action in CLIENT_ACTIONS_WITH_ASSIGNEE:
        who = args.get("assignee") if state in ("sent", "returned") else (
            args.get("approver") if state == "approval" else None)
    elif action in PEOPLE_ACTIONS:
        who = args.get("user") if state == "sent" else None
    else:
        who = None
    return str(who) if who else None


def is_overdue(due: date | None, status: str, today: date) -> bool:
    """Past its due date (in UTC) and not settled."""
    return due is not None and due < today and status not in SETTLED
