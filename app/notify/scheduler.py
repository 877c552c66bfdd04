"""The scheduler: turns reminder plans that fell due into notifications, each exactly once across gateway
processes. It reads plan rows, never runs (the run service plans them in the actions' transactions)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import table, write_transaction
from app.notify import service
from app.notify.models import Reminder
from app.settings import Settings

log = logging.getLogger("processgraph.scheduler")
REMINDERS = table(Reminder)
BATCH = 500


async def run_due(engine: AsyncEngine, *, now: datetime, limit: int = BATCH, email: bool = False) -> int:
    """Fire up to `limit` planned reminders and overdue notices due at `now`: each becomes one notification and
    is marked fired in the same transaction. On PostgreSQL the rows are claimed with FOR UPDATE SKIP LOCKED, so
    several processes calling this at once fire each row exactly once; on SQLite the write transaction is
    exclusive. Returns how many fired (call again while it returns `limit`)."""
    async with write_transaction(engine) as conn:
        stmt = (select(REMINDERS).where(REMINDERS.c.fired_at.is_(None), REMINDERS.c.fire_at <= now)
                .order_by(REMINDERS.c.fire_at, REMINDERS.c.id).limit(limit))
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await conn.execute(stmt)).all())
        if not rows:
            return 0
        by_workspace: dict[str, list[service.NewNotification]] = {}
        for r in rows:
            by_workspace.setdefault(r.workspace_id, []).append(service.NewNotification(
                user_id=r.user_id, kind=r.kind, subject=r.subject, body=r.body, run_id=r.run_id,
                job_run_id=r.job_run_id))
        told: list[str] = []
        for workspace_id, notes in sorted(by_workspace.items()):
            told += await service.write(conn, workspace_id=workspace_id, notifications=notes, now=now, email=email)
        await conn.execute(update(REMINDERS).where(REMINDERS.c.id.in_([r.id for r in rows])).values(fired_at=now))
    service.wake(told)
    return len(rows)


async def run_all_due(engine: AsyncEngine, *, now: datetime, email: bool = False) -> int:
    """Fire everything due, batch after batch."""
    total = 0
    while True:
        fired = await run_due(engine, now=now, email=email)
        total += fired
        if fired < BATCH:
            return total


@contextlib.asynccontextmanager
async def running(engine: AsyncEngine, settings: Settings) -> AsyncIterator[asyncio.Task[None] | None]:
    """The in-process scheduler loop for the app's lifetime (NOTIFY_SCHEDULER, on by default): every
    NOTIFY_SCHEDULER_INTERVAL_SECONDS it fires what is due by the settings' clock."""
    if not settings.notify_scheduler:
        yield None
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(settings.notify_scheduler_interval_seconds)
            try:
                await run_all_due(engine, now=settings.clock.now(), email=settings.smtp_url is not None)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away for a moment: the next round retries
                log.warning("the notification scheduler failed a round; retrying", exc_info=True)

    task = asyncio.create_task(loop())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
