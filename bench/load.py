"""The benchmark's load process: HTTP/1.1 keep-alive POSTs on loopback from N connections for a bounded time.

Run by bench/run.py as a separate process (`python -m bench.load SPEC.json`), so the gateway and the load do
not share an interpreter. Requests are encoded once up front; each connection takes the next body of the
cycle, sends it, reads the whole response, and records its latency. A response that is not 200, or whose
GraphQL result has errors, counts as an error (the first is kept for the report).

The `write` scenario is a cycle per connection, each step one request: a JSON patch of the process name, a
100-item batch rename, a run start, and a submit of a job run that the run start made running. The `mix`
scenario (the soak, bench/soak.py) runs the write cycle on a quarter of the connections and the read cycle
on the others. The `real` scenario is workload (f), like real use (issue 29): see real_use(). With `rate`
(requests/s) every request first waits for its slot of one shared schedule, and
with `interval` (seconds) a JSON line per interval (requests, errors, p99) is printed as it goes.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate, cycle
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
    """One shared schedule of `rate` requests per second until `until`: each request waits for its slot, and
    one whose slot falls after the end is not sent (with more connections than requests in the run, as in the
    paced writes-only pass of (f), the slots would otherwise run on long after it)."""

    def __init__(self, rate: float, until: float) -> None:
        self.gap = 1.0 / rate
        self.next = time.perf_counter()
        self.until = until

    async def wait(self) -> bool:
        """Whether to send: False when the slot is past the end."""
        now = time.perf_counter()
        self.next = max(self.next + self.gap, now - 1.0)  # no catch-up burst after a stall of over a second
        if self.next > self.until:
            return False
        if self.next > now:
            await asyncio.sleep(self.next - now)
        return True


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

    async def request(self, raw: bytes, stats: Stats | None = None, refused: Counter[str] | None = None
                      ) -> bytes | None:
        """Send, read the whole response, and count it in `stats` (the connection's own by default). With
        `refused`, a mutation's payload errors (a rule's refusal, a normal answer) are counted there by code and
        the body returned; only a top-level error or a status other than 200 is an error. None for an error, or
        for a request not sent since its paced slot fell after the end."""
        stats = stats or self.stats
        assert self.reader is not None and self.writer is not None
        if stats.pacer is not None and not await stats.pacer.wait():
            return None
        if self.reader.at_eof():  # the server closed the connection while it was idle (its keep-alive timeout)
            await self.reopen(stats)
        started = time.perf_counter()
        try:
            self.writer.write(raw)
            status, body, closing = await read_response(self.reader)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            # closed as the request went out: not read by the server, so sent again, as HTTP clients do
            await self.reopen(stats)
            started = time.perf_counter()
            self.writer.write(raw)
            status, body, closing = await read_response(self.reader)
        if status == 408 and closing:
            # A proxy's 408 on a connection that sent nothing within its request timeout (HAProxy's `timeout
            # http-request` on a new connection left idle, as the paced writes-only pass of (f) leaves them),
            # written before this request arrived and read as its answer: the request was never received, so
            # it is sent again on a new connection, as HTTP clients do (RFC 9110, 15.5.9).
            await self.reopen(stats)
            started = time.perf_counter()
            self.writer.write(raw)
            status, body, closing = await read_response(self.reader)
        stats.latencies.append(time.perf_counter() - started)
        if closing:  # `Connection: close` (a multi-worker gateway rebalancing): reconnect, as HTTP clients do
            await self.reopen(stats)
        problem = f"HTTP {status}: {body[:300]!r}" if status != 200 else None
        if problem is None:
            errors = graphql_errors(body)
            if errors and refused is not None and not orjson.loads(body).get("errors"):
                refused.update(str(e.get("code")) for e in errors)
                return body
            if errors:
                problem = json.dumps(errors)[:500]
        if problem is not None:
            stats.errors += 1
            stats.first_error = stats.first_error or problem
            return None
        return body

    async def reopen(self, stats: Stats) -> None:
        self.close()
        stats.reconnects += 1
        await self.open()

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


APPROVE = ("mutation Approve($id: ID!) { jobRunApprove(input: {id: $id}) { errors { code message } "
           "run { id status } } }")
SIGN = "mutation Sign($id: ID!) { jobRunSign(input: {id: $id}) { errors { code message } run { id status } } }"
READS = ("tree", "page", "run", "inbox")  # drawn alike
WRITES = ("patch", "rename", "action")  # drawn alike


def zipf_cumulative(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n with P(rank r) proportional to 1 / r**s (for random.choices)."""
    return list(accumulate(1.0 / r**s for r in range(1, n + 1)))


