"""Demo data: realistic processes and runs in several states, so a new user sees something real in GraphiQL.

Everything goes through the service layer (process create, run start, run actions), so the demo obeys the
same rules as the API. `python -m app.demo` (scripts/demo-data) loads it into the database named by
DATABASE_URL; `scripts/serve --demo` calls `maybe_load_on_start`, which loads it only on an empty database.

What is loaded (names are fixed; `--count N` adds N generated processes from a seeded generator):

- people of a finance team in the workspace (`@example.com` addresses), one of them a former contractor
  whose account is deactivated;
- "Q4 2025 Financial Close", "SOX 302 Quarterly Certification", "Month-End Accruals" and
  "FY2026 Budget Planning": parallel and serial groups, manual triggers, sendTask jobs with approvers,
  contentRequest jobs with document and section, certifications with signer and approver steps, tags, due
  dates, and relative dates over a business window with excluded and included days;
- runs managed by the acting user: one just started, one part-way (submitted, approved, returned and
  awaiting the acting user's approval), one complete and closed, one complete by itself (a signed
  certification, one signer reporting an exception), one cancelled, and one held by an error (a job run
  reassigned to the deactivated contractor).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app import migrate
from app.auth import service as auth_service
from app.auth.service import READ, WRITE, Actor
from app.db import create_engine, is_sqlite
from app.errors import ServiceError
from app.process import service as process_service
from app.process.draft import PT
from app.process.inputs import (
    GroupSpec,
    JobSpec,
    ProcessSpec,
    ReminderDataSpec,
    ReminderSpec,
    TagSpec,
)
from app.run import actions
from app.run import service as run_service
from app.run.engine import APPROVER, CONDITIONAL, SIGNER, RunState
from app.run.models import STATUSES
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings, load_settings

DEFAULT_SEED = 2025

Progress = Callable[[int, int, str], None]
"""Called after each step with (steps done, steps in all, what was just done)."""


class DemoError(Exception):
    """The demo cannot be loaded as asked (unknown or inactive manager, ...)."""


# ---- who is in the demo workspace ----

@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    email: str
    role: str


PEOPLE: tuple[Person, ...] = (
    Person("maya", "Maya Chen", "maya.chen@example.com", "Controller"),
    Person("luis", "Luis Ortega", "luis.ortega@example.com", "Senior Accountant"),
    Person("priya", "Priya Raman", "priya.raman@example.com", "Accounts Payable and Receivable Lead"),
    Person("daniel", "Daniel Okafor", "daniel.okafor@example.com", "FP&A Manager"),
    Person("sofia", "Sofia Lindqvist", "sofia.lindqvist@example.com", "Chief Financial Officer"),
    Person("james", "James Whitaker", "james.whitaker@example.com", "Chief Executive Officer"),
    Person("hannah", "Hannah Brooks", "hannah.brooks@example.com", "Internal Audit Lead"),
    Person("grace", "Grace Mbeki", "grace.mbeki@example.com", "Audit Committee Chair"),
    Person("tom", "Tom Baker", "tom.baker@example.com", "Contract Accountant (contract ended)"),
)
INACTIVE = "tom"  # deactivated during the load; no process definition names him, so every process validates

CLOSE = "Q4 2025 Financial Close"
SOX = "SOX 302 Quarterly Certification"
ACCRUALS = "Month-End Accruals"
BUDGET = "FY2026 Budget Planning"
PROCESS_NAMES = (CLOSE, SOX, ACCRUALS, BUDGET)

CLOSE_CERT = "Q4 2025 sub-certification of the financial statements"
SOX_CERT = "SOX 302 certification of the quarterly report"
ACCRUALS_CERT = "Month-end accruals sign-off"
BUDGET_CERT = "FY2026 budget attestation"
DEV_ROLE = "__manager__"  # stands for the acting user (the runs' manager) in the specs; see _resolve


# ---- spec builders (arguments in the seed's JSON, dates as ISO strings) ----

def _d(text: str) -> date:
    return date.fromisoformat(text)


def _tags(pairs: tuple[tuple[str, str], ...]) -> list[TagSpec]:
    return [TagSpec(category=c, value=v) for c, v in pairs]


def _args(**values: Any) -> dict[str, Any]:
    """Given values only, under the seed's camelCase names."""
    names = {"approver_due": "approverDueDate", "due": "dueDate", "signers": "signerSteps",
             "approvers": "approverSteps"}
    return {names.get(k, k): v for k, v in values.items() if v is not None}


