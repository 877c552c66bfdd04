"""Read replicas (issue 30 points 1-3), with a real streaming standby: a primary of the test's own and a
standby made from it by `pg_basebackup -R` on loopback (tests/pgcluster.py), both stopped and deleted after.

The proof that a read was served by the standby: its replay is paused (`pg_wal_replay_pause()`), a write
commits on the primary, and a read without the write's LSN still answers the old value, while a read that
brings the LSN (`X-Processgraph-LSN`) answers the new one, through GraphQL and REST, on another gateway (in
process, and real gateway processes) too, and with the tree cache and kept answers on, each server's reads
answer at their own revision. Stopping or promoting the standby under reads fails none of them; a standby
further behind than MAX_REPLICA_LAG serves nothing; one that fails every statement sends its reads to the
primary; one that cannot be reached at all leaves every read to the primary.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import db
from app.lsn import HEADER, Tracked, note_commit, parse_lsn
from app.settings import Settings
from tests.factories import CREATE, process_input
from tests.helpers import asgi_client
from tests.pgcluster import Cluster, migrated_database, own_cluster, standby_of
from tests.servers import free_port, running_servers

NAME = "query($id: ID!) { process(id: $id) { name revision } }"
LIST = "{ processes(first: 50) { edges { node { id name } } } }"
RENAME = """mutation($id: ID!, $ops: [PatchOperationInput!]!) { processPatch(input: {id: $id, operations: $ops}) {
    errors { code message } process { name } } }"""


@dataclasses.dataclass
class Pair:
    primary: Cluster
    standby: Cluster
    http: httpx.AsyncClient
    settings: Settings
    token: str


@asynccontextmanager
async def primary_and_standby() -> AsyncIterator[tuple[Cluster, Cluster, Settings, str]]:
    """A migrated primary of the test's own and its standby; the primary's settings and a read-write token."""
    with own_cluster() as primary:
        settings, token = await migrated_database(primary)
        with standby_of(primary) as standby:
            yield primary, standby, settings, token


@asynccontextmanager
async def replicated(**given: Any) -> AsyncIterator[Pair]:
    """A gateway (in process, over ASGI) on a primary of the test's own, reading from its standby."""
    async with primary_and_standby() as (primary, standby, settings, token):
        settings = dataclasses.replace(settings, read_database_urls=(standby.url("processgraph"),), **given)
        async with asgi_client(settings, token) as http:
            yield Pair(primary, standby, http, settings, token)


async def on(cluster: Cluster, sql: str) -> Any:
    conn = await asyncpg.connect(cluster.dsn("processgraph"))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def pause_replay(standby: Cluster) -> None:
    await on(standby, "SELECT pg_wal_replay_pause()")
    for _ in range(100):
        if await on(standby, "SELECT pg_get_wal_replay_pause_state()") == "paused":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the standby's replay did not pause")


async def create(http: httpx.AsyncClient, name: str) -> tuple[str, str]:
    """A process created through GraphQL: its id and the LSN its response carries."""
    made = await http.post("/graphql", json={"query": CREATE, "variables": {"input": process_input(name, nodes=3)}})
    body = made.json()
    assert made.status_code == 200 and body["data"]["processCreate"]["errors"] == [], made.text
    assert made.headers[HEADER] == body["extensions"]["lsn"]
    return body["data"]["processCreate"]["process"]["id"], made.headers[HEADER]


async def rename(http: httpx.AsyncClient, process_id: str, name: str) -> str:
    done = await http.post("/graphql", json={"query": RENAME, "variables": {
        "id": process_id, "ops": [{"op": "replace", "path": "/name", "value": name}]}})
    assert done.json()["data"]["processPatch"]["errors"] == [], done.text
    return done.headers[HEADER]


