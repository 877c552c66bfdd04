"""Failover of the primary (issue 30 point 4), with real servers: a primary of the test's own, a synchronous
standby made from it by `pg_basebackup -R` (tests/pgcluster.py), and a gateway process whose DATABASE_URL
names both (`?host=…&host=…&target_session_attrs=read-write`). Under a write load (GraphQL and REST creates,
and a run's job runs submitted one after another) and while the gateway delivers a backlog of emails, the
primary is killed (`pg_ctl stop -m immediate`), and after a pause the standby is promoted (`pg_ctl promote`).

What must hold: every write answered as committed is on the new primary, once (a submitted job run no longer
runs); a write answered otherwise was answered UNAVAILABLE (GraphQL: HTTP 503, `Retry-After`, the code in
every error; REST: 503, `Retry-After`, the Error shape) and is there at most once; writes resume within
RESUME_SECONDS of the promotion; `/readyz` is 503 without a primary and 200 after; no email is sent twice, and
every email sent is recorded sent on the new primary; the wake-up listener LISTENs on the new primary: a live
subscriber of the gateway gets, on the connection it has, an event another writer commits there.
"""
from __future__ import annotations

import asyncio
import contextlib
import email
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from aiosmtpd.controller import Controller
from websockets.typing import Subprotocol

from app.connectivity import connect_args
from app.db import create_engine
from app.ids import new_id
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.factories import CREATE, process_input
from tests.helpers import GraphQLClient
from tests.pgcluster import Cluster, migrated_database, own_cluster, standby_of
from tests.rest.helpers import process_body
from tests.run.helpers import task
from tests.servers import free_port, running_server

START = "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code message } run { id nodes { " \
        "__typename ... on JobRun { id status } } } } }"
SUBMIT = "mutation($input: RunActionInput!) { jobRunSubmit(input: $input) { errors { code message } run { id } } }"
SUB = "subscription($id: ID!, $after: Int!) { runEvents(runId: $id, afterSequence: $after) { sequence } }"
TASKS = 60  # job runs submitted one after another, across the failover
RESUME_SECONDS = 5.0  # the documented bound (docs/operations.md, Failover): writes resume this soon after promotion
DOWN_SECONDS = 2.0  # how long the test leaves the cluster without a primary
EMAILS = 500
# The SMTP server's time per message: the backlog takes about 10 s, so a batch (50) is being sent when the primary
# dies, and, taking 1 s, is done before the promotion: its outcome must wait for the new primary.
SEND_SECONDS = 0.02


@dataclass
class Ledger:
    acknowledged: dict[str, float] = field(default_factory=dict)  # name -> when the answer came (monotonic)
    unavailable: dict[str, float] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)  # anything else: the test fails with these


def graphql_unavailable(response: httpx.Response) -> bool:
    body = response.json()
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    return (response.status_code == 503 and int(response.headers.get("retry-after", "0")) >= 1 and bool(errors)
            and all((e.get("extensions") or {}).get("code") == "UNAVAILABLE" for e in errors))


def rest_unavailable(response: httpx.Response) -> bool:
    body = response.json()
    return (response.status_code == 503 and int(response.headers.get("retry-after", "0")) >= 1
            and isinstance(body, dict) and body.get("code") == "UNAVAILABLE"
            and set(body) == {"code", "message", "target", "details", "meta", "documentationUrl"})


async def write_all_the_time(http: httpx.AsyncClient, ledger: Ledger, writer: str, stop: asyncio.Event) -> None:
    """Creates, one after another, each named uniquely; a REST writer posts to /v1/processes."""
    count = 0
    while not stop.is_set():
        count += 1
        name = f"{writer}-{count}"
        try:
            if writer.startswith("rest"):
                response = await http.post("/v1/processes", json=process_body(name))
                done, refused = response.status_code == 201, rest_unavailable(response)
            else:
                response = await http.post("/graphql", json={"query": CREATE,
                                                             "variables": {"input": process_input(name, nodes=3)}})
                body = response.json()
                done = response.status_code == 200 and not body.get("errors") \
                    and body["data"]["processCreate"]["errors"] == []
                refused = not done and graphql_unavailable(response)
        except (httpx.HTTPError, ValueError) as exc:
            ledger.other.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if done:
            ledger.acknowledged[name] = time.monotonic()
        elif refused:
            ledger.unavailable[name] = time.monotonic()
            await asyncio.sleep(0.05)  # a client would wait Retry-After; the test measures the window finer
        else:
            ledger.other.append(f"{name}: HTTP {response.status_code}: {response.text[:300]}")


