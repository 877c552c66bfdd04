"""The gateway behind PgBouncer in transaction pooling mode (issue 15 point 4): with DATABASE_POOLER set no
prepared statement outlives its transaction, so reads, writes, run actions and live events all work through
it (the wake-up listener LISTENs on LISTEN_DATABASE_URL, directly); without the setting they do not."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.auth.service import READ, WRITE, Actor
from app.db import create_engine
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings, SettingsError, load_settings
from bench.pgbouncer import running as pgbouncer
from tests.factories import CREATE, READ_TREE, process_input
from tests.helpers import GraphQLClient
from tests.run.helpers import EVENTS, task
from tests.servers import running_server

START = "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code message } run { id nodes { " \
        "__typename ... on JobRun { id status } } } } }"
SUBMIT = "mutation($input: RunActionInput!) { jobRunSubmit(input: $input) { errors { code message } run { id } } }"
LIST = "{ processes(first: 20) { totalCount edges { node { id name } } } }"
SUB = "subscription($id: ID!) { runEvents(runId: $id, afterSequence: 0) { sequence nodeId field toValue } }"
ACTOR = Actor(user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID, scopes=frozenset({READ, WRITE}))


def test_the_pooler_setting_is_checked_at_start_up() -> None:
    pg = {"DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:6432/db"}
    with pytest.raises(SettingsError, match="DATABASE_POOLER"):
        load_settings({**pg, "DATABASE_POOLER": "pgbouncer-session"}, env_file=Path("/nonexistent"))
    with pytest.raises(SettingsError, match="LISTEN_DATABASE_URL"):
        load_settings({**pg, "DATABASE_POOLER": "pgbouncer-transaction"}, env_file=Path("/nonexistent"))
    with pytest.raises(SettingsError, match="LISTEN_DATABASE_URL"):
        load_settings({**pg, "LISTEN_DATABASE_URL": "sqlite:///x.db"}, env_file=Path("/nonexistent"))
    settings = load_settings({**pg, "DATABASE_POOLER": "pgbouncer-transaction",
                              "LISTEN_DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1:5432/db"},
                             env_file=Path("/nonexistent"))
    assert settings.database_pooler == "pgbouncer-transaction"
    assert settings.listen_database_url == "postgresql+asyncpg://u:p@127.0.0.1:5432/db"
    assert load_settings(pg, env_file=Path("/nonexistent")).database_pooler == "none"


async def _mixed(gql: GraphQLClient, n: int) -> None:
    """A create, a run started and its jobs submitted, a tree and a list read back."""
    created = await gql(CREATE, {"input": {"name": f"Pooled {n}", "root": {
        "name": "R", "parallel": True, "children": [task(f"t{i}", DEV_USER_ID) for i in range(3)]}}})
    assert created["processCreate"]["errors"] == [], created
    process_id = created["processCreate"]["process"]["id"]
    started = (await gql(START, {"id": process_id}))["runStart"]
    assert started["errors"] == [], started
    for job in started["run"]["nodes"]:
        if job["__typename"] == "JobRun" and job["status"] == "RUNNING":
            assert (await gql(SUBMIT, {"input": {"id": job["id"]}}))["jobRunSubmit"]["errors"] == []
    assert (await gql(READ_TREE, {"id": process_id}))["process"]["name"] == f"Pooled {n}"
    assert (await gql(LIST))["processes"]["totalCount"] >= 1


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_prepared_statements_outlive_no_transaction_only_with_the_pooler_setting(
        backend: str, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pgbouncer(tmp_path, direct_url=db_url, pool_size=2) as bouncer:
        pooled = bouncer.url(db_url)
        # Given 12 concurrent clients through 2 server connections, without the setting: asyncpg's and
        # SQLAlchemy's named prepared statements meet on server connections they were not made on
        plain = Settings(database_url=pooled)
        engine = create_engine(plain)
        try:
            outcomes = await asyncio.gather(*(_mixed(GraphQLClient(engine=engine, settings=plain, actor=ACTOR), n)
                                              for n in range(12)), return_exceptions=True)
        finally:
            await engine.dispose()
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert failures, "without DATABASE_POOLER the clients should have met stale prepared statements"
        assert 'prepared statement "__asyncpg_stmt_' in caplog.text  # (masked as INTERNAL for the client)
        caplog.clear()

        # When the same clients run with DATABASE_POOLER=pgbouncer-transaction, then everything works
        settings = Settings(database_url=pooled, database_pooler="pgbouncer-transaction", listen_database_url=db_url)
        engine = create_engine(settings)
        try:
            await asyncio.gather(*(_mixed(GraphQLClient(engine=engine, settings=settings, actor=ACTOR), n)
                                   for n in range(100, 112)))
        finally:
            await engine.dispose()
        assert "prepared statement" not in caplog.text


async def _post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), response.text
    payload = next(iter(body["data"].values()))
    assert not (isinstance(payload, dict) and payload.get("errors")), response.text
    return dict(body["data"])


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_gateway_behind_pgbouncer_serves_reads_writes_runs_and_live_events(
        backend: str, db_url: str, token: str, tmp_path: Path) -> None:
    with pgbouncer(tmp_path, direct_url=db_url, pool_size=2) as bouncer, \
            running_server(tmp_path, name="pooled", database_url=bouncer.url(db_url), RATE_LIMIT_PER_SECOND="0",
                           DATABASE_POOLER="pgbouncer-transaction", LISTEN_DATABASE_URL=db_url) as server:
        address = server.base_url.removeprefix("http://")
        # another writer (this test process) through the same pooler: its events reach the gateway's
        # subscribers only through pg_notify and the gateway's direct LISTEN
        settings = Settings(database_url=bouncer.url(db_url), database_pooler="pgbouncer-transaction",
                            listen_database_url=db_url)
        engine = create_engine(settings)
        writer = GraphQLClient(engine=engine, settings=settings, actor=ACTOR)
        try:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30,
                                         headers={"Authorization": f"Bearer {token}"}) as http:
                # Given a process of 6 tasks and a started run, and a live subscriber of its events
                created = await _post(http, CREATE, {"input": {"name": "Through the pooler", "root": {
                    "name": "R", "parallel": True, "children": [task(f"t{i}", DEV_USER_ID) for i in range(6)]}}})
                process_id = created["processCreate"]["process"]["id"]
                run = (await _post(http, START, {"id": process_id}))["runStart"]["run"]
                jobs = [n["id"] for n in run["nodes"] if n["__typename"] == "JobRun" and n["status"] == "RUNNING"]
                before = len((await _post(http, EVENTS, {"id": run["id"]}))["processRun"]["events"]["edges"])
                async with websockets.connect(f"ws://{address}/graphql", open_timeout=10,
                                              subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                    await ws.send(json.dumps({"type": "connection_init",
                                              "payload": {"Authorization": f"Bearer {token}"}}))
                    assert json.loads(await ws.recv())["type"] == "connection_ack"
                    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                        "query": SUB, "variables": {"id": run["id"]}}}))
                    got: list[int] = []
                    async with asyncio.timeout(20):
                        while len(got) < before:  # the replay: the subscription is live from here on
                            got.append(json.loads(await ws.recv())["payload"]["data"]["runEvents"]["sequence"])

                    # When the other writer submits the jobs while clients read and write through the gateway
                    # (14 client tasks, 2 server connections)
                    async def submit(job_id: str) -> None:
                        assert (await writer(SUBMIT, {"input": {"id": job_id}}))["jobRunSubmit"]["errors"] == []

                    async def work(n: int) -> None:
                        await _post(http, CREATE, {"input": process_input(f"Concurrent {n}", nodes=8)})
                        await _post(http, READ_TREE, {"id": process_id})
                        await _post(http, LIST)

                    await asyncio.gather(*(submit(j) for j in jobs), *(work(n) for n in range(8)))

                    # Then the subscriber receives every stored event of the run, live, in order
                    stored = (await _post(http, EVENTS, {"id": run["id"]}))["processRun"]["events"]["edges"]
                    expected = [e["node"]["sequence"] for e in stored]
                    async with asyncio.timeout(20):
                        while got[-1:] != expected[-1:]:
                            message = json.loads(await ws.recv())
                            assert message["type"] == "next", message
                            got.append(message["payload"]["data"]["runEvents"]["sequence"])
                    assert got == expected and len(expected) >= before + len(jobs)
                names = {e["node"]["name"] for e in (await _post(http, LIST))["processes"]["edges"]}
                assert {f"Concurrent {n}" for n in range(8)} <= names
        finally:
            await engine.dispose()
        # and the work went through PgBouncer's transaction pool
        stats = [line.split("|") for line in bouncer.show("STATS", db_url).splitlines()]
        database = db_url.rsplit("/", 1)[-1]
        assert any(row[0] == database and int(row[1]) > 20 for row in stats), stats
    assert "prepared statement" not in server.output()
