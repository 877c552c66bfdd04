"""processRevert: back to an earlier revision, as one new revision."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.graphql.context import Info
from app.graphql.payloads import attempt
from app.process import revisions
from app.process.mutations.common import EXPECTED_REVISION_DOC, known_id, refresh
from app.process.mutations.edit import ProcessEditPayload
from app.process.types import Process

REVERT_DOC = (
    "Return a process to the state it had at an earlier revision: the inverse patches from the current revision "
    "back to `toRevision` apply as ONE new revision (history mutation `processRevert`), so history keeps "
    "everything and a revert can itself be reverted. Nodes removed since come back under their old ids; "
    "generated certification nodes are derived again. The trash state is not reverted. It obeys every rule of "
    "a write, and on a refusal nothing is written: CONFLICT when `expectedRevision` is not the current one; "
    "VALIDATION_ERROR naming `toRevision` outside 1 to the current revision; READ_ONLY when a group read-only "
    "both now and at `toRevision` would change; and the write-time checks of a whole process (limits, forms), "
    "each error with `target` `toRevision` and the field's path in `meta.path`. Runs are never changed: each "
    "run works on its own copy of the tree, so a revert that removes or changes nodes that running runs were "
    "copied from is allowed, as any edit is; their job runs keep their `sourceJobId`. A revert to the current "
    "revision changes nothing.")


@strawberry.input(description="Which process to revert, and to which revision.")
class ProcessRevertInput:
    id: strawberry.ID = strawberry.field(description="The process's id.")
    to_revision: int = strawberry.field(description="The revision whose state to return to (1 to the current "
                                        "revision).")
    expected_revision: int | None = strawberry.field(default=None, description=EXPECTED_REVISION_DOC)
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back in the payload.")


@strawberry.type
class RevertMutation:
    @strawberry.mutation(description=REVERT_DOC)
    async def process_revert(
        self, info: Info, input: Annotated[ProcessRevertInput, strawberry.argument(description="The revert.")]
    ) -> ProcessEditPayload:
        ctx = info.context

        async def call() -> Any:
            return await revisions.revert_process(engine=ctx.engine, actor=ctx.actor, process_id=known_id(str(input.id)),
                                                  to_revision=input.to_revision,
                                                  expected_revision=input.expected_revision)
        row, errors = await attempt(call)
        if row is not None:
            refresh(ctx, row)
        return ProcessEditPayload(process=None if row is None else Process.from_row(row), errors=errors,
                                  client_mutation_id=input.client_mutation_id)
