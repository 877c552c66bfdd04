"""GraphQL inputs of the definition edits after create: patch, batch rename, tree edits, copy."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.process import patch
from app.process.edits import MAX_BATCH_ITEMS, BatchItem, Position
from app.process.enums import TriggerType
from app.process.mutations.common import EXPECTED_REVISION_DOC
from app.process.mutations.inputs import (
    JobArgumentsInput,
    ProcessGroupInput,
    ProcessJobInput,
    TagLinkInput,
)

_CMID = "Echoed back in the payload."


_PAIRS = ", ".join(f"{path} ({'/'.join(entry.ops)})" for path, entry in patch.PATHS.items())


@strawberry.input(description="One RFC 6902 operation of the seed's ProcessJSONPatchDocument. Only the seed's "
                  f"path/op pairs are accepted: {_PAIRS}. "
                  "Values use the seed's JSON spellings (`\"whenEligible\"`, `\"monday\"`, `\"custom\"`).")
class PatchOperationInput:
    op: str = strawberry.field(description="The operation: `replace` or `remove` (others are refused with an error "
                               "naming the path).")
    path: str = strawberry.field(description="A JSON Pointer from the seed's table, e.g. `/dueDate`, `/calendarIds`.")
    value: JSON | None = strawberry.field(default=strawberry.UNSET,
                                          description="The new value (replace only), in the seed's JSON form.")

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "has_value": self.value is not strawberry.UNSET,
                "value": None if self.value is strawberry.UNSET else self.value}


@strawberry.input(description="A JSON Patch for a process (the seed's PATCH /processes/{id}); all operations "
                  "apply or none.")
class ProcessPatchInput:
    id: strawberry.ID = strawberry.field(description="The process's id.")
    operations: list[PatchOperationInput] = strawberry.field(
        description=f"The operations, applied in order (at most {patch.MAX_PATCH_OPERATIONS}); an empty list "
        "changes nothing.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.enum(description="What a batch update item renames (the seed's BatchUpdateItem.type).")
class BatchUpdateType(Enum):
    JOB_NAME = strawberry.enum_value("jobName", description="Rename a job: sets its arguments' title (seed `jobName`).")
    GROUP_NAME = strawberry.enum_value("groupName", description="Rename a group (seed `groupName`).")


@strawberry.input(description="A request to rename a job (the seed's JobNameUpdate).")
class JobNameUpdateInput:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    new_name: str = strawberry.field(description="The new title (at least 1 character).")


@strawberry.input(description="A request to rename a group (the seed's ProcessGroupNameUpdate).")
class ProcessGroupNameUpdateInput:
    id: strawberry.ID = strawberry.field(description="The group's id.")
    new_name: str = strawberry.field(description="The new name (at least 1 character).")


@strawberry.input(description="One rename of a batch (the seed's BatchUpdateItem): `type` and its matching update.")
class BatchUpdateItemInput:
    type: BatchUpdateType = strawberry.field(description="Which kind of rename.")
    job_name_update: JobNameUpdateInput | None = strawberry.field(default=None,
                                                                  description="Given with type JOB_NAME.")
    group_name_update: ProcessGroupNameUpdateInput | None = strawberry.field(
        default=None, description="Given with type GROUP_NAME.")

    def to_item(self) -> BatchItem:
        return BatchItem(
            type=str(self.type.value),
            job_update=None if self.job_name_update is None
            else (str(self.job_name_update.id), self.job_name_update.new_name),
            group_update=None if self.group_name_update is None
            else (str(self.group_name_update.id), self.group_name_update.new_name),
        )


@strawberry.input(description="A batch of renames (the seed's BatchUpdate); atomic: all items apply or none.")
class ProcessBatchUpdateInput:
    id: strawberry.ID = strawberry.field(description="The process's id.")
    data: list[BatchUpdateItemInput] = strawberry.field(
        description=f"0 to {MAX_BATCH_ITEMS} items; more is refused with LIMIT_EXCEEDED. Empty changes nothing.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.input(one_of=True, description="Where a node goes among its new siblings: exactly one of an index, "
                  "before a sibling, or after a sibling. Leave the whole input out to append.")
class PositionInput:
    index: int | None = strawberry.field(default=strawberry.UNSET, description="Zero-based index among the siblings.")
    before: strawberry.ID | None = strawberry.field(default=strawberry.UNSET,
                                                    description="Place it just before this sibling.")
    after: strawberry.ID | None = strawberry.field(default=strawberry.UNSET,
                                                   description="Place it just after this sibling.")

    def to_position(self) -> Position:
        def given(v: Any) -> Any:
            return None if v is strawberry.UNSET else v
        return Position(index=given(self.index), before=given(self.before), after=given(self.after))


@strawberry.input(description="A group (with any subtree) to add under a parent group.")
class GroupAddInput:
    parent_id: strawberry.ID = strawberry.field(description="The parent group's id.")
    group: ProcessGroupInput = strawberry.field(description="The group and its children.")
    position: PositionInput | None = strawberry.field(default=None, description="Where; default last.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.input(description="A job to add under a parent group.")
class JobAddInput:
    parent_id: strawberry.ID = strawberry.field(description="The parent group's id.")
    job: ProcessJobInput = strawberry.field(description="The job.")
    position: PositionInput | None = strawberry.field(default=None, description="Where; default last.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.input(description="Changes to a group; fields left out stay as they are.")
class GroupUpdateInput:
    id: strawberry.ID = strawberry.field(description="The group's id.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="A new name (non-empty).")
    parallel: bool | None = strawberry.field(default=strawberry.UNSET, description="Run children together or in order.")
    trigger_type: TriggerType | None = strawberry.field(default=strawberry.UNSET, description="What starts the group.")
    due_date: date | None = strawberry.field(default=strawberry.UNSET, description="A new due date; null clears it.")
    read_only: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Lock or unlock the group; an update that only sets false lifts a lock.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field, column in (("name", "name"), ("parallel", "parallel"), ("trigger_type", "trigger_type"),
                              ("due_date", "due_date"), ("read_only", "read_only")):
            value = getattr(self, field)
            if value is strawberry.UNSET or (value is None and field != "due_date"):
                continue
            out[column] = str(value.value) if isinstance(value, Enum) else value
        return out


@strawberry.input(description="Changes to a job; fields left out stay as they are.")
class JobUpdateInput:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    trigger_type: TriggerType | None = strawberry.field(default=strawberry.UNSET, description="What starts the job.")
    arguments: JobArgumentsInput | None = strawberry.field(
        default=strawberry.UNSET, description="New arguments, replacing the old ones whole (and the action with "
        "them); a certification's changed steps regenerate its generated group.")
    tags: list[TagLinkInput] | None = strawberry.field(default=strawberry.UNSET,
                                                       description="New tags, replacing the old ones.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)

    def changes(self) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The columns to change (trigger type; action and arguments) and the new tags (None: keep them)."""
        changes: dict[str, Any] = {}
        if self.trigger_type not in (strawberry.UNSET, None):
            changes["trigger_type"] = str(self.trigger_type.value)
        if self.arguments not in (strawberry.UNSET, None):
            changes["action"], changes["arguments"] = self.arguments.to_action()
        tags = None if self.tags in (strawberry.UNSET, None) else [(t.category, t.value) for t in self.tags]
        return changes, tags


@strawberry.input(description="Move a group or job to another parent or position.")
class NodeMoveInput:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    parent_id: strawberry.ID = strawberry.field(description="The new parent group (may be the current one).")
    position: PositionInput | None = strawberry.field(default=None, description="Where; default last.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.input(description="Remove a group or job with everything below it.")
class NodeRemoveInput:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)


@strawberry.input(description="Copy a process with its whole tree (new ids everywhere).")
class ProcessCopyInput:
    id: strawberry.ID = strawberry.field(description="The process to copy.")
    name: str | None = strawberry.field(default=None, description="The copy's name; default `Copy of <name>`.")
    client_mutation_id: str | None = strawberry.field(default=None, description=_CMID)