def substitute(template: Any, values: dict[str, Any]) -> Any:
    """The template (a JSON value) with every string "$name" replaced by values["$name"]."""
    if isinstance(template, str):
        return values.get(template, template) if template.startswith("$") else template
    if isinstance(template, dict):
        return {k: substitute(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [substitute(v, values) for v in template]
    return template


def job_action(item: dict[str, Any]) -> str:
    """The mutation a user's inbox item asks of them: approve what waits for approval, sign a certification's
    signer job run, submit the rest (sent or returned to the assignee). Our action names (SEND_TASK) and the peer's
    (sendTask) alike."""
    if str(item["actionStatus"]).upper() == "APPROVAL":
        return APPROVE
    if str(item["action"]).replace("_", "").lower() == "certificationsignergenerated":
        return SIGN
    return SUBMIT


@dataclass
class RealStats:
    """Reads and writes of workload (f) apart: their latencies and errors, each kind's latencies (to see which
    kind costs what), and the writes a rule refused, by code."""

    reads: Stats
    writes: Stats
    kinds: dict[str, list[float]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)


async def real_use(spec: dict[str, Any], stats: RealStats) -> None:
    """Workload (f): one keep-alive connection per user, with the user's own token; each request is a write with
    probability `write_share`, else a read.

    A read is one of READS alike: the process tree of a process drawn by Zipf (exponent `zipf_s`) over the
    processes in a fixed shuffled order, the first page of summaries with the user's own filter, the run tree of
    a run of a process drawn so, or the user's inbox. A write is one of WRITES alike: a JSON patch of the name of
    a process drawn so, a batch rename of 2 to 5 of its groups and jobs, or the job action that the first item
    of the user's inbox asks for (submit, approve or sign; a patch when it is empty): the inbox as the driver
    gave it (`inbox` of each user, read before the run) or as the user's last inbox read answered, less the
    items acted on since. Each user's draws are seeded (`seed` and the user's index). Reads go to `read_target`
    with the `reads` query texts and variable templates, writes always to `write_target` (our gateway, with the
    user's token)."""
    deadline = time.perf_counter() + spec["duration"]
    processes = spec["processes"]  # [id, name, [run ids], [[kind, node id], ...]]
    order = list(range(len(processes)))
    random.Random(spec["seed"]).shuffle(order)  # Zipf rank -> process: the hot ones spread over the names
    weights = zipf_cumulative(len(processes), spec["zipf_s"])
    reads, writes = spec["read_target"], spec["write_target"]
    same = reads == writes

    def raw(target: dict[str, Any], token: str | None, query: str, variables: dict[str, Any]) -> bytes:
        body = orjson.dumps({"query": query, "variables": variables})
        return encode(target["host"], target["port"], target["path"], body, token if target["token"] else None)

    async def user(k: int) -> None:
        me = spec["users"][k]
        token = me["$token"]
        rng = random.Random(spec["seed"] * 1_000_003 + k)
        write_conn = Connection(writes["host"], writes["port"], writes["path"], token, stats.writes)
        read_conn = write_conn if same else Connection(reads["host"], reads["port"], reads["path"], None, stats.reads)
        await write_conn.open()
        if not same:
            await read_conn.open()
        inbox: list[dict[str, Any]] = list(me["inbox"])
        n = 0
        try:
            while time.perf_counter() < deadline:
                n += 1
                process = processes[order[rng.choices(range(len(processes)), cum_weights=weights)[0]]]
                started = time.perf_counter()
                if rng.random() < spec["write_share"]:
                    kind = rng.choice(WRITES)
                    if kind == "action" and not inbox:
                        kind = "patch"
                    if kind == "patch":
                        request = raw(writes, token, PATCH, {"id": process[0], "ops": [
                            {"op": "replace", "path": "/name", "value": f"{process[1]} u{k} n{n}"}]})
                    elif kind == "rename":
                        picked = rng.sample(process[3], min(len(process[3]), rng.randint(2, 5)))
                        request = raw(writes, token, BATCH, {"id": process[0], "data": [
                            {"type": "GROUP_NAME", "groupNameUpdate": {"id": i, "newName": f"G u{k} n{n}"}}
                            if t == "GROUP" else {"type": "JOB_NAME", "jobNameUpdate": {"id": i, "newName": f"J u{k} n{n}"}}
                            for t, i in picked]})
                    else:
                        item = inbox.pop(0)
                        request = raw(writes, token, job_action(item), {"id": item["id"]})
                    await write_conn.request(request, stats.writes, stats.refused)
                else:
                    kind = rng.choice(READS)
                    query, template = spec["reads"][kind]
                    values = {**me, "$process": process[0], "$run": rng.choice(process[2])}
                    body = await read_conn.request(raw(reads, token, query, substitute(template, values)), stats.reads)
                    if kind == "inbox" and body is not None:
                        found: Any = orjson.loads(body)["data"]
                        for key in spec["inbox_path"]:
                            found = found[key]
                        inbox = list(found)
                stats.kinds.setdefault(kind, []).append(time.perf_counter() - started)
        finally:
            write_conn.close()
            if not same:
                read_conn.close()

    await asyncio.gather(*(user(k) for k in range(len(spec["users"]))))


def summary(stats: Stats, seconds: float) -> dict[str, Any]:
    """Requests, errors, the first error, req/s, p50 and p99 of one set of requests."""
    lat = sorted(stats.latencies)
    return {"requests": len(lat), "errors": stats.errors, "first_error": stats.first_error,
            "reconnects": stats.reconnects, "rps": len(lat) / seconds if seconds else 0.0,
            "p50_ms": percentile(lat, 0.50) * 1000, "p99_ms": percentile(lat, 0.99) * 1000}


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
    pacer = Pacer(spec["rate"], until=time.perf_counter() + spec["duration"]) if spec.get("rate") else None
    stats = Stats(pacer=pacer)
    if spec.get("scenario") == "real":
        real = RealStats(reads=Stats(), writes=Stats(pacer=stats.pacer))
        started = time.perf_counter()
        await real_use(spec, real)
        seconds = time.perf_counter() - started
        both = Stats(latencies=real.reads.latencies + real.writes.latencies,
                     errors=real.reads.errors + real.writes.errors,
                     first_error=real.reads.first_error or real.writes.first_error,
                     reconnects=real.reads.reconnects + real.writes.reconnects)
        return {**summary(both, seconds), "seconds": seconds, "reads": summary(real.reads, seconds),
                "writes": summary(real.writes, seconds), "refused": dict(real.refused),
                "kinds": {kind: {"requests": len(lat), "p50_ms": percentile(sorted(lat), 0.50) * 1000}
                          for kind, lat in real.kinds.items()}}
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
    return {**summary(stats, seconds), "seconds": seconds}


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    run = uvloop.run if uvloop is not None else asyncio.run
    print(json.dumps(run(main_async(spec))), flush=True)


if __name__ == "__main__":
    main()