def task(title: str, assignee: str, *, approver: str | None = None, instructions: str | None = None,
         due: str | None = None, approver_due: str | None = None, document: str | None = None,
         manual: bool = False, tags: tuple[tuple[str, str], ...] = ()) -> JobSpec:
    return JobSpec(action="sendTask", arguments=_args(
        title=title, instructions=instructions, assignee=assignee, approver=approver, due=due,
        approver_due=approver_due, document=document), trigger_type="manual" if manual else "whenEligible",
        tags=_tags(tags))


def content(title: str, assignee: str, *, document: str, section: str, approver: str | None = None,
            instructions: str | None = None, due: str | None = None,
            tags: tuple[tuple[str, str], ...] = ()) -> JobSpec:
    return JobSpec(action="contentRequest", arguments=_args(
        title=title, instructions=instructions, assignee=assignee, approver=approver, document=document,
        section=section, due=due), tags=_tags(tags))


def steps(*spec: tuple[str, list[str]]) -> list[dict[str, Any]]:
    return [{"mode": mode, "users": list(users)} for mode, users in spec]


def certification(title: str, *, document: str, due: str, signers: list[dict[str, Any]],
                  approvers: list[dict[str, Any]], tags: tuple[tuple[str, str], ...] = ()) -> JobSpec:
    return JobSpec(action="certification", arguments=_args(
        title=title, document=document, due=due, signers=signers, approvers=approvers), tags=_tags(tags))


def group(name: str, *children: GroupSpec | JobSpec, parallel: bool = False, manual: bool = False,
          due: str | None = None) -> GroupSpec:
    return GroupSpec(name=name, parallel=parallel, trigger_type="manual" if manual else "whenEligible",
                     due_date=None if due is None else _d(due), children=list(children))


