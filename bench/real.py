"""`scripts/bench --workloads f`: workload (f), like real use (issue 29, point 3).

Its own dataset in its own database (bench/dataset.py build_real: 2,000 processes, 200 users of one workspace,
each with a token of their own, 2 started runs per process), its own gateway (one process, `--workers N` or
`--cluster N`), and one keep-alive connection per user (bench/load.py real_use): 90% reads, a process tree, a
page of summaries with the user's own filter, a run tree or the user's inbox, their process drawn by Zipf
(s = 1) over the processes; 10% writes, a patch of a process's name, a batch rename of 2 to 5 of its groups and
jobs, or the job action the user's inbox asks for (submit, approve or sign).

A user's own filter is what a user types in the list's search box: a part of a process name,
`process 00` .. `process 19` (the name of the user's "home" process, drawn by the same Zipf, less its last two
digits), which keeps 100 of the 2,000 processes, a page of 50 of them shown.

CPU per read, ours and the peer's, same run, in three passes of `--duration` each:
1. ours: reads and writes on our gateway; its gateway and database CPU, the reads' and writes' latencies, the
   caches' hit rates (/metrics before and after) and the peak RSS;
2. writes only, on our gateway, paced at the write rate of pass 1: gateway and database CPU per write;
3. the peer: the same users and draws, reads to PostGraphile 5, writes to our gateway (so the data changes the
   same way); the peer's CPU and the database's.
The database's CPU is that of the backends connected to (f)'s database (bench/run.py BackendCpu): on a shared
machine the same PostgreSQL server runs others' tests, which the whole server's CPU would count.
Ours per read = (pass 1 gateway+database CPU - pass 1 writes x pass 2 CPU per write) / pass 1 reads; the peer's
per read = (pass 3 peer CPU + pass 3 database CPU - pass 3 writes x pass 2 database CPU per write) / pass 3 reads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from app import migrate
from app.db import create_engine
from app.settings import ROOT, load_settings
from bench import dataset
from bench.load import zipf_cumulative
from bench.procs import free_port
from bench.run import (
    VAR,
    BackendCpu,
    Row,
    RssSampler,
    Server,
    clustered,
    cpu_seconds,
    drive,
    gateway,
    log,
    pooled,
    query,
)

SEED = 29
WRITE_SHARE = 0.1
ZIPF_S = 1.0
PAGE = ROOT / "bench" / "workloads" / "f" / "page.graphql"
INBOX = ROOT / "bench" / "workloads" / "f" / "inbox.graphql"
# /metrics: each cache's lookups by result, and which results are hits
CACHES = {"tree cache (trees, run trees, pages)": ("processgraph_tree_cache_lookups", ("hit",), ("miss",)),
          "kept answers": ("processgraph_answer_cache_lookups", ("given",), ("changed", "none")),
          "token cache": ("processgraph_token_cache_lookups", ("hit",), ("miss",))}


# ---- the dataset ----

def database(args: argparse.Namespace) -> tuple[str, str]:
    """(SQLAlchemy URL of (f)'s own database, manifest key): var/bench/bench-f.db, the local cluster's
    processgraph_bench_f, or with --database-url that URL's database name with `_f` appended (it must exist)."""
    if args.sqlite:
        VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{VAR / 'bench-f.db'}", "sqlite-f"
    if args.database_url:
        given = make_url(args.database_url)
        return given.set(database=f"{given.database}_f").render_as_string(hide_password=False), "postgresql-f"
    url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], env={**os.environ, "PG_DB": "processgraph_bench_f"},
                         check=True, capture_output=True, text=True).stdout.strip()
    return url, "postgresql-f"