async def submit_all_the_time(http: httpx.AsyncClient, ledger: Ledger, job_ids: list[str],
                             stop: asyncio.Event) -> None:
    """Run transitions: each running job run submitted once (one refused UNAVAILABLE is not sent again)."""
    for job_id in job_ids:
        if stop.is_set():
            return
        try:
            response = await http.post("/graphql", json={"query": SUBMIT, "variables": {"input": {"id": job_id}}})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            ledger.other.append(f"submit {job_id}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code == 200 and not body.get("errors") and body["data"]["jobRunSubmit"]["errors"] == []:
            ledger.acknowledged[f"submit:{job_id}"] = time.monotonic()
        elif graphql_unavailable(response):
            ledger.unavailable[f"submit:{job_id}"] = time.monotonic()
            await asyncio.sleep(0.05)
        else:
            ledger.other.append(f"submit {job_id}: HTTP {response.status_code}: {response.text[:300]}")
        await asyncio.sleep(0.1)


@dataclass
class Subscriber:
    """A live `runEvents` subscriber over WebSocket that, as a client should, connects again after its last
    sequence whenever its subscription ends (a read of the subscription that met the outage ends it)."""

    sequences: list[int] = field(default_factory=list)
    connection: int = 0  # how many times it connected; the current connection's number
    arrived_on: dict[int, int] = field(default_factory=dict)  # sequence -> the connection it came on

    async def follow(self, address: str, token: str, run_id: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(f"ws://{address}/graphql", open_timeout=5,
                                              subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                    await ws.send(json.dumps({"type": "connection_init",
                                              "payload": {"Authorization": f"Bearer {token}"}}))
                    if json.loads(await ws.recv())["type"] != "connection_ack":
                        raise ConnectionError("refused")
                    self.connection += 1
                    after = self.sequences[-1] if self.sequences else 0
                    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                        "query": SUB, "variables": {"id": run_id, "after": after}}}))
                    while True:
                        message = json.loads(await ws.recv())
                        if message["type"] != "next" or message["payload"].get("errors"):
                            break
                        sequence = message["payload"]["data"]["runEvents"]["sequence"]
                        self.sequences.append(sequence)
                        self.arrived_on[sequence] = self.connection
            except (OSError, websockets.WebSocketException, ConnectionError, TimeoutError):
                pass
            await asyncio.sleep(0.3)


async def running_jobs(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """The job runs of a run just started, of a process of TASKS parallel tasks (all running at once; their
    notices join the email backlog)."""
    made = await http.post("/graphql", json={"query": CREATE, "variables": {"input": {"name": "Run me", "root": {
        "name": "R", "parallel": True, "children": [task(f"t{i}", DEV_USER_ID) for i in range(TASKS)]}}}})
    process_id = made.json()["data"]["processCreate"]["process"]["id"]
    started = (await http.post("/graphql", json={"query": START, "variables": {"id": process_id}})).json()
    assert (started.get("data") or {}).get("runStart", {}).get("run") is not None, started
    jobs = [n["id"] for n in started["data"]["runStart"]["run"]["nodes"]
            if n["__typename"] == "JobRun" and n["status"] == "RUNNING"]
    assert len(jobs) == TASKS, started
    return started["data"]["runStart"]["run"]["id"], jobs


@dataclass
class SlowSink:
    """An SMTP server that takes SEND_SECONDS per message and notes each Message-ID it accepts."""

    received: list[str] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        await asyncio.sleep(SEND_SECONDS)
        self.received.append(str(email.message_from_bytes(envelope.original_content)["Message-ID"]))
        return "250 OK"


@contextmanager
def slow_smtp() -> Iterator[tuple[SlowSink, str]]:
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}?from=processgraph@example.com&timeout=5"
    finally:
        controller.stop()


