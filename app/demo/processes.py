"""The demo processes: four named ones written out, and generated extras (`--count`)."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from app.demo.people import INACTIVE, PEOPLE
from app.process.inputs import (
    GroupSpec,
    JobSpec,
    ProcessSpec,
    ReminderDataSpec,
    ReminderSpec,
    TagSpec,
)

CLOSE = "Q4 2025 Financial Close"
SOX = "SOX 302 Quarterly Certification"
ACCRUALS = "Month-End Accruals"
BUDGET = "FY2026 Budget Planning"
PROCESS_NAMES = (CLOSE, SOX, ACCRUALS, BUDGET)

CLOSE_CERT = "Q4 2025 sub-certification of the financial statements"
SOX_CERT = "SOX 302 certification of the quarterly report"
ACCRUALS_CERT = "Month-end accruals sign-off"
BUDGET_CERT = "FY2026 budget attestation"
DEV_ROLE = "__manager__"  # stands for the acting user (the runs' manager) in the specs; see resolve_manager


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


def resolve_manager(spec: ProcessSpec, manager: str) -> ProcessSpec:
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
