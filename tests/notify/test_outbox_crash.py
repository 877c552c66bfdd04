"""A gateway killed in the middle of a run write (issue 13 point 1): afterwards every committed transition has
its notifications and no notification exists without its transition. Real server processes, SIGKILL by the
fault injection (app/faults.py) at two points: in the middle of the run rows, and after the notification rows
are written but before the commit."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import table
from app.notify.models import Notification
from app.run.models import JobRun, RunEvent
from tests.run.helpers import START, action
from tests.run.test_run_processes import _post, _user
from tests.servers import Server, running_server

NT, ET, JT = table(Notification), table(RunEvent), table(JobRun)


async def expected_from_events(engine: AsyncEngine) -> Counter[tuple[str, str]]:
    """What the committed transitions ask for, by (node, kind), read from the event log alone."""
    async with engine.connect() as conn:
        events = (await conn.execute(select(ET).order_by(ET.c.run_id, ET.c.seq))).all()
        actions = {r.id: r.action for r in (await conn.execute(select(JT.c.id, JT.c.action))).all()}
    out: Counter[tuple[str, str]] = Counter()
    for e in events:
        if e.node_kind == "run" and e.to_value in ("complete", "cancelled"):
            out[(e.node_id, "runCompleted" if e.to_value == "complete" else "runCancelled")] += 1
        elif e.node_kind == "job" and e.field == "status" and e.to_value == "error":
            out[(e.node_id, "errorHold")] += 1
        elif e.node_kind == "job" and e.field == "actionStatus" and actions[e.node_id] != "certification":
            if e.to_value == "sent" and actions[e.node_id] != "certificationPhaseFinalizerGenerated":
                out[(e.node_id, "jobReturned" if e.from_value in ("complete", "cancelled") else "jobSent")] += 1
            elif e.to_value == "approval":
                out[(e.node_id, "jobSent")] += 1
            elif e.to_value == "returned":
                out[(e.node_id, "jobReturned")] += 1
    return out


async def written(engine: AsyncEngine) -> Counter[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(NT))).all()
    return Counter((r.job_run_id or r.run_id, r.kind) for r in rows)


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
@pytest.mark.parametrize("fault", ["run.save.mid:1", "notify.write:2"])
async def test_a_crash_mid_write_leaves_transitions_and_notifications_matched(
    backend: str, db_url: str, engine: AsyncEngine, tmp_path: Path, fault: str
) -> None:
    ann, ann_headers = await _user(engine, "ann")
    bob, bob_headers = await _user(engine, "bob")
    _, manager = await _user(engine, "manager")
    root = {"name": "R", "children": [{"job": {"arguments": {"sendTask": {"title": "first", "assignee": ann,
                                                                          "approver": bob}}}}]}
    create = 'mutation($input: ProcessCreateInput!) { processCreate(input: $input) { process { id } } }'
    submit, approve = action("jobRunSubmit"), action("jobRunApprove")

    async def submit_first(server: Server, http: httpx.AsyncClient, job: str) -> httpx.Response:
        return await http.post(f"{server.base_url}/graphql", headers=ann_headers,
                               json={"query": submit, "variables": {"input": {"id": job}}})

    async with httpx.AsyncClient(timeout=60) as http:
        # the run start writes (the assignee is told); the submit is killed mid-way
        with running_server(tmp_path, name="crash", database_url=db_url, FAULT_KILL_AT=fault) as crash:
            made = await _post(http, crash, manager, create, {"input": {"name": "P", "root": root,
                                                                              "autoClose": True}})
            run: dict[str, Any] = (await _post(http, crash, manager, START, {
                "id": made["processCreate"]["process"]["id"]}))["runStart"]["run"]
            job = next(n["id"] for n in run["nodes"] if n.get("name") == "first")
            with pytest.raises(httpx.TransportError):
                await submit_first(crash, http, job)
            crash.process.wait(timeout=10)
            assert crash.process.returncode == -9  # SIGKILL
        assert await written(engine) == await expected_from_events(engine) == Counter({(job, "jobSent"): 1})

        with running_server(tmp_path, name="again", database_url=db_url) as again:
            response = await submit_first(again, http, job)  # the retry applies once, with its notification
            assert response.json()["data"]["jobRunSubmit"]["errors"] == []
            await _post(http, again, bob_headers, approve, {"input": {"id": job}})
    assert await written(engine) == await expected_from_events(engine) == Counter(
        {(job, "jobSent"): 2, (run["id"], "runCompleted"): 1})
