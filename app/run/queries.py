"""Root query fields of the run domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import VALIDATION_ERROR, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.lookahead import lookahead_at
from app.graphql.pagination import PageInfo, decode_cursor, encode_cursor, page_size
from app.ids import is_id
from app.run import service
from app.run.dataloaders import RunByIdLoader
from app.run.types import RUN_NESTING, ProcessRun, ProcessRunSummary, RunStatus


@strawberry.input(description="Filters of a run list.")
class ProcessRunFilter:
    status: RunStatus | None = strawberry.field(default=None, description="Keep runs with this status.")
    overdue: bool | None = strawberry.field(default=None, description="True: keep runs with at least one overdue job "
                                            "run (past its due date in UTC, not settled); false: runs with none.")


@strawberry.type(description="An edge of a run list.")
class ProcessRunSummaryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this row; pass it as `after`.")
    node: ProcessRunSummary = strawberry.field(description="The run summary.")


@strawberry.type(description="A page of run summaries, newest first.")
class ProcessRunSummaryConnection:
    edges: list[ProcessRunSummaryEdge] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")


def _after_key(after: str | None, kind: str) -> tuple[str, str] | None:
    """The (created at, id) position of an `after` cursor, or VALIDATION_ERROR when this API did not make it."""
    key = None if after is None else decode_cursor(after, kind, 2)
    if key is not None and not all(isinstance(v, str) for v in key):
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after"))
    return None if key is None else (key[0], key[1])


async def run_connection(info: Info, *, process_id: str | None, status: str | None, first: int | None,
                         after: str | None, overdue: bool | None = None) -> ProcessRunSummaryConnection:
    ctx = info.context
    size = page_size(first, default=ctx.settings.default_page_size, maximum=ctx.settings.max_page_size)
    kind = f"runs:{process_id or '*'}:{status or '*'}" + ("" if overdue is None else f":overdue={overdue}")
    try:
        rows, has_next = await service.runs_page(ctx.engine, workspace_id=ctx.actor.workspace_id,
                                                 process_id=process_id, status=status, first=size,
                                                 after=_after_key(after, kind), overdue=overdue,
                                                 overdue_on=ctx.settings.clock.now().date())
    except ValueError as exc:
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after")) from exc
    for r in rows:
        ctx.loaders.get(RunByIdLoader).prime(r.id, r)
    edges = [ProcessRunSummaryEdge(cursor=encode_cursor(kind, [r.created_at.isoformat(), r.id]),
                                   node=ProcessRunSummary.from_row(r)) for r in rows]
    return ProcessRunSummaryConnection(edges=edges, page_info=PageInfo.of(edges, has_next=has_next, after=after))


_FIRST = "How many rows: default 100, at most 1000 (more is refused with LIMIT_EXCEEDED)."


@strawberry.type
class RunQuery:
    @strawberry.field(description="One run with its run-time tree; null when no such run is visible.")
    async def process_run(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The run's id.")],
        exclude_generated_jobs: Annotated[bool, strawberry.argument(
            description="Hide generated certification group runs and job runs (counts still include them).")] = False,
    ) -> ProcessRun | None:
        if not is_id(id):
            return None
        row = await info.context.loaders.get(RunByIdLoader).load(str(id))
        if row is None:
            return None
        run = ProcessRun.from_row(row, exclude_generated=exclude_generated_jobs)
        # A selection that reads the tree counts its statuses from the tree's rows (no statement of its own).
        run._reads_tree = any(lookahead_at(info, (name,), RUN_NESTING) is not None for name in ("root", "nodes"))
        return run

    @strawberry.field(description="Runs across processes, newest first.")
    async def process_runs(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description="Rows after this cursor.")] = None,
        filter: Annotated[ProcessRunFilter | None, strawberry.argument(description="Which runs to keep.")] = None,
    ) -> ProcessRunSummaryConnection:
        status = None if filter is None or filter.status is None else str(filter.status.value)
        return await run_connection(info, process_id=None, status=status, first=first, after=after,
                                    overdue=None if filter is None else filter.overdue)
