"""Tables of process definitions: a process, its tree of groups and jobs, and job tags.

A tree is stored by parent + ordinal. Groups and jobs share one ordinal space
under a parent group (ordinals dense 0..n-1). A generated certification group
hangs under its certification job (`parent_job_id`) instead of a group.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from app.db import metadata, sort_key_type

# Seed spellings, as stored and as used inside JSON Patch values and history.
TRIGGER_TYPES = ("whenEligible", "manual")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REMINDER_MODES = ("default", "processDefault", "custom", "none")
STEP_MODES = ("everyone", "someone")
CLIENT_ACTIONS = ("sendTask", "contentRequest", "certification")
GENERATED_ACTIONS = (
    "certificationSignerGenerated",
    "certificationApproverGenerated",
    "certificationConditionalApproverGenerated",
    "certificationPhaseFinalizerGenerated",
)
ACTIONS = (*CLIENT_ACTIONS, *GENERATED_ACTIONS)


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


class Process(SQLModel, table=True, metadata=metadata):
    """A process definition; its tree hangs from `root_group_id`."""

    __tablename__ = "process"
    # Partial indexes, one per list order, for live processes and for the trash: with `trashed_at` as an
    # index column, PostgreSQL cannot take `trashed_at IS NULL` as fixing it, so the index order never
    # served ORDER BY and every page sorted the whole workspace (185 ms of database CPU at 1,000,000).
    __table_args__ = tuple(
        Index(f"ix_process_{state}_{order}", "workspace_id", *columns, "name_key", "id",
              postgresql_where=text(condition), sqlite_where=text(condition))
        for state, condition in (("live", "trashed_at IS NULL"), ("trash", "trashed_at IS NOT NULL"))
        for order, columns in (("name", ()), ("due", ("due_date",)), ("run", ("latest_run_at",)))
    )

    id: str = Field(primary_key=True, max_length=32)
    workspace_id: str = Field(foreign_key="workspace.id", max_length=32)
    name: str
    # app.db.sort_key(name) (str.casefold): ordering and nameContains compare this, on every database.
    name_key: str = Field(sa_column=Column(sort_key_type(), nullable=False))
    auto_close: bool = False
    cert_auto_approve: bool = False
    relative_dates: bool = False
    ipm_beta_enabled: bool = False
    iwm_opt_out: bool = False
    due_date: date | None = None
    business_start_date: date | None = None
    business_end_date: date | None = None
    business_days_of_week: list[str] | None = _json()
    business_date_exclusions: list[str] | None = _json()
    business_date_inclusions: list[str] | None = _json()
    calendars: list[str] | None = _json()
    default_cert_approver_reminders: dict[str, Any] | None = _json()
    default_cert_signer_reminders: dict[str, Any] | None = _json()
    process_template: str | None = Field(default=None, max_length=32)
    source_process_run: str | None = Field(default=None, max_length=32)
    root_group_id: str = Field(max_length=32)
    revision: int = 1
    created_at: datetime = _ts()
    created_by: str = Field(foreign_key="app_user.id", max_length=32)
    modified_at: datetime = _ts()
    modified_by: str = Field(foreign_key="app_user.id", max_length=32)
    trashed_at: datetime | None = _ts(nullable=True)
    trashed_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    # Written by the run service: the newest run's creation time orders the list.
    latest_run_at: datetime | None = _ts(nullable=True)
    latest_run_id: str | None = Field(default=None, max_length=32)


class ProcessGroup(SQLModel, table=True, metadata=metadata):
    """A group of jobs and groups; `parallel` runs children together, else by ordinal."""

    __tablename__ = "process_group"

    id: str = Field(primary_key=True, max_length=32)
    process_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    parent_group_id: str | None = Field(
        default=None,
        sa_column=Column(String(32), ForeignKey("process_group.id", ondelete="CASCADE"), index=True, nullable=True),
    )
    # Set only on a generated certification group: the certification job it belongs to.
    parent_job_id: str | None = Field(default=None, max_length=32)
    ordinal: int = 0
    name: str
    parallel: bool = False
    trigger_type: str = "whenEligible"
    read_only: bool = False
    due_date: date | None = None
    generated: bool = False
    revision: int = 1
    created_at: datetime = _ts()
    created_by: str = Field(max_length=32)
    modified_at: datetime = _ts()
    modified_by: str = Field(max_length=32)


class ProcessJob(SQLModel, table=True, metadata=metadata):
    """A unit of work; `arguments` holds the action's variant as the seed's JSON."""

    __tablename__ = "process_job"

    id: str = Field(primary_key=True, max_length=32)
    process_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    parent_group_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process_group.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    ordinal: int = 0
    action: str
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    trigger_type: str = "whenEligible"
    generated: bool = False
    revision: int = 1
    created_at: datetime = _ts()
    created_by: str = Field(max_length=32)
    modified_at: datetime = _ts()
    modified_by: str = Field(max_length=32)


class TagLink(SQLModel, table=True, metadata=metadata):
    """A tag on a job: a category and a value, in the order the client gave them."""

    __tablename__ = "tag_link"

    id: str = Field(primary_key=True, max_length=32)
    process_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    job_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process_job.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    position: int = 0
    category: str
    value: str


class ProcessHistory(SQLModel, table=True, metadata=metadata):
    """One definition write: who, when, which mutation, and what changed as JSON Patch operations.

    `operations` turn the state before into the state after; `inverse` turns it back.
    Paths follow the scheme in app/process/history.py.
    """

    __tablename__ = "process_history"
    __table_args__ = (Index("ix_process_history_process_revision", "process_id", "revision", unique=True),)

    id: str = Field(primary_key=True, max_length=32)
    process_id: str = Field(
        sa_column=Column(String(32), ForeignKey("process.id", ondelete="CASCADE"), nullable=False)
    )
    revision: int  # the process's revision after the write
    mutation: str
    user_id: str = Field(max_length=32)
    at: datetime = _ts()
    operations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    inverse: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
