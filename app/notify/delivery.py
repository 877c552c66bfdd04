"""Email delivery: pending notifications claimed in batches, each by exactly one gateway or worker process, and
sent through the SMTP relay outside any transaction, one SMTP session per batch. Each email is recorded as sent
as soon as the relay took it. Delivery is at least once: a process that dies after sending an email and before
recording it leaves that one email to be sent again once its lease runs out (the same Message-ID), so a killed
process causes at most one duplicate; the lease must outlast a batch's sending."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiosmtplib
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app import faults
from app.auth.models import User
from app.connectivity import RETRY_AFTER_SECONDS, is_unavailable
from app.db import table, write_transaction
from app.notify.email import build_message
from app.notify.models import Notification
from app.smtp import SmtpConfig

log = logging.getLogger("processgraph.delivery")
NOTIFICATIONS, USERS = table(Notification), table(User)
PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How many rows a batch claims, how long a claim lasts, and how retries back off."""

    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)  # then 2x, 4x, ... after each temporary failure

    def backoff(self, attempts: int) -> timedelta:
        return self.backoff_base * (1 << max(0, attempts - 1))


@dataclass(slots=True)
class DeliveryCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class _Permanent(Exception):
    """The relay refused for good (a 5xx reply): sending again would give the same answer."""


async def _claim(engine: AsyncEngine, *, now: datetime, policy: DeliveryPolicy) -> list[Any]:
    """Pending rows that are due, with their recipient, leased to this process in one short transaction:
    SKIP LOCKED on PostgreSQL, so concurrent processes claim different rows."""
    due = and_(NOTIFICATIONS.c.delivery_state == PENDING,
               or_(NOTIFICATIONS.c.delivery_next_at.is_(None), NOTIFICATIONS.c.delivery_next_at <= now))
    stmt = (select(NOTIFICATIONS.c.id, NOTIFICATIONS.c.subject, NOTIFICATIONS.c.body, NOTIFICATIONS.c.created_at,
                   NOTIFICATIONS.c.delivery_attempts, USERS.c.name, USERS.c.email)
            .join(USERS, USERS.c.id == NOTIFICATIONS.c.user_id).where(due)
            .order_by(NOTIFICATIONS.c.created_at, NOTIFICATIONS.c.id).limit(policy.batch_size))
    async with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=NOTIFICATIONS)
        rows = (await conn.execute(stmt)).all()
        if rows:
            await conn.execute(update(NOTIFICATIONS).where(NOTIFICATIONS.c.id.in_([r.id for r in rows])).values(
                delivery_next_at=now + policy.lease, delivery_attempts=NOTIFICATIONS.c.delivery_attempts + 1))
    return list(rows)


class _Relay:
    """One SMTP session for a batch: connected on its first message and reused for the next ones (one TCP and
    TLS handshake, EHLO and login per batch, not per email); after a failed message it reconnects."""

    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, row: Any) -> None:
        if not row.email:
            raise _Permanent("the recipient has no email address")
        smtp = self.smtp
        message = build_message(notification_id=row.id, subject=row.subject, body=row.body,
                                created_at=row.created_at, sender=smtp.from_address, recipient_name=row.name,
                                recipient_email=row.email)
        try:
            if self.client is None:
                self.client = await self._connect()
            await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [r.code for r in exc.recipients]
            if codes and all(c >= 500 for c in codes):
                raise _Permanent("; ".join(f"{r.code} {r.message}" for r in exc.recipients)) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            if exc.code >= 500:
                raise _Permanent(f"{exc.code} {exc.message}") from exc
            raise
        except BaseException:
            await self.close()
            raise

    async def _connect(self) -> aiosmtplib.SMTP:
        """A session, or ConnectionError: whatever fails while opening it (the connection, TLS and its
        certificate, EHLO, a login refused with a 5xx) is the relay's or its settings', not this message's, so the
        batch is retried later (and failed after DELIVERY_MAX_ATTEMPTS), never sent without the TLS it asks for."""
        smtp = self.smtp
        client = aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, username=smtp.username, password=smtp.password,
                                 use_tls=smtp.security == "tls", start_tls=smtp.security == "starttls",
                                 cert_bundle=smtp.ca_file, timeout=smtp.timeout_seconds)
        try:
            await client.connect()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:  # connect() has closed it
            raise ConnectionError(f"no SMTP session: {type(exc).__name__}: {exc}") from exc
        return client

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()


