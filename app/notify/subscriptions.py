"""Live notifications over graphql-transport-ws: the viewer's notifications after a sequence number, then new
ones as they are written on any gateway process (wake key `user:<id>`), read by sequence from the database:
no gap, no duplicate, and a reconnect with the last sequence loses nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.actor import Actor
from app.graphql.context import Info
from app.graphql.live import (
    STALL_CLOSE_CODE,
    STALL_CLOSE_REASON,
    require_read,
    sequenced,
)
from app.notify import service
from app.notify.types import Notification


def _feed_readers(engine: AsyncEngine, actor: Actor) -> tuple[Callable[[int, int], Awaitable[list[Any]]],
                                                            Callable[[int], Awaitable[int]]]:
    """How `sequenced` reads the actor's notifications: a page after a sequence, and the latest sequence."""

    async def read(after_seq: int, first: int) -> list[Any]:
        async with engine.connect() as conn:
            return await service.added_after(conn, workspace_id=actor.workspace_id, user_id=actor.user_id,
                                             after_seq=after_seq, first=first)

    async def latest(_delivered: int) -> int:
        async with engine.connect() as conn:
            return await service.latest_seq(conn, user_id=actor.user_id)

    return read, latest


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
        read, latest = _feed_readers(ctx.engine, ctx.actor)
        async with contextlib.aclosing(sequenced(ctx, key=service.user_key(ctx.actor.user_id), after=after_sequence,
                                                 read=read, latest=latest, unit="notifications")) as rows:
            async for row in rows:
                yield Notification.from_row(row)