def prepare(url: str, key: str, args: argparse.Namespace) -> dataset.RealManifest:
    """The dataset of (f), reused when its manifest matches (as bench/run.py prepare does for the standard one)."""
    settings = load_settings({"DATABASE_URL": url})
    migrate.upgrade(settings)
    path = VAR / f"{key}.manifest.json"

    async def ensure() -> dataset.RealManifest:
        engine = create_engine(settings)
        try:
            if path.exists() and not args.rebuild:
                m = dataset.RealManifest.from_json(path.read_text())
                if (m.shape == dataset.REAL_SHAPE_VERSION and m.processes == args.real_processes
                        and m.users == args.real_users and await dataset.matches(engine, m)):
                    log(f"reusing the dataset of (f) in {key} (built in {m.build_seconds} s)")
                    return m
            log(f"building the dataset of (f): {args.real_processes} processes, {args.real_users} users")

            def progress(done: int, total: int) -> None:
                if done % 200 == 0 or done == total:
                    log(f"  {done}/{total} processes")

            m = await dataset.build_real(engine, processes=args.real_processes, users=args.real_users,
                                         progress=progress)
            path.write_text(m.to_json())
            log(f"dataset of (f) built in {m.build_seconds} s")
            return m
        finally:
            await engine.dispose()

    VAR.mkdir(parents=True, exist_ok=True)
    return asyncio.run(ensure())


# ---- the load's spec ----

def filters(m: dataset.RealManifest) -> list[str]:
    """Each user's own filter: the name of a process drawn by Zipf (the load's shuffled order), less its last two
    digits (`process 00` keeps `Bench process 0000` .. `0099`)."""
    order = list(range(m.processes))
    random.Random(SEED).shuffle(order)
    weights = zipf_cumulative(m.processes, ZIPF_S)
    out = []
    for k in range(m.users):
        home = order[random.Random(SEED * 7919 + k).choices(range(m.processes), cum_weights=weights)[0]]
        out.append(f"process {home:04d}"[:-2])
    return out


def spec(m: dataset.RealManifest, inboxes: list[list[dict[str, Any]]], *, reads: Server, writes: Server,
         peer: bool) -> dict[str, Any]:
    """The load's spec of (f): the users (token, id, filter, inbox), the processes, the read queries with their
    variable templates (ours, or the peer's equivalents) and where reads and writes go."""
    from bench import peer_postgraphile

    if peer:
        a, d = peer_postgraphile.workloads()["a"], peer_postgraphile.workloads()["d"]
        extra = peer_postgraphile.real_workloads()
        queries = {"tree": [a, {"id": "$process"}], "page": [extra["page"], {"workspaceId": "$workspace",
                                                                             "like": "$like"}],
                   "run": [d, {"id": "$run"}], "inbox": [extra["inbox"], {"userId": "$user",
                                                                          "workspaceId": "$workspace"}]}
        inbox_path = ["allJobRuns", "nodes"]
    else:
        queries = {"tree": [query("a"), {"id": "$process"}], "page": [PAGE.read_text(), {"filter": "$filter"}],
                   "run": [query("d"), {"id": "$run"}], "inbox": [INBOX.read_text(), {}]}
        inbox_path = ["viewer", "jobRuns"]
    users = [{"$token": token, "$user": user, "$workspace": m.workspace_id, "$filter": f,
              "$like": f"%{f.casefold()}%", "inbox": inbox}  # a filter has no LIKE wildcard to escape
             for token, user, f, inbox in zip(m.tokens, m.user_ids, filters(m), inboxes, strict=True)]
    processes = [[pid, f"Bench process {i:04d}", runs, renames]
                 for i, (pid, runs, renames) in enumerate(zip(m.process_ids, m.run_ids, m.rename_ids, strict=True))]

    def target(server: Server) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": server.port, "path": "/graphql", "token": server.token is not None}

    return {"scenario": "real", "seed": SEED, "zipf_s": ZIPF_S, "write_share": WRITE_SHARE, "users": users,
            "processes": processes, "reads": queries, "inbox_path": inbox_path, "read_target": target(reads),
            "write_target": target(writes), "concurrency": len(users)}


