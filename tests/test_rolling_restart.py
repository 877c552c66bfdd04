"""Rolling restart behind the real load balancer (issue 15, point 2): three gateways behind HAProxy
(bench/cluster.py, what scripts/cluster starts) under constant load — reads, run actions, and live `runEvents`
subscribers that reconnect with their last sequence when closed with 1012 — while each gateway in turn gets
SIGTERM, drains, exits and starts again. Nothing may fail, no run transition may be lost or doubled, and every
subscriber receives every event of its run exactly once across its reconnects.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.lifecycle import RESTART_CLOSE_CODE
from app.settings import DEV_USER_ID
from bench import cluster
from bench.procs import free_port
from tests.factories import CREATE
from tests.run.helpers import EVENTS, task

START = "mutation($id: ID!) { runStart(input: {processId: $id}) { errors { code message } run { id nodes { " \
        "__typename ... on JobRun { id status } } } } }"
SUBMIT = "mutation($input: RunActionInput!) { jobRunSubmit(input: $input) { errors { code message } run { id } } }"
READ = "query($id: ID!) { process(id: $id) { id name root { children { __typename } } } " \
       "processes(first: 5) { edges { node { id name } } } }"
RUNS = "query($id: ID!) { process(id: $id) { runs(first: 1000) { edges { node { id } } } } }"
SUB = "subscription($id: ID!, $after: Int!) { runEvents(runId: $id, afterSequence: $after) { sequence nodeId field toValue } }"
JOBS = 12


@dataclass
class Ledger:
    """What the clients saw."""

    failures: list[str] = field(default_factory=list)
    requests: int = 0
    runs_started: list[str] = field(default_factory=list)
    jobs: dict[str, set[str]] = field(default_factory=dict)  # run id -> its job runs
    submitted: dict[str, list[str]] = field(default_factory=dict)  # run id -> job runs answered as submitted
    received: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)  # run id -> events seen
    restart_closes: int = 0


async def post(http: httpx.AsyncClient, ledger: Ledger, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
    ledger.requests += 1
    try:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
    except httpx.HTTPError as exc:
        ledger.failures.append(f"{type(exc).__name__}: {exc}")
        return None
    body = response.json() if "json" in response.headers.get("content-type", "") else None
    payloads = list(((body or {}).get("data") or {}).values())
    errors = (body or {}).get("errors") or any(isinstance(p, dict) and p.get("errors") for p in payloads)
    if response.status_code != 200 or errors or body is None:
        ledger.failures.append(f"HTTP {response.status_code}: {response.text[:300]}")
        return None
    return dict(body["data"])


async def reader(http: httpx.AsyncClient, ledger: Ledger, process_id: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await post(http, ledger, READ, {"id": process_id})
        ledger.requests += 1
        try:  # a GET query too: HAProxy may retry these on another gateway
            response = await http.get("/graphql", params={"query": "{ viewer { user { id } } }"})
            if response.status_code != 200 or "errors" in response.json():
                ledger.failures.append(f"GET: HTTP {response.status_code}: {response.text[:300]}")
        except httpx.HTTPError as exc:
            ledger.failures.append(f"GET: {type(exc).__name__}: {exc}")


async def actor(http: httpx.AsyncClient, ledger: Ledger, process_id: str, stop: asyncio.Event,
                follow: Any) -> None:
    """Start runs and submit each of their jobs, one request at a time."""
    while not stop.is_set():
        data = await post(http, ledger, START, {"id": process_id})
        if data is None:
            continue
        run = data["runStart"]["run"]
        ledger.runs_started.append(run["id"])
        ledger.jobs[run["id"]] = {n["id"] for n in run["nodes"] if n["__typename"] == "JobRun"}
        done = ledger.submitted.setdefault(run["id"], [])
        follow(run["id"])
        for job in [n for n in run["nodes"] if n["__typename"] == "JobRun" and n["status"] == "RUNNING"]:
            if stop.is_set():
                break
            if await post(http, ledger, SUBMIT, {"input": {"id": job["id"]}}) is not None:
                done.append(job["id"])
            await asyncio.sleep(0.02)


async def subscriber(address: str, token: str, ledger: Ledger, run_id: str, final: dict[str, int],
                     stop: asyncio.Event) -> None:
    """Follow one run; on close code 1012 reconnect through the balancer after the last sequence received."""
    seen = ledger.received.setdefault(run_id, [])
    while True:
        last = seen[-1][0] if seen else 0
        if stop.is_set() and run_id in final and last >= final[run_id]:
            return
        try:
            async with websockets.connect(f"ws://{address}/graphql", open_timeout=10,
                                          subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
                ack = json.loads(await ws.recv())
                assert ack["type"] == "connection_ack", ack
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": SUB, "variables": {"id": run_id, "after": last}}}))
                while True:
                    if stop.is_set() and run_id in final and (seen[-1][0] if seen else 0) >= final[run_id]:
                        return
                    try:
                        async with asyncio.timeout(0.5):
                            message = json.loads(await ws.recv())
                    except TimeoutError:
                        continue
                    if message["type"] != "next":
                        ledger.failures.append(f"subscription {run_id}: {message}")
                        return
                    event = message["payload"]["data"]["runEvents"]
                    seen.append((event["sequence"], event["nodeId"], event["field"], event["toValue"]))
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code != RESTART_CLOSE_CODE:
                ledger.failures.append(f"subscription {run_id} closed with {code}: {exc}")
                return
            ledger.restart_closes += 1
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            ledger.failures.append(f"subscription {run_id} could not connect: {exc!r}")
            return


@pytest.mark.once(backend="postgresql")
@pytest.mark.timeout(240)
async def test_rolling_restart_behind_haproxy_loses_nothing(backend: str, db_url: str, token: str,
                                                            tmp_path: Path) -> None:
    # Given three gateways behind HAProxy, checking /readyz every 500 ms, each settling 2 s after SIGTERM
    state = tmp_path / "c"
    env = {"SHUTDOWN_SETTLE_SECONDS": "2", "DRAIN_TIMEOUT_SECONDS": "20", "RATE_LIMIT_PER_SECOND": "0",
           "MAX_SUBSCRIPTIONS_PER_TOKEN": "1000", "GRAPHIQL": "false"}
    started = time.monotonic()
    try:
        lb = await asyncio.to_thread(cluster.start, gateways=3, port=free_port(), state_dir=state,
                                     database_url=db_url, env=env, check_ms=500)
        address = f"127.0.0.1:{lb.port}"
        async with httpx.AsyncClient(base_url=lb.url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=30) as http:
            created = await http.post("/graphql", json={"query": CREATE, "variables": {"input": {
                "name": "Rolling", "root": {"name": "R", "parallel": True,
                                            "children": [task(f"t{i}", DEV_USER_ID) for i in range(JOBS)]}}}})
            process_id = created.json()["data"]["processCreate"]["process"]["id"]

            # When reads, run actions and subscribers run while each gateway restarts in turn
            ledger, stop, final = Ledger(), asyncio.Event(), dict[str, int]()
            followers: list[asyncio.Task[None]] = []

            def follow(run_id: str) -> None:
                followers.append(asyncio.create_task(subscriber(address, token, ledger, run_id, final, stop)))

            load = [asyncio.create_task(reader(http, ledger, process_id, stop)) for _ in range(2)]
            load += [asyncio.create_task(actor(http, ledger, process_id, stop, follow)) for _ in range(3)]
            await asyncio.sleep(2)
            for index in range(3):
                await asyncio.to_thread(cluster.restart_gateway, lb, index)
                await asyncio.to_thread(cluster.wait_routed, lb)
                await asyncio.sleep(1)
            stop.set()
            async with asyncio.timeout(30):
                await asyncio.gather(*load)

            # The stored events of every run the clients started
            stored: dict[str, list[tuple[int, str, str, str]]] = {}
            for run_id in ledger.runs_started:
                data = (await http.post("/graphql", json={"query": EVENTS, "variables": {"id": run_id}})).json()
                stored[run_id] = [(e["node"]["sequence"], e["node"]["nodeId"], e["node"]["field"], e["node"]["toValue"])
                                  for e in data["data"]["processRun"]["events"]["edges"]]
                final[run_id] = stored[run_id][-1][0]
            async with asyncio.timeout(30):
                await asyncio.gather(*followers)
            runs = (await http.post("/graphql", json={"query": RUNS, "variables": {"id": process_id}})).json()
            stored_runs = {e["node"]["id"] for e in runs["data"]["process"]["runs"]["edges"]}
    finally:
        await asyncio.to_thread(cluster.stop, state)
    for index in range(3):
        print(f"gateway{index + 1} log:\n" + (state / f"gateway{index + 1}.log").read_text()[-1500:])
    print(f"{ledger.requests} requests, {len(ledger.runs_started)} runs, "
          f"{sum(len(s) for s in ledger.submitted.values())} submits, {ledger.restart_closes} reconnects after 1012, "
          f"{time.monotonic() - started:.1f} s")

    # Then no request failed
    assert ledger.failures == []
    assert ledger.requests > 100 and ledger.restart_closes > 0
    # and each run started once per answer, each answered submit completed its job exactly once, and no
    # job completed without an answered submit
    assert stored_runs == set(ledger.runs_started)
    for run_id, events in stored.items():
        completed = [node for _seq, node, fld, value in events
                     if fld == "status" and value == "complete" and node in ledger.jobs[run_id]]
        assert sorted(completed) == sorted(ledger.submitted[run_id]), run_id
        # and every subscriber received exactly the stored events, each once, in order, across reconnects
        assert ledger.received[run_id] == events, run_id
        assert [e[0] for e in events] == list(range(1, len(events) + 1))