async def name_of(http: httpx.AsyncClient, process_id: str, lsn: str | None = None) -> str:
    headers = {HEADER: lsn} if lsn is not None else {}
    read = await http.post("/graphql", json={"query": NAME, "variables": {"id": process_id}}, headers=headers)
    assert read.status_code == 200 and "errors" not in read.json(), read.text
    assert HEADER not in read.headers and "extensions" not in read.json()  # a read commits nothing
    return str(read.json()["data"]["process"]["name"])


async def rest_name_of(http: httpx.AsyncClient, process_id: str, lsn: str | None = None) -> str:
    headers = {HEADER: lsn} if lsn is not None else {}
    read = await http.get(f"/v1/processes/{process_id}", headers=headers)
    assert read.status_code == 200, read.text
    return str(read.json()["name"])


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_reads_go_to_the_standby_and_a_write_s_lsn_brings_it_back(backend: str) -> None:
    async with replicated(max_replica_lag=60.0) as pair:
        http = pair.http
        # Given a process, read back with its create's LSN (from the standby once it replayed it)
        process_id, created = await create(http, "Before")
        assert await name_of(http, process_id, created) == "Before"
        assert await rest_name_of(http, process_id, created) == "Before"

        # When the standby stops replaying and the process is renamed on the primary
        await pause_replay(pair.standby)
        renamed = await rename(http, process_id, "After")
        renamed_lsn, created_lsn = parse_lsn(renamed), parse_lsn(created)
        assert renamed_lsn is not None and created_lsn is not None and renamed_lsn > created_lsn

        # Then reads without the LSN are served by the standby (the old name), GraphQL and REST, lists too
        assert await name_of(http, process_id) == "Before"
        assert await rest_name_of(http, process_id) == "Before"
        listed = (await http.post("/graphql", json={"query": LIST})).json()["data"]["processes"]["edges"]
        assert [e["node"]["name"] for e in listed] == ["Before"]
        # And reads that bring the rename's LSN see it (the primary, after a short wait for the standby)
        started = time.monotonic()
        assert await name_of(http, process_id, renamed) == "After"
        assert await rest_name_of(http, process_id, renamed) == "After"
        assert time.monotonic() - started < 5
        # On another gateway too: the LSN is the primary's, whichever gateway wrote. (One that starts now has
        # never seen the paused standby caught up: to it, the standby is as late as can be, and serves nothing.)
        async with asgi_client(pair.settings, pair.token) as other:
            assert await name_of(other, process_id, renamed) == "After"
            assert await name_of(other, process_id) == "After"
        # An older LSN is one the standby has replayed: it serves that read
        assert await name_of(http, process_id, created) == "Before"
        # A malformed LSN reads the primary
        assert await name_of(http, process_id, "not an lsn") == "After"

        # When a REST write commits, its response carries its LSN too
        patched = await http.patch(f"/v1/processes/{process_id}", headers={"Content-Type": "application/json-patch+json"},
                                   content=b'[{"op": "replace", "path": "/name", "value": "Rest"}]')
        assert patched.status_code == 200, patched.text
        assert await rest_name_of(http, process_id, patched.headers[HEADER]) == "Rest"

        # When replay resumes, a read with the LSN waits for the standby, which now has it
        await on(pair.standby, "SELECT pg_wal_replay_resume()")
        assert await name_of(http, process_id, patched.headers[HEADER]) == "Rest"
        for _ in range(100):
            if await name_of(http, process_id) == "Rest":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the standby never caught up")
        # And /metrics counts the reads each server was given
        counted = {line.split('"')[1]: float(line.split()[-1]) for line in (await http.get("/metrics")).text.splitlines()
                   if line.startswith("processgraph_replica_reads{")}
        assert counted["standby"] >= 5 and counted["primary"] >= 3, counted
        assert "processgraph_replicas_usable 1.0" in (await http.get("/metrics")).text


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_standby_behind_max_replica_lag_serves_no_read(backend: str) -> None:
    async with replicated(max_replica_lag=2.0) as pair:
        http = pair.http
        process_id, created = await create(http, "Before")
        assert await name_of(http, process_id, created) == "Before"
        await pause_replay(pair.standby)
        # Given a standby that replays nothing more, and a write
        await rename(http, process_id, "After")
        # Then it serves reads while it is within MAX_REPLICA_LAG (2 s) of the primary
        assert await name_of(http, process_id) == "Before"
        # And not once it is further behind
        await asyncio.sleep(3)
        assert await name_of(http, process_id) == "After"
        assert await rest_name_of(http, process_id) == "After"