def inboxes(server: Server, m: dataset.RealManifest) -> list[list[dict[str, Any]]]:
    """Every user's inbox now (id, action, actionStatus of each item), read through our gateway before a pass, so
    that the users' job actions act on what waits for them."""
    text = INBOX.read_text()

    async def read_all() -> list[list[dict[str, Any]]]:
        limit = asyncio.Semaphore(16)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            async def one(token: str) -> list[dict[str, Any]]:
                for _ in range(30):  # behind HAProxy, gateways a load left busy may be out for a few checks
                    async with limit:
                        answer = await client.post("/graphql", json={"query": text},
                                                   headers={"Authorization": f"Bearer {token}"})
                    if answer.status_code != 503:
                        break
                    await asyncio.sleep(1.0)
                if answer.status_code != 200:
                    raise RuntimeError(f"(f) reading an inbox: HTTP {answer.status_code}: {answer.text[:300]}")
                return [{k: j[k] for k in ("id", "action", "actionStatus")}
                        for j in answer.json()["data"]["viewer"]["jobRuns"]]

            return list(await asyncio.gather(*(one(t) for t in m.tokens)))

    return asyncio.run(read_all())


# ---- the passes ----

def metric_values(text: str) -> dict[str, tuple[float, float]]:
    """(hits, misses) of each cache of CACHES from one /metrics text."""
    out = {}
    for label, (name, hits, misses) in CACHES.items():
        found = {m.group(1): float(m.group(2))
                 for m in re.finditer(rf'^{name}\{{result="(\w+)"\}} ([0-9.e+]+)$', text, re.M)}
        out[label] = (sum(found.get(r, 0.0) for r in hits), sum(found.get(r, 0.0) for r in misses))
    return out


def cache_counters(server: Server, workers: int) -> dict[str, tuple[float, float]]:
    """Each cache's (hits, misses) summed over the gateway processes: each member of a cluster asked directly;
    with `workers` > 1 a fresh connection reaches one worker chosen by the kernel, so /metrics is asked on 8 fresh
    connections per worker and the distinct answers are summed (the load is idle then, so a worker answers the
    same each time; two workers answering alike would count once: none do after a warm-up)."""
    if server.members:
        texts = [httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text for port in server.members]
    else:
        texts = list({httpx.get(f"{server.url}/metrics", timeout=5).text for _ in range(8 * workers if workers > 1
                                                                                       else 1)})
    seen = list({tuple(metric_values(t).items()) for t in texts})
    if workers > 1 and not server.members and len(seen) < workers:
        log(f"/metrics answered from {len(seen)} of {workers} workers; hit rates are of those")
    return {label: (sum(dict(s)[label][0] for s in seen), sum(dict(s)[label][1] for s in seen)) for label in CACHES}


@dataclass
class Pass:
    """One measured pass: the load's result, CPU seconds of the measured servers and of the database, peak RSS of
    the busiest process, and each cache's (hits, misses) over the pass (ours only)."""

    result: dict[str, Any]
    server_cpu: float
    db_cpu: float
    rss_mb: float
    caches: dict[str, tuple[float, float]]


def run_pass(server: Server, gw: Server, m: dataset.RealManifest, load: dict[str, Any], *, warmup: float,
             duration: float, database: str | None, workers: int, counted: bool) -> Pass:
    """Warm up, then measure `server` (the peer, or our gateway `gw`) under the load; the inboxes are read again
    through `gw` before each run of the load. `database`: on PostgreSQL, the name of (f)'s, whose backends' CPU
    is the database CPU (the server also serves others' tests on a shared machine). With `counted`, `gw`'s
    caches are read before and after."""
    if warmup:
        drive({**load, "users": with_inboxes(load, inboxes(gw, m)), "duration": warmup})
    users = with_inboxes(load, inboxes(gw, m))
    before = cache_counters(gw, workers) if counted else {}
    cpu0 = sum(cpu_seconds(p) for p in server.pids)
    with ExitStack() as stack:
        rss = stack.enter_context(RssSampler(server.pids))
        db = stack.enter_context(BackendCpu(database)) if database else None
        result = drive({**load, "users": users, "duration": duration})
    cpu1 = sum(cpu_seconds(p) for p in server.pids)
    after = cache_counters(gw, workers) if counted else {}
    caches = {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in after}
    for part in ("reads", "writes"):
        if result[part]["errors"]:
            log(f"{server.name} f {part}: {result[part]['errors']} errors, first: {result[part]['first_error']}")
    return Pass(result, cpu1 - cpu0, db.seconds if db else 0.0, rss.peak / 2**20, caches)


def with_inboxes(load: dict[str, Any], found: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{**u, "inbox": inbox} for u, inbox in zip(load["users"], found, strict=True)]


