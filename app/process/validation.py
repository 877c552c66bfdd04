"""Write-time checks: refuse only what cannot be stored (forms, hard limits), naming the input path.

What is merely incomplete while a process is being built (a job with no assignee
yet) is stored and reported by the health check instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from app.errors import LIMIT_EXCEEDED, REQUIRED, VALIDATION_ERROR, AppError, ErrorList
from app.process import limits
from app.process.inputs import GroupSpec, JobSpec, ProcessSpec, ReminderDataSpec
from app.process.models import CLIENT_ACTIONS, REMINDER_MODES, STEP_MODES, TRIGGER_TYPES, WEEKDAYS

# Argument fields per action: name -> kind ("text", "long", "date", "steps").
ARGUMENT_FIELDS: dict[str, dict[str, str]] = {
    "sendTask": {
        "title": "name", "instructions": "long", "assignee": "text", "approver": "text",
        "dueDate": "date", "approverDueDate": "date", "document": "text",
    },
    "contentRequest": {
        "title": "name", "instructions": "long", "assignee": "text", "approver": "text",
        "document": "text", "section": "text", "dueDate": "date",
    },
    "certification": {
        "title": "name", "document": "text", "dueDate": "date",
        "signerSteps": "steps", "approverSteps": "steps",
    },
}
_MAX_BY_KIND = {"name": limits.MAX_NAME_LENGTH, "long": limits.MAX_TEXT_LENGTH, "text": limits.MAX_SHORT_TEXT_LENGTH}


def validate_process(spec: ProcessSpec) -> list[AppError]:
    """Every problem of a whole create input, each with the path of the bad field."""
    errs = ErrorList()
    _check_name(errs, spec.name, "name", limits.MAX_NAME_LENGTH)
    check_business_window(errs, spec.business_start_date, spec.business_end_date)
    if spec.business_days_of_week is not None:
        _check_list(errs, spec.business_days_of_week, "businessDaysOfWeek", allowed=WEEKDAYS)
    _check_list(errs, spec.business_date_exclusions, "businessDateExclusions")
    _check_list(errs, spec.business_date_inclusions, "businessDateInclusions")
    _check_list(errs, spec.calendars, "calendars", max_len=limits.MAX_SHORT_TEXT_LENGTH, non_empty=True)
    check_reminders(errs, spec.default_cert_approver_reminders, "defaultCertApproverReminders")
    check_reminders(errs, spec.default_cert_signer_reminders, "defaultCertSignerReminders")
    count = check_group(errs, spec.root, "root", level=0)
    if count > limits.MAX_TREE_NODES:
        errs.add(
            LIMIT_EXCEEDED,
            f"A process holds at most {limits.MAX_TREE_NODES} groups and jobs below its root; this one has {count}.",
            "root", limit=limits.MAX_TREE_NODES, actual=count,
        )
    return errs.errors


def check_business_window(errs: ErrorList, start: date | None, end: date | None) -> None:
    if (start is None) != (end is None):
        missing = "businessEndDate" if end is None else "businessStartDate"
        errs.add(
            REQUIRED,
            "businessStartDate and businessEndDate are given both or neither; "
            f"{missing} is missing.",
            missing, field=missing,
        )
    elif start is not None and end is not None and end < start:
        errs.add(
            VALIDATION_ERROR,
            f"businessEndDate ({end.isoformat()}) is before businessStartDate ({start.isoformat()}).",
            "businessEndDate", field="businessEndDate",
        )


def check_reminders(errs: ErrorList, data: ReminderDataSpec | None, target: str) -> None:
    if data is None:
        return
    if data.mode not in REMINDER_MODES:
        errs.add(VALIDATION_ERROR, f"Unknown reminder mode '{data.mode}'; expected one of {', '.join(REMINDER_MODES)}.",
                 f"{target}.mode", allowed=list(REMINDER_MODES))
        return
    if data.mode != "custom" and data.reminders:
        errs.add(VALIDATION_ERROR, f"Reminders are given only with mode custom, not {data.mode}.",
                 f"{target}.reminders", mode=data.mode)
    if len(data.reminders) > limits.MAX_CUSTOM_REMINDERS:
        errs.add(LIMIT_EXCEEDED,
                 f"At most {limits.MAX_CUSTOM_REMINDERS} custom reminders; {len(data.reminders)} given.",
                 f"{target}.reminders", limit=limits.MAX_CUSTOM_REMINDERS, actual=len(data.reminders))
    for i, r in enumerate(data.reminders[: limits.MAX_CUSTOM_REMINDERS + 1]):
        path = f"{target}.reminders[{i}]"
        _check_name(errs, r.subject, f"{path}.subject", limits.MAX_SHORT_TEXT_LENGTH)
        _check_name(errs, r.body, f"{path}.body", limits.MAX_TEXT_LENGTH)
        if not -3660 <= r.days_from_due <= 3660:
            errs.add(VALIDATION_ERROR, "daysFromDue must lie between -3660 and 3660.",
                     f"{path}.daysFromDue", min=-3660, max=3660, actual=r.days_from_due)


def _check_name(errs: ErrorList, value: str | None, target: str, max_len: int) -> None:
    if value is None or not value.strip():
        errs.add(REQUIRED, f"{target} must not be empty.", target, field=target.rsplit(".", 1)[-1])
    elif len(value) > max_len:
        errs.add(LIMIT_EXCEEDED, f"{target} is {len(value)} characters long; at most {max_len} are allowed.",
                 target, limit=max_len, actual=len(value))


def _check_list(
    errs: ErrorList, values: Sequence[Any], target: str, *, allowed: Sequence[str] | None = None,
    max_len: int | None = None, non_empty: bool = False,
) -> None:
    if len(values) > limits.MAX_LIST_ITEMS:
        errs.add(LIMIT_EXCEEDED, f"{target} holds at most {limits.MAX_LIST_ITEMS} items; {len(values)} given.",
                 target, limit=limits.MAX_LIST_ITEMS, actual=len(values))
        return
    seen: set[Any] = set()
    for i, v in enumerate(values):
        path = f"{target}[{i}]"
        if allowed is not None and v not in allowed:
            errs.add(VALIDATION_ERROR, f"'{v}' is not one of {', '.join(allowed)}.", path, index=i, allowed=list(allowed))
        elif non_empty and not str(v).strip():
            errs.add(REQUIRED, f"{path} must not be empty.", path, index=i)
        elif max_len is not None and len(str(v)) > max_len:
            errs.add(LIMIT_EXCEEDED, f"{path} is longer than {max_len} characters.", path, index=i, limit=max_len, actual=len(str(v)))
        elif v in seen:
            shown = v.isoformat() if isinstance(v, date) else v
            errs.add(VALIDATION_ERROR, f"{target} lists '{shown}' twice; its values are unique.", path, index=i)
        seen.add(v)


def check_group(errs: ErrorList, group: GroupSpec, path: str, level: int) -> int:
    """Check a group and its subtree; return the number of nodes below it."""
    _check_name(errs, group.name, f"{path}.name", limits.MAX_NAME_LENGTH)
    if group.trigger_type not in TRIGGER_TYPES:
        errs.add(VALIDATION_ERROR, f"Unknown triggerType '{group.trigger_type}'.", f"{path}.triggerType")
    if level > limits.MAX_GROUP_DEPTH:
        errs.add(LIMIT_EXCEEDED,
                 f"Groups nest at most {limits.MAX_GROUP_DEPTH} levels below the root; this one is at level {level}.",
                 path, limit=limits.MAX_GROUP_DEPTH, actual=level)
        return 1  # do not descend further: the input may be hostile and arbitrarily deep
    count = 0
    for i, child in enumerate(group.children):
        if isinstance(child, GroupSpec):
            count += 1 + check_group(errs, child, f"{path}.children[{i}].group", level + 1)
        else:
            count += 1
            check_job(errs, child, f"{path}.children[{i}].job")
        if count > limits.MAX_TREE_NODES * 2:
            break  # already far over the limit; stop walking a hostile input
    return count


def check_job(errs: ErrorList, job: JobSpec, path: str) -> None:
    if job.action not in CLIENT_ACTIONS:
        errs.add(VALIDATION_ERROR, f"Clients cannot write jobs of action '{job.action}'.", f"{path}.arguments",
                 allowed=list(CLIENT_ACTIONS))
        return
    if job.trigger_type not in TRIGGER_TYPES:
        errs.add(VALIDATION_ERROR, f"Unknown triggerType '{job.trigger_type}'.", f"{path}.triggerType")
    fields = ARGUMENT_FIELDS[job.action]
    apath = f"{path}.arguments.{job.action}"
    for name, value in job.arguments.items():
        kind = fields.get(name)
        if kind is None:
            errs.add(VALIDATION_ERROR, f"{job.action} has no argument '{name}'.", f"{apath}.{name}")
        elif kind == "steps":
            _check_steps(errs, value, f"{apath}.{name}")
        elif kind in _MAX_BY_KIND and value is not None and len(value) > _MAX_BY_KIND[kind]:
            errs.add(LIMIT_EXCEEDED, f"{apath}.{name} is longer than {_MAX_BY_KIND[kind]} characters.",
                     f"{apath}.{name}", limit=_MAX_BY_KIND[kind], actual=len(value))
    _check_tags(errs, job, path)


def _check_steps(errs: ErrorList, steps: list[dict[str, Any]] | None, path: str) -> None:
    if steps is None:
        return
    if len(steps) > limits.MAX_LIST_ITEMS:
        errs.add(LIMIT_EXCEEDED, f"At most {limits.MAX_LIST_ITEMS} steps; {len(steps)} given.", path,
                 limit=limits.MAX_LIST_ITEMS, actual=len(steps))
        return
    for i, step in enumerate(steps):
        if step["mode"] not in STEP_MODES:
            errs.add(VALIDATION_ERROR, f"Unknown step mode '{step['mode']}'.", f"{path}[{i}].mode")
        users = step["users"]
        if len(users) > limits.MAX_LIST_ITEMS:
            errs.add(LIMIT_EXCEEDED, f"A step names at most {limits.MAX_LIST_ITEMS} users; {len(users)} given.",
                     f"{path}[{i}].users", limit=limits.MAX_LIST_ITEMS, actual=len(users))
        for j, user in enumerate(users):
            if not user.strip() or len(user) > limits.MAX_SHORT_TEXT_LENGTH:
                errs.add(VALIDATION_ERROR, "A step's user id is non-empty and short.", f"{path}[{i}].users[{j}]")


def _check_tags(errs: ErrorList, job: JobSpec, path: str) -> None:
    if len(job.tags) > limits.MAX_LIST_ITEMS:
        errs.add(LIMIT_EXCEEDED, f"A job has at most {limits.MAX_LIST_ITEMS} tags; {len(job.tags)} given.",
                 f"{path}.tags", limit=limits.MAX_LIST_ITEMS, actual=len(job.tags))
        return
    seen: set[tuple[str, str]] = set()
    for i, tag in enumerate(job.tags):
        _check_name(errs, tag.category, f"{path}.tags[{i}].category", limits.MAX_SHORT_TEXT_LENGTH)
        _check_name(errs, tag.value, f"{path}.tags[{i}].value", limits.MAX_SHORT_TEXT_LENGTH)
        key = (tag.category, tag.value)
        if key in seen:
            errs.add(VALIDATION_ERROR, f"Tag {tag.category}={tag.value} is given twice; a job's tags are unique.",
                     f"{path}.tags[{i}]", index=i)
        seen.add(key)
