"""A revert on a Draft: make the loaded process equal a history document of an earlier revision, under the
rules every write obeys (read-only groups, the write-time checks). Pure functions; the transaction is the
caller's (app/process/revisions.py)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from app.auth.service import Actor
from app.db import sort_key
from app.errors import READ_ONLY, AppError, ServiceError
from app.process.draft import PROCESS_DOC_FIELDS, Draft
from app.process.edits import draft_to_spec
from app.process.history import Doc
from app.process.validation import validate_process

_DATE_COLUMNS = frozenset({"due_date", "business_start_date", "business_end_date"})
_STEPS = ("signerSteps", "approverSteps")


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _ancestors(nodes: dict[str, Any], node_id: str) -> list[str]:
    out: list[str] = []
    parent = nodes[node_id]["parentId"]
    while parent is not None and parent in nodes:
        out.append(parent)
        parent = nodes[parent]["parentId"]
    return out


def lock_errors(current: Doc, target: Doc, to_revision: int) -> list[AppError]:
    """READ_ONLY for each group that is read-only now and at `to_revision` while the revert would change its
    own fields, what it holds or where its contents sit. A lock that the revert lifts or sets does not
    refuse it (a person could lift it first, or lock it after)."""
    now_nodes, then_nodes = current["nodes"], target["nodes"]
    locked = {gid for gid, node in now_nodes.items() if node["kind"] == "group" and node["readOnly"]
              and gid in then_nodes and then_nodes[gid]["readOnly"]}
    found: dict[str, str] = {}
    for node_id in sorted(set(now_nodes) | set(then_nodes)):
        before, after = now_nodes.get(node_id), then_nodes.get(node_id)
        if before == after:
            continue
        holders = _ancestors(now_nodes, node_id) if before is not None else []
        holders += _ancestors(then_nodes, node_id) if after is not None else []
        if before is not None and after is not None and before["kind"] == "group":
            holders.append(node_id)
        for gid in holders:
            if gid in locked:
                found.setdefault(gid, node_id)
    return [AppError(READ_ONLY, f"Group {gid} is read-only now and at revision {to_revision}; the revert would "
                     f"change it or what it holds (node {node_id}). Set its readOnly to false first.",
                     "toRevision", {"id": node_id, "readOnlyGroupId": gid, "toRevision": to_revision})
            for gid, node_id in sorted(found.items())]


def restore(draft: Draft, target: Doc, *, to_revision: int, actor: Actor, now: datetime) -> None:
    """Make the draft's process fields and client tree equal `target` (the document at `to_revision`).

    Nodes keep their ids: a node removed since comes back under its old id (revision 1, created by the
    reverting user). Generated certification nodes are derived again where a certification came back or its
    steps changed. The trash state is not part of a revert. Refused, with nothing changed, by READ_ONLY
    locks and by the write-time checks of a whole process (each error's `target` is `toRevision`)."""
    current = draft.doc()
    errors = lock_errors(current, target, to_revision)
    if errors:
        raise ServiceError(errors)
    flag_before = bool(draft.process["cert_auto_approve"])
    for key, column in PROCESS_DOC_FIELDS.items():
        value = copy.deepcopy(target[key])
        draft.process[column] = _date(value) if column in _DATE_COLUMNS else value
    draft.process["name_key"] = sort_key(draft.process["name"])
    now_nodes, then_nodes = current["nodes"], target["nodes"]
    regenerate = [nid for nid, node in then_nodes.items() if node["kind"] == "job" and (
        nid not in now_nodes or node["action"] != now_nodes[nid]["action"]
        or any(node["arguments"].get(k) != now_nodes[nid]["arguments"].get(k) for k in _STEPS))]
    for node_id in set(now_nodes) - set(then_nodes):
        _drop(draft, node_id)
    stamp = {"created_at": now, "created_by": actor.user_id, "modified_at": now, "modified_by": actor.user_id,
             "revision": 1}
    for node_id in sorted(then_nodes, key=lambda n: len(_ancestors(then_nodes, n))):  # parents first
        _put(draft, node_id, then_nodes[node_id], stamp)
    draft.reindex()
    if bool(draft.process["cert_auto_approve"]) != flag_before:
        regenerate = draft.certification_jobs()
    for job_id in regenerate:
        draft.regenerate(job_id, actor=actor, now=now)
    problems = validate_process(draft_to_spec(draft, name=draft.process["name"]))
    if problems:
        raise ServiceError([AppError(e.code, f"The process as it was at revision {to_revision} breaks a rule now: "
                                     f"{e.message}", "toRevision", {**(e.meta or {}), "path": e.target,
                                                                    "toRevision": to_revision}) for e in problems])


def _drop(draft: Draft, node_id: str) -> None:
    """Take a client node out of the rows (its generated group with it); the tree is reindexed after."""
    generated = draft.generated.get(node_id)
    for nid in draft.subtree(generated) if generated is not None else ():
        draft.groups.pop(nid, None)
        draft.jobs.pop(nid, None)
    draft.groups.pop(node_id, None)
    draft.jobs.pop(node_id, None)
    draft.tags.pop(node_id, None)


def _put(draft: Draft, node_id: str, node: dict[str, Any], stamp: dict[str, Any]) -> None:
    """Set a node's row from its document entry, making the row (under the same id) when it is gone."""
    place = {"parent_group_id": node["parentId"], "ordinal": node["ordinal"]}
    if node["kind"] == "group":
        fields = {"name": node["name"], "parallel": node["parallel"], "trigger_type": node["triggerType"],
                  "read_only": node["readOnly"], "due_date": _date(node["dueDate"])}
        if node_id not in draft.groups:
            draft.groups[node_id] = {"id": node_id, "process_id": draft.process["id"], "parent_job_id": None,
                                     "generated": False, **stamp}
        draft.groups[node_id].update(place, **fields)
        return
    fields = {"action": node["action"], "arguments": copy.deepcopy(node["arguments"]),
              "trigger_type": node["triggerType"]}
    tags = [(t["category"], t["value"]) for t in node["tags"]]
    if node_id not in draft.jobs:
        draft.jobs[node_id] = {"id": node_id, "process_id": draft.process["id"], "generated": False, **stamp}
        draft.tags.pop(node_id, None)
    draft.jobs[node_id].update(place, **fields)
    if [(t["category"], t["value"]) for t in draft.tags.get(node_id, [])] != tags:
        draft.set_tags(node_id, tags)