def row(name: str, part: dict[str, Any], *, workload: str, gateway_ms: float, db_ms: float | None,
        rss_mb: float) -> Row:
    return Row(workload=workload, server=name, rps=part["rps"], p50=part["p50_ms"], p99=part["p99_ms"],
               gateway_cpu_ms=gateway_ms, db_cpu_ms=db_ms, statements=None, rss_mb=rss_mb,
               requests=part["requests"], errors=part["errors"])


def serve(stack: ExitStack, url: str, m: dataset.RealManifest, args: argparse.Namespace,
          env: dict[str, str]) -> Server:
    """Our gateway on (f)'s database, as the other workloads' (one process, --workers, --cluster, --pooler), until
    the stack closes."""
    if args.cluster:
        return stack.enter_context(clustered(url, gateways=args.cluster, token=m.tokens[0], env=env))
    gateway_url, pooler_env = pooled(stack, url, args)
    return stack.enter_context(gateway(gateway_url, workers=args.workers, token=m.tokens[0],
                                       env={**env, **pooler_env}, server_kind=args.server))


def rows(args: argparse.Namespace, env: dict[str, str]) -> tuple[list[Row], list[str]]:
    """Workload (f): its rows (ours reads and writes, the peer's reads) and the lines printed under the table."""
    url, key = database(args)
    m = prepare(url, key, args)
    postgres = key.startswith("postgresql")
    database_name = make_url(url).database if postgres else None
    workers = args.cluster or args.workers
    out: list[Row] = []
    notes: list[str] = []
    with ExitStack() as stack:
        gw = serve(stack, url, m, args, env)
        log(f"(f) gateway on {gw.url}, {workers} process(es), {m.users} users on keep-alive connections")
        ours = spec(m, [[] for _ in m.tokens], reads=gw, writes=gw, peer=False)
        mixed = run_pass(gw, gw, m, ours, warmup=args.warmup, duration=args.duration, database=database_name,
                         workers=workers, counted=True)
        reads, writes = mixed.result["reads"], mixed.result["writes"]
        log(f"(f) ours: {reads['requests']} reads, {writes['requests']} writes; requests and p50 ms by kind: "
            + ", ".join(f"{k} {v['requests']} {v['p50_ms']:.0f}" for k, v in sorted(mixed.result["kinds"].items()))
            + f"; writes refused by a rule, by code: {mixed.result['refused'] or 'none'}")
        alone = run_pass(gw, gw, m, {**ours, "write_share": 1.0, "rate": max(1.0, writes["rps"])}, warmup=0,
                         duration=args.duration, database=database_name, workers=workers, counted=False)
        n_w = max(1, alone.result["writes"]["requests"])
        gw_w, db_w = alone.server_cpu / n_w, alone.db_cpu / n_w
        n_r = max(1, reads["requests"])
        out.append(row("processgraph", reads, workload="f reads", rss_mb=mixed.rss_mb,
                       gateway_ms=(mixed.server_cpu - writes["requests"] * gw_w) * 1000 / n_r,
                       db_ms=(mixed.db_cpu - writes["requests"] * db_w) * 1000 / n_r if postgres else None))
        out.append(row("processgraph", writes, workload="f writes", rss_mb=mixed.rss_mb, gateway_ms=gw_w * 1000,
                       db_ms=db_w * 1000 if postgres else None))
        for label, (hits, misses) in mixed.caches.items():
            rate = f"{100 * hits / (hits + misses):.1f}%" if hits + misses else "—"
            notes.append(f"(f) {label} hit rate over the measured run: {rate} ({hits:,.0f} of {hits + misses:,.0f})")
        notes.append(f"(f) peak RSS of the busiest gateway process: {mixed.rss_mb:,.0f} MB")
        if args.peer:
            out.append(peer_row(gw, url, m, args, db_w=db_w, database=database_name, notes=notes))
    notes.append("(f) CPU per read, ours: (gateway+DB CPU of reads and writes - writes x CPU per write of a "
                 "writes-only pass paced at the same write rate) / reads; the peer's: (peer CPU + DB CPU - our "
                 "writes x DB CPU per write) / reads, its reads served by the peer while the same users' writes go "
                 "to our gateway. The writes row is the writes-only pass's CPU per write. DB CPU: the backends "
                 "connected to (f)'s database (PostgreSQL's background processes left out). The subtraction is as noisy as "
                 "the writes-only pass is short: with few writes it can even go below zero.")
    return out, notes


