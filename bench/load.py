"""The benchmark's load process: HTTP/1.1 keep-alive POSTs on loopback from N connections for a bounded time.

Run by bench/run.py as a separate process (`python -m bench.load SPEC.json`), so the gateway and the load do
not share an interpreter. Requests are encoded once up front; each connection takes the next body of the
cycle, sends it, reads the whole response, and records its latency. A response that is not 200, or whose
GraphQL result has errors, counts as an error (the first is kept for the report).

The `write` scenario is a cycle per connection, each step one request: a JSON patch of the process name, a
100-item batch rename, a run start, and a submit of a job run that the run start made running. The `mix`
scenario (the soak, bench/soak.py) runs the write cycle on a quarter of the connections and the read cycle
on the others. With `rate` (requests/s) every request first waits for its slot of one shared schedule, and
with `interval` (seconds) a JSON line per interval (requests, errors, p99) is printed as it goes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
    uvloop = None  # type: ignore[assignment]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    reconnects: int = 0
    pacer: Pacer | None = None


class Pacer:
    """One shared schedule of `rate` requests per second: each request waits for its slot."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self.next = time.perf_counter()

    async def wait(self) -> None:
        now = time.perf_counter()
        self.next = max(self.next + self.gap, now - 1.0)  # no catch-up burst after a stall of over a second
        if self.next > now:
            await asyncio.sleep(self.next - now)


def encode(host: str, port: int, path: str, body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\n{auth}Content-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection after this response)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    chunked = False
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            closing = True
    if length is not None:
        return status, await reader.readexactly(length), closing
    if chunked:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(parts), closing
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    raise RuntimeError("response without length")


def graphql_errors(body: bytes) -> Any:
    """Top-level errors, or errors in any mutation payload; None when the result is clean."""
    if b'"errors"' not in body:
        return None
    doc = orjson.loads(body)
    if doc.get("errors"):
        return doc["errors"]
    for value in (doc.get("data") or {}).values():
        if isinstance(value, dict) and value.get("errors"):
            return value["errors"]
    return None


class Connection:
    def __init__(self, host: str, port: int, path: str, token: str | None, stats: Stats) -> None:
        self.host, self.port, self.path, self.token, self.stats = host, port, path, token, stats
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, raw: bytes) -> bytes | None:
        assert self.reader is not None and self.writer is not None
        if self.stats.pacer is not None:
            await self.stats.pacer.wait()
        started = time.perf_counter()
        self.writer.write(raw)
        status, body, closing = await read_response(self.reader)
        self.stats.latencies.append(time.perf_counter() - started)
        if closing:  # `Connection: close` (a multi-worker gateway rebalancing): reconnect, as HTTP clients do
            self.close()
            self.stats.reconnects += 1
            await self.open()
        problem = f"HTTP {status}: {body[:300]!r}" if status != 200 else None
        if problem is None:
            errors = graphql_errors(body)
            if errors:
                problem = json.dumps(errors)[:500]
        if problem is not None:
            self.stats.errors += 1
            self.stats.first_error = self.stats.first_error or problem
            return None
        return body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def read_cycle(spec: dict[str, Any], stats: Stats) -> None:
    bodies = [encode(spec["host"], spec["port"], spec["path"], orjson.dumps(b), spec.get("token"))
              for b in spec["bodies"]]
    source = cycle(bodies)
    deadline = time.perf_counter() + spec["duration"]

    async def worker() -> None:
        conn = Connection(spec["host"], spec["port"], spec["path"], spec.get("token"), stats)
        await conn.open()
        try:
            while time.perf_counter() < deadline:
                await conn.request(next(source))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))


PATCH = ("mutation Patch($id: ID!, $ops: [PatchOperationInput!]!) { processPatch(input: {id: $id, operations: $ops}) "
         "{ errors { code message } process { id revision } } }")
BATCH = ("mutation BatchRename($id: ID!, $data: [BatchUpdateItemInput!]!) { processBatchUpdate(input: {id: $id, "
         "data: $data}) { errors { code message } process { id revision } } }")
