"""What an inbox row shows beside the task (found while writing the reference web client): the run it
belongs to (`JobRun.runId`, `JobRun.run`) and the latest comment given on it (`JobRun.lastComment`: the
return's reason for the assignee, the submit's note for the approver). Both go through per-request loaders:
an inbox of any size costs the same statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import READ, WRITE, Actor, create_user
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID
from tests.factories import CREATE
from tests.helpers import GraphQLClient, SqlCounter

START = "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code } run { id } } }"
ACT = """mutation($id: ID!, $comment: String) {
  submit: jobRunSubmit(input: {id: $id, comment: $comment}) { errors { code message } } }"""
RETURN = """mutation($id: ID!, $comment: String) {
  jobRunReturn(input: {id: $id, comment: $comment}) { errors { code message } } }"""
BARE = "query { viewer { jobRuns { id name actionStatus } } }"
ROWS = """query { viewer { jobRuns { id name actionStatus runId run { id name manager { id name } }
  lastComment { comment user { id name } at } } } }"""


async def _runs(gql: GraphQLClient, member: str, count: int, offset: int) -> list[str]:
    """`count` started runs, each of a one-task process assigned to `member` and approved by the manager."""
    runs = []
    for n in range(offset, offset + count):
        created = await gql(CREATE, {"input": {"name": f"Close {n:02d}", "root": {"name": "Root", "children": [
            {"job": {"arguments": {"sendTask": {"title": f"Task {n:02d}", "assignee": member,
                                                "approver": DEV_USER_ID}}}}]}}})
        started = await gql(START, {"id": created["processCreate"]["process"]["id"]})
        assert started["runStart"]["errors"] == []
        runs.append(started["runStart"]["run"]["id"])
    return runs


async def _statements(client: GraphQLClient, sql: SqlCounter, query: str) -> tuple[int, dict[str, Any]]:
    sql.reset()
    data = await client(query)
    return sql.count, data


async def test_inbox_rows_name_their_run_and_latest_comment_at_a_constant_cost(
    engine: AsyncEngine, gql: GraphQLClient, sql: SqlCounter
) -> None:
    member = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Mia Member", email="mia@a.test")
    mia = GraphQLClient(engine=engine, settings=gql.settings, actor=Actor(
        user_id=member, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE})))
    manager = (await gql("query { viewer { user { name } } }"))["viewer"]["user"]["name"]

    costs = []
    for count, offset in ((2, 0), (18, 2)):
        # Given Mia's inbox of 2, then 20 tasks of as many runs, one of them submitted and returned
        runs = await _runs(gql, member, count, offset)
        inbox = {j["name"]: j for j in (await mia(BARE))["viewer"]["jobRuns"]}
        returned = inbox[f"Task {offset:02d}"]["id"]
        assert (await mia(ACT, {"id": returned, "comment": "Done, see the sheet"}))["submit"]["errors"] == []
        assert (await gql(RETURN, {"id": returned, "comment": "Add the totals"}))["jobRunReturn"]["errors"] == []
        # When the rows are read with their runs and latest comments
        bare, _ = await _statements(mia, sql, BARE)
        full, data = await _statements(mia, sql, ROWS)
        costs.append(full - bare)
        rows = {j["name"]: j for j in data["viewer"]["jobRuns"]}
        # Then each names its own run (with its manager), and the returned one carries the return's reason
        assert len(rows) == offset + count
        for n, run_id in enumerate(runs, start=offset):
            row = rows[f"Task {n:02d}"]
            assert row["runId"] == row["run"]["id"] == run_id
            assert row["run"]["name"] == f"Close {n:02d}" and row["run"]["manager"]["name"] == manager
        back = rows[f"Task {offset:02d}"]
        assert back["actionStatus"] == "RETURNED"
        assert back["lastComment"]["comment"] == "Add the totals" and back["lastComment"]["user"]["name"] == manager
        assert rows[f"Task {offset + 1:02d}"]["lastComment"] is None
    # The runs, the comments and the people behind them: the same few statements at 2 rows and at 20
    assert costs[0] == costs[1] <= 4, costs


async def test_the_approver_sees_the_submit_note(engine: AsyncEngine, gql: GraphQLClient) -> None:
    member = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Mia Member", email="mia@a.test")
    mia = GraphQLClient(engine=engine, settings=gql.settings, actor=Actor(
        user_id=member, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE})))
    await _runs(gql, member, 1, 0)
    (job,) = (await mia(BARE))["viewer"]["jobRuns"]
    assert (await mia(ACT, {"id": job["id"], "comment": "Ledger reviewed"}))["submit"]["errors"] == []
    (row,) = (await gql(ROWS))["viewer"]["jobRuns"]
    assert row["actionStatus"] == "APPROVAL"
    assert row["lastComment"]["comment"] == "Ledger reviewed" and row["lastComment"]["user"]["id"] == member
