"""The demo runs: each started and acted on through the service layer by the person the rules name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth_service
from app.auth.service import READ, WRITE, Actor
from app.demo.people import INACTIVE
from app.demo.processes import ACCRUALS, ACCRUALS_CERT, CLOSE, SOX, SOX_CERT
from app.process import service as process_service
from app.process.inputs import (
    ProcessSpec,
)
from app.run import actions
from app.run import service as run_service
from app.run.engine import APPROVER, CONDITIONAL, SIGNER, RunState

# ---- runs ----

@dataclass(slots=True)
class StartedRun:
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


class Loader:
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

    async def start(self, process_name: str) -> StartedRun:
        row = await run_service.start_run(engine=self.engine, actor=self.actor(self.manager),
                                          process_id=self.processes[process_name])
        async with self.engine.connect() as conn:
            groups, jobs = (await run_service.run_trees(conn, run_ids=[row.id]))[row.id]
        return StartedRun(id=row.id, jobs={j.id: {"action": j.action, "arguments": dict(j.arguments)} for j in jobs},
                    groups={g.name: g.id for g in groups if not g.generated})

    async def _act(self, user_id: str, node_id: str, change: Callable[[RunState], None]) -> None:
        await run_service.act(engine=self.engine, actor=self.actor(user_id), node_id=node_id,
                              expected_revision=None, change=change)

    # Each action is taken by the person the rules name: assignee, approver, signer or manager.
    async def submit(self, run: StartedRun, title: str, comment: str | None = None) -> None:
        jid, args = run.job(title)
        await self._act(args["assignee"], jid, lambda s: actions.submit(s, jid, comment))

    async def approve(self, run: StartedRun, title: str, comment: str | None = None) -> None:
        jid, args = run.job(title)
        await self._act(args["approver"], jid, lambda s: actions.approve(s, jid, comment))

    async def return_(self, run: StartedRun, title: str, comment: str) -> None:
        jid, args = run.job(title)
        await self._act(args["approver"], jid, lambda s: actions.return_(s, jid, comment))

    async def sign(self, run: StartedRun, cert_title: str, user: str, *, exception: str | None = None) -> None:
        jid = run.generated(cert_title, SIGNER, user)
        await self._act(user, jid, lambda s: actions.sign(s, jid, exception is not None, exception))

    async def approve_certification(self, run: StartedRun, cert_title: str, user: str, comment: str | None = None,
                                    *, conditional: bool = False) -> None:
        jid = run.generated(cert_title, CONDITIONAL if conditional else APPROVER, user)
        await self._act(user, jid, lambda s: actions.approve(s, jid, comment))

    async def start_group(self, run: StartedRun, name: str) -> None:
        gid = run.groups[name]
        await self._act(self.manager, gid, lambda s: actions.start_node(s, gid, "group run"))

    async def edit(self, run: StartedRun, title: str, changes: dict[str, Any]) -> None:
        jid, _ = run.job(title)
        await self._act(self.manager, jid, lambda s: actions.edit(s, jid, changes))

    async def cancel(self, run: StartedRun, comment: str) -> None:
        await self._act(self.manager, run.id, lambda s: actions.cancel(s, run.id, comment, "run"))

    async def close(self, run: StartedRun) -> None:
        await self._act(self.manager, run.id, lambda s: actions.close(s, run.id))


async def run_scenarios(d: Loader, u: dict[str, str], step: Callable[[str], None]) -> None:
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
