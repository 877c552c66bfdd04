"""Live runs over graphql-transport-ws: events replayed from a sequence number then streamed, and run
summaries as they change. Delivery is by sequence number read from the database, so the seam between
replay and live has no gap and no duplicate, and a reconnect with the last sequence loses nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from app.bus import bus
from app.errors import NOT_FOUND
from app.graphql.context import Context, Info
from app.graphql.live import (
    STALL_CLOSE_CODE,
    STALL_CLOSE_REASON,
    refuse,
    require_read,
    sequenced,
    slot,
)
from app.ids import is_id
from app.run import service
from app.run.types import ProcessRunSummary, RunEvent, counts


def _refuse(code: str, message: str, **meta: Any) -> GraphQLError:
    return refuse(code, message, "runId", **meta)


async def _visible_run(ctx: Context, run_id: str) -> Any:
    require_read(ctx, "runId")
    row = None
    if is_id(run_id):
        async with ctx.engine.connect() as conn:
            row = (await service.runs_by_ids(conn, workspace_id=ctx.actor.workspace_id, ids=[run_id])).get(run_id)
    if row is None:
        raise _refuse(NOT_FOUND, f"No run with id '{run_id}' exists.", id=run_id)
    return row


async def _run_and_counts(ctx: Context, run_id: str) -> tuple[Any, dict[str, int]]:
    """A run's row and its job runs' status counts, read together."""
    async with ctx.engine.connect() as conn:
        row = (await service.runs_by_ids(conn, workspace_id=ctx.actor.workspace_id, ids=[run_id]))[run_id]
        return row, (await service.status_counts(conn, run_ids=[run_id]))[run_id]


@strawberry.type
class RunSubscription:
    @strawberry.subscription(description="A run's events: first those after `afterSequence` from the log, then new "
                             "ones as they happen, in sequence order, without gap or duplicate. Reconnect with the "
                             "last sequence you saw to resume. A subscriber that stops reading is closed with "
                             f"code {STALL_CLOSE_CODE} ({STALL_CLOSE_REASON}).")
    async def run_events(
        self, info: Info,
        run_id: Annotated[strawberry.ID, strawberry.argument(description="The run.")],
        after_sequence: Annotated[int, strawberry.argument(
            description="Replay events after this sequence number (0: from the start).")] = 0,
    ) -> AsyncGenerator[RunEvent, None]:
        ctx = info.context
        await _visible_run(ctx, str(run_id))

        async def read(after_seq: int, first: int) -> list[Any]:
            async with ctx.engine.connect() as conn:
                return await service.events_page(conn, run_id=str(run_id), first=first, after_seq=after_seq)

        async def latest(_delivered: int) -> int:
            async with ctx.engine.connect() as conn:
                return await service.latest_event_seq(conn, run_id=str(run_id))

        async with contextlib.aclosing(sequenced(ctx, key=str(run_id), after=after_sequence, read=read,
                                                 latest=latest, unit="events")) as rows:
            async for row in rows:
                yield RunEvent.from_row(row)

    @strawberry.subscription(description="A run's summary (status, statusCounts), first as it is, then each time it "
                             "changes.")
    async def run_summary(
        self, info: Info, run_id: Annotated[strawberry.ID, strawberry.argument(description="The run.")],
    ) -> AsyncGenerator[ProcessRunSummary, None]:
        ctx = info.context
        await _visible_run(ctx, str(run_id))
        async with slot(ctx):
            with bus.watch(str(run_id)) as wake:
                seen: Any = None
                while True:
                    wake.clear()
                    row, tally = await _run_and_counts(ctx, str(run_id))
                    if (key := (row.status, row.revision, tuple(sorted(tally.items())))) != seen:
                        seen = key
                        summary = ProcessRunSummary.from_row(row)
                        summary._counts = counts(tally)
                        yield summary
                    await wake.wait()
