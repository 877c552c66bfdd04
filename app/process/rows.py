"""Insertable rows for a spec tree: new ids, dense ordinals, generated certification groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.auth.service import Actor
from app.ids import new_id
from app.process import certification
from app.process.inputs import GroupSpec, JobSpec


class RowBuilder:
    """Turns a spec tree into insertable rows, parents before children."""

    def __init__(self, *, process_id: str, actor: Actor, now: datetime, cert_auto_approve: bool) -> None:
        self.process_id = process_id
        self.stamp = {"created_at": now, "created_by": actor.user_id, "modified_at": now,
                      "modified_by": actor.user_id, "revision": 1}
        self.cert_auto_approve = cert_auto_approve
        self.groups: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []

    def group(self, *, parent_group_id: str | None, parent_job_id: str | None, ordinal: int, name: str,
              parallel: bool, trigger_type: str = "whenEligible", read_only: bool = True,
              due_date: Any = None, generated: bool = True) -> dict[str, Any]:
        row = {"id": new_id(), "process_id": self.process_id, "parent_group_id": parent_group_id,
               "parent_job_id": parent_job_id, "ordinal": ordinal, "name": name, "parallel": parallel,
               "trigger_type": trigger_type, "read_only": read_only, "due_date": due_date,
               "generated": generated, **self.stamp}
        self.groups.append(row)
        return row

    def job(self, *, parent_group_id: str, ordinal: int, action: str, arguments: dict[str, Any],
            trigger_type: str = "whenEligible", generated: bool = True) -> dict[str, Any]:
        row = {"id": new_id(), "process_id": self.process_id, "parent_group_id": parent_group_id,
               "ordinal": ordinal, "action": action, "arguments": arguments, "trigger_type": trigger_type,
               "generated": generated, **self.stamp}
        self.jobs.append(row)
        return row

    def add_tree(self, spec: GroupSpec, *, parent_group_id: str | None, ordinal: int) -> str:
        root = self.group(parent_group_id=parent_group_id, parent_job_id=None, ordinal=ordinal, name=spec.name,
                          parallel=spec.parallel, trigger_type=spec.trigger_type, read_only=spec.read_only,
                          due_date=spec.due_date, generated=False)
        # Breadth-first keeps every parent ahead of its children in the insert order.
        queue: list[tuple[str, GroupSpec]] = [(root["id"], spec)]
        while queue:
            group_id, group = queue.pop(0)
            for i, child in enumerate(group.children):
                if isinstance(child, GroupSpec):
                    row = self.group(parent_group_id=group_id, parent_job_id=None, ordinal=i, name=child.name,
                                     parallel=child.parallel, trigger_type=child.trigger_type,
                                     read_only=child.read_only, due_date=child.due_date, generated=False)
                    queue.append((row["id"], child))
                else:
                    self.add_job(child, parent_group_id=group_id, ordinal=i)
        return str(root["id"])

    def add_job(self, spec: JobSpec, *, parent_group_id: str, ordinal: int) -> dict[str, Any]:
        row = self.job(parent_group_id=parent_group_id, ordinal=ordinal, action=spec.action,
                       arguments=spec.arguments, trigger_type=spec.trigger_type, generated=False)
        for k, tag in enumerate(spec.tags):
            self.tags.append({"id": new_id(), "process_id": self.process_id, "job_id": row["id"],
                              "position": k, "category": tag.category, "value": tag.value})
        if spec.action == "certification":
            certification.generate(job_id=row["id"], arguments=spec.arguments,
                                   cert_auto_approve=self.cert_auto_approve,
                                   make_group=self.group, make_job=self.job)
        return row
