"""A process loaded for writing: edited in memory, then saved as the difference from what was loaded.

Every definition write goes through a Draft, so revisions, dense ordinals,
certification regeneration and history are handled once for all mutations.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.service import Actor
from app.db import table, update_many
from app.errors import READ_ONLY, AppError, ServiceError, not_found
from app.ids import new_id
from app.process import certification, history
from app.process.inputs import GroupSpec, JobSpec
from app.process.models import Process, ProcessGroup, ProcessHistory, ProcessJob, TagLink
from app.process.rows import RowBuilder

PROCESSES, GROUPS, JOBS, TAG_LINKS, HISTORY = (table(m) for m in (Process, ProcessGroup, ProcessJob, TagLink, ProcessHistory))

# Process columns in the history document, by their seed JSON names.
PROCESS_DOC_FIELDS = {
    "name": "name", "autoClose": "auto_close", "certAutoApprove": "cert_auto_approve",
    "relativeDates": "relative_dates", "ipmBetaEnabled": "ipm_beta_enabled", "iwmOptOut": "iwm_opt_out",
    "dueDate": "due_date", "businessStartDate": "business_start_date", "businessEndDate": "business_end_date",
    "businessDaysOfWeek": "business_days_of_week", "businessDateExclusions": "business_date_exclusions",
    "businessDateInclusions": "business_date_inclusions", "calendarIds": "calendars",
    "defaultCertSignerReminders": "default_cert_signer_reminders",
    "defaultCertApproverReminders": "default_cert_approver_reminders",
}
GROUP_FIELDS = ("name", "parallel", "trigger_type", "read_only", "due_date")
JOB_FIELDS = ("action", "arguments", "trigger_type")


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


class Draft:
    """The process row and its whole tree as mutable dicts, plus a snapshot of what was loaded."""

    def __init__(self, process: dict[str, Any], groups: list[dict[str, Any]], jobs: list[dict[str, Any]],
                 tags: list[dict[str, Any]]) -> None:
        self.process = process
        self.groups = {g["id"]: g for g in groups}
        self.jobs = {j["id"]: j for j in jobs}
        self.tags: dict[str, list[dict[str, Any]]] = {}
        for t in sorted(tags, key=lambda t: t["position"]):
            self.tags.setdefault(t["job_id"], []).append(t)
        self.children: dict[str, list[str]] = {}
        self.generated: dict[str, str] = {}  # certification job id -> generated group id
        self.reindex()
        self._before = copy.deepcopy((self.process, self.groups, self.jobs, self.tags))
        self._doc_before = self.doc()

    def reindex(self) -> None:
        """Rebuild `children` and `generated` from the rows' parents and ordinals (after rows were replaced)."""
        self.children = {gid: [] for gid in self.groups}
        self.generated = {}
        for g in sorted(self.groups.values(), key=lambda g: g["ordinal"]):
            if g["parent_group_id"] is not None:
                self.children[g["parent_group_id"]].append(g["id"])
            elif g["parent_job_id"] is not None:
                self.generated[g["parent_job_id"]] = g["id"]
        for j in sorted(self.jobs.values(), key=lambda j: j["ordinal"]):
            self.children[j["parent_group_id"]].append(j["id"])
        for kids in self.children.values():
            kids.sort(key=lambda i: self.node(i)["ordinal"])

    # ---- loading ----

    @classmethod
    async def load(cls, conn: AsyncConnection, *, actor: Actor, process_id: str, include_trashed: bool = False
                   ) -> Draft:
        """Lock the process row (FOR UPDATE) and load its tree; NOT_FOUND outside the actor's workspace."""
        stmt = select(PROCESSES).where(PROCESSES.c.id == process_id, PROCESSES.c.workspace_id == actor.workspace_id).with_for_update()
        row = (await conn.execute(stmt)).first()
        if row is None or (row.trashed_at is not None and not include_trashed):
            raise ServiceError(not_found("process", process_id))
        groups = (await conn.execute(select(GROUPS).where(GROUPS.c.process_id == process_id))).mappings().all()
        jobs = (await conn.execute(select(JOBS).where(JOBS.c.process_id == process_id))).mappings().all()
        tags = (await conn.execute(select(TAG_LINKS).where(TAG_LINKS.c.process_id == process_id))).mappings().all()
        return cls(dict(row._mapping), [dict(g) for g in groups], [dict(j) for j in jobs], [dict(t) for t in tags])

    # ---- reading ----

    def node(self, node_id: str) -> dict[str, Any]:
        return self.groups.get(node_id) or self.jobs[node_id]

    def has(self, node_id: str) -> bool:
        return node_id in self.groups or node_id in self.jobs

    def is_group(self, node_id: str) -> bool:
        return node_id in self.groups

    @property
    def root_id(self) -> str:
        return str(self.process["root_group_id"])

    def parent_of(self, node_id: str) -> str | None:
        n = self.node(node_id)
        return n.get("parent_group_id") if node_id in self.jobs or n["parent_job_id"] is None else n["parent_job_id"]

    def ancestors(self, node_id: str) -> list[str]:
        """Ids above a node up to the root (a generated group's chain passes through its job)."""
        out: list[str] = []
        current = self.parent_of(node_id)
        while current is not None:
            out.append(current)
            current = self.parent_of(current)
        return out

    def is_generated(self, node_id: str) -> bool:
        return bool(self.node(node_id)["generated"])

    def locked_by(self, node_id: str) -> str | None:
        """The read-only group that locks this node's contents (itself included for groups), if any."""
        for gid in ([node_id] if node_id in self.groups else []) + self.ancestors(node_id):
            if gid in self.groups and self.groups[gid]["read_only"]:
                return gid
        return None

    def subtree(self, node_id: str) -> list[str]:
        """The node and everything below it, generated nodes included."""
        out = [node_id]
        i = 0
        while i < len(out):
            current = out[i]
            out.extend(self.children.get(current, ()))
            if current in self.generated:
                out.append(self.generated[current])
            i += 1
        return out

    def client_node_count(self) -> int:
        return sum(1 for n in (*self.groups.values(), *self.jobs.values()) if not n["generated"]) - 1

    def group_level(self, group_id: str) -> int:
        return sum(1 for a in self.ancestors(group_id) if a in self.groups)

    def subtree_depth(self, group_id: str) -> int:
        """How many group levels lie below this group (0 for a group without child groups)."""
        kids = [c for c in self.children.get(group_id, ()) if c in self.groups]
        return 0 if not kids else 1 + max(self.subtree_depth(c) for c in kids)

    def require_editable(self, node_id: str, target: str, *, own_fields: bool = True) -> None:
        """Refuse with READ_ONLY when the node is generated or locked by a read-only group."""
        if self.is_generated(node_id):
            raise ServiceError(AppError(READ_ONLY, "Generated certification nodes cannot be changed; change the "
                                        "certification job's arguments instead.", target, {"id": node_id}))
        lock = self.locked_by(node_id) if own_fields else self.locked_by_parent(node_id)
        if lock is not None:
            raise ServiceError(AppError(READ_ONLY, f"Group {lock} is read-only; set its readOnly to false first.",
                                        target, {"id": node_id, "readOnlyGroupId": lock}))

    def locked_by_parent(self, node_id: str) -> str | None:
        parent = self.parent_of(node_id)
        return None if parent is None else self.locked_by(parent)

    # ---- the history document ----

    def doc(self) -> dict[str, Any]:
        p = self.process
        d: dict[str, Any] = {k: _json_value(p[col]) for k, col in PROCESS_DOC_FIELDS.items()}
        d["trashed"] = p.get("trashed_at") is not None
        d["rootId"] = self.root_id
        nodes: dict[str, Any] = {}
        for g in self.groups.values():
            if not g["generated"]:
                nodes[g["id"]] = {"kind": "group", "parentId": g["parent_group_id"], "ordinal": g["ordinal"],
                                  "name": g["name"], "parallel": g["parallel"], "triggerType": g["trigger_type"],
                                  "readOnly": g["read_only"], "dueDate": _json_value(g["due_date"])}
        for j in self.jobs.values():
            if not j["generated"]:
                nodes[j["id"]] = {"kind": "job", "parentId": j["parent_group_id"], "ordinal": j["ordinal"],
                                  "action": j["action"], "arguments": copy.deepcopy(j["arguments"]),
                                  "triggerType": j["trigger_type"],
                                  "tags": [{"category": t["category"], "value": t["value"]}
                                           for t in self.tags.get(j["id"], [])]}
        d["nodes"] = nodes
        return d

    # ---- edits (callers check permissions and input first) ----

    def renumber(self, parent_id: str) -> None:
        for i, child in enumerate(self.children[parent_id]):
            self.node(child)["ordinal"] = i

    def insert(self, spec: GroupSpec | JobSpec, *, parent_id: str, index: int, actor: Actor, now: datetime) -> str:
        """Add a new subtree (or job) under `parent_id` at `index`; returns its id."""
        rows = RowBuilder(process_id=self.process["id"], actor=actor, now=now,
                          cert_auto_approve=bool(self.process["cert_auto_approve"]))
        if isinstance(spec, GroupSpec):
            new_id_ = rows.add_tree(spec, parent_group_id=parent_id, ordinal=index)
        else:
            new_id_ = str(rows.add_job(spec, parent_group_id=parent_id, ordinal=index)["id"])
        self._absorb(rows)
        kids = self.children[parent_id]
        if new_id_ in kids:
            kids.remove(new_id_)
        kids.insert(index, new_id_)
        self.renumber(parent_id)
        return new_id_

    def _absorb(self, rows: RowBuilder) -> None:
        for g in rows.groups:
            self.groups[g["id"]] = g
            self.children[g["id"]] = []
        for g in rows.groups:
            if g["parent_group_id"] is not None and g["parent_group_id"] in self.children:
                if g["id"] not in self.children[g["parent_group_id"]]:
                    self.children[g["parent_group_id"]].append(g["id"])
            elif g["parent_job_id"] is not None:
                self.generated[g["parent_job_id"]] = g["id"]
        for j in rows.jobs:
            self.jobs[j["id"]] = j
            if j["id"] not in self.children[j["parent_group_id"]]:
                self.children[j["parent_group_id"]].append(j["id"])
        for t in rows.tags:
            self.tags.setdefault(t["job_id"], []).append(t)
        for kids in self.children.values():
            kids.sort(key=lambda i: self.node(i)["ordinal"])

    def remove(self, node_id: str) -> None:
        """Remove a node with its whole subtree."""
        parent = self.parent_of(node_id)
        for nid in self.subtree(node_id):
            self.groups.pop(nid, None)
            self.jobs.pop(nid, None)
            self.children.pop(nid, None)
            self.tags.pop(nid, None)
            self.generated.pop(nid, None)
        if parent is not None and parent in self.children:
            self.children[parent].remove(node_id)
            self.renumber(parent)

    def move(self, node_id: str, *, parent_id: str, index: int) -> None:
        old_parent = self.parent_of(node_id)
        assert old_parent is not None
        self.children[old_parent].remove(node_id)
        self.renumber(old_parent)
        self.children[parent_id].insert(index, node_id)
        self.node(node_id)["parent_group_id"] = parent_id
        self.renumber(parent_id)

    def set_tags(self, job_id: str, tags: list[tuple[str, str]]) -> None:
        self.tags[job_id] = [{"id": new_id(), "process_id": self.process["id"], "job_id": job_id, "position": i,
                              "category": c, "value": v} for i, (c, v) in enumerate(tags)]

    def regenerate(self, job_id: str, *, actor: Actor, now: datetime) -> None:
        """Replace a certification job's generated group by one derived from its current arguments."""
        old = self.generated.get(job_id)
        if old is not None:
            for nid in self.subtree(old):
                self.groups.pop(nid, None)
                self.jobs.pop(nid, None)
                self.children.pop(nid, None)
            self.generated.pop(job_id, None)
        job = self.jobs[job_id]
        if job["action"] != "certification":
            return
        rows = RowBuilder(process_id=self.process["id"], actor=actor, now=now,
                          cert_auto_approve=bool(self.process["cert_auto_approve"]))
        certification.generate(job_id=job_id, arguments=job["arguments"],
                               cert_auto_approve=bool(self.process["cert_auto_approve"]),
                               make_group=rows.group, make_job=rows.job)
        self._absorb(rows)

    def certification_jobs(self) -> list[str]:
        return [j["id"] for j in self.jobs.values() if j["action"] == "certification"]

    # ---- saving ----

    async def save(self, conn: AsyncConnection, *, actor: Actor, mutation: str, now: datetime) -> bool:
        """Write what changed since loading; bump revisions and record history. False when nothing changed."""
        old_process, old_groups, old_jobs, old_tags = self._before
        inserts_g = [g for gid, g in self.groups.items() if gid not in old_groups]
        inserts_j = [j for jid, j in self.jobs.items() if jid not in old_jobs]
        deleted_g = [gid for gid in old_groups if gid not in self.groups]
        deleted_j = [jid for jid in old_jobs if jid not in self.jobs]
        stamp = {"modified_at": now, "modified_by": actor.user_id}
        updates_g = [g for gid, g in self.groups.items() if gid in old_groups and _differs(
            old_groups[gid], g, (*GROUP_FIELDS, "parent_group_id", "ordinal"))]
        tag_key = {jid: [(t["category"], t["value"]) for t in ts] for jid, ts in self.tags.items()}
        old_tag_key = {jid: [(t["category"], t["value"]) for t in ts] for jid, ts in old_tags.items()}
        retagged = [jid for jid in self.jobs if jid in old_jobs and tag_key.get(jid, []) != old_tag_key.get(jid, [])]
        updates_j = [j for jid, j in self.jobs.items() if jid in old_jobs and (
            _differs(old_jobs[jid], j, (*JOB_FIELDS, "parent_group_id", "ordinal")) or jid in retagged)]
        process_cols = [*PROCESS_DOC_FIELDS.values(), "trashed_at", "trashed_by"]
        process_changed = _differs(old_process, self.process, process_cols)
        if not (inserts_g or inserts_j or deleted_g or deleted_j or updates_g or updates_j or process_changed):
            return False
        for row in (*updates_g, *updates_j):
            row["revision"] += 1
            row.update(stamp)
        if inserts_g:
            await conn.execute(insert(GROUPS), inserts_g)
        if inserts_j:
            await conn.execute(insert(JOBS), inserts_j)
        await update_many(conn, GROUPS, updates_g, (*GROUP_FIELDS, "parent_group_id", "ordinal", "revision",
                                                   "modified_at", "modified_by"))
        await update_many(conn, JOBS, updates_j, (*JOB_FIELDS, "parent_group_id", "ordinal", "revision",
                                                   "modified_at", "modified_by"))
        if retagged:
            await conn.execute(delete(TAG_LINKS).where(TAG_LINKS.c.job_id.in_(retagged)))
        new_tags = [t for jid in (*retagged, *(j["id"] for j in inserts_j)) for t in self.tags.get(jid, [])]
        if new_tags:
            await conn.execute(insert(TAG_LINKS), new_tags)
        if deleted_j:
            await conn.execute(delete(JOBS).where(JOBS.c.id.in_(deleted_j)))
        if deleted_g:
            await conn.execute(delete(GROUPS).where(GROUPS.c.id.in_(deleted_g)))
        self.process["revision"] += 1
        self.process.update(stamp)
        await conn.execute(update(PROCESSES).where(PROCESSES.c.id == self.process["id"]).values(
            {c: self.process[c] for c in (*process_cols, "name_key", "revision", "modified_at", "modified_by")}))
        after = self.doc()
        await conn.execute(insert(HISTORY), [{
            "id": new_id(), "process_id": self.process["id"], "revision": self.process["revision"],
            "mutation": mutation, "user_id": actor.user_id, "at": now,
            "operations": history.diff(self._doc_before, after), "inverse": history.diff(after, self._doc_before),
        }])
        return True


def _differs(old: dict[str, Any], new: dict[str, Any], cols: tuple[str, ...] | list[str]) -> bool:
    return any(old.get(c) != new.get(c) for c in cols)

