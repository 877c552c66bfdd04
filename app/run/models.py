"""Tables of process runs: a run-time copy of the definition tree, its states, and its event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from app.db import metadata

# Seed spellings, as stored.
STATUSES = ("waiting", "running", "cancelling", "complete", "cancelled", "error", "errorHold")
ACTION_STATUSES = ("waiting", "sent", "approval", "returned", "complete", "skipped", "cancelled")
SETTLED = frozenset({"complete", "cancelled"})


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _run_fk() -> Any:
    return Field(sa_column=Column(String(32), ForeignKey("process_run.id", ondelete="CASCADE"), nullable=False,
                                  index=True))


class ProcessRun(SQLModel, table=True, metadata=metadata):
    """A run of a process; `process_id` stays even after the process is trashed or purged."""

    __tablename__ = "process_run"
    __table_args__ = (Index("ix_process_run_ws_created", "workspace_id", "created_at", "id"),
                      Index("ix_process_run_process", "process_id", "created_at"))

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", max_length=32)
    process_id: str = Field(max_length=32)
    name: str
    status: str = "running"
    manager_user_id: str = Field(max_length=32)
    auto_close: bool = False
    cert_auto_approve: bool = False
    due_date: date | None = None
    completed_date: datetime | None = _ts()
    root_group_run_id: str = Field(max_length=32)
    # Copied from the process at start, for reminders: the business calendar ({daysOfWeek, exclusions,
    # inclusions}) and the default certification reminders ({signer, approver}: ReminderData or null).
    calendar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reminder_defaults: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The last event sequence number handed out; events are numbered 1, 2, ... without gaps.
    event_seq: int = 0
    revision: int = 1
    # Grows with every change of the run's group or job runs (never shown): the run's copy of the tree is
    # kept across requests keyed by it (app/fast/cache.py).
    tree_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = _ts(nullable=False)
    created_by: str = Field(max_length=32)
    modified_at: datetime = _ts(nullable=False)
    modified_by: str = Field(max_length=32)


class GroupRun(SQLModel, table=True, metadata=metadata):
    """The run-time state of a group."""

    __tablename__ = "group_run"

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = _run_fk()
    parent_group_run_id: str | None = Field(default=None, max_length=32, index=True)
    # Set only on a generated certification group: the certification job run it belongs to.
    parent_job_run_id: str | None = Field(default=None, max_length=32)
    source_group_id: str = Field(max_length=32)
    ordinal: int = 0
    name: str
    parallel: bool = False
    trigger_type: str = "whenEligible"
    due_date: date | None = None
    generated: bool = False
    status: str = "waiting"
    eligible_to_start: bool = False
    revision: int = 1
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()


class JobRun(SQLModel, table=True, metadata=metadata):
    """The run-time state of a job: general status, action status, and its own copy of the arguments."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_run", "run_id", "status"),)

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(sa_column=Column(String(32), ForeignKey("process_run.id", ondelete="CASCADE"),
                                         nullable=False))
    parent_group_run_id: str = Field(max_length=32, index=True)
    source_job_id: str = Field(max_length=32)
    ordinal: int = 0
    action: str
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    trigger_type: str = "whenEligible"
    generated: bool = False
    status: str = "waiting"
    action_status: str = "waiting"
    eligible_to_start: bool = False
    # Certification signers: whether they reported an exception (with its comment).
    exception: bool = False
    comment: str | None = None
    revision: int = 1
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()
    # When the person it waits for (or would wait for) is due, from its arguments (app/run/due.py); kept by
    # the run service so that lists filter overdue job runs in SQL.
    due_date: date | None = None
    # The user it waits for now (app/run/due.py waiting_for; null when it waits for nobody), kept by the run
    # service with the due date, so that an inbox is one indexed read of its own rows.
    waiting_for: str | None = Field(default=None, max_length=32, index=True)


class RunEvent(SQLModel, table=True, metadata=metadata):
    """One transition of a run, a group run or a job run, written in the transaction that made it."""

    __tablename__ = "run_event"
    __table_args__ = (Index("ix_run_event_run_seq", "run_id", "seq", unique=True),)

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(sa_column=Column(String(32), ForeignKey("process_run.id", ondelete="CASCADE"),
                                         nullable=False))
    seq: int
    node_id: str = Field(max_length=32)
    node_kind: str = Field(max_length=10)  # run | group | job
    field: str = Field(max_length=20)  # status | actionStatus
    from_value: str | None = Field(default=None, max_length=20)
    to_value: str = Field(max_length=20)
    user_id: str | None = Field(default=None, max_length=32)
    at: datetime = _ts(nullable=False)
    comment: str | None = None


class RunChangeSequence(SQLModel, table=True, metadata=metadata):
    """The last live-list change number handed out per workspace (the row is locked while writing, so numbers
    are handed out in commit order)."""

    __tablename__ = "run_change_sequence"

    workspace_id: str = Field(primary_key=True, foreign_key="workspace.id", max_length=32)
    last_seq: int = 0


class RunChange(SQLModel, table=True, metadata=metadata):
    """One change of a live list (app/run/changes.py): a run started or changed status (`kind` run), or a job run
    entered, left or changed in a person's inbox (`kind` inbox, `user_id` the person). Numbered 1, 2, ...
    without gaps per workspace, written in the transaction that made the change."""

    __tablename__ = "run_change"
    __table_args__ = (Index("ix_run_change_kind", "workspace_id", "kind", "seq"),
                      Index("ix_run_change_user", "workspace_id", "user_id", "seq"))

    workspace_id: str = Field(primary_key=True, foreign_key="workspace.id", max_length=32)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=10)  # run | inbox
    change: str = Field(max_length=10)  # run: started | status; inbox: entered | left | updated
    run_id: str = Field(max_length=32)
    job_run_id: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)
    # run: the run's status after and before (null when started); inbox: the job run's action status.
    status: str = Field(max_length=20)
    previous_status: str | None = Field(default=None, max_length=20)
    at: datetime = _ts(nullable=False)
