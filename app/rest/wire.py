"""The spelling mapping between service rows and the seed's JSON (app/rest/models.py describes the result).

Outputs are built as plain JSON-ready dicts (faster than model instances, checked against the models in
tests and by the fuzzer). Fields the seed types without `¦null` are left out when they have no value;
fields it marks `¦null` are written as null. Dates are `YYYY-MM-DD`; date-times are UTC with a `Z`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from app.errors import AppError
from app.process.inputs import (
    GroupSpec,
    JobSpec,
    ProcessSpec,
    ReminderDataSpec,
    ReminderSpec,
)
from app.process.revisions import ProcessDiff
from app.process.tree import Tree, job_name
from app.rest import models
from app.run.models import STATUSES

Json = dict[str, Any]
_ARGS_KEY = {"sendTask": "sendTaskArgs", "contentRequest": "contentRequestArgs",
             "certification": "certificationArgs"}


def date_time(value: datetime) -> str:
    """UTC with a `Z` (SQLite hands back naive datetimes; everything stored is UTC)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: date | str | None) -> str | None:
    return None if value is None else value if isinstance(value, str) else value.isoformat()


def action(row: Any, field: str) -> Json:
    return {"dateTime": date_time(getattr(row, f"{field}_at")), "user": {"id": getattr(row, f"{field}_by")}}


def _put(out: Json, key: str, value: Any) -> None:
    """Set a field that the seed never writes as null: left out when there is no value."""
    if value is not None:
        out[key] = value


def reminders(data: dict[str, Any] | None) -> Json | None:
    if data is None:
        return None
    out: Json = {"mode": data["mode"]}
    if data.get("reminders"):
        out["reminders"] = [dict(r) for r in data["reminders"]]
    return out


def arguments(action_name: str, args: dict[str, Any]) -> Json:
    """ActionArguments: `type` and the action's `<type>Args` (the stored JSON is already seed-spelled)."""
    key = _ARGS_KEY.get(action_name, "generatedCertificationArgs")
    return {"type": action_name, key: {k: v for k, v in args.items() if v is not None}}


# ---- definitions ----

class _TreeWriter:
    """The seed JSON of one process tree (a class, like the GraphQL tree builder, to avoid closure cycles)."""

    __slots__ = ("exclude_generated", "root_id", "tree")

    def __init__(self, tree: Tree, exclude_generated: bool) -> None:
        self.tree, self.exclude_generated, self.root_id = tree, exclude_generated, tree.root_id

    def group(self, row: Any, parent: str | None, inherited_ro: bool = False) -> Json:
        out: Json = {"id": row.id, "name": row.name, "parallel": row.parallel, "readOnly": row.read_only,
                     "triggerType": row.trigger_type}
        _put(out, "dueDate", _date(row.due_date))
        out.update({"ordinal": row.ordinal, "parent": parent, "revision": row.revision,
                    "created": action(row, "created"), "modified": action(row, "modified")})
        child_parent = None if row.id == self.root_id else row.id
        ro = row.read_only or inherited_ro
        out["children"] = [{"type": "group", "group": self.group(child, child_parent, ro)} if is_group
                           else {"type": "job", "job": self.job(child, child_parent, ro)}
                           for is_group, child in self.tree.children[row.id]]
        return out

    def job(self, row: Any, parent: str | None, under_read_only: bool) -> Json:
        out: Json = {"id": row.id, "action": row.action, "arguments": arguments(row.action, row.arguments),
                     "triggerType": row.trigger_type, "ordinal": row.ordinal, "parent": parent,
                     "readOnly": row.generated or under_read_only, "revision": row.revision,
                     "created": action(row, "created"), "modified": action(row, "modified"),
                     "tags": [{"id": t.id, "category": t.category, "value": t.value}
                              for t in self.tree.tags.get(row.id, ())]}
        gen = None if self.exclude_generated else self.tree.generated.get(row.id)
        if gen is not None:
            out["generated"] = self.group(gen, row.id)
        return out


