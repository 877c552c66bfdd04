"""Reads of notifications for the API: a person's feed (`viewer.notifications`) and a run's notifications for
its manager (`ProcessRun.notifications`). The resolvers of those fields call these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.errors import VALIDATION_ERROR, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.pagination import decode_cursor, decode_int_cursor, page_size
from app.notify import service
from app.notify.types import NotificationConnection

FIRST_DOC = "How many notifications: default 100, at most 1000 (more is refused with LIMIT_EXCEEDED)."


async def feed(info: Info, *, first: int | None, after: str | None, unread_only: bool) -> NotificationConnection:
    """The acting user's notifications, newest first, keyset on their sequence."""
    ctx = info.context
    size = page_size(first, default=ctx.settings.default_page_size, maximum=ctx.settings.max_page_size)
    before = None if after is None else decode_int_cursor(after, "notifications")
    async with ctx.loaders.engine.connect() as conn:
        rows = await service.feed_page(conn, workspace_id=ctx.actor.workspace_id, user_id=ctx.actor.user_id,
                                       first=size, before_seq=before, unread_only=unread_only)
    return NotificationConnection.of(rows, size=size, after=after, kind="notifications", key=lambda r: [r.seq])


async def of_run(info: Info, *, run: Any, first: int | None, after: str | None) -> NotificationConnection:
    """Every notification about a run, newest first, for its manager; empty for anyone else."""
    ctx = info.context
    size = page_size(first, default=ctx.settings.default_page_size, maximum=ctx.settings.max_page_size)
    kind = f"runNotifications:{run.id}"
    key = None if after is None else decode_cursor(after, kind, 2)
    if run.manager_user_id != ctx.actor.user_id:
        return NotificationConnection.of([], size=size, after=after, kind=kind, key=lambda r: [])
    try:
        at = None if key is None else (datetime.fromisoformat(str(key[0])), str(key[1]))
    except ValueError as exc:
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after")) from exc
    async with ctx.loaders.engine.connect() as conn:
        rows = await service.run_page(conn, workspace_id=ctx.actor.workspace_id, run_id=run.id, first=size, after=at)
    return NotificationConnection.of(rows, size=size, after=after, kind=kind,
                                     key=lambda r: [r.created_at.isoformat(), r.id])