async def fetch(cluster: Cluster, sql: str) -> list[Any]:
    conn = await asyncpg.connect(cluster.dsn("processgraph"))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def prepared(primary: Cluster) -> str:
    """A migrated database with a read-write token and EMAILS pending notifications to a user with an address."""
    _, token = await migrated_database(primary)
    conn = await asyncpg.connect(primary.dsn("processgraph"))
    try:
        await conn.execute("UPDATE app_user SET email = 'dana@example.com' WHERE id = $1", DEV_USER_ID)
        await conn.executemany(
            "INSERT INTO notification (id, workspace_id, user_id, seq, kind, subject, body, created_at, "
            "delivery_state, delivery_attempts) VALUES ($1, $2, $3, $4, 'jobSent', 'Waiting', 'Body', $5, 'pending', 0)",
            [(new_id(), DEFAULT_WORKSPACE_ID, DEV_USER_ID, seq, datetime(2027, 3, 1, tzinfo=UTC))
             for seq in range(1, EMAILS + 1)])
        await conn.execute("INSERT INTO notification_sequence (user_id, last_seq) VALUES ($1, $2) ON CONFLICT (user_id) "
                           "DO UPDATE SET last_seq = excluded.last_seq", DEV_USER_ID, EMAILS)
    finally:
        await conn.close()
    return token


async def synchronous(primary: Cluster) -> None:
    """The primary acknowledges a commit once the standby has it (set after the base backup, so the standby,
    once promoted, waits for no standby of its own)."""
    conn = await asyncpg.connect(primary.dsn())
    try:
        await conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
        await conn.execute("SELECT pg_reload_conf()")
        for _ in range(200):
            if await conn.fetchval("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"):
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise AssertionError("the standby did not become synchronous")


async def fetch_sent(standby: Cluster, sink: SlowSink) -> bool:
    """No email left to send, and the emails out are exactly those the new primary records sent."""
    rows = await fetch(standby, "SELECT id, delivery_state FROM notification")
    sent = {f"<{r['id']}@processgraph>" for r in rows if r["delivery_state"] == "sent"}
    return all(r["delivery_state"] == "sent" for r in rows) and sent == set(sink.received)


async def live_event_arrives(standby: Cluster, subscriber: Subscriber, run_id: str, job_id: str) -> bool:
    """Once the subscriber has caught up on one connection, a submit by another writer arrives on it."""
    async def newest() -> int:
        return int((await fetch(standby, f"SELECT max(seq) AS m FROM run_event WHERE run_id = '{run_id}'"))[0]["m"])

    target = await newest()
    if not await until(lambda: asyncio.sleep(0, bool(subscriber.sequences) and subscriber.sequences[-1] >= target),
                       20):
        return False
    connection = subscriber.connection
    settings = Settings(database_url=standby.url("processgraph"))
    engine = create_engine(settings)
    try:
        done = await GraphQLClient(engine=engine, settings=settings)(SUBMIT, {"input": {"id": job_id}})
        assert done["jobRunSubmit"]["errors"] == [], done
    finally:
        await engine.dispose()
    target = await newest()
    return await until(lambda: asyncio.sleep(0, subscriber.arrived_on.get(target) == connection), 20)