def process(row: Any, tree: Tree, *, exclude_generated: bool = False) -> Json:
    """The seed's Process with its whole tree."""
    out: Json = {"id": row.id, "name": row.name, "autoClose": row.auto_close, "certAutoApprove": row.cert_auto_approve,
                 "relativeDates": row.relative_dates, "ipmBetaEnabled": row.ipm_beta_enabled,
                 "iwmOptOut": row.iwm_opt_out}
    _put(out, "dueDate", _date(row.due_date))
    _put(out, "businessStartDate", _date(row.business_start_date))
    _put(out, "businessEndDate", _date(row.business_end_date))
    _put(out, "businessDaysOfWeek", None if row.business_days_of_week is None else list(row.business_days_of_week))
    out["businessDateExclusions"] = list(row.business_date_exclusions or ())
    out["businessDateInclusions"] = list(row.business_date_inclusions or ())
    out["calendars"] = list(row.calendars or ())
    _put(out, "defaultCertApproverReminders", reminders(row.default_cert_approver_reminders))
    _put(out, "defaultCertSignerReminders", reminders(row.default_cert_signer_reminders))
    _put(out, "processTemplate", row.process_template)
    _put(out, "sourceProcessRun", row.source_process_run)
    out.update({"revision": row.revision, "created": action(row, "created"), "modified": action(row, "modified")})
    assert tree.root_id is not None, f"process {row.id} has no root group"
    out["root"] = _TreeWriter(tree, exclude_generated).group(tree.groups[tree.root_id], None)
    return out


def status_counts(counts: dict[str, int]) -> Json:
    return {status: counts.get(status, 0) for status in STATUSES}


def run_summary(row: Any, counts: dict[str, int] | None) -> Json:
    """The seed's ProcessRunSummary."""
    return {"id": row.id, "name": row.name, "process": row.process_id, "managerUser": row.manager_user_id,
            "status": row.status, "dueDate": _date(row.due_date),
            "completedDate": None if row.completed_date is None else date_time(row.completed_date),
            "created": action(row, "created"), "modified": action(row, "modified"),
            "statusCounts": None if counts is None else status_counts(counts)}


def process_summary(row: Any, run: Any | None, counts: dict[str, int] | None) -> Json:
    """The seed's ProcessSummary, with its latest run when it has one."""
    out: Json = {"id": row.id, "name": row.name, "autoClose": row.auto_close, "certAutoApprove": row.cert_auto_approve,
                 "relativeDates": row.relative_dates, "dueDate": _date(row.due_date),
                 "processTemplate": row.process_template, "sourceProcessRun": row.source_process_run,
                 "revision": row.revision, "created": action(row, "created"), "modified": action(row, "modified")}
    if run is not None:
        out["run"] = run_summary(run, counts or {})
    return out


# ---- runs ----

