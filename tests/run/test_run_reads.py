"""Reading runs: a fixed number of statements whatever the size, summaries, lists, copying a run (issue 5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from tests.helpers import GraphQLClient, SqlCounter
from tests.run.helpers import RUN_FIELDS, create_process, ok, people, read, start, task

TREE = f"""query($id: ID!) {{ processRun(id: $id) {{ {RUN_FIELDS}
  root {{ id status statusCounts {{ status count }} children {{ ... on JobRun {{ id status }}
    ... on GroupRun {{ id children {{ ... on JobRun {{ id actionStatus }} }} }} }} }} }} }}"""


def _tree(n: int, assignee: str) -> dict[str, Any]:
    groups = [{"group": {"name": f"G{g}", "parallel": True, "children": [
        task(f"t{g}.{j}", assignee) for j in range(10)]}} for g in range(max(1, n // 10))]
    return {"name": "R", "parallel": True, "children": groups}


async def _statements(gql: GraphQLClient, sql: SqlCounter, assignee: str, n: int) -> int:
    pid = await create_process(gql, _tree(n, assignee))
    run = await start(gql, pid)
    sql.reset()
    data = await gql(TREE, {"id": run["id"]})
    assert sum(1 for x in data["processRun"]["nodes"] if x["__typename"] == "JobRun") == n
    return sql.count


async def test_a_run_tree_of_1000_job_runs_costs_what_10_cost(gql_uncached: GraphQLClient, sql: SqlCounter,
                                                              engine: AsyncEngine, settings: Settings) -> None:
    gql = gql_uncached  # what a read costs when the tree is not in the shared cache
    p = await people(engine, settings, gql, "ann")
    small = await _statements(gql, sql, p.id("ann"), 10)
    large = await _statements(gql, sql, p.id("ann"), 1000)
    # the run, its group runs, its job runs (the status counts come from the job runs' rows)
    assert small == large == 3


async def test_status_counts_read_with_the_tree_are_the_counted_ones(gql_uncached: GraphQLClient,
                                                                      sql: SqlCounter, engine: AsyncEngine,
                                                                      settings: Settings) -> None:
    gql = gql_uncached
    p = await people(engine, settings, gql, "ann")
    run = await start(gql, await create_process(gql, _tree(30, p.id("ann"))))
    alone = "query($id: ID!) { processRun(id: $id) { statusCounts { status count } } }"
    with_tree = "query($id: ID!) { processRun(id: $id) { statusCounts { status count } nodes { __typename } } }"
    sql.reset()
    counted = (await gql(alone, {"id": run["id"]}))["processRun"]["statusCounts"]
    assert sql.count == 2  # the run, the counting statement
    sql.reset()
    from_tree = (await gql(with_tree, {"id": run["id"]}))["processRun"]
    assert sql.count == 3  # the run, its group runs, its job runs
    assert from_tree["statusCounts"] == counted and sum(c["count"] for c in counted) == 30
    assert {c["status"] for c in counted if c["count"]} == {"RUNNING"}


async def test_summaries_and_lists(gql: GraphQLClient, engine: AsyncEngine, settings: Settings,
                                   sql: SqlCounter) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]}, autoClose=True)
    first = await start(gql, pid)
    second = await start(gql, pid)
    _, nodes = await read(gql, first["id"])
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["t"]["id"]})
    data = await gql("""query($id: ID!) {
        process(id: $id) { runs { edges { node { id status } } } }
        processes(orderBy: {field: RUN_CREATED, direction: DESC}) { edges { node { id run { id } } } }
        running: processRuns(filter: {status: RUNNING}) { edges { node { id statusCounts { status count } } } }
        complete: processRuns(filter: {status: COMPLETE}) { edges { node { id } } } }""", {"id": pid})
    assert [e["node"]["id"] for e in data["process"]["runs"]["edges"]] == [second["id"], first["id"]]
    assert data["processes"]["edges"][0]["node"]["run"]["id"] == second["id"]
    assert [e["node"]["id"] for e in data["running"]["edges"]] == [second["id"]]
    assert [e["node"]["id"] for e in data["complete"]["edges"]] == [first["id"]]


async def test_runs_stay_readable_after_the_process_is_purged(gql: GraphQLClient, engine: AsyncEngine,
                                                              settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task("t", p.id("ann"))]})
    run = await start(gql, pid)
    await gql('mutation($id: ID!) { processTrash(input: {id: $id}) { errors { code } } }', {"id": pid})
    await gql('mutation($id: ID!) { processPurge(input: {id: $id}) { errors { code } } }', {"id": pid})
    data = await gql("query($id: ID!) { processRun(id: $id) { process definition { id } status } }", {"id": run["id"]})
    assert data["processRun"] == {"process": pid, "definition": None, "status": "RUNNING"}
    _, nodes = await read(gql, run["id"])
    await ok(p["ann"], "jobRunSubmit", {"id": nodes["t"]["id"]})


async def test_create_a_process_from_a_run(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "R", "children": [
        {"group": {"name": "G", "children": [task("t", p.id("ann"))]}}]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    await ok(gql, "jobRunEdit", {"id": nodes["t"]["id"], "assignee": p.id("bob")}, "JobRunEditInput")
    made = await gql("""mutation($id: ID!) { processCreateFromRun(input: {runId: $id, name: "Next quarter"}) {
        errors { code } process { id name sourceProcessRun root { children { ... on ProcessGroup { name children {
        ... on ProcessJob { name arguments { ... on SendTaskArgs { assignee } } } } } } } } } }""", {"id": run["id"]})
    process = made["processCreateFromRun"]["process"]
    assert process["name"] == "Next quarter" and process["sourceProcessRun"] == run["id"]
    (group,) = process["root"]["children"]
    assert group["name"] == "G" and group["children"][0]["arguments"]["assignee"] == p.id("bob")
