"""Live lists (issue 14 point 4): `inboxChanges` and `runChanges`, replayed after a cursor then live, without gap
or duplicate, across gateway processes, with the bounds of `runEvents`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.schema import schema
from app.auth.service import create_token
from app.graphql.context import Context
from app.graphql.pagination import encode_cursor
from app.ids import new_id
from app.settings import Settings
from tests.helpers import GraphQLClient, SqlCounter
from tests.run.helpers import People, create_process, ok, people, read, start, task

INBOX = """subscription($after: String) { inboxChanges(afterCursor: $after) {
  cursor kind jobRunId actionStatus previousActionStatus at jobRun { id name actionStatus } run { id name status } } }"""
RUNS = """subscription($after: String, $status: RunStatus) { runChanges(afterCursor: $after, status: $status) {
  cursor kind runId status previousStatus at run { id name status statusCounts { status count } } } }"""
CURSOR = "query { liveCursor }"


class Stream:
    """One subscription executed in this process, as the WebSocket handler would run it."""

    def __init__(self, client: GraphQLClient, query: str, variables: dict[str, Any] | None = None,
                 settings: Settings | None = None) -> None:
        self.client, self.query, self.variables = client, query, variables or {}
        self.settings = settings or client.settings
        self.it: Any = None
        self.pending: asyncio.Future[Any] | None = None

    async def __aenter__(self) -> Stream:
        ctx = Context(engine=self.client.engine, settings=self.settings, actor=self.client.actor, request_id=new_id())
        self.it = await schema.subscribe(self.query, variable_values=self.variables, context_value=ctx)
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self.pending is not None:
            self.pending.cancel()
            await asyncio.gather(self.pending, return_exceptions=True)
        if hasattr(self.it, "aclose"):
            await self.it.aclose()

    async def next(self) -> dict[str, Any]:
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.it.__anext__())
        async with asyncio.timeout(20):
            result = await asyncio.shield(self.pending)
        self.pending = None
        assert not result.errors, result.errors
        (value,) = result.data.values()
        return dict(value)

    async def take(self, n: int) -> list[dict[str, Any]]:
        return [await self.next() for _ in range(n)]

    async def nothing_more(self) -> None:
        """Nothing arrives for a moment (the pending read stays open: cancelling it would end the stream)."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.it.__anext__())
        await asyncio.sleep(0.3)
        assert not self.pending.done(), self.pending.result()


async def cursor(client: GraphQLClient) -> str:
    return str((await client(CURSOR))["liveCursor"])


