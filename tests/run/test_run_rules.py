"""The run engine through GraphQL: docs/runs.md rules 1-5, 9, 12 (issue 5 points 1-2)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from tests.helpers import GraphQLClient
from tests.run.helpers import START, counts, create_process, do, ok, people, read, start, task


async def test_a_process_with_errors_does_not_start(gql: GraphQLClient) -> None:
    pid = await create_process(gql, {"name": "R", "children": [{"job": {"arguments": {"sendTask": {"title": "t"}}}}]})
    payload = (await gql(START, {"id": pid}))["runStart"]
    assert payload["run"] is None and [e["code"] for e in payload["errors"]] == ["MISSING_REQUIRED_FIELD"]


async def test_serial_group_runs_children_in_order_and_completes(gql: GraphQLClient, engine: AsyncEngine,
                                                                 settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "R", "children": [task("first", p.id("ann")), task("second", p.id("bob"))]},
                               autoClose=True)
    run = await start(gql, pid)
    run, nodes = await read(gql, run["id"])
    assert run["status"] == "RUNNING" and nodes["R"]["status"] == "RUNNING"
    assert (nodes["first"]["status"], nodes["first"]["actionStatus"]) == ("RUNNING", "SENT")
    assert (nodes["second"]["status"], nodes["second"]["actionStatus"]) == ("WAITING", "WAITING")
    assert counts(run) == {"WAITING": 1, "RUNNING": 1}

    # only the assignee submits
    refused = await do(p["bob"], "jobRunSubmit", {"id": nodes["first"]["id"]})
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["first"]["id"], "comment": "done"})
    run, nodes = await read(gql, run["id"])
    assert nodes["first"]["status"] == "COMPLETE" and nodes["second"]["actionStatus"] == "SENT"
    await ok(p["bob"], "jobRunSubmit", {"id": nodes["second"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert nodes["R"]["status"] == "COMPLETE" and run["status"] == "COMPLETE" and run["completedDate"]
    assert counts(run) == {"COMPLETE": 2}
    assert [c["status"] for c in run["statusCounts"]] == ["WAITING", "RUNNING", "CANCELLING", "COMPLETE",
                                                          "CANCELLED", "ERROR", "ERROR_HOLD"]


async def test_parallel_manual_and_empty_groups(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
        task("a", p.id("ann")), task("manual", p.id("ann"), trigger="MANUAL"),
        {"group": {"name": "empty"}},
        {"group": {"name": "later", "triggerType": "MANUAL", "children": [task("inner", p.id("ann"))]}}]})
    run = await start(gql, pid)
    run, nodes = await read(gql, run["id"])
    assert nodes["a"]["actionStatus"] == "SENT" and nodes["empty"]["status"] == "COMPLETE"
    assert nodes["manual"]["status"] == "WAITING" and nodes["manual"]["eligibleToStart"] is True
    assert nodes["later"]["eligibleToStart"] is True and nodes["R"]["childrenEligibleToStartCount"] == 2
    # only the manager starts manual nodes, and only eligible ones
    assert (await do(p["ann"], "jobRunStart", {"id": nodes["manual"]["id"]}))["errors"][0]["code"] == "FORBIDDEN"
    assert (await do(gql, "jobRunStart", {"id": nodes["inner"]["id"]}))["errors"][0]["code"] == "INVALID_STATE"
    await ok(gql, "jobRunStart", {"id": nodes["manual"]["id"]})
    await ok(gql, "groupRunStart", {"id": nodes["later"]["id"]})
    run, nodes = await read(gql, run["id"])
    assert nodes["manual"]["actionStatus"] == "SENT" and nodes["inner"]["actionStatus"] == "SENT"
    assert nodes["R"]["childrenEligibleToStartCount"] == 0


async def test_approval_return_and_close_reopen(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "apu")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"), approver=p.id("apu"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    job = nodes["t"]["id"]
    await ok(p["ann"], "jobRunSubmit", {"id": job})
    assert (await read(gql, run["id"]))[1]["t"]["actionStatus"] == "APPROVAL"
    assert (await do(p["apu"], "jobRunReturn", {"id": job}))["errors"][0]["target"] == "comment"
    assert (await do(p["ann"], "jobRunApprove", {"id": job}))["errors"][0]["code"] == "FORBIDDEN"
    await ok(p["apu"], "jobRunReturn", {"id": job, "comment": "redo section 2"})
    assert (await read(gql, run["id"]))[1]["t"]["actionStatus"] == "RETURNED"
    await ok(p["ann"], "jobRunSubmit", {"id": job})
    await ok(p["apu"], "jobRunApprove", {"id": job})
    run, nodes = await read(gql, run["id"])
    assert nodes["R"]["status"] == "COMPLETE" and run["status"] == "RUNNING"  # no autoClose: waits for close
    assert (await do(p["ann"], "runClose", {"id": run["id"]}))["errors"][0]["code"] == "FORBIDDEN"
    await ok(gql, "runClose", {"id": run["id"]})
    assert (await read(gql, run["id"]))[0]["status"] == "COMPLETE"
    await ok(gql, "runReopen", {"id": run["id"]})
    run, _ = await read(gql, run["id"])
    assert run["status"] == "RUNNING" and run["completedDate"] is None
    await ok(gql, "runClose", {"id": run["id"]})


async def test_close_needs_every_job_settled(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]})
    run = await start(gql, pid)
    refused = await do(gql, "runClose", {"id": run["id"]})
    assert refused["errors"][0]["code"] == "INVALID_STATE"


async def test_the_run_keeps_its_copy_when_the_definition_changes(gql: GraphQLClient, engine: AsyncEngine,
                                                                  settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]})
    run = await start(gql, pid)
    await gql("""mutation($id: ID!) { processPatch(input: {id: $id, operations: [
        {op: "replace", path: "/name", value: "renamed"}]}) { errors { code } } }""", {"id": pid})
    nodes = (await gql("query($id: ID!) { process(id: $id) { nodes { ... on ProcessJob { id } } } }", {"id": pid}))
    job_id = next(n["id"] for n in nodes["process"]["nodes"] if n)
    await gql("""mutation($id: ID!) { nodeRemove(input: {id: $id}) { errors { code } } }""", {"id": job_id})
    _, after = await read(gql, run["id"])
    assert "t" in after and after["t"]["actionStatus"] == "SENT"
    summary = await gql("""query($id: ID!) { process(id: $id) { revision runs { edges { node { id } } } }
        processes { edges { node { id run { id name status statusCounts { status count } } } } } }""", {"id": pid})
    assert summary["processes"]["edges"][0]["node"]["run"]["id"] == run["id"]
    assert summary["processes"]["edges"][0]["node"]["run"]["status"] == "RUNNING"
    assert summary["process"]["runs"]["edges"] == [{"node": {"id": run["id"]}}]
    assert summary["process"]["revision"] == 3  # the run did not touch the definition's revision