async def _record(engine: AsyncEngine, sent: list[str], others: list[tuple[str, dict[str, Any]]], *,
                  now: datetime, policy: DeliveryPolicy) -> None:
    """The batch's outcome, in one transaction. The emails are out already, so a database that is unavailable
    (a restart, a failover to a standby) is waited for, within half the lease: a batch recorded late is not sent
    again, one never recorded is sent again once its lease runs out. The statements set absolute values, so
    running them again after a commit whose answer was lost changes nothing."""
    deadline = time.monotonic() + policy.lease.total_seconds() / 2
    while True:
        try:
            async with write_transaction(engine) as conn:
                if sent:
                    await conn.execute(update(NOTIFICATIONS).where(NOTIFICATIONS.c.id.in_(sent)).values(
                        delivery_state=SENT, delivered_at=now, delivery_next_at=None, delivery_last_error=None))
                for notification_id, values in others:
                    await conn.execute(
                        update(NOTIFICATIONS).where(NOTIFICATIONS.c.id == notification_id).values(values))
            return
        except Exception as exc:
            if not is_unavailable(exc) or time.monotonic() >= deadline:
                raise
            log.warning("email delivery: %d sent, not yet recorded (%s); trying again", len(sent), type(exc).__name__)
            await asyncio.sleep(RETRY_AFTER_SECONDS)


async def deliver_pending(engine: AsyncEngine, *, smtp: SmtpConfig, now: datetime,
                          policy: DeliveryPolicy = DeliveryPolicy()) -> DeliveryCounts:
    """Claim one batch of due pending notifications and send them over one SMTP session; record each as sent once
    the relay took it, and the others after the batch, in one transaction: retry later (connection failures,
    timeouts, 4xx replies, with exponential backoff) or failed (5xx replies, or past max attempts). When the relay cannot be reached, the rest of the
    batch is not tried: it gets the same outcome (its attempt is counted)."""
    counts = DeliveryCounts()
    rows = await _claim(engine, now=now, policy=policy)
    if not rows:
        return counts
    others: list[tuple[str, dict[str, Any]]] = []
    unreachable: str | None = None  # the relay's connection failure, once one happened
    relay = _Relay(smtp)
    try:
        for row in rows:
            attempts = row.delivery_attempts + 1
            values: dict[str, Any]
            try:
                if unreachable is not None:
                    raise ConnectionError(unreachable)
                await relay.send(row)
            except _Permanent as exc:
                values = {"delivery_state": FAILED, "delivery_last_error": str(exc)[:2000], "delivery_next_at": None}
                counts.failed += 1
                counts.errors.append(str(exc))
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                error = str(exc) if unreachable is not None else f"{type(exc).__name__}: {exc}"[:2000]
                if unreachable is None and not isinstance(exc, (aiosmtplib.SMTPResponseException,
                                                                aiosmtplib.SMTPRecipientsRefused)):
                    unreachable = error
                counts.errors.append(error)
                if attempts >= policy.max_attempts:
                    values = {"delivery_state": FAILED, "delivery_last_error": f"gave up after {attempts} attempts; "
                              + error, "delivery_next_at": None}
                    counts.failed += 1
                else:
                    values = {"delivery_last_error": error, "delivery_next_at": now + policy.backoff(attempts)}
                    counts.retried += 1
            else:
                faults.reached("notify.deliver.mid")  # crash tests: sent, not yet recorded
                # Recorded at once, on its own (outside the relay's error handling): a process killed mid-batch
                # leaves at most the email in flight to be sent again when its lease runs out, not the batch's
                # earlier ones.
                await _record(engine, [row.id], [], now=now, policy=policy)
                counts.sent += 1
                continue
            others.append((row.id, values))
    finally:
        await relay.close()
    if others:
        await _record(engine, [], others, now=now, policy=policy)
    if counts.errors:
        log.warning("email delivery: %d sent, %d to retry, %d failed; last error: %s", counts.sent, counts.retried,
                    counts.failed, counts.errors[-1])
    return counts