class _RunWriter:
    """The JSON of one run tree; status counts summed on the way up, generated job runs included."""

    __slots__ = ("gen", "kids")

    def __init__(self, groups: list[Any], jobs: list[Any]) -> None:
        self.kids: dict[str | None, list[tuple[bool, Any]]] = {}
        self.gen: dict[str, Any] = {}
        for g in groups:
            if g.parent_job_run_id is not None:
                self.gen[g.parent_job_run_id] = g
            else:
                self.kids.setdefault(g.parent_group_run_id, []).append((True, g))
        for j in jobs:
            self.kids.setdefault(j.parent_group_run_id, []).append((False, j))
        for v in self.kids.values():
            v.sort(key=lambda item: item[1].ordinal)

    def group(self, row: Any) -> tuple[Json, dict[str, int]]:
        tally: dict[str, int] = {}
        children: list[Json] = []
        eligible = 0
        for is_group, child in self.kids.get(row.id, []):
            obj, sub = self.group(child) if is_group else self.job(child)
            children.append({"type": "group", "group": obj} if is_group else {"type": "job", "job": obj})
            eligible += int(child.eligible_to_start)
            for k, v in sub.items():
                tally[k] = tally.get(k, 0) + v
        out: Json = {"id": row.id, "name": row.name, "status": row.status, "parallel": row.parallel,
                     "triggerType": row.trigger_type, "eligibleToStart": row.eligible_to_start,
                     "childrenEligibleToStartCount": eligible, "statusCounts": status_counts(tally)}
        _put(out, "dueDate", _date(row.due_date))
        out.update({"ordinal": row.ordinal, "sourceGroupId": row.source_group_id, "revision": row.revision,
                    "children": children})
        return out, tally

    def job(self, row: Any) -> tuple[Json, dict[str, int]]:
        out: Json = {"id": row.id, "name": job_name(row.action, row.arguments), "action": row.action,
                     "status": row.status, "actionStatus": row.action_status,
                     "eligibleToStart": row.eligible_to_start, "arguments": arguments(row.action, row.arguments),
                     "triggerType": row.trigger_type, "ordinal": row.ordinal,
                     "sourceJobId": row.source_job_id or None, "exception": row.exception, "comment": row.comment,
                     "revision": row.revision}
        tally = {row.status: 1}
        gen = self.gen.get(row.id)
        if gen is not None:
            out["generated"], sub = self.group(gen)
            for k, v in sub.items():
                tally[k] = tally.get(k, 0) + v
        return out, tally


def run(row: Any, groups: list[Any], jobs: list[Any]) -> Json:
    """A ProcessRun with its whole run tree."""
    root_row = next(g for g in groups if g.id == row.root_group_run_id)
    root, tally = _RunWriter(groups, jobs).group(root_row)
    return {**run_summary(row, tally), "revision": row.revision, "root": root}


def job_runs(groups: list[Any], jobs: list[Any], ids: list[str]) -> list[Json]:
    """The JSON of some job runs of a run (with their generated groups), in the order of `ids`."""
    writer = _RunWriter(groups, jobs)
    by_id = {j.id: j for j in jobs}
    return [writer.job(by_id[i])[0] for i in ids if i in by_id]


# ---- errors ----

def meta(values: dict[str, Any] | None) -> dict[str, str | None] | None:
    """An error's meta as the seed types it, a map of strings or null: a string stays, any other value is
    written as its JSON (`3`, `["read"]`, `true`). Only this door: GraphQL's ErrorMeta keeps JSON values."""
    if values is None:
        return None
    return {k: v if v is None or isinstance(v, str) else orjson.dumps(v, default=str).decode()
            for k, v in values.items()}


def error(e: AppError) -> Json:
    """The seed's Error: every field, null where the seed allows it."""
    return {"code": e.code, "message": e.message, "target": e.target,
            "details": [{"code": d.code, "message": d.message, "target": d.target, "meta": meta(d.meta)}
                        for d in e.details] or None,
            "meta": meta(e.meta), "documentationUrl": e.documentation_url}


# ---- requests to service specs ----

def _json_args(args: BaseModel | None) -> dict[str, Any]:
    return {} if args is None else args.model_dump(mode="json", by_alias=True, exclude_none=True)


def job_spec(job: models.ProcessJobInput) -> JobSpec:
    """A job of a request: its action is `arguments.type` (an empty sendTask without arguments)."""
    variant = None if job.arguments is None else job.arguments.root
    if isinstance(variant, models.ContentRequestArguments):
        action_name, args = "contentRequest", _json_args(variant.content_request_args)
    elif isinstance(variant, models.CertificationArguments):
        action_name, args = "certification", _json_args(variant.certification_args)
    else:
        action_name, args = "sendTask", _json_args(None if variant is None else variant.send_task_args)
    # `tags` is read-only in the seed: accepted and ignored, like every field the server writes.
    return JobSpec(action=action_name, arguments=args, trigger_type=job.trigger_type or "whenEligible")


