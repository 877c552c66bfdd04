"""Create, copy, trash, restore and purge processes."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.graphql.context import Info
from app.graphql.errors import Error
from app.graphql.payloads import CMID_DOC, ERRORS_DOC, attempt
from app.process import edits, service
from app.process.dataloaders import ProcessByIdLoader
from app.process.mutations.common import known_id, refresh
from app.process.mutations.inputs import ProcessCreateInput, ProcessIdInput
from app.process.types import Process, ProcessSummary

_ERRORS = ERRORS_DOC
_CMID = CMID_DOC


@strawberry.type(description="The result of processCreate.")
class ProcessCreatePayload:
    process: Process | None = strawberry.field(description="The created process; null when errors are given.")
    errors: list[Error] = strawberry.field(description=_ERRORS)
    client_mutation_id: str | None = strawberry.field(description=_CMID)


@strawberry.type(description="The result of processTrash.")
class ProcessTrashPayload:
    trashed_process: ProcessSummary | None = strawberry.field(
        description="The process as it now sits in the trash; null when errors are given.")
    errors: list[Error] = strawberry.field(description=_ERRORS)
    client_mutation_id: str | None = strawberry.field(description=_CMID)


@strawberry.type(description="The result of processRestore.")
class ProcessRestorePayload:
    process: Process | None = strawberry.field(description="The restored process; null when errors are given.")
    errors: list[Error] = strawberry.field(description=_ERRORS)
    client_mutation_id: str | None = strawberry.field(description=_CMID)


@strawberry.type(description="The result of processPurge.")
class ProcessPurgePayload:
    purged_process_id: strawberry.ID | None = strawberry.field(
        description="The id of the process deleted for good; null when errors are given.")
    errors: list[Error] = strawberry.field(description=_ERRORS)
    client_mutation_id: str | None = strawberry.field(description=_CMID)


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(description="Create a process with its whole tree in one call (the seed's POST /processes). "
                         "All or nothing: on any error nothing is written and every problem is listed.")
    async def process_create(
        self, info: Info, input: Annotated[ProcessCreateInput, strawberry.argument(description="The process to create.")]
    ) -> ProcessCreatePayload:
        ctx = info.context
        row, errors = await attempt(lambda: service.create_process(engine=ctx.engine, actor=ctx.actor,
                                                                   spec=input.to_spec()))
        if row is not None:
            ctx.loaders.get(ProcessByIdLoader).prime(row.id, row)
        return ProcessCreatePayload(process=None if row is None else Process.from_row(row), errors=errors,
                                    client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Move a process to the trash (the seed's DELETE). Its runs stay readable; "
                         "every read but `trashedProcesses` stops seeing it. Adds 1 to its revision.")
    async def process_trash(
        self, info: Info, input: Annotated[ProcessIdInput, strawberry.argument(description="The process to trash.")]
    ) -> ProcessTrashPayload:
        ctx = info.context

        async def call() -> Any:
            known_id(input.id)
            return await edits.trash_process(engine=ctx.engine, actor=ctx.actor, process_id=input.id,
                                               expected_revision=input.expected_revision)
        row, errors = await attempt(call)
        ctx.loaders.get(ProcessByIdLoader).clear(input.id)
        return ProcessTrashPayload(trashed_process=None if row is None else ProcessSummary.from_row(row),
                                   errors=errors, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Bring a process back from the trash. Adds 1 to its revision.")
    async def process_restore(
        self, info: Info, input: Annotated[ProcessIdInput, strawberry.argument(description="The process to restore.")]
    ) -> ProcessRestorePayload:
        ctx = info.context

        async def call() -> Any:
            known_id(input.id)
            return await edits.restore_process(engine=ctx.engine, actor=ctx.actor, process_id=input.id,
                                                 expected_revision=input.expected_revision)
        row, errors = await attempt(call)
        if row is not None:
            refresh(ctx, row)
        return ProcessRestorePayload(process=None if row is None else Process.from_row(row), errors=errors,
                                     client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Delete a trashed process and its tree for good. Runs keep their own copy.")
    async def process_purge(
        self, info: Info, input: Annotated[ProcessIdInput, strawberry.argument(description="The trashed process to purge.")]
    ) -> ProcessPurgePayload:
        ctx = info.context

        async def call() -> str:
            known_id(input.id)
            return await service.purge_process(engine=ctx.engine, actor=ctx.actor, process_id=input.id,
                                               expected_revision=input.expected_revision)
        purged, errors = await attempt(call)
        return ProcessPurgePayload(purged_process_id=None if purged is None else strawberry.ID(purged), errors=errors, client_mutation_id=input.client_mutation_id)
