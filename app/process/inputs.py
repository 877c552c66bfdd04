"""Plain input specs for the process service: what a client asks to create, free of GraphQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class ReminderSpec:
    days_from_due: int
    subject: str
    body: str


@dataclass(slots=True)
class ReminderDataSpec:
    mode: str  # seed spelling: default | processDefault | custom | none
    reminders: list[ReminderSpec] = field(default_factory=list)


@dataclass(slots=True)
class TagSpec:
    category: str
    value: str


@dataclass(slots=True)
class JobSpec:
    action: str  # a client action, seed spelling
    arguments: dict[str, Any]  # the seed's JSON for that action's arguments
    trigger_type: str = "whenEligible"
    tags: list[TagSpec] = field(default_factory=list)


@dataclass(slots=True)
class GroupSpec:
    name: str
    parallel: bool = False
    trigger_type: str = "whenEligible"
    read_only: bool = False
    due_date: date | None = None
    children: list[GroupSpec | JobSpec] = field(default_factory=list)


@dataclass(slots=True)
class ProcessSpec:
    name: str
    root: GroupSpec
    auto_close: bool = False
    cert_auto_approve: bool = False
    relative_dates: bool = False
    ipm_beta_enabled: bool = False
    iwm_opt_out: bool = False
    due_date: date | None = None
    business_start_date: date | None = None
    business_end_date: date | None = None
    business_days_of_week: list[str] | None = None
    business_date_exclusions: list[date] = field(default_factory=list)
    business_date_inclusions: list[date] = field(default_factory=list)
    calendars: list[str] = field(default_factory=list)
    default_cert_approver_reminders: ReminderDataSpec | None = None
    default_cert_signer_reminders: ReminderDataSpec | None = None