async def read_all_the_time(http: httpx.AsyncClient, process_ids: list[str], until: asyncio.Event,
                            failures: list[str]) -> int:
    """GraphQL and REST reads one after another until `until`; the failures noted."""
    done = 0
    while not until.is_set():
        for process_id in process_ids:
            answers = [await http.post("/graphql", json={"query": NAME, "variables": {"id": process_id}}),
                       await http.post("/graphql", json={"query": LIST}),
                       await http.get(f"/v1/processes/{process_id}")]
            for answer in answers:
                done += 1
                if answer.status_code != 200 or "errors" in answer.json():
                    failures.append(f"{answer.status_code} {answer.text[:300]}")
    return done


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_standby_stopped_under_reads_fails_none_and_serves_again_once_back(backend: str) -> None:
    async with replicated(max_replica_lag=60.0) as pair:
        http = pair.http
        made = [await create(http, f"P{i}") for i in range(3)]
        process_ids = [process_id for process_id, _ in made]
        assert await name_of(http, process_ids[-1], made[-1][1]) == "P2"
        # Given reads all the time
        until, failures = asyncio.Event(), list[str]()
        readers = [asyncio.create_task(read_all_the_time(http, process_ids, until, failures)) for _ in range(4)]
        try:
            await asyncio.sleep(1)
            # When the standby stops under them, and starts again
            await asyncio.to_thread(pair.standby.stop)
            await asyncio.sleep(2)
            await asyncio.to_thread(pair.standby.start)
            await asyncio.sleep(1)
        finally:
            until.set()
            done = sum(await asyncio.gather(*readers))
        # Then no read failed
        assert failures == [] and done > 50, (failures[:5], done)

        # And the standby serves reads again: with its replay paused, a read without the LSN sees the old name
        await pause_replay(pair.standby)
        await rename(http, process_ids[0], "Renamed")
        for _ in range(100):
            if await name_of(http, process_ids[0]) == "P0":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the standby serves no read after it came back")


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(60)
async def test_an_unreachable_standby_sends_every_read_to_the_primary(backend: str, settings: Settings,
                                                                       token: str) -> None:
    # Given a standby URL where nothing answers
    nowhere = f"postgresql+asyncpg://nobody:nothing@127.0.0.1:{free_port()}/processgraph"
    async with asgi_client(dataclasses.replace(settings, read_database_urls=(nowhere,)), token) as http:
        # Then writes and reads (with and without an LSN) answer, from the primary
        process_id, created = await create(http, "Only")
        assert await name_of(http, process_id) == "Only"
        assert await name_of(http, process_id, created) == "Only"
        assert await rest_name_of(http, process_id) == "Only"


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_standby_promoted_under_reads_fails_none_and_serves_no_more(backend: str) -> None:
    async with replicated(max_replica_lag=60.0) as pair:
        http = pair.http
        process_id, created = await create(http, "Before")
        assert await name_of(http, process_id, created) == "Before"
        # Given reads all the time
        until, failures = asyncio.Event(), list[str]()
        readers = [asyncio.create_task(read_all_the_time(http, [process_id], until, failures)) for _ in range(4)]
        try:
            await asyncio.sleep(1)
            # When the standby is promoted under them (it stops following the primary)
            await on(pair.standby, "SELECT pg_promote()")
            await asyncio.sleep(2)
        finally:
            until.set()
            done = sum(await asyncio.gather(*readers))
        # Then no read failed
        assert failures == [] and done > 20, (failures[:5], done)
        # And the promoted server serves no more reads: a write on the primary is seen without its LSN
        await rename(http, process_id, "After")
        assert await name_of(http, process_id) == "After"
        assert await rest_name_of(http, process_id) == "After"