START = ("mutation RunStart($id: ID!) { runStart(input: {processId: $id}) { errors { code message } "
         "run { id status nodes { __typename ... on JobRun { id action status } } } } }")
SUBMIT = ("mutation Submit($id: ID!) { jobRunSubmit(input: {id: $id}) { errors { code message } "
          "run { id status } } }")


async def write_cycle(spec: dict[str, Any], stats: Stats) -> None:
    """Per connection, on its own process: patch, batch rename, run start, submit; repeated."""
    deadline = time.perf_counter() + spec["duration"]
    host, port, path, token = spec["host"], spec["port"], spec["path"], spec.get("token")

    def raw(query: str, variables: dict[str, Any]) -> bytes:
        return encode(host, port, path, orjson.dumps({"query": query, "variables": variables}), token)

    async def worker(k: int) -> None:
        pid, nodes, name = spec["targets"][k % len(spec["targets"])]
        conn = Connection(host, port, path, token, stats)
        await conn.open()
        n = 0
        try:
            while time.perf_counter() < deadline:
                n += 1
                await conn.request(raw(PATCH, {"id": pid, "ops": [
                    {"op": "replace", "path": "/name", "value": f"{name} r{n}"}]}))
                data = []
                for kind, node_id in nodes[:100]:
                    if kind == "GROUP":
                        data.append({"type": "GROUP_NAME", "groupNameUpdate": {"id": node_id, "newName": f"G{n}"}})
                    else:
                        data.append({"type": "JOB_NAME", "jobNameUpdate": {"id": node_id, "newName": f"J{n}"}})
                await conn.request(raw(BATCH, {"id": pid, "data": data}))
                body = await conn.request(raw(START, {"id": pid}))
                if body is None:
                    continue
                run = orjson.loads(body)["data"]["runStart"]["run"]
                running = [j["id"] for j in run["nodes"] if j.get("action") == "SEND_TASK" and j["status"] == "RUNNING"]
                if running:
                    await conn.request(raw(SUBMIT, {"id": running[0]}))
        finally:
            conn.close()

    await asyncio.gather(*(worker(k) for k in range(spec["concurrency"])))


async def report_intervals(stats: Stats, interval: float) -> None:
    """A JSON line per interval: requests, errors and p99 of the requests finished in it."""
    done, errors, started = 0, 0, time.perf_counter()
    while True:
        await asyncio.sleep(interval)
        latencies = sorted(stats.latencies[done:])
        done += len(latencies)
        print(json.dumps({"interval": True, "t": round(time.perf_counter() - started, 1), "requests": len(latencies),
                          "rps": len(latencies) / interval, "errors": stats.errors - errors,
                          "p99_ms": percentile(latencies, 0.99) * 1000}), flush=True)
        errors = stats.errors


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def main_async(spec: dict[str, Any]) -> dict[str, Any]:
    stats = Stats(pacer=Pacer(spec["rate"]) if spec.get("rate") else None)
    reporter = asyncio.create_task(report_intervals(stats, spec["interval"])) if spec.get("interval") else None
    started = time.perf_counter()
    if spec.get("scenario") == "write":
        await write_cycle(spec, stats)
    elif spec.get("scenario") == "mix":
        writers = max(1, spec["concurrency"] // 4)
        await asyncio.gather(write_cycle({**spec, "concurrency": writers}, stats),
                             read_cycle({**spec, "concurrency": spec["concurrency"] - writers}, stats))
    else:
        await read_cycle(spec, stats)
    seconds = time.perf_counter() - started
    if reporter is not None:
        reporter.cancel()
    lat = sorted(stats.latencies)
    return {"requests": len(lat), "errors": stats.errors, "first_error": stats.first_error, "seconds": seconds,
            "reconnects": stats.reconnects,
            "rps": len(lat) / seconds if seconds else 0.0, "p50_ms": percentile(lat, 0.50) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000}


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    run = uvloop.run if uvloop is not None else asyncio.run
    print(json.dumps(run(main_async(spec))), flush=True)


if __name__ == "__main__":
    main()
