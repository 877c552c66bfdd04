"""Live runs over graphql-transport-ws: events replayed from a sequence number then streamed, and run
summaries as they change. Delivery is by sequence number read from the database, so the seam between
replay and live has no gap and no duplicate, and a reconnect with the last sequence loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from app.auth.service import READ
from app.bus import bus
from app.errors import FORBIDDEN, LIMIT_EXCEEDED, NOT_FOUND, AppError
from app.graphql.context import Context, Info
from app.graphql.errors import error_extensions
from app.ids import is_id
from app.run import service
from app.run.types import ProcessRunSummary, RunEvent, counts

STALL_CLOSE_CODE = 4008
STALL_CLOSE_REASON = "Subscriber too slow"


class SubscriptionStats:
    """What the tests and the benchmark read: open subscriptions, and the largest server-side buffer seen."""

    active_by_token: dict[str, int] = {}
    max_buffered = 0


def _refuse(code: str, message: str, **meta: Any) -> GraphQLError:
    return GraphQLError(message, extensions=error_extensions(AppError(code, message, "runId", meta or None)))


async def _visible_run(ctx: Context, run_id: str) -> Any:
    if READ not in ctx.actor.scopes:
        raise _refuse(FORBIDDEN, "This token lacks the 'read' scope that a subscription needs.", requiredScope=READ)
    row = None
    if is_id(run_id):
        async with ctx.engine.connect() as conn:
            row = (await service.runs_by_ids(conn, workspace_id=ctx.actor.workspace_id, ids=[run_id])).get(run_id)
    if row is None:
        raise _refuse(NOT_FOUND, f"No run with id '{run_id}' exists.", id=run_id)
    return row


@contextlib.asynccontextmanager
async def _slot(ctx: Context) -> AsyncIterator[None]:
    """Counts this subscription against its token's cap (per gateway process)."""
    key = ctx.actor.token_id or ctx.actor.user_id
    cap = ctx.settings.max_subscriptions_per_token
    active = SubscriptionStats.active_by_token
    if active.get(key, 0) >= cap:
        raise _refuse(LIMIT_EXCEEDED, f"A token holds at most {cap} subscriptions on one gateway process.",
                      limit=cap, actual=active.get(key, 0) + 1, limitName="subscriptionsPerToken")
    active[key] = active.get(key, 0) + 1
    try:
        yield
    finally:
        active[key] -= 1
        if not active[key]:
            del active[key]


class _Watchdog:
    """Closes the WebSocket of a subscriber that stopped reading: blocked on a send for longer than the
    stall time while more than `cap` events wait for it. Runs beside the subscription's generator."""

    def __init__(self, ctx: Context, run_id: str) -> None:
        self.ctx, self.run_id = ctx, run_id
        self.delivered = 0
        self.sending_since: float | None = None
        self.closing = False
        self.closer: asyncio.Task[None] | None = None
        self.task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        settings = self.ctx.settings
        while True:
            await asyncio.sleep(min(1.0, settings.subscription_stall_seconds / 2))
            if self.sending_since is None or time.monotonic() - self.sending_since < settings.subscription_stall_seconds:
                continue
            async with self.ctx.engine.connect() as conn:
                latest = await service.latest_event_seq(conn, run_id=self.run_id)
            behind = latest - self.delivered
            if behind > settings.subscription_buffer_events:
                reason = f"{STALL_CLOSE_REASON}: {behind} events behind (cap {settings.subscription_buffer_events})"
                self.closing = True
                # The close frame queues behind the frames the subscriber has not read; it is sent as soon
                # as the transport can take it, and nothing more is read from the database for it.
                self.closer = asyncio.create_task(self._close(reason[:120]))
                return

    async def _close(self, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ctx.request.close(code=STALL_CLOSE_CODE, reason=reason)

    def stop(self) -> None:
        self.task.cancel()


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
        page = ctx.settings.subscription_page_events
        async with _slot(ctx):
            with bus.watch(str(run_id)) as wake:
                watchdog = _Watchdog(ctx, str(run_id))
                watchdog.delivered = last = max(0, after_sequence)
                try:
                    while True:
                        wake.clear()
                        async with ctx.engine.connect() as conn:
                            rows = await service.events_page(conn, run_id=str(run_id), first=page, after_seq=last)
                        batch = rows[:page]
                        SubscriptionStats.max_buffered = max(SubscriptionStats.max_buffered, len(batch))
                        for row in batch:
                            watchdog.sending_since = time.monotonic()
                            yield RunEvent.from_row(row)
                            watchdog.sending_since = None
                            last = watchdog.delivered = row.seq
                            if watchdog.closing:
                                return
                        if len(rows) <= page:
                            await wake.wait()
                finally:
                    watchdog.stop()

    @strawberry.subscription(description="A run's summary (status, statusCounts), first as it is, then each time it "
                             "changes.")
    async def run_summary(
        self, info: Info, run_id: Annotated[strawberry.ID, strawberry.argument(description="The run.")],
    ) -> AsyncGenerator[ProcessRunSummary, None]:
        ctx = info.context
        await _visible_run(ctx, str(run_id))
        async with _slot(ctx):
            with bus.watch(str(run_id)) as wake:
                seen: Any = None
                while True:
                    wake.clear()
                    async with ctx.engine.connect() as conn:
                        row = (await service.runs_by_ids(conn, workspace_id=ctx.actor.workspace_id,
                                                         ids=[str(run_id)]))[str(run_id)]
                        tally = (await service.status_counts(conn, run_ids=[str(run_id)]))[str(run_id)]
                    key = (row.status, row.revision, tuple(sorted(tally.items())))
                    if key != seen:
                        seen = key
                        summary = ProcessRunSummary.from_row(row)
                        summary._counts = counts(tally)
                        yield summary
                    await wake.wait()
