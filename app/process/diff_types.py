"""GraphQL types of `Process.diff`: the JSON Patch between two revisions and its readable form."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.process import diffs
from app.process.revisions import ProcessDiff as DiffResult


@strawberry.enum(description="Whether a node of the tree is a group or a job.")
class ProcessNodeKind(Enum):
    GROUP = strawberry.enum_value("group", description="A group (seed `group`).")
    JOB = strawberry.enum_value("job", description="A job (seed `job`).")


_NAME_DOC = "The group's name or the job's name (its title)"


@strawberry.type(description="A group or job added or removed between the two revisions.")
class ProcessDiffNode:
    id: strawberry.ID = strawberry.field(description="The node's id (a removed node keeps it if it comes back).")
    kind: ProcessNodeKind = strawberry.field(description="Group or job.")
    name: str | None = strawberry.field(description=f"{_NAME_DOC}, in the state where it exists.")
    parent_id: strawberry.ID | None = strawberry.field(
        description="Its parent group's id in the state where it exists; null for the root.")


@strawberry.type(description="A group or job whose name changed.")
class ProcessDiffRename:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    kind: ProcessNodeKind = strawberry.field(description="Group or job.")
    from_name: str | None = strawberry.field(description=f"{_NAME_DOC} at `fromRevision`.")
    to_name: str | None = strawberry.field(description=f"{_NAME_DOC} at `toRevision`.")


@strawberry.type(description="A group or job under another parent, or out of order among the siblings it kept "
                 "(the fewest such siblings are reported; a shift caused only by siblings added or removed is "
                 "not a move).")
class ProcessDiffMove:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    kind: ProcessNodeKind = strawberry.field(description="Group or job.")
    name: str | None = strawberry.field(description=f"{_NAME_DOC} at `toRevision`.")
    from_parent_id: strawberry.ID | None = strawberry.field(description="The parent group's id at `fromRevision`.")
    to_parent_id: strawberry.ID | None = strawberry.field(description="The parent group's id at `toRevision`.")
    from_ordinal: int = strawberry.field(description="The 0-based position among its siblings at `fromRevision`.")
    to_ordinal: int = strawberry.field(description="The 0-based position among its siblings at `toRevision`.")


@strawberry.type(description="A group or job whose other fields changed.")
class ProcessDiffNodeChange:
    id: strawberry.ID = strawberry.field(description="The node's id.")
    kind: ProcessNodeKind = strawberry.field(description="Group or job.")
    name: str | None = strawberry.field(description=f"{_NAME_DOC} at `toRevision`.")
    fields: list[str] = strawberry.field(
        description="The changed fields by their JSON names: `parallel`, `triggerType`, `readOnly`, `dueDate` "
        "(groups); `action`, `arguments` (other than the title), `triggerType`, `tags` (jobs).")


@strawberry.type(description="A process field that changed, with its values in the seed's JSON spelling.")
class ProcessFieldChange:
    field: str = strawberry.field(description="The field's JSON name as in patches and history (`name`, `dueDate`, "
                                  "`calendarIds`, `trashed`, ...).")
    from_value: JSON | None = strawberry.field(description="The value at `fromRevision` (null when not set).")
    to_value: JSON | None = strawberry.field(description="The value at `toRevision` (null when not set).")


@strawberry.type(description="What changed from the state at `fromRevision` to the state at `toRevision`: as a "
                 "JSON Patch and in words. The states are composed from the stored history; `fromRevision` may be "
                 "later than `toRevision` (the patch then leads back, as a revert would).")
class ProcessDiff:
    from_revision: int = strawberry.field(description="The revision the patch starts from.")
    to_revision: int = strawberry.field(description="The revision the patch leads to.")
    operations: JSON = strawberry.field(
        description="JSON Patch operations (RFC 6902 add, remove, replace) in the history's path scheme (see "
        "ProcessHistoryEntry): applied to the state at `fromRevision` they give the state at `toRevision`. "
        "Empty when the two states are equal.")
    nodes_added: list[ProcessDiffNode] = strawberry.field(description="Nodes at `toRevision` only, by id.")
    nodes_removed: list[ProcessDiffNode] = strawberry.field(description="Nodes at `fromRevision` only, by id.")
    nodes_renamed: list[ProcessDiffRename] = strawberry.field(description="Nodes whose name changed, by id.")
    nodes_moved: list[ProcessDiffMove] = strawberry.field(description="Nodes that moved, by id.")
    nodes_changed: list[ProcessDiffNodeChange] = strawberry.field(
        description="Nodes whose other fields changed, by id.")
    process_fields_changed: list[ProcessFieldChange] = strawberry.field(
        description="Process fields that changed, by JSON name.")

    @classmethod
    def of(cls, found: DiffResult) -> ProcessDiff:
        summary = found.summary

        def node(ref: diffs.NodeRef) -> ProcessDiffNode:
            return ProcessDiffNode(id=strawberry.ID(ref.id), kind=ProcessNodeKind(ref.kind), name=ref.name,
                                   parent_id=None if ref.parent_id is None else strawberry.ID(ref.parent_id))

        def parent(value: str | None) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(value)

        return cls(
            from_revision=found.from_revision, to_revision=found.to_revision,
            operations=cast(JSON, found.operations),
            nodes_added=[node(r) for r in summary.added], nodes_removed=[node(r) for r in summary.removed],
            nodes_renamed=[ProcessDiffRename(id=strawberry.ID(r.id), kind=ProcessNodeKind(r.kind),
                                             from_name=r.old_name, to_name=r.new_name) for r in summary.renamed],
            nodes_moved=[ProcessDiffMove(id=strawberry.ID(m.id), kind=ProcessNodeKind(m.kind), name=m.name,
                                         from_parent_id=parent(m.old_parent_id), to_parent_id=parent(m.new_parent_id),
                                         from_ordinal=m.old_ordinal, to_ordinal=m.new_ordinal)
                         for m in summary.moved],
            nodes_changed=[ProcessDiffNodeChange(id=strawberry.ID(c.id), kind=ProcessNodeKind(c.kind), name=c.name,
                                                 fields=list(c.fields)) for c in summary.changed],
            process_fields_changed=[ProcessFieldChange(field=f.field, from_value=cast(JSON, f.old),
                                                       to_value=cast(JSON, f.new)) for f in summary.process_fields],
        )
