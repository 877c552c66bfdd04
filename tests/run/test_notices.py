"""Who is told what, and which reminders are planned, as pure functions of an in-memory run (no database):
app/run/notices.py and app/run/reminders.py."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from app.run import actions
from app.run.engine import RunState
from app.run.notices import notices
from app.run.reminders import diff, plan

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)  # a Monday


def state(args: dict[str, Any], *, actor: str = "boss", calendar: dict[str, Any] | None = None) -> RunState:
    run = {"id": "r", "workspace_id": "w", "name": "Close", "status": "running", "manager_user_id": "boss",
           "auto_close": True, "root_group_run_id": "g", "event_seq": 0, "completed_date": None,
           "calendar": calendar, "reminder_defaults": None}
    group = {"id": "g", "parent_group_run_id": None, "parent_job_run_id": None, "ordinal": 0, "parallel": False,
             "trigger_type": "whenEligible", "generated": False, "status": "waiting", "eligible_to_start": False,
             "revision": 1}
    job = {"id": "j", "parent_group_run_id": "g", "ordinal": 0, "action": "sendTask", "arguments": args,
           "trigger_type": "whenEligible", "generated": False, "status": "waiting", "action_status": "waiting",
           "eligible_to_start": False, "exception": False, "comment": None, "revision": 1}
    return RunState(run=run, groups={"g": group}, jobs={"j": job}, actor_id=actor, now=NOW,
                    is_active_user=lambda u: u in {"ann", "bob", "boss"})


def told(s: RunState) -> list[tuple[str, str, str]]:
    return [(n.user_id, n.kind, n.subject) for n in notices(s)]


def test_start_submit_return_approve() -> None:
    s = state({"title": "Ledger", "assignee": "ann", "approver": "bob", "dueDate": "2030-01-15"})
    s.start_run()
    assert told(s) == [("ann", "jobSent", "New task: Ledger")]
    s.events.clear()
    s.actor_id = "ann"
    actions.submit(s, "j", None)
    assert told(s) == [("bob", "jobSent", "Approval requested: Ledger")]
    s.events.clear()
    s.actor_id = "bob"
    actions.return_(s, "j", "again")
    assert told(s) == [("ann", "jobReturned", "Returned: Ledger")]
    s.events.clear()
    s.actor_id = "ann"
    actions.submit(s, "j", None)
    s.events.clear()
    s.actor_id = "bob"
    actions.approve(s, "j", None)
    assert told(s) == [("boss", "runCompleted", "Run completed: Close")]


def test_an_inactive_assignee_tells_the_manager() -> None:
    s = state({"title": "Ledger", "assignee": "gone"})
    s.start_run()
    assert told(s) == [("boss", "errorHold", "Run on hold: Close")]


def test_plan_follows_the_calendar_and_the_person() -> None:
    s = state({"title": "Ledger", "assignee": "ann", "approver": "bob", "dueDate": "2030-01-15"},
              calendar={"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday"], "exclusions": [],
                        "inclusions": []})
    s.start_run()
    got = [(p.user_id, p.kind, p.fire_at.isoformat()) for p in plan(s)]
    # Monday to Thursday: two business days before Tuesday the 15th are Monday the 14th and Thursday the 10th
    assert got == [("ann", "reminder", "2030-01-10T08:00:00+00:00"), ("ann", "reminder", "2030-01-15T08:00:00+00:00"),
                   ("ann", "overdue", "2030-01-16T00:00:00+00:00"), ("boss", "overdue", "2030-01-16T00:00:00+00:00")]
    stored = [SimpleNamespace(id=f"x{i}", job_run_id=p.job_run_id, user_id=p.user_id, kind=p.kind,
                              due_date=p.due_date, fire_at=p.fire_at, subject=p.subject, body=p.body,
                              fired_at=NOW if i == 0 else None) for i, p in enumerate(plan(s))]
    assert diff(plan(s), stored) == ([], [])  # nothing changed: nothing to do
    s.actor_id = "ann"
    actions.submit(s, "j", None)  # now it waits for bob (no approver due date: the due date)
    drop, add = diff(plan(s), stored)
    assert sorted(drop) == ["x1", "x2"]  # ann's unfired rows; the fired one stays; the manager's overdue stays
    assert [(p.user_id, p.kind) for p in add] == [("bob", "reminder"), ("bob", "reminder"), ("bob", "overdue")]
