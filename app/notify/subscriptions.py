"""Live notifications over graphql-transport-ws: the viewer's notifications after a sequence number, then new
ones as they are written on any gateway process (wake key `user:<id>`), read by sequence from the database:
no gap, no duplicate, and a reconnect with the last sequence loses nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from app.bus import bus
from app.graphql.context import Info
from app.graphql.live import (
    STALL_CLOSE_CODE,
    STALL_CLOSE_REASON,
    SubscriptionStats,
    Watchdog,
    require_read,
    slot,
)
from app.notify import service
from app.notify.types import Notification


@strawberry.type
class NotifySubscription:
    @strawberry.subscription(description="Your notifications: first those after `afterSequence`, oldest first, then "
                             "new ones as they are written, in sequence order, without gap or duplicate. Reconnect "
                             "with the last sequence you saw to resume. A subscriber that stops reading is closed "
                             f"with code {STALL_CLOSE_CODE} ({STALL_CLOSE_REASON}).")
    async def notification_added(
        self, info: Info,
        after_sequence: Annotated[int, strawberry.argument(
            description="Replay notifications after this sequence number (0: from the first).")] = 0,
    ) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        require_read(ctx, "afterSequence")
        user_id, workspace_id = ctx.actor.user_id, ctx.actor.workspace_id
        page = ctx.settings.subscription_page_events

        async def latest() -> int:
            async with ctx.engine.connect() as conn:
                return await service.latest_seq(conn, user_id=user_id)

        async with slot(ctx):
            with bus.watch(service.user_key(user_id)) as wake:
                watchdog = Watchdog(ctx, latest, "notifications")
                watchdog.delivered = last = max(0, after_sequence)
                try:
                    while True:
                        wake.clear()
                        async with ctx.engine.connect() as conn:
                            rows = await service.added_after(conn, workspace_id=workspace_id, user_id=user_id,
                                                             after_seq=last, first=page)
                        batch = rows[:page]
                        SubscriptionStats.max_buffered = max(SubscriptionStats.max_buffered, len(batch))
                        for row in batch:
                            watchdog.sending_since = time.monotonic()
                            yield Notification.from_row(row)
                            watchdog.sending_since = None
                            last = watchdog.delivered = row.seq
                            if watchdog.closing:
                                return
                        if len(rows) <= page:
                            await wake.wait()
                finally:
                    watchdog.stop()
