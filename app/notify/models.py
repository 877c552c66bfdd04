"""Tables of notifications: one outbox row per recipient, the per-recipient sequence, and reminder plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from app.db import metadata

# What a notification is about (stored spellings).
KINDS = ("jobSent", "jobReturned", "errorHold", "runCompleted", "runCancelled", "reminder", "overdue")
# Email delivery: null when no email channel applied when it was written (no SMTP relay, no address).
DELIVERY_STATES = ("pending", "sent", "failed")


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Notification(SQLModel, table=True, metadata=metadata):
    """One message to one person, written in the transaction of the transition (or the reminder) behind it."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_seq", "user_id", "seq", unique=True),
                      Index("ix_notification_delivery", "delivery_state", "delivery_next_at"),
                      Index("ix_notification_run", "run_id"))

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", max_length=32)
    user_id: str = Field(foreign_key="app_user.id", max_length=32)  # the recipient
    # Per recipient 1, 2, ... without gaps, handed out under the recipient's sequence row lock, so sequence
    # order is commit order: feed cursors and live replay read `seq > last` and never miss a late commit.
    seq: int
    kind: str = Field(max_length=20)
    run_id: str | None = Field(default=None, max_length=32)
    job_run_id: str | None = Field(default=None, max_length=32)
    subject: str = Field(max_length=1000)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)
    read_at: datetime | None = _ts()
    delivery_state: str | None = Field(default=None, max_length=10)
    delivery_attempts: int = 0
    delivery_last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # When the delivery worker may (re)try: the backoff, and the lease of a claimed row.
    delivery_next_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()


class NotificationSequence(SQLModel, table=True, metadata=metadata):
    """The last notification sequence number handed out per recipient (the row is locked while writing)."""

    __tablename__ = "notification_sequence"

    user_id: str = Field(primary_key=True, foreign_key="app_user.id", max_length=32)
    last_seq: int = 0


class Reminder(SQLModel, table=True, metadata=metadata):
    """A planned message: a reminder before or on a job run's due date, or the overdue notice after it. Planned
    (and re-planned, and dropped) by the run service in the transaction of the action that changes what the job
    run waits for; fired once by the scheduler (`fired_at`), which turns it into a notification. Subjects and
    bodies are text, never templates."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_due", "fired_at", "fire_at"),
                      Index("ix_reminder_run", "run_id"))

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", max_length=32)
    run_id: str = Field(max_length=32)
    job_run_id: str = Field(max_length=32)
    user_id: str = Field(foreign_key="app_user.id", max_length=32)  # who it goes to
    kind: str = Field(max_length=20)  # reminder | overdue
    due_date: date  # the due date it was planned for
    fire_at: datetime = _ts(nullable=False)
    subject: str = Field(max_length=1000)
    body: str = Field(sa_column=Column(Text, nullable=False))
    fired_at: datetime | None = _ts()
