"""Demo data (issue 8 point 5): realistic processes and runs in several states, loaded through the services."""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, ROOT, Settings
from tests.helpers import GraphQLClient

STATUSES = ["WAITING", "RUNNING", "CANCELLING", "COMPLETE", "CANCELLED", "ERROR", "ERROR_HOLD"]

PROCESSES = """
query { processes(first: 100, orderBy: {field: NAME, direction: ASC}) {
  totalCount edges { node { id name relativeDates autoClose certAutoApprove run { status } } } } }
"""
TREE = """
query($id: ID!, $exclude: Boolean!) { process(id: $id, excludeGeneratedJobs: $exclude) {
  businessStartDate businessEndDate businessDateExclusions businessDateInclusions
  nodes { __typename
    ... on ProcessGroup { id parentId ordinal name parallel triggerType }
    ... on ProcessJob { id parentId ordinal name action triggerType tags { category value } } } } }
"""
VALIDATION = "query($id: ID!) { processValidation(id: $id) { errors { code message } } }"
RUNS = """
query($status: RunStatus) { processRuns(first: 100, filter: {status: $status}) {
  edges { node { id name status completedDate dueDate statusCounts { status count } } } } }
"""
RUN = """
query($id: ID!) { processRun(id: $id) { id status statusCounts { status count } nodes { __typename
  ... on GroupRun { id name status }
  ... on JobRun { id name action status actionStatus exception comment
    arguments { __typename ... on SendTaskArgs { assignee approver }
                ... on GeneratedCertificationArgs { user } } } } } }
"""
EVENTS = "query($id: ID!) { processRun(id: $id) { events(first: 1000) { edges { node { nodeId toValue comment } } } } }"
USERS = "query { users(first: 100) { edges { node { id name email active } } } }"
INBOX = "query($s: ActionStatus) { viewer { jobRuns(status: $s) { name actionStatus } } }"

S, C, CR = "SEND_TASK", "CERTIFICATION", "CONTENT_REQUEST"
SHAPES: dict[str, list[Any]] = {
    demo.CLOSE: [
        ("Planning", "parallel", "WHEN_ELIGIBLE", [S, S]),
        ("Reconciliations", "parallel", "WHEN_ELIGIBLE",
         [S, S, S, S, ("Intercompany", "serial", "WHEN_ELIGIBLE", [S, S])]),
        ("Reporting", "serial", "MANUAL", [CR, CR, S]),
        ("Sign-off", "serial", "MANUAL", [C, S + "/MANUAL"]),
    ],
    demo.SOX: [
        ("Preparation", "parallel", "WHEN_ELIGIBLE", [S, CR, CR]),
        ("Certification", "serial", "WHEN_ELIGIBLE", [C]),
    ],
    demo.ACCRUALS: [
        ("Collect", "parallel", "WHEN_ELIGIBLE", [S, S, S]),
        ("Book and review", "serial", "WHEN_ELIGIBLE", [S, S]),
        ("Sign-off", "serial", "WHEN_ELIGIBLE", [C]),
    ],
    demo.BUDGET: [
        ("Kick-off", "serial", "WHEN_ELIGIBLE", [S]),
        ("Department submissions", "parallel", "MANUAL", [CR, CR, CR]),
        ("Consolidation and review", "serial", "WHEN_ELIGIBLE", [S, S + "/MANUAL"]),
        ("Board approval", "serial", "WHEN_ELIGIBLE", [C]),
    ],
}


def shape(nodes: list[dict[str, Any]]) -> list[Any]:
    """The tree below the root as nested (name, parallel|serial, trigger, children) tuples; jobs by action."""
    kids: dict[str | None, list[dict[str, Any]]] = {}
    for n in nodes:
        kids.setdefault(n["parentId"], []).append(n)

    def of(node: dict[str, Any]) -> Any:
        if node["__typename"] == "ProcessJob":
            return node["action"] + ("/MANUAL" if node["triggerType"] == "MANUAL" else "")
        return (node["name"], "parallel" if node["parallel"] else "serial", node["triggerType"], below(node["id"]))

    def below(node_id: str) -> list[Any]:
        return [of(n) for n in sorted(kids.get(node_id, []), key=lambda n: n["ordinal"])]

    (root,) = kids[None]
    return below(root["id"])


async def runs_with(gql: GraphQLClient, status: str | None) -> list[dict[str, Any]]:
    data = await gql(RUNS, {"status": status})
    return [e["node"] for e in data["processRuns"]["edges"]]