async def until(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(300)
async def test_the_primary_fails_over_to_its_promoted_standby_under_writes(backend: str, tmp_path: Path) -> None:
    with own_cluster() as primary:
        token = await prepared(primary)
        with standby_of(primary) as standby, slow_smtp() as (sink, smtp_url):
            await synchronous(primary)
            # Given a gateway whose DATABASE_URL names the primary and the standby, the read-write one wanted
            both = (f"postgresql+asyncpg://postgres:{primary.password}@/processgraph?host=127.0.0.1:{primary.port}"
                    f"&host=127.0.0.1:{standby.port}&target_session_attrs=read-write")
            env = {"RATE_LIMIT_PER_SECOND": "0", "SMTP_URL": smtp_url, "DELIVERY_POLL_SECONDS": "0.05"}
            with running_server(tmp_path, name="gateway", database_url=both, **env) as server:
                ledger, stop = Ledger(), asyncio.Event()
                async with httpx.AsyncClient(base_url=server.base_url, timeout=30,
                                             headers={"Authorization": f"Bearer {token}"}) as http:
                    run_id, jobs = await running_jobs(http)
                    subscriber = Subscriber()
                    following = asyncio.create_task(subscriber.follow(server.base_url.removeprefix("http://"),
                                                                      token, run_id, asyncio.Event()))
                    writers = [asyncio.create_task(write_all_the_time(http, ledger, name, stop))
                               for name in ("graphql-a", "graphql-b", "graphql-c", "rest")]
                    writers.append(asyncio.create_task(submit_all_the_time(http, ledger, jobs[:-1], stop)))
                    try:
                        # When the primary dies under the writes and the emails' delivery
                        await asyncio.sleep(1.5)
                        assert ledger.acknowledged and 0 < len(sink.received) < EMAILS, (ledger, sink.received)
                        await asyncio.to_thread(primary.stop, "immediate")
                        stopped = time.monotonic()
                        await asyncio.sleep(DOWN_SECONDS / 2)
                        ready_without_primary = (await http.get("/readyz")).status_code
                        await asyncio.sleep(DOWN_SECONDS / 2)
                        # and, a while later, the standby is promoted
                        promoting = time.monotonic()
                        await asyncio.to_thread(standby.promote)
                        promoted = time.monotonic()
                        resumed = await until(
                            lambda: asyncio.sleep(0, any(at > promoting for at in ledger.acknowledged.values())), 30)
                        await asyncio.sleep(1.0)
                        ready_after = (await http.get("/readyz")).status_code
                    except BaseException:
                        following.cancel()
                        raise
                    finally:
                        stop.set()
                        await asyncio.gather(*writers)
                    try:
                        # (the backlog of emails is sent by the gateway on the new primary, each recorded sent)
                        delivered = await until(lambda: fetch_sent(standby, sink), 30)
                        late = server.output().count("sent, not yet recorded")
                        # (a job submitted by another writer, this test process, on the new primary: its event
                        # reaches the gateway's subscriber only through pg_notify and the gateway's LISTEN)
                        live = await live_event_arrives(standby, subscriber, run_id, jobs[-1])
                    finally:
                        following.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await following
                    listening = await until(lambda: fetch(
                        standby, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'LISTEN %'"), 10)
            # Then writes resumed within the bound, and everything in between was answered UNAVAILABLE
            assert resumed, f"no write was acknowledged after the promotion\n{server.output()}"
            first = min(at for at in ledger.acknowledged.values() if at > promoting)
            last = max(at for at in ledger.acknowledged.values() if at < stopped)
            refused = sorted(ledger.unavailable.values())
            print(f"\nfailover: {len(ledger.acknowledged)} writes acknowledged "
                  f"({sum(k.startswith('submit:') for k in ledger.acknowledged)} of them job submits), {len(refused)} answered UNAVAILABLE; "
                  f"no write acknowledged for {first - last:.2f} s: the kill took {stopped - last:.2f} s, "
                  f"{DOWN_SECONDS} s without a primary, pg_ctl promote {promoted - promoting:.2f} s, the first "
                  f"write {first - promoting:.2f} s after promote began, the last UNAVAILABLE "
                  f"{refused[-1] - promoting if refused else float('nan'):.2f} s after; "
                  f"{late} tries to record an email batch while there was no primary")
            assert ledger.other == [], ledger.other
            assert (ready_without_primary, ready_after) == (503, 200)  # a balancer takes it out, then back
            assert refused and first - promoting <= RESUME_SECONDS
            assert all(at < first for at in refused)
            # Every acknowledged write is on the new primary once; a refused one at most once
            names = [row["name"] for row in await fetch(standby, "SELECT name FROM process WHERE name <> 'Run me'")]
            created = {name for name in ledger.acknowledged if not name.startswith("submit:")}
            assert all(names.count(name) == 1 for name in created)
            assert all(names.count(name) <= 1 for name in ledger.unavailable)
            assert set(names) <= created | set(ledger.unavailable)
            # and every acknowledged run transition too (a submitted task's job run no longer runs)
            still = {f"submit:{r['id']}" for r in await fetch(standby, "SELECT id FROM job_run WHERE status = 'running'")}
            submitted = {key for key in ledger.acknowledged if key.startswith("submit:")}
            assert submitted and not submitted & still, (submitted & still)
            assert any(at > stopped for key, at in ledger.unavailable.items() if key.startswith("submit:"))
            # No email went out twice, and every one went out once and is recorded sent on the new primary
            assert len(sink.received) == len(set(sink.received)), sorted(sink.received)
            assert delivered, (len(sink.received), server.output())
            assert late >= 1  # a batch went out across the failover
            # And the wake-up listener LISTENs on the new primary: another writer's event arrives live
            assert listening
            assert live, (subscriber.connection, subscriber.sequences[-5:])


def test_a_url_of_several_servers_reaches_asyncpg_as_lists_with_its_session_attributes() -> None:
    both = "postgresql+asyncpg://app:pw@/db?host=db1:5432&host=db2:5433&target_session_attrs=read-write"
    assert connect_args(both) == {"host": ["db1", "db2"], "port": [5432, 5433], "user": "app", "password": "pw",
                                  "database": "db", "target_session_attrs": "read-write"}
    assert connect_args("postgresql+asyncpg://app:pw@db1:5432/db") == {
        "host": "db1", "port": 5432, "user": "app", "password": "pw", "database": "db"}