def counted_reads(metrics: str) -> dict[str, float]:
    return {line.split('"')[1]: float(line.split()[-1]) for line in metrics.splitlines()
            if line.startswith("processgraph_replica_reads{")}


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_a_standby_that_errs_sends_its_reads_to_the_primary(backend: str) -> None:
    async with replicated(max_replica_lag=60.0) as pair:
        http = pair.http
        process_id, created = await create(http, "Before")
        assert await name_of(http, process_id, created) == "Before"
        await pause_replay(pair.standby)
        await rename(http, process_id, "After")
        assert await name_of(http, process_id) == "Before"
        # When every statement of the gateway fails on the standby (its tables are not on its search path),
        # while the probe, which reads only functions of pg_catalog, still finds it well
        with (pair.standby.data / "postgresql.auto.conf").open("a") as conf:
            conf.write("search_path = 'nowhere'\n")
        await on(pair.standby, "SELECT pg_reload_conf()")
        await asyncio.sleep(0.5)
        before = counted_reads((await http.get("/metrics")).text)
        # Then reads answer without an error, from the primary: GraphQL (a kept answer's too) and REST
        assert await name_of(http, process_id) == "After"
        assert await rest_name_of(http, process_id) == "After"
        listed = (await http.post("/graphql", json={"query": LIST})).json()
        assert [e["node"]["name"] for e in listed["data"]["processes"]["edges"]] == ["After"], listed
        after = counted_reads((await http.get("/metrics")).text)
        assert after["standby"] - before["standby"] == 3 and after["retried"] - before["retried"] == 3, (before, after)


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_gateway_processes_read_a_write_of_another_back_with_its_lsn(backend: str, tmp_path: Path) -> None:
    async with primary_and_standby() as (_primary, standby, settings, token):
        # Given two gateway processes (scripts/serve) reading from the standby, as configured by the environment
        env = {"READ_DATABASE_URLS": standby.url("processgraph"), "MAX_REPLICA_LAG": "60", "RATE_LIMIT_PER_SECOND": "0"}
        with running_servers(tmp_path, ["one", "two"], database_url=settings.database_url, **env) as (one, two):
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=one.base_url, headers=headers, timeout=30) as first, \
                    httpx.AsyncClient(base_url=two.base_url, headers=headers, timeout=30) as second:
                process_id, created = await create(first, "Before")
                assert await name_of(second, process_id, created) == "Before"
                # When the standby stops replaying and the first gateway renames the process
                await pause_replay(standby)
                renamed = await rename(first, process_id, "After")
                # Then the second serves it from the standby without the LSN, and with it sees the rename
                assert await name_of(second, process_id) == "Before"
                assert await name_of(second, process_id, renamed) == "After"
                assert await rest_name_of(second, process_id, renamed) == "After"
                assert counted_reads((await second.get("/metrics")).text)["standby"] >= 2