async def test_demo_loads_processes_and_runs_in_every_state(engine: AsyncEngine, gql: GraphQLClient) -> None:
    assert await demo.database_is_empty(engine)
    seen: list[tuple[int, int, str]] = []
    summary = await demo.load_demo(engine, actor_user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID,
                                   progress=lambda done, total, what: seen.append((done, total, what)))
    assert not await demo.database_is_empty(engine)
    assert [d for d, _, _ in seen] == list(range(1, len(seen) + 1)) and seen[-1][0] == seen[-1][1]
    assert summary.processes == 4 and summary.users == 1 + len(demo.PEOPLE)
    assert {s: n for s, n in summary.runs_by_status.items() if n} == {
        "running": 2, "complete": 2, "cancelled": 1, "errorHold": 1}
    assert summary.line() == "4 processes, 6 runs (running 2, complete 2, cancelled 1, errorHold 1), 10 users"

    # The processes, their tree shapes, and a clean health check for every one.
    listed = (await gql(PROCESSES))["processes"]
    assert listed["totalCount"] == 4
    processes = {e["node"]["name"]: e["node"] for e in listed["edges"]}
    assert sorted(processes) == sorted(demo.PROCESS_NAMES)
    assert processes[demo.BUDGET]["run"] is None
    for name, process in processes.items():
        tree = (await gql(TREE, {"id": process["id"], "exclude": True}))["process"]
        assert shape(tree["nodes"]) == SHAPES[name], name
        assert (await gql(VALIDATION, {"id": process["id"]}))["processValidation"]["errors"] == [], name
    close = (await gql(TREE, {"id": processes[demo.CLOSE]["id"], "exclude": False}))["process"]
    assert processes[demo.CLOSE]["relativeDates"] is True
    assert (close["businessStartDate"], close["businessEndDate"]) == ("2026-01-02", "2026-01-30")
    assert close["businessDateExclusions"] == ["2026-01-19"] and close["businessDateInclusions"] == ["2026-01-03"]
    jobs = {n["name"]: n for n in close["nodes"] if n["__typename"] == "ProcessJob"}
    assert {(t["category"], t["value"]) for t in jobs["Bank reconciliations"]["tags"]} == {
        ("account", "cash"), ("risk", "high"), ("sox-control", "FC-03")}
    assert Counter(n["action"] for n in close["nodes"] if n["__typename"] == "ProcessJob")[
        "CERTIFICATION_SIGNER_GENERATED"] == 3
    assert processes[demo.ACCRUALS]["certAutoApprove"] is True and processes[demo.SOX]["autoClose"] is True

    # Runs in several states; every run's statusCounts add up to its job runs.
    by_status = {s: sorted(r["name"] for r in await runs_with(gql, s)) for s in STATUSES}
    assert by_status == {"WAITING": [], "RUNNING": sorted([demo.CLOSE, demo.SOX]), "CANCELLING": [],
                         "COMPLETE": sorted([demo.ACCRUALS, demo.SOX]), "CANCELLED": [demo.CLOSE], "ERROR": [],
                         "ERROR_HOLD": [demo.ACCRUALS]}
    runs = await runs_with(gql, None)
    assert len(runs) == 6
    full: dict[str, dict[str, Any]] = {}
    for summary_row in runs:
        run = (await gql(RUN, {"id": summary_row["id"]}))["processRun"]
        full[run["id"]] = run
        run_jobs = [n for n in run["nodes"] if n["__typename"] == "JobRun"]
        counted = Counter(j["status"] for j in run_jobs)
        for counts in (summary_row["statusCounts"], run["statusCounts"]):
            assert [c["status"] for c in counts] == STATUSES
            assert {c["status"]: c["count"] for c in counts} == {s: counted.get(s, 0) for s in STATUSES}
        assert sum(c["count"] for c in run["statusCounts"]) == len(run_jobs)

    def the(status: str, name: str) -> dict[str, Any]:
        (row,) = [r for r in runs if r["status"] == status and r["name"] == name]
        return full[row["id"]]

    def job_runs(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {j["name"]: j for j in run["nodes"] if j["__typename"] == "JobRun"}

    users = {e["node"]["name"]: e["node"] for e in (await gql(USERS))["users"]["edges"]}

    # The certification run: every signer signed (the CEO with an exception), internal audit approved,
    # the audit chair's job of the `someone` step cancelled; the run completed by itself.
    sox = the("COMPLETE", demo.SOX)
    signers = [j for j in sox["nodes"] if j["__typename"] == "JobRun" and j["action"] == "CERTIFICATION_SIGNER_GENERATED"]
    assert len(signers) == 4 and all((j["status"], j["actionStatus"]) == ("COMPLETE", "COMPLETE") for j in signers)
    assert [j["arguments"]["user"] for j in signers if j["exception"]] == [users["James Whitaker"]["id"]]
    approvers = {j["arguments"]["user"]: j["status"] for j in sox["nodes"]
                 if j["__typename"] == "JobRun" and j["action"] == "CERTIFICATION_APPROVER_GENERATED"}
    assert approvers == {users["Hannah Brooks"]["id"]: "COMPLETE", users["Grace Mbeki"]["id"]: "CANCELLED"}
    assert all(r["completedDate"] for r in runs if r["status"] == "COMPLETE")

    # Closed by the manager, the sign-off approved by itself (certAutoApprove, no exception).
    accruals = job_runs(the("COMPLETE", demo.ACCRUALS))
    assert all(j["status"] == "COMPLETE" for j in accruals.values())
    assert any(j["action"] == "CERTIFICATION_CONDITIONAL_APPROVER_GENERATED" for j in accruals.values())

    # Error hold: the journal entries went to a deactivated contractor.
    held = job_runs(the("ERROR_HOLD", demo.ACCRUALS))
    post = held["Post accrual journal entries"]
    assert post["status"] == "ERROR" and post["arguments"]["assignee"] == users["Tom Baker"]["id"]
    assert users["Tom Baker"]["active"] is False
    assert all(u["active"] for name, u in users.items() if name != "Tom Baker")

    # Part-way: work in every action status, one approval waiting in the acting user's inbox.
    close_run = job_runs(the("RUNNING", demo.CLOSE))
    assert {name: close_run[name]["actionStatus"] for name in (
        "Confirm close calendar and owners", "Bank reconciliations", "Accounts receivable subledger to GL",
        "Accounts payable and accrued liabilities", "Fixed assets and depreciation",
        "Intercompany balance confirmations", "Intercompany eliminations journal", "Lock the period in the ERP",
    )} == {"Confirm close calendar and owners": "COMPLETE", "Bank reconciliations": "COMPLETE",
           "Accounts receivable subledger to GL": "APPROVAL", "Accounts payable and accrued liabilities": "RETURNED",
           "Fixed assets and depreciation": "SENT", "Intercompany balance confirmations": "COMPLETE",
           "Intercompany eliminations journal": "SENT", "Lock the period in the ERP": "WAITING"}
    returned = close_run["Accounts payable and accrued liabilities"]["id"]
    events = (await gql(EVENTS, {"id": the("RUNNING", demo.CLOSE)["id"]}))["processRun"]["events"]["edges"]
    assert any(e["node"]["nodeId"] == returned and e["node"]["toValue"] == "returned" and e["node"]["comment"]
               for e in events)
    inbox = (await gql(INBOX, {"s": "APPROVAL"}))["viewer"]["jobRuns"]
    assert [j["name"] for j in inbox] == ["Accounts receivable subledger to GL"]
    # Relative dates: the run's due date moved with its start, past today.
    (running_close,) = [r for r in runs if r["status"] == "RUNNING" and r["name"] == demo.CLOSE]
    assert date.fromisoformat(running_close["dueDate"]) > datetime.now(UTC).date()

    # Just started: the preparation jobs are with their assignees, nothing else has happened.
    started = job_runs(the("RUNNING", demo.SOX))
    assert {j["actionStatus"] for j in started.values() if j["status"] == "RUNNING"} == {"SENT"}
    assert not any(j["status"] == "COMPLETE" for j in started.values())


async def test_extra_generated_processes_are_seeded_and_valid(engine: AsyncEngine, gql: GraphQLClient) -> None:
    summary = await demo.load_demo(engine, actor_user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID,
                                   extra_processes=4, seed=7)
    assert summary.processes == 8 and summary.runs == 6 + 2  # every third generated process has a run
    listed = (await gql(PROCESSES))["processes"]["edges"]
    generated = sorted(e["node"]["name"] for e in listed if e["node"]["name"] not in demo.PROCESS_NAMES)
    people = {p.key: p.key for p in demo.PEOPLE}
    rng = random.Random(7)
    assert generated == sorted(demo.generated_process(i, rng, people).name for i in range(4))
    for e in listed:
        assert (await gql(VALIDATION, {"id": e["node"]["id"]}))["processValidation"]["errors"] == []


async def test_maybe_load_on_start_loads_only_an_empty_database(settings: Settings, engine: AsyncEngine) -> None:
    line = await asyncio.to_thread(demo.maybe_load_on_start, settings)
    assert line == "demo data loaded: 4 processes, 6 runs (running 2, complete 2, cancelled 1, errorHold 1), 10 users"
    assert await asyncio.to_thread(demo.maybe_load_on_start, settings) is None
    assert (await demo.demo_summary(engine, workspace_id=DEFAULT_WORKSPACE_ID)).processes == 4


async def test_manager_must_be_an_active_user_of_the_workspace(engine: AsyncEngine) -> None:
    with pytest.raises(demo.DemoError, match="no user"):
        await demo.load_demo(engine, actor_user_id="f" * 32, workspace_id=DEFAULT_WORKSPACE_ID)
    assert await demo.database_is_empty(engine)


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.demo", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}, timeout=90, check=False)


@pytest.mark.once(backend="sqlite")
@pytest.mark.timeout(120)
def test_cli_migrates_loads_and_refuses_a_second_time(backend: str, tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "demo.db"  # neither the file nor its directory exists: the CLI migrates it
    first = _cli(db, "--count", "2")
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(r"Demo data loaded into sqlite\+aiosqlite:///\S+demo\.db: 6 processes, 7 runs "
                        r"\(running 3, complete 2, cancelled 1, errorHold 1\), 10 users\n", first.stdout), first.stdout
    # stderr is not a terminal: no bar, only the final line
    assert re.search(r"^demo data: 13/13 steps in \d+\.\d s$", first.stderr, re.M), first.stderr
    assert "\r" not in first.stderr

    second = _cli(db)
    assert second.returncode != 0
    assert "already holds processes" in second.stderr and "--force" in second.stderr
    assert second.stdout == ""

    forced = _cli(db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert ": 10 processes, 13 runs (running 5, complete 4, cancelled 2, errorHold 2), 10 users" in forced.stdout