def demo_processes(u: dict[str, str]) -> list[ProcessSpec]:
    """The named demo processes; `u` maps a person's key to their user id."""
    close = ProcessSpec(
        name=CLOSE, auto_close=False, relative_dates=True, due_date=_d("2026-01-30"),
        business_start_date=_d("2026-01-02"), business_end_date=_d("2026-01-30"),
        business_days_of_week=["monday", "tuesday", "wednesday", "thursday", "friday"],
        business_date_exclusions=[_d("2026-01-19")],  # Martin Luther King Jr. Day
        business_date_inclusions=[_d("2026-01-03")],  # the close Saturday
        calendars=["us-federal-holidays"],
        default_cert_signer_reminders=ReminderDataSpec(mode="custom", reminders=[
            ReminderSpec(-2, "Sub-certification due in two days",
                         "Please review the Q4 package and sign your sub-certification."),
            ReminderSpec(0, "Sub-certification due today", "Your Q4 sub-certification is due today."),
        ]),
        default_cert_approver_reminders=ReminderDataSpec(mode="default"),
        root=group(
            CLOSE,
            group("Planning",
                  task("Confirm close calendar and owners", u["maya"], due="2026-01-02",
                       instructions="Confirm owners and deadlines for every close task and publish the calendar.",
                       tags=(("area", "planning"),)),
                  task("Roll forward the close checklist", u["luis"], approver=u["maya"], due="2026-01-05",
                       approver_due="2026-01-06", document="wb-close-checklist-q4-2025",
                       tags=(("area", "planning"),)),
                  parallel=True, due="2026-01-05"),
            group("Reconciliations",
                  task("Bank reconciliations", u["luis"], approver=u["maya"], due="2026-01-08",
                       approver_due="2026-01-09", document="wb-bank-recs-q4-2025",
                       instructions="Reconcile every operating and payroll account to the December statements.",
                       tags=(("account", "cash"), ("risk", "high"), ("sox-control", "FC-03"))),
                  task("Accounts receivable subledger to GL", u["priya"], approver=DEV_ROLE, due="2026-01-09",
                       approver_due="2026-01-12", tags=(("account", "receivables"),)),
                  task("Accounts payable and accrued liabilities", u["priya"], approver=u["luis"],
                       due="2026-01-09", approver_due="2026-01-12", tags=(("account", "payables"),)),
                  task("Fixed assets and depreciation", u["luis"], approver=u["maya"], due="2026-01-12",
                       tags=(("account", "fixed-assets"),)),
                  group("Intercompany",
                        task("Intercompany balance confirmations", u["daniel"], due="2026-01-09",
                             tags=(("account", "intercompany"),)),
                        task("Intercompany eliminations journal", u["luis"], approver=u["maya"],
                             due="2026-01-13", tags=(("account", "intercompany"), ("risk", "medium")))),
                  parallel=True, due="2026-01-14"),
            group("Reporting",
                  content("MD&A narrative: results of operations", u["daniel"], approver=u["sofia"],
                          document="doc-10k-2025", section="mdna-results-of-operations", due="2026-01-21",
                          instructions="Explain revenue, gross margin and operating expense changes over 5%."),
                  content("Footnote: revenue disaggregation", u["priya"], approver=u["maya"],
                          document="doc-10k-2025", section="note-revenue", due="2026-01-20"),
                  task("Flux analysis against the prior quarter", u["daniel"], approver=u["maya"],
                       document="wb-flux-q4-2025", due="2026-01-16", approver_due="2026-01-20"),
                  manual=True, due="2026-01-23"),
            group("Sign-off",
                  certification(CLOSE_CERT, document="letter-subcert-q4-2025", due="2026-01-28",
                                signers=steps(("everyone", [u["maya"], u["priya"], u["daniel"]])),
                                approvers=steps(("someone", [u["sofia"]])),
                                tags=(("sox-control", "ELC-01"),)),
                  task("Lock the period in the ERP", u["luis"], manual=True, due="2026-01-30",
                       tags=(("area", "systems"),)),
                  manual=True, due="2026-01-30"),
        ),
    )
    sox = ProcessSpec(
        name=SOX, auto_close=True, relative_dates=True, due_date=_d("2026-02-10"),
        business_start_date=_d("2026-01-05"), business_end_date=_d("2026-02-13"),
        default_cert_signer_reminders=ReminderDataSpec(mode="custom", reminders=[
            ReminderSpec(-3, "SOX 302 certification due soon",
                         "The quarterly SOX 302 certification is due in three days."),
        ]),
        root=group(
            SOX,
            group("Preparation",
                  task("Disclosure committee meeting minutes", u["hannah"], document="minutes-disclosure-committee",
                       due="2026-01-16", tags=(("sox", "302"),)),
                  content("Disclosure controls questionnaire", u["maya"], approver=u["hannah"],
                          document="sox302-questionnaire", section="changes-in-internal-control",
                          due="2026-01-20", tags=(("sox", "302"),)),
                  content("Sub-certification roll-up", u["daniel"], document="sox302-subcert-rollup",
                          section="summary", due="2026-01-22"),
                  parallel=True, due="2026-01-23"),
            group("Certification",
                  certification(SOX_CERT, document="letter-sox302", due="2026-02-06",
                                signers=steps(("everyone", [u["maya"], u["daniel"]]),
                                              ("everyone", [u["sofia"], u["james"]])),
                                approvers=steps(("someone", [u["hannah"], u["grace"]])),
                                tags=(("sox", "302"), ("risk", "high"))),
                  due="2026-02-10"),
        ),
    )
    accruals = ProcessSpec(
        name=ACCRUALS, auto_close=False, cert_auto_approve=True, relative_dates=True, due_date=_d("2025-12-05"),
        business_start_date=_d("2025-12-01"), business_end_date=_d("2025-12-31"),
        business_date_exclusions=[_d("2025-12-25"), _d("2025-12-26")],
        root=group(
            ACCRUALS,
            group("Collect",
                  task("Goods received not invoiced (GRNI) accrual", u["priya"], due="2025-12-02",
                       tags=(("account", "2110"),)),
                  task("Payroll and bonus accrual", u["luis"], approver=u["maya"], due="2025-12-02",
                       approver_due="2025-12-03", tags=(("account", "2310"),)),
                  task("Prepaid expense amortization", u["luis"], due="2025-12-02", tags=(("account", "1410"),)),
                  parallel=True, due="2025-12-02"),
            group("Book and review",
                  task("Post accrual journal entries", u["luis"], approver=u["maya"], due="2025-12-03",
                       approver_due="2025-12-04", tags=(("risk", "medium"),)),
                  task("Check reversals of prior-month accruals", u["priya"], due="2025-12-04"),
                  due="2025-12-04"),
            group("Sign-off",
                  certification(ACCRUALS_CERT, document="letter-accruals-monthly", due="2025-12-05",
                                signers=steps(("everyone", [u["maya"]])),
                                approvers=steps(("someone", [u["sofia"]])))),
        ),
    )
    budget = ProcessSpec(
        name=BUDGET, auto_close=True, due_date=_d("2026-02-27"),
        root=group(
            BUDGET,
            group("Kick-off",
                  task("Publish budget guidelines and templates", u["daniel"], approver=u["sofia"],
                       due="2025-12-12", document="budget-guidelines-fy2026")),
            group("Department submissions",
                  content("Finance and accounting operating plan", u["maya"], document="budget-fy2026",
                          section="general-and-administrative", due="2026-01-16"),
                  content("Capital expenditure requests", u["luis"], document="budget-fy2026", section="capex",
                          due="2026-01-16", tags=(("area", "capex"),)),
                  content("Working capital assumptions", u["priya"], document="budget-fy2026",
                          section="working-capital", due="2026-01-16"),
                  parallel=True, manual=True, due="2026-01-23"),
            group("Consolidation and review",
                  task("Consolidate department plans", u["daniel"], approver=u["sofia"], due="2026-02-06"),
                  task("Executive review of the consolidated budget", u["sofia"], approver=u["james"],
                       manual=True, due="2026-02-13")),
            group("Board approval",
                  certification(BUDGET_CERT, document="letter-budget-fy2026", due="2026-02-25",
                                signers=steps(("someone", [u["sofia"], u["james"]])),
                                approvers=steps(("everyone", [u["grace"]])))),
        ),
    )
    return [close, sox, accruals, budget]


