"""The seed's JSON Patch (ProcessJSONPatchDocument): exactly the listed path/op pairs, seed JSON values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError, ErrorList
from app.process import limits
from app.process.inputs import ReminderDataSpec, ReminderSpec
from app.process.models import REMINDER_MODES, TRIGGER_TYPES, WEEKDAYS
from app.process.validation import check_business_window, check_reminders

MAX_PATCH_OPERATIONS = 1000

Parser = Callable[[Any], Any]


class BadValue(ValueError):
    pass


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise BadValue("expected true or false")
    return v


def _name(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise BadValue("expected a non-empty string")
    if len(v) > limits.MAX_NAME_LENGTH:
        raise BadValue(f"expected at most {limits.MAX_NAME_LENGTH} characters, got {len(v)}")
    return v


def _date(v: Any) -> date:
    if not isinstance(v, str):
        raise BadValue("expected a date string YYYY-MM-DD")
    try:
        return date.fromisoformat(v) if len(v) == 10 else _fail_date(v)
    except ValueError as exc:
        raise BadValue(f"expected a date YYYY-MM-DD, got '{v}'") from exc


def _fail_date(v: str) -> date:
    raise ValueError(v)


def _unique_list(item: Parser, what: str) -> Parser:
    def parse(v: Any) -> list[Any]:
        if not isinstance(v, list):
            raise BadValue(f"expected a list of {what}")
        if len(v) > limits.MAX_LIST_ITEMS:
            raise BadValue(f"expected at most {limits.MAX_LIST_ITEMS} items, got {len(v)}")
        out = [item(x) for x in v]
        if len(set(out)) != len(out):
            raise BadValue(f"expected unique {what}")
        return out
    return parse


def _weekday(v: Any) -> str:
    if v not in WEEKDAYS:
        raise BadValue(f"expected weekdays among {', '.join(WEEKDAYS)}, got {v!r}")
    return str(v)


def _date_str(v: Any) -> str:
    return _date(v).isoformat()


def _calendar(v: Any) -> str:
    if not isinstance(v, str) or not v.strip() or len(v) > limits.MAX_SHORT_TEXT_LENGTH:
        raise BadValue("expected non-empty calendar id strings")
    return v


def _trigger(v: Any) -> str:
    if v not in TRIGGER_TYPES:
        raise BadValue(f"expected one of {', '.join(TRIGGER_TYPES)}, got {v!r}")
    return str(v)


def _reminders(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict) or v.get("mode") not in REMINDER_MODES:
        raise BadValue(f"expected an object with mode one of {', '.join(REMINDER_MODES)}")
    extra = set(v) - {"mode", "reminders"}
    if extra:
        raise BadValue(f"unexpected keys {sorted(extra)}")
    items = v.get("reminders") or []
    if not isinstance(items, list):
        raise BadValue("expected reminders to be a list")
    spec = ReminderDataSpec(mode=v["mode"], reminders=[])
    for r in items:
        if not isinstance(r, dict) or not isinstance(r.get("daysFromDue"), int) or isinstance(r.get("daysFromDue"), bool):
            raise BadValue("expected reminders of {daysFromDue: integer, subject, body}")
        spec.reminders.append(ReminderSpec(days_from_due=r["daysFromDue"], subject=str(r.get("subject") or ""),
                                           body=str(r.get("body") or "")))
    errs = ErrorList()
    check_reminders(errs, spec, "value")
    if errs:
        raise BadValue("; ".join(e.message for e in errs.errors))
    out: dict[str, Any] = {"mode": spec.mode}
    if spec.mode == "custom":
        out["reminders"] = [{"daysFromDue": r.days_from_due, "subject": r.subject, "body": r.body}
                            for r in spec.reminders]
    return out


REMOVE_OR_REPLACE = ("remove", "replace")
REPLACE_ONLY = ("replace",)


class PatchPath(NamedTuple):
    """One row of the seed's table: the ops allowed on the path, the column it writes (`("process", column)`
    or `("root", column)` for the root group), the value's parser, what `remove` leaves, and the kind of
    value (the REST door's models, app/rest/models/edits.py, are made from these rows by kind)."""

    ops: tuple[str, ...]
    target: tuple[str, str]
    parser: Parser
    cleared: Any
    kind: str


_WEEKDAYS, _DATES = _unique_list(_weekday, "weekdays"), _unique_list(_date_str, "dates")
# The seed's table: the one list of patchable paths, for both doors.
PATHS: dict[str, PatchPath] = {
    "/dueDate": PatchPath(REMOVE_OR_REPLACE, ("process", "due_date"), _date, None, "date"),
    "/businessStartDate": PatchPath(REMOVE_OR_REPLACE, ("process", "business_start_date"), _date, None, "date"),
    "/businessEndDate": PatchPath(REMOVE_OR_REPLACE, ("process", "business_end_date"), _date, None, "date"),
    "/businessDaysOfWeek": PatchPath(REMOVE_OR_REPLACE, ("process", "business_days_of_week"), _WEEKDAYS, None,
                                     "weekdays"),
    "/businessDateExclusions": PatchPath(REMOVE_OR_REPLACE, ("process", "business_date_exclusions"), _DATES, [],
                                         "dates"),
    "/businessDateInclusions": PatchPath(REMOVE_OR_REPLACE, ("process", "business_date_inclusions"), _DATES, [],
                                         "dates"),
    "/calendarIds": PatchPath(REMOVE_OR_REPLACE, ("process", "calendars"),
                              _unique_list(_calendar, "calendar ids"), [], "calendars"),
    "/name": PatchPath(REPLACE_ONLY, ("process", "name"), _name, None, "name"),
    "/autoClose": PatchPath(REPLACE_ONLY, ("process", "auto_close"), _bool, None, "flag"),
    "/ipmBetaEnabled": PatchPath(REPLACE_ONLY, ("process", "ipm_beta_enabled"), _bool, None, "flag"),
    "/iwmOptOut": PatchPath(REPLACE_ONLY, ("process", "iwm_opt_out"), _bool, None, "flag"),
    "/relativeDates": PatchPath(REPLACE_ONLY, ("process", "relative_dates"), _bool, None, "flag"),
    "/root/parallel": PatchPath(REPLACE_ONLY, ("root", "parallel"), _bool, None, "flag"),
    "/root/triggerType": PatchPath(REPLACE_ONLY, ("root", "trigger_type"), _trigger, None, "trigger"),
    "/certAutoApprove": PatchPath(REPLACE_ONLY, ("process", "cert_auto_approve"), _bool, None, "flag"),
    "/defaultCertSignerReminders": PatchPath(REMOVE_OR_REPLACE, ("process", "default_cert_signer_reminders"),
                                             _reminders, None, "reminders"),
    "/defaultCertApproverReminders": PatchPath(REMOVE_OR_REPLACE, ("process", "default_cert_approver_reminders"),
                                               _reminders, None, "reminders"),
}


def paths_of(*, kind: str | None = None, op: str | None = None) -> tuple[str, ...]:
    """The table's paths, in its order, of one kind of value and/or allowing one op."""
    return tuple(path for path, row in PATHS.items()
                 if (kind is None or row.kind == kind) and (op is None or op in row.ops))


def table_text() -> str:
    """The table in words, for the documents of both doors: `/dueDate, ...: remove and replace; ...`."""
    by_ops: dict[tuple[str, ...], list[str]] = {}
    for path, row in PATHS.items():
        by_ops.setdefault(row.ops, []).append(path)
    return "; ".join(f"{', '.join(paths)}: {' and '.join(ops)}" for ops, paths in by_ops.items())


def parse(operations: list[dict[str, Any]]) -> tuple[list[tuple[tuple[str, str], Any]], list[AppError]]:
    """Check every operation against the seed's table; (changes in order, errors naming each bad path)."""
    errs: list[AppError] = []
    if len(operations) > MAX_PATCH_OPERATIONS:
        return [], [AppError(LIMIT_EXCEEDED, f"A patch holds at most {MAX_PATCH_OPERATIONS} operations; "
                             f"{len(operations)} given.", "operations",
                             {"limit": MAX_PATCH_OPERATIONS, "actual": len(operations)})]
    changes: list[tuple[tuple[str, str], Any]] = []
    for index, op in enumerate(operations):
        path, name, has_value, value = op["path"], op["op"], op["has_value"], op.get("value")
        meta = {"index": index, "path": path, "op": name}
        entry = PATHS.get(path)
        if entry is None:
            errs.append(AppError(VALIDATION_ERROR, f"Path '{path}' cannot be patched; patchable paths: "
                                 f"{', '.join(PATHS)}.", path, meta))
            continue
        ops, target, parser, cleared = entry.ops, entry.target, entry.parser, entry.cleared
        if name not in ops:
            errs.append(AppError(VALIDATION_ERROR, f"Operation '{name}' is not allowed on '{path}'; allowed: "
                                 f"{', '.join(ops)}.", path, {**meta, "allowed": list(ops)}))
            continue
        if name == "remove":
            if has_value:
                errs.append(AppError(VALIDATION_ERROR, f"A remove of '{path}' takes no value.", path, meta))
                continue
            changes.append((target, cleared))
            continue
        if not has_value:
            errs.append(AppError(VALIDATION_ERROR, f"A replace of '{path}' needs a value.", path, meta))
            continue
        try:
            changes.append((target, parser(value)))
        except BadValue as exc:
            errs.append(AppError(VALIDATION_ERROR, f"Bad value for '{path}': {exc}.", path, meta))
    return changes, errs


def check_window(start: date | None, end: date | None) -> list[AppError]:
    errs = ErrorList()
    check_business_window(errs, start, end)
    return [AppError(e.code, e.message, f"/{e.target}", e.meta) for e in errs.errors]
