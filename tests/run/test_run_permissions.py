"""Who acts on a run (docs/runs.md, Who acts), job-run revisions, and a few read details (issue 5)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import READ, Actor
from app.settings import DEFAULT_WORKSPACE_ID, Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import counts, create_process, do, ok, people, read, start, task


async def test_only_the_manager_manages(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "eve")
    pid = await create_process(gql, {"name": "R", "children": [
        task("t", p.id("ann")), task("m", p.id("ann"), trigger="MANUAL"),
        {"group": {"name": "G", "triggerType": "MANUAL"}}]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    attempts = [("jobRunSkip", nodes["t"]["id"]), ("jobRunRestart", nodes["t"]["id"]),
                ("jobRunCancel", nodes["t"]["id"]), ("groupRunCancel", nodes["R"]["id"]),
                ("runCancel", run["id"]), ("runClose", run["id"]), ("runReopen", run["id"])]
    for who in ("ann", "eve"):  # the assignee is not the manager either
        for name, node in attempts:
            payload = await do(p[who], name, {"id": node})
            assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], (who, name)
        edit = await do(p[who], "jobRunEdit", {"id": nodes["t"]["id"], "title": "x"}, "JobRunEditInput")
        assert [e["code"] for e in edit["errors"]] == ["FORBIDDEN"]
        add = await do(p[who], "runJobRunsAdd", {"runId": run["id"], "jobs": [
            {"arguments": {"sendTask": {"title": "x", "assignee": p.id("ann")}}}]}, "RunJobRunsAddInput")
        assert [e["code"] for e in add["errors"]] == ["FORBIDDEN"]
    for who in ("eve", "ann"):
        assert (await do(p[who], "jobRunStart", {"id": nodes["m"]["id"]}))["errors"][0]["code"] == "FORBIDDEN"
    assert (await do(p["eve"], "jobRunSubmit", {"id": nodes["t"]["id"]}))["errors"][0]["code"] == "FORBIDDEN"
    run_after, nodes_after = await read(gql, run["id"])
    assert nodes_after["t"]["revision"] == nodes["t"]["revision"] and run_after["status"] == "RUNNING"


async def test_read_scope_reads_runs(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]})
    run = await start(gql, pid)
    reader = GraphQLClient(engine=engine, settings=settings, actor=Actor(
        user_id=p.id("ann"), workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ})))
    data = await reader("query($id: ID!) { processRun(id: $id) { id status } }", {"id": run["id"]})
    assert data["processRun"] == {"id": run["id"], "status": "RUNNING"}
    refused = await reader.raw("mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code } } }",
                               {"id": run["id"]})
    assert refused.errors and (refused.errors[0].extensions or {})["code"] == "FORBIDDEN"


async def test_job_run_actions_take_an_expected_revision(gql: GraphQLClient, engine: AsyncEngine,
                                                         settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    job = nodes["t"]
    stale = await do(p["ann"], "jobRunSubmit", {"id": job["id"], "expectedRevision": job["revision"] - 1})
    (error,) = stale["errors"]
    assert error["code"] == "CONFLICT" and error["meta"]["currentRevision"] == job["revision"]
    assert (await read(gql, run["id"]))[1]["t"]["actionStatus"] == "SENT"
    await ok(p["ann"], "jobRunSubmit", {"id": job["id"], "expectedRevision": job["revision"]})


async def test_group_counts_dates_and_hidden_generated_runs(gql: GraphQLClient, engine: AsyncEngine,
                                                            settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "sig")
    root = {"name": "R", "children": [{"group": {"name": "G", "dueDate": "2025-01-09", "children": [
        task("a", p.id("ann")),
        {"job": {"arguments": {"certification": {"title": "c", "signerSteps": [
            {"mode": "EVERYONE", "users": [p.id("sig")]}]}}}}]}}]}
    pid = await create_process(gql, root, relativeDates=True, businessStartDate="2025-01-06",
                               businessEndDate="2025-12-31")
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    # G (serial): the running sendTask; the certification, its signer and finalizer wait
    assert counts(nodes["G"]) == {"RUNNING": 1, "WAITING": 3}
    data = await gql("""query($id: ID!) { processRun(id: $id, excludeGeneratedJobs: true) {
        statusCounts { status count } nodes { ... on GroupRun { name dueDate } ... on JobRun { name generated { id } } } } }""",
                     {"id": run["id"]})
    names = [n["name"] for n in data["processRun"]["nodes"]]
    assert names == ["R", "G", "a", "c"] and all(n.get("generated") is None for n in data["processRun"]["nodes"])
    assert counts(data["processRun"]) == {"RUNNING": 1, "WAITING": 3}  # generated runs still counted
    g_due = next(n["dueDate"] for n in data["processRun"]["nodes"] if n["name"] == "G")
    assert g_due is not None and g_due != "2025-01-09"  # moved with the run