def _resolve(spec: ProcessSpec, manager: str) -> ProcessSpec:
    """Put the acting user where the specs name DEV_ROLE (so their inbox has something to approve)."""
    def walk(node: GroupSpec | JobSpec) -> None:
        if isinstance(node, GroupSpec):
            for child in node.children:
                walk(child)
        else:
            for key in ("assignee", "approver"):
                if node.arguments.get(key) == DEV_ROLE:
                    node.arguments[key] = manager
    walk(spec.root)
    return spec


# ---- generated extra processes (--count) ----

_KINDS = ("Monthly Close", "Bank Reconciliation Review", "Vendor Master Data Review", "Revenue Recognition Review",
          "Expense Report Audit", "Quarterly Tax Provision", "Inventory Count", "Payroll Controls Review")
_ENTITIES = ("Northwind US Inc.", "Northwind UK Ltd", "Northwind GmbH", "Northwind SAS", "Northwind KK",
             "Northwind Pty Ltd", "Northwind BV", "Northwind AB")
_GROUPS = ("Preparation", "Fieldwork", "Review", "Reporting", "Approval", "Follow-up")
_VERBS = ("Reconcile", "Review", "Document", "Confirm", "Update", "Test", "Analyse", "Approve")
_OBJECTS = ("cash accounts", "vendor changes", "journal entries", "revenue contracts", "expense reports",
            "tax positions", "inventory variances", "payroll register", "access rights", "open items")


def generated_process(index: int, rng: random.Random, u: dict[str, str]) -> ProcessSpec:
    """One plausible process of the extra batch; every one passes the health check."""
    people = [p.key for p in PEOPLE if p.key != INACTIVE]
    kind = rng.choice(_KINDS)
    name = f"{kind}: {_ENTITIES[index % len(_ENTITIES)]} #{index + 1}"
    groups: list[GroupSpec | JobSpec] = []
    for g, gname in enumerate(rng.sample(_GROUPS, rng.randint(2, 4))):
        jobs: list[GroupSpec | JobSpec] = []
        for j in range(rng.randint(2, 5)):
            assignee, approver = rng.sample(people, 2)
            title = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} ({g + 1}.{j + 1})"
            if rng.random() < 0.25:
                jobs.append(content(title, u[assignee], document=f"doc-{index + 1}", section=f"s{g + 1}-{j + 1}"))
            else:
                jobs.append(task(title, u[assignee], approver=u[approver] if rng.random() < 0.5 else None,
                                 tags=(("entity", _ENTITIES[index % len(_ENTITIES)]),)))
        groups.append(GroupSpec(name=gname, parallel=rng.random() < 0.5, children=jobs))
    if rng.random() < 0.3:
        signer, approver = rng.sample(people, 2)
        groups.append(group("Sign-off", certification(f"{kind} sign-off", document=f"letter-{index + 1}",
                                                      due="2026-03-31", signers=steps(("everyone", [u[signer]])),
                                                      approvers=steps(("someone", [u[approver]])))))
    return ProcessSpec(name=name, root=GroupSpec(name=name, children=groups), auto_close=rng.random() < 0.5)


