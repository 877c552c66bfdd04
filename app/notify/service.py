"""Notifications: outbox rows written inside the transaction of the transition behind them, the feed, mark-read,
and the reads of a run's notifications. No GraphQL here; nothing of the run domain either (the run service
hands in what to write)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import faults
from app.actor import WRITE, Actor
from app.auth.service import require_scope, users_by_ids
from app.bus import announce, bus
from app.db import table, write_transaction
from app.errors import LIMIT_EXCEEDED, NOT_FOUND, VALIDATION_ERROR, AppError, ServiceError
from app.ids import is_id, new_id
from app.notify.models import Notification, NotificationSequence

NOTIFICATIONS, NOTIFICATION_SEQUENCES = table(Notification), table(NotificationSequence)
MAX_SUBJECT = 1000
MAX_MARK_IDS = 1000


@dataclass(frozen=True, slots=True)
class NewNotification:
    """One message to one person: what the writer asks for (the run service, the scheduler)."""

    user_id: str
    kind: str
    subject: str
    body: str
    run_id: str | None = None
    job_run_id: str | None = None


def user_key(user_id: str) -> str:
    """The wake-up key of a person's notifications."""
    return f"user:{user_id}"


DELIVERY_KEY = "delivery:pending"
"""The wake-up key of the delivery loops (app/notify/worker.py): announced with every write of a notification that
waits for an e-mail, so that a loop of any process sends it at once rather than at its next poll."""


def one_line(value: str, limit: int = MAX_SUBJECT) -> str:
    """A subject is one line (no header injection through a title that holds a line break)."""
    return " ".join(value.split())[:limit]


