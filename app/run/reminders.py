"""Reminder plans (pure): which reminders and overdue notices a run's job runs call for right now, per the
ReminderData that applies to them, on the run's business calendar. The run service diffs this against the
stored plan in the action's transaction; the scheduler (app/notify/scheduler.py) fires what falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.run.calendar import BusinessCalendar
from app.run.due import PEOPLE_ACTIONS, due_date, waiting_for
from app.run.engine import APPROVER, CONDITIONAL, SIGNER, RunState
from app.run.notices import title_of

# The system schedule (mode `default`): two business days before the due date, and on it.
DEFAULT_SCHEDULE = (-2, 0)
REMINDER_HOUR = time(8, 0, tzinfo=UTC)  # reminders go out at 08:00 UTC on their day
OVERDUE_AT = time(0, 0, tzinfo=UTC)  # the overdue notice: as soon as the due date has passed in UTC


@dataclass(frozen=True, slots=True)
class Planned:
    job_run_id: str
    user_id: str
    kind: str  # reminder | overdue
    due_date: date
    fire_at: datetime
    subject: str
    body: str

    @property
    def key(self) -> tuple[str, str, str, date, datetime]:
        return (self.job_run_id, self.user_id, self.kind, self.due_date, self.fire_at)


def calendar_of(run: dict[str, Any]) -> BusinessCalendar:
    """The business calendar the run copied from its process at start (Monday to Friday when it has none)."""
    cal = run.get("calendar") or {}
    return BusinessCalendar.of(cal.get("daysOfWeek"), [date.fromisoformat(d) for d in cal.get("exclusions") or []],
                               [date.fromisoformat(d) for d in cal.get("inclusions") or []])


def reminder_data(run: dict[str, Any], job: dict[str, Any]) -> dict[str, Any] | None:
    """The ReminderData of a job run's person: the process's default certification signer / approver reminders
    (copied into the run at start) for generated signer / approver job runs; none (the system schedule) for
    tasks, which carry no ReminderData in the seed."""
    defaults = run.get("reminder_defaults") or {}
    if job["action"] == SIGNER:
        found: dict[str, Any] | None = defaults.get("signer")
        return found
    if job["action"] in (APPROVER, CONDITIONAL):
        found = defaults.get("approver")
        return found
    return None


def schedule(data: dict[str, Any] | None) -> list[tuple[int, str | None, str | None]]:
    """(business days from the due date, custom subject, custom body) per reminder. `default`, `processDefault`
    (on the process's own fields there is no default above it) and no data: the system schedule; `custom`:
    the reminders given; `none`: nothing."""
    mode = (data or {}).get("mode", "default")
    if mode == "none":
        return []
    if mode == "custom":
        return [(int(r["daysFromDue"]), str(r["subject"]), str(r["body"])) for r in (data or {}).get("reminders", [])]
    return [(d, None, None) for d in DEFAULT_SCHEDULE]


def _default_text(days: int, title: str, run_name: str, due: date) -> tuple[str, str]:
    if days < 0:
        subject = f"Reminder: {title} is due on {due.isoformat()}"
    elif days == 0:
        subject = f"Due today: {title}"
    else:
        subject = f"Past due: {title} was due on {due.isoformat()}"
    return subject, f'"{title}" in run "{run_name}" is due on {due.isoformat()} and is waiting for you.'


def plan(state: RunState) -> list[Planned]:
    """Every reminder and overdue notice the run's job runs call for now: for each job run waiting for a person
    and due on a date, its schedule's reminders still ahead of `state.now`, and the overdue notice for that
    person and for the manager (kept when already past: it fires at once)."""
    run, now = state.run, state.now
    cal: BusinessCalendar | None = None
    out: list[Planned] = []
    for job in state.jobs.values():
        who = waiting_for(job)
        due = due_date(job, state.jobs)
        if who is None or due is None or not state.is_active_user(who):
            continue
        cal = cal or calendar_of(run)
        title = title_of(state, job)
        for days, subject, body in schedule(reminder_data(run, job)):
            fire_at = datetime.combine(cal.add(due, days), REMINDER_HOUR)
            if fire_at <= now:
                continue  # its moment passed before the job run reached this person
            if subject is None or body is None:
                subject, body = _default_text(days, title, run["name"], due)
            out.append(Planned(job["id"], who, "reminder", due, fire_at, subject, body))
        overdue_at = datetime.combine(due + timedelta(days=1), OVERDUE_AT)
        whose = "your" if job["action"] not in PEOPLE_ACTIONS else "your step of"
        out.append(Planned(job["id"], who, "overdue", due, overdue_at, f"Overdue: {title}",
                           f'"{title}" in run "{run["name"]}" was due on {due.isoformat()} and is not done '
                           f"({whose} part is still open)."))
        manager = run["manager_user_id"]
        if manager != who:
            out.append(Planned(job["id"], manager, "overdue", due, overdue_at, f"Overdue: {title}",
                               f'"{title}" in your run "{run["name"]}" was due on {due.isoformat()} and is not '
                               "done."))
    return out


def diff(planned: list[Planned], stored: list[Any]) -> tuple[list[str], list[Planned]]:
    """(ids of stored, unfired plan rows to drop, plans to add). A fired row is never planned again for the same
    person, due date and moment; an unfired one whose text changed is replaced."""
    fired = {(r.job_run_id, r.user_id, r.kind, r.due_date, _utc(r.fire_at)) for r in stored if r.fired_at}
    unfired = {(r.job_run_id, r.user_id, r.kind, r.due_date, _utc(r.fire_at)): r for r in stored if not r.fired_at}
    wanted = {p.key: p for p in planned if p.key not in fired}
    drop = [r.id for k, r in unfired.items() if k not in wanted or (r.subject, r.body) != (wanted[k].subject,
                                                                                         wanted[k].body)]
    dropped = set(drop)
    add = [p for k, p in wanted.items() if k not in unfired or unfired[k].id in dropped]
    return drop, add


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