# ---- runs ----

@dataclass(slots=True)
class _Run:
    """A started run: its id and, for acting on it, its job runs and client group runs."""

    id: str
    jobs: dict[str, dict[str, Any]]  # job run id -> {"action", "arguments"}
    groups: dict[str, str]  # client group name -> group run id

    def job(self, title: str) -> tuple[str, dict[str, Any]]:
        for jid, j in self.jobs.items():
            if j["arguments"].get("title") == title:
                return jid, j["arguments"]
        raise KeyError(title)

    def generated(self, cert_title: str, action: str, user: str) -> str:
        cert_id, _ = self.job(cert_title)
        for jid, j in self.jobs.items():
            a = j["arguments"]
            if j["action"] == action and a.get("certificationJob") == cert_id and a.get("user") == user:
                return jid
        raise KeyError((cert_title, action, user))


class _Loader:
    def __init__(self, engine: AsyncEngine, *, workspace_id: str, manager: str) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self.manager = manager
        self.processes: dict[str, str] = {}  # name -> id

    def actor(self, user_id: str) -> Actor:
        return Actor(user_id=user_id, workspace_id=self.workspace_id, scopes=frozenset({READ, WRITE}))

    async def create(self, spec: ProcessSpec) -> str:
        row = await process_service.create_process(engine=self.engine, actor=self.actor(self.manager), spec=spec)
        self.processes[spec.name] = row.id
        return str(row.id)

    async def start(self, process_name: str) -> _Run:
        row = await run_service.start_run(engine=self.engine, actor=self.actor(self.manager),
                                          process_id=self.processes[process_name])
        async with self.engine.connect() as conn:
            groups, jobs = (await run_service.run_trees(conn, run_ids=[row.id]))[row.id]
        return _Run(id=row.id, jobs={j.id: {"action": j.action, "arguments": dict(j.arguments)} for j in jobs},
                    groups={g.name: g.id for g in groups if not g.generated})

    async def _act(self, user_id: str, node_id: str, change: Callable[[RunState], None]) -> None:
        await run_service.act(engine=self.engine, actor=self.actor(user_id), node_id=node_id,
                              expected_revision=None, change=change)

    # Each action is taken by the person the rules name: assignee, approver, signer or manager.
    async def submit(self, run: _Run, title: str, comment: str | None = None) -> None:
        jid, args = run.job(title)
        await self._act(args["assignee"], jid, lambda s: actions.submit(s, jid, comment))

    async def approve(self, run: _Run, title: str, comment: str | None = None) -> None:
        jid, args = run.job(title)
        await self._act(args["approver"], jid, lambda s: actions.approve(s, jid, comment))

    async def return_(self, run: _Run, title: str, comment: str) -> None:
        jid, args = run.job(title)
        await self._act(args["approver"], jid, lambda s: actions.return_(s, jid, comment))

    async def sign(self, run: _Run, cert_title: str, user: str, *, exception: str | None = None) -> None:
        jid = run.generated(cert_title, SIGNER, user)
        await self._act(user, jid, lambda s: actions.sign(s, jid, exception is not None, exception))

    async def approve_certification(self, run: _Run, cert_title: str, user: str, comment: str | None = None,
                                    *, conditional: bool = False) -> None:
        jid = run.generated(cert_title, CONDITIONAL if conditional else APPROVER, user)
        await self._act(user, jid, lambda s: actions.approve(s, jid, comment))

    async def start_group(self, run: _Run, name: str) -> None:
        gid = run.groups[name]
        await self._act(self.manager, gid, lambda s: actions.start_node(s, gid, "group run"))

    async def edit(self, run: _Run, title: str, changes: dict[str, Any]) -> None:
        jid, _ = run.job(title)
        await self._act(self.manager, jid, lambda s: actions.edit(s, jid, changes))

    async def cancel(self, run: _Run, comment: str) -> None:
        await self._act(self.manager, run.id, lambda s: actions.cancel(s, run.id, comment, "run"))

    async def close(self, run: _Run) -> None:
        await self._act(self.manager, run.id, lambda s: actions.close(s, run.id))