async def _next_sequences(conn: AsyncConnection, counts: dict[str, int]) -> dict[str, int]:
    """Reserve `counts[user]` sequence numbers per recipient; returns the last one reserved for each. One
    upsert in recipient order: it locks each recipient's sequence row until the commit (PostgreSQL), so two
    writers to the same person serialize there and sequence order is commit order, and they lock in the
    same order (no deadlock). On SQLite the write transaction is already exclusive."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [{"user_id": u, "last_seq": counts[u]} for u in sorted(counts)]
    stmt = dialect.insert(NOTIFICATION_SEQUENCES).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=[NOTIFICATION_SEQUENCES.c.user_id],
                                      set_={"last_seq": NOTIFICATION_SEQUENCES.c.last_seq + stmt.excluded.last_seq})
    result = await conn.execute(stmt.returning(NOTIFICATION_SEQUENCES.c.user_id, NOTIFICATION_SEQUENCES.c.last_seq))
    return {r.user_id: int(r.last_seq) for r in result.all()}


async def write(conn: AsyncConnection, *, workspace_id: str, notifications: list[NewNotification], now: datetime,
                email: bool, known: dict[str, Any] | None = None) -> list[str]:
    """Inside the caller's write transaction: one row per notification, numbered per recipient; announces
    `user:<id>` to every gateway process on commit. Returns the recipients: the caller wakes their keys
    (`wake`) after the commit. With `email` (an SMTP relay is configured) a row whose recipient has an
    e-mail address is `pending` for the delivery worker; otherwise it has no e-mail channel (null). `known`:
    user rows of the workspace the caller already read (None for an id that is nobody's); only the others are
    looked up."""
    if not notifications:
        return []
    # Only users of the workspace are told (an argument edited to an id that is nobody's reaches no one).
    known = known or {}
    ids = {n.user_id for n in notifications}
    found = {uid: known[uid] for uid in ids if known.get(uid) is not None}
    if unknown := sorted(uid for uid in ids if uid not in known):
        found |= await users_by_ids(conn, workspace_id=workspace_id, ids=unknown)
    notifications = [n for n in notifications if n.user_id in found]
    if not notifications:
        return []
    counts: dict[str, int] = {}
    for n in notifications:
        counts[n.user_id] = counts.get(n.user_id, 0) + 1
    addressed = {uid for uid, row in found.items() if (row.email or "").strip()} if email else set()
    last = await _next_sequences(conn, counts)
    nxt = {u: last[u] - counts[u] + 1 for u in counts}
    rows = []
    for n in notifications:
        seq = nxt[n.user_id]
        nxt[n.user_id] += 1
        pending = n.user_id in addressed
        rows.append({"id": new_id(), "workspace_id": workspace_id, "user_id": n.user_id, "seq": seq, "kind": n.kind,
                     "run_id": n.run_id, "job_run_id": n.job_run_id, "subject": one_line(n.subject), "body": n.body,
                     "created_at": now, "read_at": None, "delivery_state": "pending" if pending else None,
                     "delivery_attempts": 0, "delivery_last_error": None,
                     "delivery_next_at": now if pending else None, "delivered_at": None})
    await conn.execute(insert(NOTIFICATIONS), rows)
    faults.reached("notify.write")  # crash tests: the notifications are written, nothing is committed yet
    recipients = sorted(counts)
    if recipients:
        emails = [DELIVERY_KEY] if addressed & counts.keys() else []
        await announce(conn, *[user_key(u) for u in recipients], *emails)
    return recipients


def wake(recipients: list[str]) -> None:
    """After the commit: wake this process's subscribers of these people's notifications, and its delivery loop
    (a pass that finds nothing to send costs one claim statement)."""
    for u in recipients:
        bus.wake(user_key(u))
    if recipients:
        bus.wake(DELIVERY_KEY)


# ---- reads ----

async def feed_page(conn: AsyncConnection, *, workspace_id: str, user_id: str, first: int, before_seq: int | None,
                    unread_only: bool) -> list[Any]:
    """A person's notifications newest first (keyset on the per-person sequence): first + 1 rows."""
    conds = [NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.workspace_id == workspace_id]
    if before_seq is not None:
        conds.append(NOTIFICATIONS.c.seq < before_seq)
    if unread_only:
        conds.append(NOTIFICATIONS.c.read_at.is_(None))
    stmt = select(NOTIFICATIONS).where(*conds).order_by(NOTIFICATIONS.c.seq.desc()).limit(first + 1)
    return list((await conn.execute(stmt)).all())


async def added_after(conn: AsyncConnection, *, workspace_id: str, user_id: str, after_seq: int, first: int
                      ) -> list[Any]:
    """A person's notifications after a sequence number, oldest first (live replay): first + 1 rows."""
    stmt = (select(NOTIFICATIONS).where(NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.workspace_id == workspace_id, NOTIFICATIONS.c.seq > after_seq)
            .order_by(NOTIFICATIONS.c.seq).limit(first + 1))
    return list((await conn.execute(stmt)).all())


async def latest_seq(conn: AsyncConnection, *, user_id: str) -> int:
    value = (await conn.execute(select(NOTIFICATION_SEQUENCES.c.last_seq).where(NOTIFICATION_SEQUENCES.c.user_id == user_id))).scalar_one_or_none()
    return int(value or 0)


async def unread_count(conn: AsyncConnection, *, workspace_id: str, user_id: str) -> int:
    stmt = select(func.count()).select_from(NOTIFICATIONS).where(NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.workspace_id == workspace_id,
                                                      NOTIFICATIONS.c.read_at.is_(None))
    return int((await conn.execute(stmt)).scalar_one())


async def run_page(conn: AsyncConnection, *, workspace_id: str, run_id: str, first: int,
                   after: tuple[datetime, str] | None) -> list[Any]:
    """Every notification about one run (all recipients), newest first by (created, id): first + 1 rows."""
    conds = [NOTIFICATIONS.c.run_id == run_id, NOTIFICATIONS.c.workspace_id == workspace_id]
    if after is not None:
        at, id_ = after
        conds.append((NOTIFICATIONS.c.created_at < at) | ((NOTIFICATIONS.c.created_at == at) & (NOTIFICATIONS.c.id < id_)))
    stmt = select(NOTIFICATIONS).where(*conds).order_by(NOTIFICATIONS.c.created_at.desc(), NOTIFICATIONS.c.id.desc()).limit(first + 1)
    return list((await conn.execute(stmt)).all())


async def mark_read_by(engine: AsyncEngine, *, actor: Actor, ids: list[str] | None, all: bool, now: datetime
                       ) -> tuple[list[Any], int]:
    """The acting user marks notifications read: `ids`, or every unread one with `all` (exactly one of the two).
    Returns the rows named by `ids` after the change and how many of theirs are still unread."""
    require_scope(actor, WRITE)
    if (ids is None) == (not all):
        raise ServiceError(AppError(VALIDATION_ERROR, "Give either `ids` or `all: true`.", "ids"))
    bad = [AppError(NOT_FOUND, f"No notification with id '{i}' exists.", f"ids[{n}]", {"index": n, "id": i})
           for n, i in enumerate(ids or []) if not is_id(i)]
    if bad:
        raise ServiceError(bad)
    rows = await mark_read(engine, workspace_id=actor.workspace_id, user_id=actor.user_id, ids=ids, now=now)
    async with engine.connect() as conn:
        return rows, await unread_count(conn, workspace_id=actor.workspace_id, user_id=actor.user_id)


async def mark_read(engine: AsyncEngine, *, workspace_id: str, user_id: str, ids: list[str] | None, now: datetime
                    ) -> list[Any]:
    """Mark the person's notifications read: the given ids (all of them theirs, or nothing is marked), or all
    unread (`ids` None). Returns the rows named by `ids` after the change (none for all)."""
    if ids is not None and len(ids) > MAX_MARK_IDS:
        raise ServiceError(AppError(LIMIT_EXCEEDED, f"At most {MAX_MARK_IDS} ids per call; {len(ids)} given.", "ids",
                                    {"limit": MAX_MARK_IDS, "actual": len(ids)}))
    mine = (NOTIFICATIONS.c.user_id == user_id) & (NOTIFICATIONS.c.workspace_id == workspace_id)
    async with write_transaction(engine) as conn:
        if ids is None:
            await conn.execute(update(NOTIFICATIONS).where(mine, NOTIFICATIONS.c.read_at.is_(None)).values(read_at=now))
            return []
        wanted = list(dict.fromkeys(ids))
        found = {r.id for r in (await conn.execute(select(NOTIFICATIONS.c.id).where(mine, NOTIFICATIONS.c.id.in_(wanted)))).all()}
        missing = [AppError(NOT_FOUND, f"No notification with id '{i}' exists.", f"ids[{ids.index(i)}]",
                            {"index": ids.index(i), "id": i}) for i in wanted if i not in found]
        if missing:
            raise ServiceError(missing)
        await conn.execute(update(NOTIFICATIONS).where(mine, NOTIFICATIONS.c.id.in_(wanted), NOTIFICATIONS.c.read_at.is_(None)).values(read_at=now))
        rows = {r.id: r for r in (await conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id.in_(wanted)))).all()}
    return [rows[i] for i in wanted]


async def notifications_by_ids(conn: AsyncConnection, *, ids: list[str]) -> dict[str, Any]:
    rows = (await conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id.in_(ids)))).all()
    return {r.id: r for r in rows}