async def _world(gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> tuple[People, str, dict[str, Any]]:
    """ann does t0 (approved by bob) and t1; the run is started by the manager (the demo user)."""
    p = await people(engine, settings, gql, "ann", "bob")
    pid = await create_process(gql, {"name": "Root", "parallel": True, "children": [
        task("t0", p.id("ann"), p.id("bob")), task("t1", p.id("ann"))]}, name="Close the books")
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    return p, run["id"], nodes


def kinds(changes: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(c["kind"], c["jobRun"]["name"], c["actionStatus"]) for c in changes]


async def test_inbox_replays_after_a_cursor_then_streams_entries_and_exits(
        gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    before = await cursor(gql)
    p, run_id, nodes = await _world(gql, engine, settings)
    async with Stream(p["ann"], INBOX, {"after": before}) as ann, Stream(p["bob"], INBOX, {"after": before}) as bob:
        replayed = await ann.take(2)
        assert kinds(replayed) == [("ENTERED", "t0", "SENT"), ("ENTERED", "t1", "SENT")] or \
            kinds(replayed) == [("ENTERED", "t1", "SENT"), ("ENTERED", "t0", "SENT")]
        assert {c["run"]["id"] for c in replayed} == {run_id} and replayed[0]["run"]["name"] == "Close the books"
        assert replayed[0]["previousActionStatus"] in ("WAITING", None)
        await bob.nothing_more()  # nothing waits for bob yet: ann's entries never reach him

        await ok(p["ann"], "jobRunSubmit", {"id": nodes["t0"]["id"]})
        (left,) = await ann.take(1)
        assert (left["kind"], left["jobRunId"], left["actionStatus"], left["previousActionStatus"]) == (
            "LEFT", nodes["t0"]["id"], "APPROVAL", "SENT")
        (entered,) = await bob.take(1)
        assert kinds([entered]) == [("ENTERED", "t0", "APPROVAL")]

        await ok(p["bob"], "jobRunReturn", {"id": nodes["t0"]["id"], "comment": "redo"})
        assert kinds(await bob.take(1)) == [("LEFT", "t0", "RETURNED")]
        back = await ann.take(1)
        assert kinds(back) == [("ENTERED", "t0", "RETURNED")]

        # an edit of a job run that stays in the inbox is an update; a reassignment moves it between inboxes
        edit = """mutation($input: JobRunEditInput!) { jobRunEdit(input: $input) { errors { code } } }"""
        assert (await gql(edit, {"input": {"id": nodes["t1"]["id"], "title": "t1 again"}}))[
            "jobRunEdit"]["errors"] == []
        assert kinds(await ann.take(1)) == [("UPDATED", "t1 again", "SENT")]
        assert (await gql(edit, {"input": {"id": nodes["t1"]["id"], "assignee": p.id("bob")}}))[
            "jobRunEdit"]["errors"] == []
        assert kinds(await ann.take(1)) == [("LEFT", "t1 again", "SENT")]
        assert kinds(await bob.take(1)) == [("ENTERED", "t1 again", "SENT")]
        await ann.nothing_more()


async def test_a_reconnect_with_the_last_cursor_loses_nothing_and_repeats_nothing(
        gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    first = await cursor(gql)
    pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
        task(f"t{i}", p.id("ann")) for i in range(8)]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    seen: list[dict[str, Any]] = []
    async with Stream(p["ann"], INBOX, {"after": first}) as ann:
        seen += await ann.take(8)
        await ok(p["ann"], "jobRunSubmit", {"id": nodes["t0"]["id"]})
        seen += await ann.take(1)
    for i in range(1, 5):  # disconnected: more changes are made
        await ok(p["ann"], "jobRunSubmit", {"id": nodes[f"t{i}"]["id"]})
    async with Stream(p["ann"], INBOX, {"after": seen[-1]["cursor"]}) as ann:
        seen += await ann.take(4)
        await ok(p["ann"], "jobRunSubmit", {"id": nodes["t5"]["id"]})
        seen += await ann.take(1)
        await ann.nothing_more()
    async with Stream(p["ann"], INBOX, {"after": first}) as whole:
        everything = await whole.take(14)
        await whole.nothing_more()
    # the change itself (not the job run, which is shown as it is when sent)
    def key(c: dict[str, Any]) -> tuple[Any, ...]:
        return c["cursor"], c["kind"], c["jobRunId"], c["actionStatus"], c["previousActionStatus"], c["at"]
    assert [key(c) for c in seen] == [key(c) for c in everything]
    assert [c["kind"] for c in seen] == ["ENTERED"] * 8 + ["LEFT"] * 6
    assert len({c["cursor"] for c in seen}) == 14


async def test_run_changes_follow_starts_and_status_changes_with_an_optional_status_filter(
        gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    p = await people(engine, settings, gql, "ann")
    after = await cursor(gql)
    quick = await create_process(gql, {"name": "Q", "children": [task("q", p.id("ann"))]}, name="Quick",
                                 autoClose=True)
    slow = await create_process(gql, {"name": "S", "children": [task("s", p.id("ann"))]}, name="Slow")
    async with Stream(gql, RUNS, {"after": after}) as every, \
            Stream(gql, RUNS, {"after": after, "status": "COMPLETE"}) as completed:
        one, two = await start(gql, quick), await start(gql, slow)
        started = await every.take(2)
        assert [(c["kind"], c["runId"], c["status"], c["previousStatus"]) for c in started] == [
            ("STARTED", one["id"], "RUNNING", None), ("STARTED", two["id"], "RUNNING", None)]
        assert started[0]["run"]["name"] == "Quick"
        _, nodes = await read(gql, one["id"])
        await ok(p["ann"], "jobRunSubmit", {"id": nodes["q"]["id"]})  # auto-close: the run completes
        done = await every.take(1)
        assert [(c["kind"], c["runId"], c["status"], c["previousStatus"]) for c in done] == [
            ("STATUS_CHANGED", one["id"], "COMPLETE", "RUNNING")]
        assert {c["status"]: c["count"] for c in done[0]["run"]["statusCounts"]}["COMPLETE"] == 1
        assert await completed.take(1) == done
        await ok(gql, "runReopen", {"id": one["id"]})  # stops being complete: the filtered list drops it
        reopened = await every.take(1)
        assert (reopened[0]["status"], reopened[0]["previousStatus"]) == ("RUNNING", "COMPLETE")
        assert await completed.take(1) == reopened
        await ok(gql, "runCancel", {"id": two["id"]})
        cancelled = await every.take(1)
        assert cancelled[0]["runId"] == two["id"] and cancelled[0]["status"] in ("CANCELLED", "CANCELLING")
        await completed.nothing_more()


async def test_without_a_cursor_only_changes_from_now_on_arrive_and_a_bad_cursor_is_refused(
        gql: GraphQLClient, engine: AsyncEngine, settings: Settings) -> None:
    _, run_id, _ = await _world(gql, engine, settings)
    async with Stream(gql, RUNS) as runs:
        await runs.nothing_more()  # subscribed (its start read) before the change below
        await ok(gql, "runCancel", {"id": run_id})
        change = await runs.next()
        assert (change["kind"], change["runId"], change["previousStatus"]) == ("STATUS_CHANGED", run_id, "RUNNING")
    for bad in ("nonsense", encode_cursor("events", [1]), encode_cursor("live", [-1])):
        ctx = Context(engine=engine, settings=settings, actor=gql.actor, request_id=new_id())
        result: Any = await schema.subscribe(INBOX, variable_values={"after": bad}, context_value=ctx)
        if hasattr(result, "__anext__"):
            result = await result.__anext__()
        assert result.errors and result.errors[0].extensions["code"] == "VALIDATION_ERROR", result
        assert result.errors[0].extensions["target"] == "afterCursor"


async def test_live_lists_count_against_the_token_cap(gql: GraphQLClient, engine: AsyncEngine,
                                                      settings: Settings) -> None:
    capped = replace(settings, max_subscriptions_per_token=2)
    after = await cursor(gql)
    async with Stream(gql, INBOX, {"after": after}, capped) as one, Stream(gql, RUNS, {"after": after}, capped) as two:
        await one.nothing_more()
        await two.nothing_more()  # both hold their slot
        async with Stream(gql, RUNS, {"after": after}, capped) as three:
            result = await three.it.__anext__()
            assert result.errors and result.errors[0].extensions["code"] == "LIMIT_EXCEEDED"
            assert result.errors[0].extensions["meta"]["limitName"] == "subscriptionsPerToken"


async def test_a_run_action_adds_a_constant_number_of_statements(gql: GraphQLClient, engine: AsyncEngine,
                                                                 settings: Settings, sql: SqlCounter) -> None:
    """Starting a run of 1 job and of 40 jobs, and acting on them, writes the live lists with the same two
    statements (the sequence reservation and one insert; plus one pg_notify on PostgreSQL)."""
    costs = []
    for n in (1, 40):
        p = await people(engine, settings, gql, *[f"u{n}_{i}" for i in range(n)])
        pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
            task(f"t{i}", p.id(f"u{n}_{i}")) for i in range(n)]})
        sql.reset()
        run = await start(gql, pid)
        on_start = [s for s in sql.statements if "run_change" in s]
        sql.reset()
        await ok(gql, "runCancel", {"id": run["id"]})  # the run and all n job runs leave their lists
        on_cancel = [s for s in sql.statements if "run_change" in s]
        costs.append((len(on_start), len(on_cancel)))
    assert costs == [(2, 2), (2, 2)], costs


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_changes_made_on_one_gateway_reach_subscribers_on_another(
        backend: str, db_url: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings, tmp_path: Any,
) -> None:
    """Two real gateway processes on one PostgreSQL: ann's inbox and the run list are subscribed on the first
    (over graphql-transport-ws), the actions are made on the second; a reconnect with the last cursor resumes."""
    import httpx

    from tests.run.test_subscriptions import connect
    from tests.servers import running_server

    p = await people(engine, settings, gql, "ann")
    first = await cursor(gql)
    pid = await create_process(gql, {"name": "R", "parallel": True, "children": [
        task(f"t{i}", p.id("ann")) for i in range(10)]}, autoClose=True)
    run = await start(gql, pid)  # replayed: 10 entries and a start
    _, nodes = await read(gql, run["id"])
    _, ann_token = await create_token(engine, user_id=p.id("ann"), scopes=["read", "write"])
    submit = "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code } } }"

    async def submit_on(base_url: str, i: int) -> None:
        response = await http.post(f"{base_url}/graphql", headers={"Authorization": f"Bearer {ann_token}"},
                                   json={"query": submit, "variables": {"id": nodes[f"t{i}"]["id"]}})
        assert response.json()["data"]["jobRunSubmit"]["errors"] == []

    async def values(sub: Any, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            msg = await sub.message()
            assert msg["type"] == "next", msg
            (value,) = msg["payload"]["data"].values()
            out.append(value)
        return out

    inbox_q = "subscription($after: String) { inboxChanges(afterCursor: $after) { cursor kind jobRunId } }"
    runs_q = "subscription($after: String) { runChanges(afterCursor: $after) { cursor kind runId status } }"
    with running_server(tmp_path, name="first", database_url=db_url) as one, \
            running_server(tmp_path, name="second", database_url=db_url) as two:
        address = one.base_url.removeprefix("http://")
        async with httpx.AsyncClient(timeout=30) as http:
            async with connect(address, ann_token) as sub:
                await sub.subscribe(inbox_q, {"after": first})
                await sub.subscribe(runs_q, {"after": first})
                got = await values(sub, 11)
                for i in range(5):
                    await submit_on(two.base_url, i)
                got += await values(sub, 5)
            for i in range(5, 10):  # disconnected: the last submit completes the run (auto-close)
                await submit_on(two.base_url, i)
            inbox = [c for c in got if "jobRunId" in c]
            runs = [c for c in got if "runId" in c]
            async with connect(address, ann_token) as sub:
                await sub.subscribe(inbox_q, {"after": inbox[-1]["cursor"]})
                await sub.subscribe(runs_q, {"after": runs[-1]["cursor"]})
                more = await values(sub, 6)
    inbox += [c for c in more if "jobRunId" in c]
    runs += [c for c in more if "runId" in c]
    jobs = [nodes[f"t{i}"]["id"] for i in range(10)]
    assert [(c["kind"], c["jobRunId"]) for c in inbox] == (
        [("ENTERED", j) for j in sorted(jobs)] + [("LEFT", j) for j in jobs])
    assert [(c["kind"], c["status"]) for c in runs] == [("STARTED", "RUNNING"), ("STATUS_CHANGED", "COMPLETE")]
    assert len({c["cursor"] for c in inbox + runs}) == 22


@pytest.mark.once
@pytest.mark.timeout(180)
async def test_a_live_list_subscriber_that_stops_reading_is_closed(
        backend: str, gql: GraphQLClient, engine: AsyncEngine, settings: Settings, token: str) -> None:
    """As for `runEvents`: a stalled client behind more changes than the buffer cap is closed with 4008 and the
    server reads at most one page ahead for it."""
    from sqlalchemy import insert, update

    from app.db import table
    from app.graphql.live import STALL_CLOSE_CODE, SubscriptionStats
    from app.main import create_app
    from app.run.models import JobRun, RunChange, RunChangeSequence
    from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID
    from tests.run.test_subscriptions import _StalledClient
    from tests.servers import inprocess_server

    pid = await create_process(gql, {"name": "R", "children": [task("t", DEV_USER_ID)]})
    run = await start(gql, pid)
    _, nodes = await read(gql, run["id"])
    job_id, total = nodes["t"]["id"], 3000
    async with engine.begin() as conn:  # 3000 changes of a job run whose comment weighs 2 KB
        await conn.execute(update(table(JobRun)).where(table(JobRun).c.id == job_id).values(comment="x" * 2000))
        last = (await conn.execute(update(table(RunChangeSequence)).values(
            last_seq=table(RunChangeSequence).c.last_seq + total).returning(table(RunChangeSequence).c.last_seq))
                ).scalar_one()
        await conn.execute(insert(table(RunChange)), [{
            "workspace_id": DEFAULT_WORKSPACE_ID, "seq": last - total + i, "kind": "inbox", "change": "updated",
            "run_id": run["id"], "job_run_id": job_id, "user_id": DEV_USER_ID, "status": "sent",
            "previous_status": "sent", "at": datetime.now(UTC)} for i in range(1, total + 1)])
    SubscriptionStats.max_buffered = 0
    tight = replace(settings, subscription_page_events=10, subscription_buffer_events=50,
                    subscription_stall_seconds=1.0)
    query = ("subscription($after: String) { inboxChanges(afterCursor: $after) { cursor jobRun { comment } } }")
    async with inprocess_server(create_app(tight)) as address:
        client = await asyncio.to_thread(_StalledClient, address, token, query, "unused",
                                         {"after": encode_cursor("live", [last - total])})
        try:
            await asyncio.sleep(4)
            assert SubscriptionStats.max_buffered <= 10
            code, reason, received = await asyncio.to_thread(client.drain)
        finally:
            client.sock.close()
    assert code == STALL_CLOSE_CODE and "too slow" in reason.lower() and "changes" in reason, (code, reason, received)
    assert received < total  # closed before everything was sent
    assert SubscriptionStats.max_buffered <= 10
