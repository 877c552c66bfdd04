"""The delivery loop: claim and send due pending notifications until none is left, when a notification that waits
for an e-mail is written (a wake-up: `DELIVERY_KEY` on app/bus.py, through PostgreSQL's LISTEN/NOTIFY across
processes), and every `DELIVERY_POLL_SECONDS` in any case (retries that fall due, a wake-up lost with a dropped
listener connection).
The gateway runs it in-process when `SMTP_URL` is set (`NOTIFY_DELIVERY=false` turns that off), beside the
reminder scheduler (`NOTIFY_SCHEDULER`); `scripts/worker` (`python -m app.notify.worker`) runs both alone, for
deployments that separate them from the gateways. Any number of them may run against one PostgreSQL database:
each reminder and each email is claimed by one process at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from app.bus import bus, listening
from app.clock import utc_now
from app.notify.delivery import DeliveryCounts, DeliveryPolicy, deliver_pending
from app.notify.service import DELIVERY_KEY
from app.settings import Settings
from app.smtp import parse_smtp_url

log = logging.getLogger("processgraph.delivery")


def policy_of(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(batch_size=settings.delivery_batch_size, max_attempts=settings.delivery_max_attempts,
                          backoff_base=timedelta(seconds=settings.delivery_backoff_seconds),
                          lease=timedelta(seconds=settings.delivery_lease_seconds))


class DeliveryWorker:
    """Runs `deliver_pending` in a background task until stopped; `on_counts` sees every batch's outcome."""

    def __init__(self, engine: AsyncEngine, settings: Settings,
                 on_counts: Callable[[DeliveryCounts], None] | None = None) -> None:
        assert settings.smtp_url is not None
        self.engine, self.settings, self.on_counts = engine, settings, on_counts
        self.smtp = replace(parse_smtp_url(settings.smtp_url), ca_file=settings.smtp_ca_file)
        self.policy = policy_of(settings)
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> DeliveryCounts:
        """Batches until a batch comes back empty or smaller than the batch size."""
        total = DeliveryCounts()
        while True:
            counts = await deliver_pending(self.engine, smtp=self.smtp, now=utc_now(), policy=self.policy)
            if self.on_counts is not None:
                self.on_counts(counts)
            total.sent, total.retried, total.failed = (total.sent + counts.sent, total.retried + counts.retried,
                                                       total.failed + counts.failed)
            if counts.sent + counts.retried + counts.failed < self.policy.batch_size:
                return total

    async def _loop(self) -> None:
        with bus.watch(DELIVERY_KEY) as woken:
            while True:
                woken.clear()  # a wake-up during the pass below brings another pass at once
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the database or the relay is away: try again next time
                    log.exception("email delivery failed; trying again in %s s", self.settings.delivery_poll_seconds)
                    await asyncio.sleep(self.settings.delivery_poll_seconds)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), self.settings.delivery_poll_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _serve(settings: Settings) -> None:
    """The scheduler always (NOTIFY_SCHEDULER is the gateway's switch), delivery with SMTP_URL; until SIGTERM or
    SIGINT, then both loops are cancelled (an email being sent when they stop goes out again after its lease)."""
    from app.db import create_engine
    from app.notify import scheduler

    engine = create_engine(settings)
    worker = DeliveryWorker(engine, settings) if settings.smtp_url is not None else None
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        async with listening(settings.listen_database_url or settings.database_url), \
                scheduler.running(engine, replace(settings, notify_scheduler=True)):
            if worker is None:
                log.info("worker: reminders only; without SMTP_URL notifications stay in the in-app feed")
            else:
                worker.start()
                log.info("worker: reminders, and e-mail through %s:%s", worker.smtp.host, worker.smtp.port)
            try:
                await stopping.wait()
            finally:
                if worker is not None:
                    await worker.stop()
    finally:
        await engine.dispose()


def main() -> int:
    from app import migrate
    from app.settings import settings_or_exit

    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    migrate.upgrade(settings)
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
