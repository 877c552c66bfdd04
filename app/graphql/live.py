"""What every subscription shares (cross-cutting): the per-token cap, and the watchdog that closes a subscriber
that stopped reading. Each domain's subscriptions read their own sequence numbers (run events, a person's
notifications) and wake on their own bus keys."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from graphql import GraphQLError

from app.actor import READ, scope_refusal
from app.bus import bus
from app.errors import LIMIT_EXCEEDED, AppError
from app.graphql.context import Context
from app.graphql.errors import error_extensions

STALL_CLOSE_CODE = 4008
STALL_CLOSE_REASON = "Subscriber too slow"


class SubscriptionStats:
    """What the tests and the benchmark read: open subscriptions, and the largest server-side buffer seen."""

    active_by_token: dict[str, int] = {}
    max_buffered = 0


def refuse(code: str, message: str, target: str = "runId", **meta: Any) -> GraphQLError:
    return GraphQLError(message, extensions=error_extensions(AppError(code, message, target, meta or None)))


def require_read(ctx: Context, target: str) -> None:
    """A subscription needs the `read` scope (app/actor.py decides; this answers its refusal in GraphQL)."""
    if (refusal := scope_refusal(ctx.actor, READ, "a subscription", target)) is not None:
        raise GraphQLError(refusal.message, extensions=error_extensions(refusal))


@contextlib.asynccontextmanager
async def slot(ctx: Context) -> AsyncIterator[None]:
    """Counts this subscription against its token's cap (per gateway process, every kind of subscription)."""
    key = ctx.actor.token_id or ctx.actor.user_id
    cap = ctx.settings.max_subscriptions_per_token
    active = SubscriptionStats.active_by_token
    if active.get(key, 0) >= cap:
        raise refuse(LIMIT_EXCEEDED, f"A token holds at most {cap} subscriptions on one gateway process.",
                     limit=cap, actual=active.get(key, 0) + 1, limitName="subscriptionsPerToken")
    active[key] = active.get(key, 0) + 1
    try:
        yield
    finally:
        active[key] -= 1
        if not active[key]:
            del active[key]


class Watchdog:
    """Closes the WebSocket of a subscriber that stopped reading: blocked on a send for longer than the
    stall time while more than `cap` items wait for it (`latest()` reads the newest sequence number).
    Runs beside the subscription's generator."""

    def __init__(self, ctx: Context, latest: Callable[[], Awaitable[int]], unit: str = "events") -> None:
        self.ctx, self.latest, self.unit = ctx, latest, unit
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
            behind = await self.latest() - self.delivered
            if behind > settings.subscription_buffer_events:
                reason = f"{STALL_CLOSE_REASON}: {behind} {self.unit} behind (cap {settings.subscription_buffer_events})"
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


async def sequenced(ctx: Context, *, key: str, after: int | None, read: Callable[[int, int], Awaitable[list[Any]]],
                    latest: Callable[[int], Awaitable[int]], unit: str,
                    newest: Callable[[], Awaitable[int]] | None = None) -> AsyncGenerator[Any, None]:
    """Items numbered by a gapless sequence (each has `.seq`): those after `after` (None: after `newest()`, read
    once `key` is watched), then new ones each time `key` wakes. `read(after_seq, first)` returns up to first + 1
    items in sequence order; at most one page is read ahead. Holds a slot of the token's cap; a subscriber that
    stops reading is closed by the watchdog (`latest(delivered)`: the newest number it could still be sent)."""
    page = ctx.settings.subscription_page_events
    async with slot(ctx):
        with bus.watch(key) as wake:
            last = await newest() if after is None and newest is not None else max(0, after or 0)
            watchdog = Watchdog(ctx, lambda: latest(watchdog.delivered), unit)
            watchdog.delivered = last
            try:
                while True:
                    wake.clear()
                    items = await read(last, page)
                    batch = items[:page]
                    SubscriptionStats.max_buffered = max(SubscriptionStats.max_buffered, len(batch))
                    for item in batch:
                        watchdog.sending_since = time.monotonic()
                        yield item
                        watchdog.sending_since = None
                        last = watchdog.delivered = item.seq
                        if watchdog.closing:
                            return
                    if len(items) <= page:
                        await wake.wait()
            finally:
                watchdog.stop()