async def _ensure_people(engine: AsyncEngine, workspace_id: str) -> dict[str, str]:
    """The demo people's user ids: existing users of the workspace with the same e-mail are reused (and made
    active again), so loading twice with --force adds no duplicate people."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(auth_service.UT.c.id, auth_service.UT.c.email).where(
            auth_service.UT.c.workspace_id == workspace_id,
            auth_service.UT.c.email.in_([p.email for p in PEOPLE])).order_by(auth_service.UT.c.created_at,
                                                                            auth_service.UT.c.id))).all()
    existing: dict[str, str] = {}
    for row in rows:
        existing.setdefault(row.email, row.id)
    out: dict[str, str] = {}
    for p in PEOPLE:
        if p.email in existing:
            out[p.key] = existing[p.email]
            await auth_service.set_user_active(engine, user_id=out[p.key], active=True)
        else:
            out[p.key] = await auth_service.create_user(engine, workspace_id=workspace_id, name=p.name,
                                                        email=p.email)
    return out


async def _check_manager(engine: AsyncEngine, *, workspace_id: str, user_id: str) -> None:
    async with engine.connect() as conn:
        found = (await auth_service.users_by_ids(conn, workspace_id=workspace_id, ids=[user_id])).get(user_id)
    if found is None:
        raise DemoError(f"no user '{user_id}' in workspace '{workspace_id}'")
    if not found.active:
        raise DemoError(f"user '{user_id}' is deactivated; the demo's runs need an active manager")


async def _scenarios(d: _Loader, u: dict[str, str], step: Callable[[str], None]) -> None:
    """The runs, oldest first, each left in the state its comment names."""
    # Cancelled: the first Q4 close run was started before the trial balance was final.
    run = await d.start(CLOSE)
    await d.submit(run, "Confirm close calendar and owners")
    await d.cancel(run, "Started before the Q4 trial balance was final; restarting the close.")
    step("run: Q4 close, cancelled")

    # Complete and closed: October's accruals, every job done, the sign-off approved by itself
    # (certAutoApprove and no exception), then closed by the manager (autoClose is off).
    run = await d.start(ACCRUALS)
    await d.submit(run, "Goods received not invoiced (GRNI) accrual", "GRNI per the receiving report: 184,230.00")
    await d.submit(run, "Payroll and bonus accrual")
    await d.approve(run, "Payroll and bonus accrual", "Bonus accrual matches the HR plan.")
    await d.submit(run, "Prepaid expense amortization")
    await d.submit(run, "Post accrual journal entries", "JE 2025-10-114 to 2025-10-121 posted.")
    await d.approve(run, "Post accrual journal entries")
    await d.submit(run, "Check reversals of prior-month accruals")
    await d.sign(run, ACCRUALS_CERT, u["maya"])
    await d.close(run)
    step("run: month-end accruals, complete and closed")

    # Complete by itself (autoClose): the Q3 SOX 302 certification, every signer signed, the CEO with
    # an exception; internal audit approved for the approver step, so the audit chair's job was cancelled.
    run = await d.start(SOX)
    await d.submit(run, "Disclosure committee meeting minutes", "Minutes of the 14 October meeting attached.")
    await d.submit(run, "Disclosure controls questionnaire")
    await d.approve(run, "Disclosure controls questionnaire")
    await d.submit(run, "Sub-certification roll-up", "All 23 sub-certifications received, no exceptions.")
    await d.sign(run, SOX_CERT, u["maya"])
    await d.sign(run, SOX_CERT, u["daniel"])
    await d.sign(run, SOX_CERT, u["sofia"])
    await d.sign(run, SOX_CERT, u["james"], exception="Remediation of the user-access review deficiency "
                 "(ITGC-07) is still in progress; see the Q3 deficiency log.")
    await d.approve_certification(run, SOX_CERT, u["hannah"], "Exception reviewed with the audit committee.")
    step("run: SOX 302, complete")

    # Error hold: November's accruals. The journal entries were reassigned to a contractor whose account
    # was deactivated when his contract ended; when the collection finished, that job run could not start.
    run = await d.start(ACCRUALS)
    await d.edit(run, "Post accrual journal entries", {"assignee": u[INACTIVE]})
    await auth_service.set_user_active(d.engine, user_id=u[INACTIVE], active=False)
    await d.submit(run, "Goods received not invoiced (GRNI) accrual")
    await d.submit(run, "Payroll and bonus accrual")
    await d.approve(run, "Payroll and bonus accrual")
    await d.submit(run, "Prepaid expense amortization")
    step("run: month-end accruals, error hold")

    # Part-way: the restarted Q4 close. Planning done; reconciliations in every state: approved, awaiting
    # the acting user's approval, returned to its assignee, sent, and the serial intercompany group halfway.
    run = await d.start(CLOSE)
    await d.submit(run, "Confirm close calendar and owners", "Calendar published to the close channel.")
    await d.submit(run, "Roll forward the close checklist")
    await d.approve(run, "Roll forward the close checklist")
    await d.submit(run, "Bank reconciliations", "All 14 accounts reconciled; two wires in transit documented.")
    await d.approve(run, "Bank reconciliations", "Reviewed; reconciling items cleared in January.")
    await d.submit(run, "Accounts receivable subledger to GL", "Subledger ties to GL 1200 to the cent.")
    await d.submit(run, "Accounts payable and accrued liabilities")
    await d.return_(run, "Accounts payable and accrued liabilities",
                    "December freight accrual is missing from the rollforward; please add it and resubmit.")
    await d.submit(run, "Intercompany balance confirmations", "Confirmed with all five entities.")
    step("run: Q4 close, part-way")

    # Just started: the Q4 SOX 302 certification; its preparation jobs are with their assignees.
    await d.start(SOX)
    step("run: SOX 302, just started")


_BASE_STEPS = 1 + len(PROCESS_NAMES) + 6  # people, processes, runs (one step per run scenario above)


async def load_demo(engine: AsyncEngine, *, actor_user_id: str, workspace_id: str,
                    progress: Progress | None = None, extra_processes: int = 0,
                    seed: int = DEFAULT_SEED) -> DemoSummary:
    """Load the demo into a migrated database through the service layer; returns what the workspace holds.

    `actor_user_id` (an active user of `workspace_id`) creates the processes and manages the runs. The caller
    decides whether loading is wanted (see `database_is_empty`); loading twice adds a second copy of the
    processes and runs, reusing the people. `extra_processes` adds that many generated processes (a third of
    them with a started run), the same ones for the same `seed`.
    """
    if extra_processes < 0:
        raise ValueError("extra_processes is not negative")
    await _check_manager(engine, workspace_id=workspace_id, user_id=actor_user_id)
    total = _BASE_STEPS + extra_processes
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    u = await _ensure_people(engine, workspace_id)
    step("people")
    d = _Loader(engine, workspace_id=workspace_id, manager=actor_user_id)
    for spec in demo_processes(u):
        await d.create(_resolve(spec, actor_user_id))
        step(f"process: {spec.name}")
    await _scenarios(d, u, step)
    rng = random.Random(seed)
    for i in range(extra_processes):
        spec = generated_process(i, rng, u)
        await d.create(spec)
        if i % 3 == 0:
            await d.start(spec.name)
        step(f"generated: {spec.name}")
    return await demo_summary(engine, workspace_id=workspace_id)


# ---- what the database holds ----

@dataclass(frozen=True, slots=True)
class DemoSummary:
    processes: int
    runs_by_status: dict[str, int]
    users: int

    @property
    def runs(self) -> int:
        return sum(self.runs_by_status.values())

    def line(self) -> str:
        by_status = ", ".join(f"{s} {n}" for s, n in self.runs_by_status.items() if n)
        return (f"{self.processes} processes, {self.runs} runs ({by_status or 'none'}), "
                f"{self.users} users")


async def demo_summary(engine: AsyncEngine, *, workspace_id: str) -> DemoSummary:
    """Live processes, runs by status (in enum order) and users of a workspace."""
    async with engine.connect() as conn:
        processes = (await conn.execute(select(func.count()).select_from(PT).where(
            PT.c.workspace_id == workspace_id, PT.c.trashed_at.is_(None)))).scalar_one()
        rows = (await conn.execute(select(run_service.RT.c.status, func.count()).where(
            run_service.RT.c.workspace_id == workspace_id).group_by(run_service.RT.c.status))).all()
    found = {status: int(n) for status, n in rows}
    users = await auth_service.count_users(engine, workspace_id=workspace_id)
    return DemoSummary(processes=int(processes), runs_by_status={s: found.get(s, 0) for s in STATUSES},
                       users=users)


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when no workspace holds a process (live or trashed) or a run: the demo may be loaded."""
    async with engine.connect() as conn:
        process = (await conn.execute(select(PT.c.id).limit(1))).first()
        run = (await conn.execute(select(run_service.RT.c.id).limit(1))).first()
    return process is None and run is None