def group_spec(group: models.ProcessGroupInput) -> GroupSpec:
    spec = GroupSpec(name=group.name, parallel=group.parallel, trigger_type=group.trigger_type,
                     read_only=group.read_only, due_date=group.due_date)
    for child in group.children:
        node = child.root
        spec.children.append(group_spec(node.group) if isinstance(node, models.GroupChildInput) else job_spec(node.job))
    return spec


def reminder_spec(data: models.ReminderData | None) -> ReminderDataSpec | None:
    if data is None:
        return None
    return ReminderDataSpec(mode=data.mode, reminders=[
        ReminderSpec(days_from_due=r.days_from_due, subject=r.subject, body=r.body) for r in data.reminders or ()])


def process_spec(body: models.ProcessInput) -> ProcessSpec:
    """What to create; read-only fields (id, revision, created, ...) are ignored."""
    return ProcessSpec(
        name=body.name, root=group_spec(body.root), auto_close=body.auto_close,
        cert_auto_approve=body.cert_auto_approve, relative_dates=body.relative_dates,
        ipm_beta_enabled=body.ipm_beta_enabled, iwm_opt_out=body.iwm_opt_out, due_date=body.due_date,
        business_start_date=body.business_start_date, business_end_date=body.business_end_date,
        business_days_of_week=None if body.business_days_of_week is None else list(body.business_days_of_week),
        business_date_exclusions=list(body.business_date_exclusions),
        business_date_inclusions=list(body.business_date_inclusions), calendars=list(body.calendars),
        default_cert_approver_reminders=reminder_spec(body.default_cert_approver_reminders),
        default_cert_signer_reminders=reminder_spec(body.default_cert_signer_reminders))


def patch_operations(body: models.ProcessJSONPatchDocument) -> list[dict[str, Any]]:
    """The patch service's operations (`{op, path, has_value, value}`), values back in seed JSON."""
    out = []
    for item in body.root:
        raw = item.root.model_dump(mode="json", by_alias=True)
        out.append({"op": raw["op"], "path": raw["path"], "has_value": "value" in raw, "value": raw.get("value")})
    return out


def batch_items(body: models.BatchUpdate) -> list[Any]:
    from app.process.edits import BatchItem

    items = []
    for item in body.data:
        v = item.root
        if isinstance(v, models.FlatBatchUpdateItem):
            pair = (v.id, v.new_name)
            items.append(BatchItem(type=v.type, job_update=pair if v.type == "jobName" else None,
                                   group_update=pair if v.type == "groupName" else None))
        elif isinstance(v, models.JobNameBatchUpdateItem):
            items.append(BatchItem(type="jobName", job_update=(v.job_name_update.id, v.job_name_update.new_name),
                                   group_update=None))
        else:
            items.append(BatchItem(type="groupName", job_update=None,
                                   group_update=(v.group_name_update.id, v.group_name_update.new_name)))
    return items


def process_diff(found: ProcessDiff) -> Json:
    """A diff (app/process/revisions.py) in the seed's spelling (models.ProcessDiff describes it)."""
    summary = found.summary

    def node(n: Any) -> Json:
        return {"id": n.id, "kind": n.kind, "name": n.name, "parentId": n.parent_id}
    return {
        "fromRevision": found.from_revision, "toRevision": found.to_revision, "operations": found.operations,
        "nodesAdded": [node(n) for n in summary.added], "nodesRemoved": [node(n) for n in summary.removed],
        "nodesRenamed": [{"id": r.id, "kind": r.kind, "fromName": r.old_name, "toName": r.new_name}
                         for r in summary.renamed],
        "nodesMoved": [{"id": m.id, "kind": m.kind, "name": m.name, "fromParentId": m.old_parent_id,
                        "toParentId": m.new_parent_id, "fromOrdinal": m.old_ordinal, "toOrdinal": m.new_ordinal}
                       for m in summary.moved],
        "nodesChanged": [{"id": c.id, "kind": c.kind, "name": c.name, "fields": list(c.fields)}
                         for c in summary.changed],
        "processFieldsChanged": [{"field": f.field, "fromValue": f.old, "toValue": f.new}
                                 for f in summary.process_fields],
    }