def peer_row(gw: Server, url: str, m: dataset.RealManifest, args: argparse.Namespace, *, db_w: float,
             database: str | None, notes: list[str]) -> Row:
    """PostGraphile 5 serving the reads of (f), after checking that it answers them as our gateway does."""
    from bench import peer_check, peer_postgraphile

    if args.peer != "postgraphile5":
        raise SystemExit("workload (f)'s peer is PostGraphile 5 (its conditions are in bench/peer5/server.mjs)")
    command = peer_postgraphile.install(VAR / args.peer, args.peer)
    port = free_port()
    with peer_postgraphile.serving(command, database_url=url, port=port, workers=args.workers,
                                   log=VAR / f"{args.peer}-f.log") as pids:
        peer = Server(args.peer, port, None, VAR / f"{args.peer}-f.log", pids=pids)
        if not peer_check.check(gw.url, m.tokens[0], peer.url, process_ids=m.process_ids[:3],
                                run_ids=[r[0] for r in m.run_ids[:3]], out=sys.stderr):
            raise RuntimeError("PostGraphile and the gateway answer (a) or (d) differently; see above")
        same_answers(gw, peer, m)
        load = spec(m, [[] for _ in m.tokens], reads=peer, writes=gw, peer=True)
        done = run_pass(peer, gw, m, load, warmup=args.warmup, duration=args.duration, database=database,
                        workers=args.workers, counted=False)
    reads, writes = done.result["reads"], done.result["writes"]
    n_r = max(1, reads["requests"])
    log(f"(f) {args.peer}: {reads['requests']} reads, {writes['requests']} writes (to our gateway); requests and "
        "p50 ms by kind: " + ", ".join(f"{k} {v['requests']} {v['p50_ms']:.0f}"
                                       for k, v in sorted(done.result["kinds"].items())))
    notes.append(f"(f) peak RSS of the busiest {args.peer} process: {done.rss_mb:,.0f} MB")
    return row(args.peer, reads, workload="f reads", rss_mb=done.rss_mb, gateway_ms=done.server_cpu * 1000 / n_r,
               db_ms=(done.db_cpu - writes["requests"] * db_w) * 1000 / n_r)


def same_answers(gw: Server, peer: Server, m: dataset.RealManifest) -> None:
    """The peer's page and inbox of the first users hold the same rows as ours, in the same order."""
    from bench import peer_postgraphile

    extra = peer_postgraphile.real_workloads()
    for k, f in list(enumerate(filters(m)))[:3]:
        token = {"Authorization": f"Bearer {m.tokens[k]}"}
        page = httpx.post(f"{gw.url}/graphql", headers=token, timeout=30, json={
            "query": PAGE.read_text(), "variables": {"filter": f}}).json()["data"]["processes"]["edges"]
        theirs = httpx.post(f"{peer.url}/graphql", timeout=30, json={
            "query": extra["page"], "variables": {"workspaceId": m.workspace_id, "like": f"%{f.casefold()}%"}}).json()
        inbox = httpx.post(f"{gw.url}/graphql", headers=token, timeout=30,
                           json={"query": INBOX.read_text()}).json()["data"]["viewer"]["jobRuns"]
        their_inbox = httpx.post(f"{peer.url}/graphql", timeout=30, json={
            "query": extra["inbox"], "variables": {"userId": m.user_ids[k], "workspaceId": m.workspace_id}}).json()
        pairs = (([e["node"]["id"] for e in page], [e["node"]["id"] for e in theirs["data"]["allProcesses"]["edges"]]),
                 ([j["id"] for j in inbox], [j["id"] for j in their_inbox["data"]["allJobRuns"]["nodes"]]))
        for what, (a, b) in zip(("page", "inbox"), pairs, strict=True):
            if a != b:
                raise RuntimeError(f"(f) user {k}'s {what}: ours {len(a)} rows, the peer's {len(b)}, not the same")
