"""Database faults (issue 15 point 3): a real gateway process under mixed load while every backend of its
database is terminated again and again, and a database of the test's own stopped for a few seconds.

Reads never fail (a read whose connection is lost is retried once on a fresh one); a write either commits or
answers UNAVAILABLE (HTTP 503 with Retry-After), never INTERNAL, and leaves nothing half-written; /readyz
reports the database; everything recovers without a restart.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from app import migrate
from app.auth import service as auth_service
from app.db import create_engine, table
from app.main import create_app
from app.process.models import Process
from app.run.models import JobRun, ProcessRun
from app.settings import DEV_USER_ID, Settings
from tests.factories import CREATE, READ_TREE, process_input
from tests.integrity import check_integrity
from tests.pgcluster import own_cluster
from tests.rest.helpers import process_body
from tests.run.helpers import task
from tests.servers import running_server

START = "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code message } run { id nodes { " \
        "__typename ... on JobRun { id status } } } } }"
SUBMIT = "mutation($input: RunActionInput!) { jobRunSubmit(input: $input) { errors { code message } run { id } } }"
LIST = "{ processes(first: 20) { totalCount edges { node { id name } } } }"
RUN = "query($id: ID!) { processRun(id: $id) { id status nodes { __typename ... on JobRun { id status } } } }"
VIEWER = "{ viewer { user { id } workspace { name } } }"
PT, RT, JRT = table(Process), table(ProcessRun), table(JobRun)


@dataclass
class Ledger:
    """What the clients were answered."""

    reads: int = 0
    failed_reads: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # names of processes whose create was answered
    unavailable_creates: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    unavailable_starts: int = 0
    submitted: list[str] = field(default_factory=list)  # job runs answered as submitted
    unavailable: int = 0  # writes answered UNAVAILABLE
    bad_writes: list[str] = field(default_factory=list)  # anything else


def unavailable(response: httpx.Response, body: Any) -> bool:
    """HTTP 503 with Retry-After, and every error (or the middleware's Error shape) UNAVAILABLE."""
    if response.status_code != 503 or int(response.headers.get("retry-after", "0")) < 1 or not isinstance(body, dict):
        return False
    errors = body.get("errors") or []
    return bool(errors) and all((e.get("extensions") or {}).get("code") == "UNAVAILABLE" for e in errors)


async def read(http: httpx.AsyncClient, ledger: Ledger, query: str, variables: dict[str, Any] | None = None,
               *, get: bool = False) -> None:
    ledger.reads += 1
    try:
        response = (await http.get("/graphql", params={"query": query}) if get
                    else await http.post("/graphql", json={"query": query, "variables": variables or {}}))
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        ledger.failed_reads.append(f"{type(exc).__name__}: {exc}")
        return
    if response.status_code != 200 or body.get("errors") or not all(body["data"].values()):
        ledger.failed_reads.append(f"HTTP {response.status_code}: {response.text[:300]}")


async def write(http: httpx.AsyncClient, ledger: Ledger, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
    """The payload of a committed write; None when it was answered UNAVAILABLE (or went wrong, recorded)."""
    try:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        ledger.bad_writes.append(f"{type(exc).__name__}: {exc}")
        return None
    if unavailable(response, body):
        ledger.unavailable += 1
        return None
    payload = next(iter((body.get("data") or {}).values()), None) if isinstance(body, dict) else None
    if response.status_code != 200 or body.get("errors") or not payload or payload.get("errors"):
        ledger.bad_writes.append(f"HTTP {response.status_code}: {response.text[:300]}")
        return None
    return dict(payload)


async def readers(http: httpx.AsyncClient, ledger: Ledger, process_id: str, run_id: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await read(http, ledger, READ_TREE, {"id": process_id})
        await read(http, ledger, LIST)
        await read(http, ledger, RUN, {"id": run_id})
        await read(http, ledger, VIEWER, get=True)


async def creator(http: httpx.AsyncClient, ledger: Ledger, prefix: str, stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        name = f"{prefix}-{n}"
        n += 1
        if await write(http, ledger, CREATE, {"input": process_input(name, nodes=12)}) is not None:
            ledger.created.append(name)
        else:
            ledger.unavailable_creates.append(name)


async def runner(http: httpx.AsyncClient, ledger: Ledger, process_id: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        payload = await write(http, ledger, START, {"id": process_id})
        if payload is None:
            ledger.unavailable_starts += 1
            continue
        ledger.runs.append(payload["run"]["id"])
        for job in payload["run"]["nodes"]:
            if job["__typename"] == "JobRun" and job["status"] == "RUNNING" and not stop.is_set() \
                    and await write(http, ledger, SUBMIT, {"input": {"id": job["id"]}}) is not None:
                ledger.submitted.append(job["id"])


async def terminator(dsn: str, database: str, stop: asyncio.Event, sweeps: list[int]) -> None:
    """Every second, end every backend the gateway opened on its database (what a failover or an operator
    does): those of its role. A superuser's backend on the same database (the test harness's, or anyone's
    connected by hand) is not the gateway's, and ending it needs a superuser."""
    admin = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            await asyncio.sleep(1)
            sweeps.append(int(await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 "
                "AND usename = current_user AND pid <> pg_backend_pid()", database)))
    finally:
        await admin.close()


def _admin_dsn(url: str) -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"postgresql://{u.username}:{u.password}@{u.host}:{u.port}/postgres", str(u.database)


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_terminated_backends_under_mixed_load_fail_no_read_and_half_write_nothing(
        backend: str, db_url: str, token: str, tmp_path: Path) -> None:
    with running_server(tmp_path, name="faults", database_url=db_url, RATE_LIMIT_PER_SECOND="0") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            # Given a process with a tree, one with 8 tasks to run, and a run to read
            created = await write(http, Ledger(), CREATE, {"input": process_input("Read me", nodes=40)})
            assert created is not None
            tree_id = created["process"]["id"]
            tasks = await write(http, Ledger(), CREATE, {"input": {"name": "Run me", "root": {
                "name": "R", "parallel": True, "children": [task(f"t{i}", DEV_USER_ID) for i in range(8)]}}})
            assert tasks is not None
            run_process = tasks["process"]["id"]
            started = await write(http, Ledger(), START, {"id": run_process})
            assert started is not None

            # When 3 readers, 2 creators and 2 run actors run while every backend is terminated every second
            ledger, stop, sweeps = Ledger(), asyncio.Event(), list[int]()
            dsn, database = _admin_dsn(db_url)
            load = [asyncio.create_task(readers(http, ledger, tree_id, started["run"]["id"], stop)) for _ in range(3)]
            load += [asyncio.create_task(creator(http, ledger, f"c{i}", stop)) for i in range(2)]
            load += [asyncio.create_task(runner(http, ledger, run_process, stop)) for _ in range(2)]
            killer = asyncio.create_task(terminator(dsn, database, stop, sweeps))
            await asyncio.sleep(8)
            stop.set()
            async with asyncio.timeout(60):
                await asyncio.gather(*load, killer)

            # Then, without a restart, the gateway is ready and answers
            ready = await http.get("/readyz")
            after = Ledger()
            await read(http, after, READ_TREE, {"id": tree_id})
        print(server.output()[-3000:])
    print(f"{ledger.reads} reads, {len(ledger.created)} creates and {len(ledger.runs)} runs answered, "
          f"{len(ledger.submitted)} submits, {ledger.unavailable} writes UNAVAILABLE; backends terminated per "
          f"sweep: {sweeps}")
    assert ready.status_code == 200, ready.text
    assert after.failed_reads == []
    assert len(sweeps) >= 6 and sum(sweeps) >= 6 * 3  # the faults happened
    assert ledger.reads > 40 and len(ledger.created) > 5 and len(ledger.runs) > 1  # on a busy 2-core machine
    # no read failed; every write was answered either as committed or UNAVAILABLE, never anything else
    assert ledger.failed_reads == []
    assert ledger.bad_writes == []
    # and the database agrees: what was answered is there, what was refused is there whole or not at all
    engine = create_engine(Settings(database_url=db_url))
    try:
        async with engine.connect() as conn:
            names = [r.name for r in (await conn.execute(select(PT.c.name))).all()]
            runs = {r.id for r in (await conn.execute(select(RT.c.id).where(RT.c.process_id == run_process))).all()}
            complete = {r.id for r in (await conn.execute(
                select(JRT.c.id).where(JRT.c.id.in_(ledger.submitted), JRT.c.status == "complete"))).all()}
        assert all(names.count(name) == 1 for name in ledger.created)
        assert all(names.count(name) <= 1 for name in ledger.unavailable_creates)
        assert set(ledger.runs) | {started["run"]["id"]} <= runs
        assert len(runs) <= len(ledger.runs) + 1 + ledger.unavailable_starts
        assert complete == set(ledger.submitted)
        assert await check_integrity(engine) == []
    finally:
        await engine.dispose()


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_stopped_database_answers_unavailable_and_service_resumes(backend: str) -> None:
    with own_cluster() as cluster:
        # Given a gateway on a database of the test's own
        admin = await asyncpg.connect(cluster.dsn())
        try:
            await admin.execute("CREATE DATABASE processgraph")
        finally:
            await admin.close()
        settings = Settings(database_url=cluster.url("processgraph"), rate_limit_per_second=0)
        await asyncio.to_thread(migrate.upgrade, settings)
        engine = create_engine(settings)
        try:
            _, token = await auth_service.create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
            _, other = await auth_service.create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
        finally:
            await engine.dispose()
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30,
                headers={"Authorization": f"Bearer {token}"}) as http:
            created = await http.post("/graphql", json={"query": CREATE, "variables": {"input": process_input("Before")}})
            process_id = created.json()["data"]["processCreate"]["process"]["id"]
            assert (await http.get("/readyz")).status_code == 200

            # When PostgreSQL stops
            await asyncio.to_thread(cluster.stop)
            stopped = time.monotonic()

            # Then reads and writes answer UNAVAILABLE with HTTP 503 and Retry-After (a cached token reaches
            # the resolvers, an unknown one stops at the token lookup), and /readyz says why it is not ready
            answers = [await http.post("/graphql", json={"query": READ_TREE, "variables": {"id": process_id}}),
                       await http.post("/graphql", json={"query": CREATE, "variables": {"input": process_input("During")}}),
                       await http.post("/graphql", json={"query": VIEWER},
                                       headers={"Authorization": f"Bearer {other}"})]
            for answer in answers:
                body = answer.json()
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "1"
                assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"], body
                assert body["errors"][0]["extensions"]["meta"] == {"retryAfterSeconds": 1}
            # and so do REST's reads and writes, in the Error shape
            for answer in [await http.get(f"/v1/processes/{process_id}"),
                           await http.post("/v1/processes", json=process_body("During REST"))]:
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "1"
                # (the seed's REST Error carries meta values as strings)
                assert answer.json()["code"] == "UNAVAILABLE" and answer.json()["meta"] == {"retryAfterSeconds": "1"}
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["database"] == "unreachable" and ready.json()["reason"]

            # When it starts again a few seconds later
            await asyncio.sleep(max(0.0, 3 - (time.monotonic() - stopped)))
            await asyncio.to_thread(cluster.start)

            # Then the same gateway serves normally: ready, reads, writes, and the write refused earlier is absent
            for _ in range(150):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.2)
            read_back = (await http.post("/graphql", json={"query": READ_TREE, "variables": {"id": process_id}})).json()
            assert read_back["data"]["process"]["name"] == "Before"
            after = await http.post("/graphql", json={"query": CREATE, "variables": {"input": process_input("After")}})
            assert after.status_code == 200 and after.json()["data"]["processCreate"]["errors"] == []
            names = (await http.post("/graphql", json={"query": LIST})).json()["data"]["processes"]["edges"]
            assert sorted(e["node"]["name"] for e in names) == ["After", "Before"]
            assert (await http.post("/graphql", json={"query": VIEWER},
                                    headers={"Authorization": f"Bearer {other}"})).status_code == 200
