"""Definition edits after create: JSON Patch, batch rename, tree edits, copy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.graphql.context import Context, Info
from app.graphql.errors import Error
from app.graphql.payloads import CMID_DOC, ERRORS_DOC, attempt
from app.process import edits
from app.process.draft import Draft
from app.process.mutations.common import known_id, refresh, tree_node
from app.process.mutations.edit_inputs import (
    GroupAddInput,
    GroupUpdateInput,
    JobAddInput,
    JobUpdateInput,
    NodeMoveInput,
    NodeRemoveInput,
    ProcessBatchUpdateInput,
    ProcessCopyInput,
    ProcessPatchInput,
)
from app.process.tree_types import ProcessGroup, ProcessJob, ProcessTreeNode
from app.process.types import Process

_PROCESS_DOC = "The process after the change; null when errors are given."


@strawberry.type(description="The result of a definition edit: the process after it, or the errors.")
class ProcessEditPayload:
    process: Process | None = strawberry.field(description=_PROCESS_DOC)
    errors: list[Error] = strawberry.field(description=ERRORS_DOC)
    client_mutation_id: str | None = strawberry.field(description=CMID_DOC)
    _node_id: strawberry.Private[str | None] = None

    @strawberry.field(description="The group or job the edit added, changed or moved; null when errors are given "
                      "or the edit names no node.")
    async def node(self, info: Info) -> ProcessTreeNode | None:
        if self.process is None or self._node_id is None:
            return None
        return await tree_node(info, str(self.process.id), self._node_id)

    @strawberry.field(description="The node, when it is a group (groupAdd, groupUpdate, nodeMove).")
    async def group(self, info: Info) -> ProcessGroup | None:
        node = await self.node(info)
        return node if isinstance(node, ProcessGroup) else None

    @strawberry.field(description="The node, when it is a job (jobAdd, jobUpdate, nodeMove).")
    async def job(self, info: Info) -> ProcessJob | None:
        node = await self.node(info)
        return node if isinstance(node, ProcessJob) else None


async def _edit(ctx: Context, process_id: str | None, node_id: str | None, expected_revision: int | None,
                mutation: str, change: Callable[[Draft, datetime], str | None]) -> tuple[Any, str | None]:
    """The process (from a node id when none is given), with `change` applied in one transaction."""
    if process_id is None:
        assert node_id is not None
        process_id = await edits.process_of_node(ctx.engine, actor=ctx.actor, node_id=known_id(node_id, "node"))
    return await edits.edit(engine=ctx.engine, actor=ctx.actor, process_id=known_id(process_id),
                            expected_revision=expected_revision, mutation=mutation, change=change)


async def _run_edit(info: Info, *, process_id: str | None, node_id: str | None, expected_revision: int | None,
                    client_mutation_id: str | None, mutation: str,
                    change: Callable[[Draft, datetime], str | None]) -> ProcessEditPayload:
    """Resolve the process (from a node id if needed), apply `change` in one transaction, build the payload."""
    result, errors = await attempt(lambda: _edit(info.context, process_id, node_id, expected_revision, mutation, change))
    if result is None:
        return ProcessEditPayload(process=None, errors=errors, client_mutation_id=client_mutation_id)
    row, touched = result
    refresh(info.context, row)
    return ProcessEditPayload(process=Process.from_row(row), errors=[], client_mutation_id=client_mutation_id,
                              _node_id=touched)


@strawberry.type
class EditMutation:
    @strawberry.mutation(description="Apply a JSON Patch to a process (the seed's ProcessJSONPatchDocument). "
                         "All operations apply or none; each refused operation is reported with its path as "
                         "`target` and its index in `meta`. Changing `/certAutoApprove` regenerates every "
                         "certification's generated group.")
    async def process_patch(self, info: Info, input: Annotated[ProcessPatchInput, strawberry.argument(description="The patch.")]) -> ProcessEditPayload:
        ops = [o.to_dict() for o in input.operations]

        def change(draft: Draft, now: datetime) -> None:
            edits.apply_patch(draft, now, operations=ops, actor=info.context.actor)
        return await _run_edit(info, process_id=str(input.id), node_id=None, mutation="processPatch",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Rename jobs and groups in one batch (the seed's POST /batchUpdates). Atomic: "
                         "if any item fails, nothing changes and every failing item is reported with `target` "
                         "`data[i]` and its index and id in `meta`.")
    async def process_batch_update(
        self, info: Info, input: Annotated[ProcessBatchUpdateInput, strawberry.argument(description="The batch.")]
    ) -> ProcessEditPayload:
        items = [i.to_item() for i in input.data]

        def change(draft: Draft, now: datetime) -> None:
            edits.apply_batch(draft, now, items=items)
        return await _run_edit(info, process_id=str(input.id), node_id=None, mutation="processBatchUpdate",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Add a group, with any subtree, under a parent group at a position.")
    async def group_add(self, info: Info, input: Annotated[GroupAddInput, strawberry.argument(description="The group to add.")]) -> ProcessEditPayload:
        spec = input.group.to_spec(level=1)
        position = input.position.to_position() if input.position else None

        def change(draft: Draft, now: datetime) -> str:
            return edits.add_node(draft, now, actor=info.context.actor, parent_id=str(input.parent_id),
                                  position=position, spec=spec, path="group")
        return await _run_edit(info, process_id=None, node_id=str(input.parent_id), mutation="groupAdd",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Add a job under a parent group at a position.")
    async def job_add(self, info: Info, input: Annotated[JobAddInput, strawberry.argument(description="The job to add.")]) -> ProcessEditPayload:
        spec = input.job.to_spec()
        position = input.position.to_position() if input.position else None

        def change(draft: Draft, now: datetime) -> str:
            return edits.add_node(draft, now, actor=info.context.actor, parent_id=str(input.parent_id),
                                  position=position, spec=spec, path="job")
        return await _run_edit(info, process_id=None, node_id=str(input.parent_id), mutation="jobAdd",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Change a group's name, parallel, triggerType, dueDate or readOnly. A read-only "
                         "group refuses changes (READ_ONLY) except an update that only sets readOnly to false.")
    async def group_update(self, info: Info, input: Annotated[GroupUpdateInput, strawberry.argument(description="The changes.")]) -> ProcessEditPayload:
        group_id = str(input.id)
        changes = input.changes()

        def change(draft: Draft, now: datetime) -> str:
            edits.find_node(draft, group_id, want_group=True)
            edits.update_group(draft, now, group_id=group_id, changes=changes)
            return group_id
        return await _run_edit(info, process_id=None, node_id=group_id, mutation="groupUpdate",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Change a job's triggerType, arguments or tags. Generated jobs and jobs under a "
                         "read-only group refuse changes (READ_ONLY).")
    async def job_update(self, info: Info, input: Annotated[JobUpdateInput, strawberry.argument(description="The changes.")]) -> ProcessEditPayload:
        job_id = str(input.id)

        def change(draft: Draft, now: datetime) -> str:
            edits.find_node(draft, job_id, want_group=False)
            changes, tags = input.changes()
            spec = edits.job_spec(draft.jobs[job_id], changes, tags, draft.tags.get(job_id, []))
            edits.update_job(draft, now, actor=info.context.actor, job_id=job_id, changes=changes, tags=tags,
                             spec=spec)
            return job_id
        return await _run_edit(info, process_id=None, node_id=job_id, mutation="jobUpdate",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Move a group or job to another parent group or position. Moving a group under "
                         "itself or its own descendant is refused; ordinals stay dense under both parents.")
    async def node_move(self, info: Info, input: Annotated[NodeMoveInput, strawberry.argument(description="The move.")]) -> ProcessEditPayload:
        node_id = str(input.id)
        position = input.position.to_position() if input.position else None

        def change(draft: Draft, now: datetime) -> str:
            edits.find_node(draft, node_id)
            edits.move_node(draft, now, node_id=node_id, parent_id=str(input.parent_id), position=position)
            return node_id
        return await _run_edit(info, process_id=None, node_id=node_id, mutation="nodeMove",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Remove a group or job with everything below it; later siblings move up.")
    async def node_remove(self, info: Info, input: Annotated[NodeRemoveInput, strawberry.argument(description="The node to remove.")]) -> ProcessEditPayload:
        node_id = str(input.id)

        def change(draft: Draft, now: datetime) -> None:
            edits.find_node(draft, node_id)
            edits.remove_node(draft, now, node_id=node_id)
        return await _run_edit(info, process_id=None, node_id=node_id, mutation="nodeRemove",
                               expected_revision=input.expected_revision,
                               client_mutation_id=input.client_mutation_id, change=change)

    @strawberry.mutation(description="Copy a process with its whole tree under new ids; the copy starts at revision 1.")
    async def process_copy(self, info: Info, input: Annotated[ProcessCopyInput, strawberry.argument(description="The process to copy.")]) -> ProcessEditPayload:
        ctx = info.context

        async def call() -> Any:
            return await edits.copy_process(engine=ctx.engine, actor=ctx.actor, process_id=known_id(str(input.id)),
                                            name=input.name)
        row, errors = await attempt(call)
        if row is not None:
            refresh(ctx, row)
        return ProcessEditPayload(process=None if row is None else Process.from_row(row), errors=errors,
                                  client_mutation_id=input.client_mutation_id)