@pytest.mark.once(backend="postgresql")
async def test_a_commit_stands_when_its_lsn_cannot_be_read(backend: str, engine: AsyncEngine,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a read of the WAL position that fails on the connection that committed
    tries: list[object] = []

    async def lost_once(driver: object) -> None:
        tries.append(driver)
        if len(tries) == 1:
            raise ConnectionResetError("lost right after the commit")
        await note_commit(driver)

    monkeypatch.setattr(db, "note_commit", lost_once)
    with Tracked(True) as written:
        async with db.write_transaction(engine) as conn:
            await conn.execute(text("CREATE TABLE committed_anyway (id int)"))
    # Then it is read on another connection
    assert len(tries) == 2 and tries[0] is not tries[1] and written.lsn > 0

    # And when it cannot be read at all, the write still commits, without an LSN
    async def lost(_driver: object) -> None:
        raise ConnectionResetError("lost")

    monkeypatch.setattr(db, "note_commit", lost)
    with Tracked(True) as written:
        async with db.write_transaction(engine) as conn:
            await conn.execute(text("INSERT INTO committed_anyway VALUES (1)"))
    assert written.lsn == 0
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM committed_anyway"))).scalar_one() == 1


TREE = "query($id: ID!) { process(id: $id) { revision root { id } nodes { __typename ... on ProcessGroup { id name } } } }"
ADD_GROUP = """mutation($input: GroupAddInput!) { groupAdd(input: $input) { errors { code message } } }"""


async def tree_of(http: httpx.AsyncClient, process_id: str, lsn: str | None = None) -> tuple[int, list[str]]:
    headers = {HEADER: lsn} if lsn is not None else {}
    read = await http.post("/graphql", json={"query": TREE, "variables": {"id": process_id}}, headers=headers)
    assert read.status_code == 200 and "errors" not in read.json(), read.text
    process = read.json()["data"]["process"]
    return process["revision"], sorted(n["name"] for n in process["nodes"] if n["__typename"] == "ProcessGroup")


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(180)
async def test_the_tree_cache_answers_each_server_at_its_own_revision(backend: str) -> None:
    async with replicated(max_replica_lag=60.0) as pair:
        http = pair.http
        process_id, created = await create(http, "Tree")
        old = await tree_of(http, process_id, created)
        root = (await http.post("/graphql", json={"query": TREE, "variables": {"id": process_id}})).json()
        # Given a standby that stops replaying, and a group added on the primary
        await pause_replay(pair.standby)
        added = await http.post("/graphql", json={"query": ADD_GROUP, "variables": {"input": {
            "parentId": root["data"]["process"]["root"]["id"], "group": {"name": "Added"}}}})
        assert added.json()["data"]["groupAdd"]["errors"] == [], added.text
        lsn = added.headers[HEADER]
        # Then, read again and again from either server (the tree cache on, as by default), each answers the
        # tree at the revision it holds: never the old tree at the new revision, nor the new at the old
        for _ in range(3):
            new = await tree_of(http, process_id, lsn)
            assert new[0] == old[0] + 1 and new[1] == sorted([*old[1], "Added"])
            assert await tree_of(http, process_id) == old


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
async def test_scripts_cluster_runs_gateways_on_a_primary_and_standby_of_its_own(backend: str,
                                                                                 tmp_path: Path) -> None:
    """`scripts/cluster --replicas 1` (issue 30 point 5): the gateways behind HAProxy read from a standby the
    cluster made, and `stop` stops and deletes both servers."""
    from bench import cluster

    state = tmp_path / "cluster"
    port = free_port()
    assert await asyncio.to_thread(cluster.main, ["start", "--gateways", "2", "--replicas", "1", "--port", str(port),
                                                  "--state-dir", str(state)]) == 0
    try:
        servers = json.loads((state / cluster.POSTGRES_STATE).read_text())
        assert [s["name"] for s in servers] == ["primary", "standby1"]
        token = (state / "token").read_text().strip()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            process_id, _ = await create(http, "Through the cluster")
            given = 0.0
            for _ in range(100):  # a gateway takes the standby as fresh once a probe finds it caught up
                assert await name_of(http, process_id) == "Through the cluster"
                members = cluster.Cluster.load(state)
                assert members is not None
                given = sum([counted_reads((await http.get(f"http://127.0.0.1:{m.port}/metrics")).text)
                             .get("standby", 0.0) for m in members.gateways])
                if given:
                    break
                await asyncio.sleep(0.1)
            assert given > 0
    finally:
        stopped = await asyncio.to_thread(cluster.stop, state)
    assert any(line.startswith("PostgreSQL standby1") for line in stopped), stopped
    left = [s["directory"] for s in servers if await asyncio.to_thread(Path(s["directory"]).exists)]
    assert left == []
