"""Live-event benchmark: delivery latency across two gateway processes on PostgreSQL, and the memory of a
gateway holding stalled subscribers. Prints a table. Run with scripts/bench-live."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets
from sqlalchemy.engine import make_url
from websockets.typing import Subprotocol

from app import migrate
from app.auth.service import create_token, create_user
from app.db import create_engine
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, ROOT, Settings
from bench.procs import free_port

SUB = "subscription($id: ID!, $after: Int!) { runEvents(runId: $id, afterSequence: $after) { sequence comment } }"


def serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "DEV_MODE": "false",
           "RATE_LIMIT_PER_SECOND": "0", "LOG_LEVEL": "WARNING", "SUBSCRIPTION_STALL_SECONDS": "2",
           "SUBSCRIPTION_BUFFER_EVENTS": os.environ.get("SUBSCRIPTION_BUFFER_EVENTS", "1000"),
           "MAX_SUBSCRIPTIONS_PER_TOKEN": "1000"}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


async def wait_up(base: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(f"{base}/graphql", headers={"Accept": "text/html"})).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stalled_subscriber(port: int, token: str, run_id: str) -> Any:
    """A raw-socket graphql-transport-ws subscriber with a 4 KiB receive buffer that never reads."""
    from websockets.client import ClientProtocol
    from websockets.uri import parse_uri

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect, or the window is already open
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    proto = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/graphql"),
                           subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None)
    proto.send_request(proto.connect())
    for chunk in proto.data_to_send():
        sock.sendall(chunk)
    acked = False
    while not acked:
        proto.receive_data(sock.recv(4096))
        for event in proto.events_received():
            data = getattr(event, "data", None)
            if data and json.loads(bytes(data)).get("type") == "connection_ack":
                acked = True
        if proto.handshake_exc is None and not acked and not getattr(proto, "_sent_init", False):
            proto.send_text(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}).encode())
            proto._sent_init = True  # type: ignore[attr-defined]
            for chunk in proto.data_to_send():
                sock.sendall(chunk)
    proto.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": SUB, "variables": {"id": run_id, "after": 0}}}).encode())
    for chunk in proto.data_to_send():
        sock.sendall(chunk)
    return sock, proto


def drain_close_code(client: Any) -> int | None:
    sock, proto = client
    sock.settimeout(3)
    try:
        while proto.close_rcvd is None:
            data = sock.recv(1 << 16)
            if not data:
                break
            proto.receive_data(data)
            list(proto.events_received())
    except OSError:  # timed out waiting: counted as not closed
        pass
    finally:
        sock.close()
    return None if proto.close_rcvd is None else int(proto.close_rcvd.code)


async def gql(http: httpx.AsyncClient, base: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    r = await http.post(f"{base}/graphql", headers={"Authorization": f"Bearer {token}"},
                        json={"query": query, "variables": variables})
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def main(args: argparse.Namespace) -> None:
    admin_url = args.database_url
    name = "bench_live"
    u = make_url(admin_url)
    dsn = f"postgresql://{u.username}:{u.password}@{u.host}:{u.port}/{u.database}"
    conn = await asyncpg.connect(dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    url = u.set(database=name).render_as_string(hide_password=False)
    settings = Settings(database_url=url)
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    _, manager = await create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    ann = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Ann", email="ann@x")
    _, ann_token = await create_token(engine, user_id=ann, scopes=["read", "write"])
    await engine.dispose()
    logs = Path("var/bench")
    logs.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before any server starts)
    ports = [free_port(), free_port()]
    servers = [serve(url, p, logs / f"live-{i}.log") for i, p in enumerate(ports)]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    rows: list[tuple[str, str]] = []
    try:
        for b in bases:
            await wait_up(b)
        async with httpx.AsyncClient(timeout=60) as http:
            root = {"name": "R", "parallel": True, "children": [
                {"job": {"arguments": {"sendTask": {"title": f"t{i}", "assignee": ann}}}} for i in range(args.actions)]}
            pid = (await gql(http, bases[0], manager, "mutation($i: ProcessCreateInput!) { processCreate(input: $i) "
                             "{ process { id } } }", {"i": {"name": "bench", "root": root}}))["processCreate"]["process"]["id"]
            run = (await gql(http, bases[0], manager, "mutation($id: ID!) { runStart(input: {processId: $id}) { run { id "
                             "nodes { ... on JobRun { id name } } } } }", {"id": pid}))["runStart"]["run"]
            jobs = [n["id"] for n in run["nodes"] if n]
            latencies: list[float] = []
            async with websockets.connect(f"ws://127.0.0.1:{ports[0]}/graphql",
                                          subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {manager}"}}))
                await ws.recv()
                events = await gql(http, bases[0], manager, "query($id: ID!) { processRun(id: $id) { events(first: 1000) "
                                   "{ edges { node { sequence } } } } }", {"id": run["id"]})
                current = events["processRun"]["events"]["edges"][-1]["node"]["sequence"]
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": SUB, "variables": {"id": run["id"], "after": current}}}))
                await asyncio.sleep(0.5)
                for job in jobs:
                    t0 = time.perf_counter()
                    await gql(http, bases[1], ann_token, "mutation($id: ID!) { jobRunSubmit(input: {id: $id}) "
                              "{ errors { code } } }", {"id": job})
                    # the submit's first event, delivered through the other process
                    await ws.recv()
                    latencies.append((time.perf_counter() - t0) * 1000)
                    while True:  # the rest of this submit's events
                        try:
                            await asyncio.wait_for(ws.recv(), 0.05)
                        except TimeoutError:
                            break
            latencies.sort()
            rows.append(("delivery across processes, submit to first event (ms) p50",
                         f"{statistics.median(latencies):.1f}"))
            rows.append(("delivery across processes (ms) p99", f"{latencies[int(len(latencies) * 0.99) - 1]:.1f}"))
        # memory with stalled subscribers: a run with ~8 MB of events, subscribers that never read
        filler = "x" * 2000
        conn = await asyncpg.connect(f"postgresql://{u.username}:{u.password}@{u.host}:{u.port}/{name}")
        seq = await conn.fetchval("SELECT event_seq FROM process_run WHERE id = $1", run["id"])
        await conn.executemany(
            "INSERT INTO run_event (id, run_id, seq, node_id, node_kind, field, from_value, to_value, at, comment) "
            "VALUES ($1, $2, $3, $4, 'job', 'status', 'running', 'running', now(), $5)",
            [(os.urandom(16).hex(), run["id"], seq + i, jobs[0], filler) for i in range(1, 4001)])
        await conn.execute("UPDATE process_run SET event_seq = $1 WHERE id = $2", seq + 4000, run["id"])
        await conn.close()
        before = rss_kib(servers[0].pid)
        stalled = [await asyncio.to_thread(stalled_subscriber, ports[0], manager, run["id"]) for _ in range(args.stalled)]
        peak = before
        closed_at = None
        t0 = time.perf_counter()
        for _ in range(16):
            await asyncio.sleep(0.5)
            peak = max(peak, rss_kib(servers[0].pid))
        rows.append((f"gateway RSS idle / with {args.stalled} stalled subscribers, peak (MiB)",
                     f"{before / 1024:.1f} / {peak / 1024:.1f}"))
        codes = [await asyncio.to_thread(drain_close_code, s) for s in stalled]
        rows.append(("stalled subscribers closed with 4008", f"{codes.count(4008)} of {len(codes)}"))
        del closed_at, t0
    finally:
        for p in servers:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-|------")
    for k, v in rows:
        print(f"{k:<{width}} | {v}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("PROCESSGRAPH_BENCH_PG_URL", ""))
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--stalled", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