# ---- progress on a terminal ----

class ProgressBar:
    """A dependency-free progress bar on a stream (stderr by default), redrawn at most 10 times a second.

    On a terminal it draws the bar and clears it at the end; elsewhere (CI, a pipe) it draws nothing.
    `finish()` writes one summary line either way, unless `summary` is False.
    """

    def __init__(self, stream: TextIO | None = None, *, label: str = "demo data", width: int = 30,
                 summary: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.width = width
        self.summary = summary
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.done = 0
        self.total = 0
        self._drawn_at = 0.0
        self._shown = 0

    def __call__(self, done: int, total: int, what: str) -> None:
        self.done, self.total = done, total
        if not self.tty:
            return
        now = time.monotonic()
        if done < total and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        filled = self.width * done // total if total else self.width
        text = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {what[:50]}"
        self.stream.write("\r" + text.ljust(self._shown))
        self.stream.flush()
        self._shown = len(text)

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0
        if self.summary:
            self.stream.write(f"{self.label}: {self.done}/{self.total} steps in "
                              f"{time.monotonic() - self.started:.1f} s\n")
        self.stream.flush()


# ---- entry points: scripts/serve --demo, and python -m app.demo ----

def maybe_load_on_start(settings: Settings) -> str | None:
    """For `scripts/serve --demo`, after migrations: on an empty database load the demo into the default
    workspace, managed by the demo user, and return a one-line summary; otherwise None. Never prompts
    (CI has no terminal); a progress bar shows on stderr only when it is a terminal."""
    return asyncio.run(_maybe_load(settings))


async def _maybe_load(settings: Settings) -> str | None:
    engine = create_engine(settings)
    try:
        if not await database_is_empty(engine):
            return None
        bar = ProgressBar(summary=False)
        try:
            summary = await load_demo(engine, actor_user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID,
                                      progress=bar)
        finally:
            bar.finish()
        return f"demo data loaded: {summary.line()}"
    finally:
        await engine.dispose()


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("N is not negative")
    return value


async def _cli(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        if not args.force and not await database_is_empty(engine):
            print(f"app.demo: {where} already holds processes or runs; not loading the demo on top of them "
                  "(pass --force to add it anyway).", file=sys.stderr)
            return 1
        bar = ProgressBar()
        try:
            summary = await load_demo(engine, actor_user_id=args.manager, workspace_id=args.workspace,
                                      progress=bar, extra_processes=args.count, seed=args.seed)
        finally:
            bar.finish()
    except (DemoError, ServiceError) as exc:
        print(f"app.demo: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"Demo data loaded into {where}: {summary.line()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/demo-data",
        description="Migrate the database named by DATABASE_URL and fill it with demo processes and runs "
                    "(a quarterly close, a SOX 302 certification, month-end accruals, a budget; runs in "
                    "several states). Refuses a database that already holds processes unless --force.")
    parser.add_argument("--force", action="store_true",
                        help="load even when the database already holds processes (adds another copy)")
    parser.add_argument("--count", type=_count, default=0, metavar="N",
                        help="also add N generated processes (a third of them with a started run)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated processes")
    parser.add_argument("--workspace", default=DEFAULT_WORKSPACE_ID, help="workspace id (default: the default one)")
    parser.add_argument("--manager", default=DEV_USER_ID,
                        help="user id that creates the processes and manages the runs (default: the demo user)")
    args = parser.parse_args(argv)
    settings = load_settings()
    if is_sqlite(settings.database_url):
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings)
    return asyncio.run(_cli(settings, args))


if __name__ == "__main__":
    sys.exit(main())
