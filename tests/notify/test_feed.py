"""The in-app feed (issue 13 point 2): viewer.notifications, notificationsMarkRead, ProcessRun.notifications for
the manager, notificationAdded live (in process and across two gateway processes), and statement counts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schema import schema
from app.auth.service import create_token
from app.db import table
from app.graphql.context import Context
from app.ids import new_id
from app.notify.models import Notification
from app.settings import Settings
from tests.helpers import GraphQLClient, SqlCounter
from tests.run.helpers import People, create_process, ok, people, read, start, task
from tests.run.test_subscriptions import connect

FEED = """query($first: Int, $after: String, $unread: Boolean! = false) { viewer { notifications(
  first: $first, after: $after, unreadOnly: $unread) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id sequence kind subject message createdAt readAt recipient { id }
    delivery { state attempts lastError deliveredAt }
    run { id name } jobRun { id name actionStatus } } } } } }"""
MARK = """mutation($input: NotificationsMarkReadInput!) { notificationsMarkRead(input: $input) {
  errors { code target meta } unreadCount notifications { id readAt } } }"""
RUN_NOTES = """query($id: ID!, $first: Int, $after: String) { processRun(id: $id) { notifications(
  first: $first, after: $after) { pageInfo { hasNextPage endCursor }
  edges { node { kind subject recipient { id } delivery { state attempts lastError } } } } } }"""
ADDED = "subscription($after: Int!) { notificationAdded(afterSequence: $after) { sequence kind subject } }"


async def feed(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return dict((await client(FEED, variables))["viewer"]["notifications"])


async def three_tasks(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> tuple[People, str, dict]:
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "Close", "children": [
        task("One", p.id("ann")), task("Two", p.id("ann")), task("Three", p.id("ann"), p.id("bob"))]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    for name in ("One", "Two"):
        await ok(p["ann"], "jobRunSubmit", {"id": nodes[name]["id"]})
    return p, run["id"], nodes


async def test_the_feed_is_newest_first_with_keyset_pages_and_objects(gql: GraphQLClient, engine: AsyncEngine,
                                                                      settings: Settings) -> None:
    p, run_id, nodes = await three_tasks(gql, engine, settings)
    page = await feed(p["ann"], first=2)
    got = [e["node"] for e in page["edges"]]
    assert [(n["sequence"], n["subject"]) for n in got] == [(3, "New task: Three"), (2, "New task: Two")]
    assert page["pageInfo"]["hasNextPage"] is True
    top = got[0]
    assert top["kind"] == "JOB_SENT" and top["recipient"]["id"] == p.id("ann") and top["readAt"] is None
    assert top["run"] == {"id": run_id, "name": "Run me"}
    assert top["jobRun"] == {"id": nodes["Three"]["id"], "name": "Three", "actionStatus": "SENT"}
    assert top["delivery"] is None  # no SMTP relay in this test
    assert '"Three" in run "Run me" is waiting for you.' in top["message"]
    rest = await feed(p["ann"], first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["sequence"] for e in rest["edges"]] == [1] and rest["pageInfo"]["hasNextPage"] is False
    assert (await feed(p["bob"]))["edges"] == []  # nothing has reached bob yet


async def test_mark_read_by_ids_and_all(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p, _, _ = await three_tasks(gql, engine, settings)
    ids = [e["node"]["id"] for e in (await feed(p["ann"]))["edges"]]
    marked = (await p["ann"](MARK, {"input": {"ids": [ids[0]]}}))["notificationsMarkRead"]
    assert marked["errors"] == [] and marked["unreadCount"] == 2 and marked["notifications"][0]["readAt"]
    unread = await feed(p["ann"], unread=True)
    assert [e["node"]["id"] for e in unread["edges"]] == ids[1:]
    # another person's notification, or an unknown id: NOT_FOUND for that item, and nothing is marked
    gql_rows = (await feed(gql))["edges"]
    refused = (await p["bob"](MARK, {"input": {"ids": [ids[1]]}}))["notificationsMarkRead"]
    assert [(e["code"], e["target"]) for e in refused["errors"]] == [("NOT_FOUND", "ids[0]")]
    mixed = (await p["ann"](MARK, {"input": {"ids": [ids[1], new_id()]}}))["notificationsMarkRead"]
    assert [(e["code"], e["target"]) for e in mixed["errors"]] == [("NOT_FOUND", "ids[1]")]
    assert len((await feed(p["ann"], unread=True))["edges"]) == 2
    both = (await p["ann"](MARK, {"input": {"ids": ids, "all": True}}))["notificationsMarkRead"]
    assert both["errors"][0]["code"] == "VALIDATION_ERROR"
    everything = (await p["ann"](MARK, {"input": {"all": True}}))["notificationsMarkRead"]
    assert everything["errors"] == [] and everything["unreadCount"] == 0
    assert (await feed(p["ann"], unread=True))["edges"] == []
    assert (await feed(gql))["edges"] == gql_rows  # the manager's own are untouched


async def test_the_manager_reads_a_runs_notifications_with_their_delivery(gql: GraphQLClient, engine: AsyncEngine,
                                                                          settings: Settings) -> None:
    p, run_id, _ = await three_tasks(gql, engine, settings)
    async with engine.begin() as conn:  # what the delivery worker records (issue 13 point 5 writes it)
        await conn.execute(update(table(Notification)).where(table(Notification).c.seq == 1).values(
            delivery_state="failed", delivery_attempts=3, delivery_last_error="550 no such mailbox"))
    run = (await gql(RUN_NOTES, {"id": run_id}))["processRun"]["notifications"]
    got = [e["node"] for e in run["edges"]]
    assert len(got) == 3 and {n["recipient"]["id"] for n in got} == {p.id("ann")}
    first = next(n for n in got if n["subject"] == "New task: One")
    assert first["delivery"] == {"state": "FAILED", "attempts": 3, "lastError": "550 no such mailbox"}
    page = (await gql(RUN_NOTES, {"id": run_id, "first": 2}))["processRun"]["notifications"]
    more = (await gql(RUN_NOTES, {"id": run_id, "first": 2, "after": page["pageInfo"]["endCursor"]}))
    assert [e["node"]["subject"] for e in page["edges"] + more["processRun"]["notifications"]["edges"]] == [
        n["subject"] for n in got]
    # anyone else reads an empty list, the assignee included
    assert (await p["ann"](RUN_NOTES, {"id": run_id}))["processRun"]["notifications"]["edges"] == []


async def test_feed_statements_do_not_grow_with_the_page(gql: GraphQLClient, engine: AsyncEngine, settings: Settings,
                                                         sql: SqlCounter) -> None:
    p = await people(engine, settings, gql, "ann")
    for runs in range(2):
        pid = await create_process(gql, {"name": f"R{runs}", "parallel": True, "children": [
            task(f"t{runs}-{i}", p.id("ann")) for i in range(10)]})
        await start(gql, pid)
    counts = []
    for first in (2, 20):
        sql.reset()
        page = await feed(p["ann"], first=first)
        assert len(page["edges"]) == first and all(e["node"]["jobRun"] for e in page["edges"])
        counts.append(sql.count)
    assert counts[0] == counts[1], counts


async def _subscribe(client: GraphQLClient, after: int) -> Any:
    ctx = Context(engine=client.engine, settings=client.settings, actor=client.actor, request_id=new_id())
    return await schema.subscribe(ADDED, variable_values={"after": after}, context_value=ctx)


async def test_notification_added_replays_then_streams(gql: GraphQLClient, engine: AsyncEngine,
                                                       settings: Settings) -> None:
    p, _, nodes = await three_tasks(gql, engine, settings)
    stream = await _subscribe(p["ann"], after=1)
    try:
        async with asyncio.timeout(10):
            replay = [(await stream.__anext__()).data["notificationAdded"] for _ in range(2)]
            assert [n["sequence"] for n in replay] == [2, 3]
            nxt = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0.05)
            assert not nxt.done()
            await ok(p["ann"], "jobRunSubmit", {"id": nodes["Three"]["id"]})  # to bob: ann hears nothing
            await asyncio.sleep(0.05)
            assert not nxt.done()
            await ok(p["bob"], "jobRunReturn", {"id": nodes["Three"]["id"], "comment": "no"})
            live = (await nxt).data["notificationAdded"]
            assert live == {"sequence": 4, "kind": "JOB_RETURNED", "subject": "Returned: Three"}
    finally:
        await stream.aclose()


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_notifications_written_on_one_gateway_reach_a_subscriber_on_another(
    backend: str, db_url: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings, tmp_path: Any,
) -> None:
    import httpx

    from tests.servers import running_server

    p = await people(engine, settings, gql, "ann")
    pid = await create_process(gql, {"name": "R", "children": [task(f"t{i}", p.id("ann")) for i in range(6)]})
    await start(gql, pid)  # ann's notification 1
    _, ann_token = await create_token(engine, user_id=p.id("ann"), scopes=["read", "write"])
    submit = "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code } run { id } } }"
    _, nodes = await read(gql, (await gql("{ processRuns { edges { node { id } } } }"))["processRuns"]["edges"][0][
        "node"]["id"])
    with running_server(tmp_path, name="first", database_url=db_url) as first, \
            running_server(tmp_path, name="second", database_url=db_url) as second:
        async with connect(first.base_url.removeprefix("http://"), ann_token) as sub, \
                httpx.AsyncClient(timeout=30) as http:
            await sub.subscribe(ADDED, {"after": 0})
            got = [(await sub.message())["payload"]["data"]["notificationAdded"]["sequence"]]
            for i in range(5):  # each submit on the other gateway sends ann the next task
                response = await http.post(f"{second.base_url}/graphql",
                                           headers={"Authorization": f"Bearer {ann_token}"},
                                           json={"query": submit, "variables": {"id": nodes[f"t{i}"]["id"]}})
                assert response.json()["data"]["jobRunSubmit"]["errors"] == []
                got.append((await sub.message())["payload"]["data"]["notificationAdded"]["sequence"])
    assert got == [1, 2, 3, 4, 5, 6]
