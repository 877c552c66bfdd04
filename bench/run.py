"""`scripts/bench`: the standard dataset, the gateway as a real server, a load process, one table (issue 7).

Per workload: a warm-up, then a measured run at the given concurrency from a separate load process
(bench/load.py) on loopback. Around the measured run the driver reads /proc: CPU time of every gateway
process and of every PostgreSQL process (database CPU), and samples the gateway's resident memory; the
gateway's /metrics gives the SQL statements it sent. With `--peer postgraphile` (PostGraphile 4) or `--peer
postgraphile5` (PostGraphile 5, the strongest peer), the peer serves the same database in the same run and each
workload gets the ratio of our gateway+database CPU per request to the peer's. With `--notifications both`
the write mix (e) is measured on three gateways in the same run, in interleaved rounds (so that a change in
the machine's background load falls on all three alike): notifications on with their e-mails sent by the
gateway's delivery loop to an SMTP sink in this driver process; notifications on without a relay (the outbox
rows and reminder plans the run actions write, the in-app feed only); and NOTIFICATIONS=false. Workload (f),
like real use (bench/real.py), has its own dataset and gateway, and a table of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app import migrate
from app.db import create_engine
from app.settings import ROOT, load_settings
from bench import dataset
from bench import growth as growth_data
from bench.procs import free_port, process_tree, stop_group

WORKLOADS = ROOT / "bench" / "workloads"
VAR = Path(os.environ.get("BENCH_DIR") or ROOT / "var" / "bench")  # BENCH_DIR: the smoke test's own folder
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
NAMES = {"a": "a process tree", "b": "b 50 processes, 2 levels", "c": "c 100 summaries", "d": "d run tree",
         "e": "e write mix", "z": "z fixed cost ({ __typename })", "f reads": "f real use: reads",
         "f writes": "f real use: writes"}


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---- /proc accounting ----

def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError):
        return 0


def postgres_cpu_seconds() -> float:
    """CPU of the whole PostgreSQL server: its live processes, plus the finished backends that the
    postmaster (the one whose parent is not postgres) has reaped (cutime and cstime)."""
    pids = postgres_pids()
    total = sum(cpu_seconds(p) for p in pids)
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) not in pids:  # the postmaster
            total += (int(fields[13]) + int(fields[14])) / TICK
    return total


def process_title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return pids


class RssSampler:
    """Peak resident memory of the busiest process of a set, sampled every 50 ms."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak, self._stop = pids, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max([self.peak, *(rss_bytes(p) for p in self.pids)])
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()


class BackendCpu:
    """CPU seconds of the PostgreSQL backends connected to one database (their process title names it) while in
    the block, sampled every 200 ms: on a server that others use at the same time, what the benchmark's own
    sessions cost. A backend counts from the start, or from its birth, to its last sample, so one that exits in
    between (a pool's overflow connection) keeps what it used until then; the server's background processes
    (WAL writer, checkpointer) are left out."""

    def __init__(self, database: str) -> None:
        self.marker = f" {database} "
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._ours: dict[int, bool] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, *, at_start: bool) -> None:
        for pid in postgres_pids():
            if self._ours.setdefault(pid, self.marker in process_title(pid)):
                cpu = cpu_seconds(pid)
                if cpu:  # 0.0: it exited as it was read
                    self.first.setdefault(pid, cpu if at_start else 0.0)
                    self.last[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample(at_start=False)

    @property
    def seconds(self) -> float:
        return sum(self.last[p] - self.first[p] for p in self.last)

    def __enter__(self) -> BackendCpu:
        self._sample(at_start=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(at_start=False)


# ---- servers ----

def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Server:
    name: str
    port: int
    token: str | None
    log_path: Path
    pids: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # behind a load balancer: the gateways' ports

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# The gateway's environment in the benchmark: the limiter stays on (its code runs on every request) but
# does not throttle the load.
GATEWAY_ENV = {"DEV_MODE": "false", "GRAPHIQL": "false", "RATE_LIMIT_PER_SECOND": "1000000",
               "RATE_LIMIT_BURST": "1000000", "LOG_LEVEL": "INFO", "MAX_SUBSCRIPTIONS_PER_TOKEN": "100000"}


@dataclass
class MailSink:
    """An SMTP server in the driver process that accepts and counts (the relay is outside the gateway's CPU)."""

    received: int = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.received += 1
        return "250 OK"


@contextmanager
def mail_sink() -> Iterator[tuple[MailSink, dict[str, str]]]:
    """The sink and the gateway settings that send to it, polled every second so e-mails leave during the run."""
    from aiosmtpd.controller import Controller  # a dev tool, from requirements-dev.lock

    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, {"SMTP_URL": f"smtp://127.0.0.1:{port}?from=bench@example.com", "DELIVERY_POLL_SECONDS": "1",
                     "NOTIFY_SCHEDULER_INTERVAL_SECONDS": "1"}
    finally:
        controller.stop()


GRANIAN = "granian==2.8.9"


def granian_installed() -> Path:
    """Granian in var/bench/granian (pip --target, pinned; not a project dependency), installed on first use."""
    target = VAR / "granian"
    stamp = target / ".installed"
    if not stamp.exists() or stamp.read_text() != GRANIAN:
        log(f"installing {GRANIAN} into {target}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target",
                        str(target), GRANIAN], check=True)
        stamp.write_text(GRANIAN)
    return target


@contextmanager
def gateway(database_url: str, *, workers: int, token: str, env: dict[str, str] | None = None,
            name: str = "processgraph", server_kind: str = "uvicorn") -> Iterator[Server]:
    port = free_port()
    VAR.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    log_path = VAR / f"gateway-{workers}w.log" if name == "processgraph" else VAR / f"gateway-{workers}w-{slug}.log"
    env = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port), **GATEWAY_ENV,
           **(env or {})}
    command = [sys.executable, "-m", "app.serve", "--workers", str(workers)]
    if server_kind == "granian":
        env["PYTHONPATH"] = str(granian_installed())
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers), "bench.granian_serve:app"]
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Server(name, port, token, log_path)
    try:
        wait_http(f"{server.url}/readyz")
        time.sleep(0.5 if workers == 1 else 2.0)  # every worker up
        server.pids = process_tree(proc.pid)
        yield server
    finally:
        stop_group(proc)


@contextmanager
def clustered(database_url: str, *, gateways: int, token: str, env: dict[str, str] | None = None
              ) -> Iterator[Server]:
    """`gateways` gateway processes behind HAProxy (bench/cluster.py); the Server is HAProxy's port, its pids
    the gateways' (HAProxy's own CPU is not counted), its members the gateways' ports."""
    from bench import cluster

    state = VAR / "cluster"
    cluster.stop(state)  # what an interrupted run left behind
    started = cluster.start(gateways=gateways, port=free_port(), state_dir=state, database_url=database_url,
                            env={**GATEWAY_ENV, **(env or {})})
    try:
        server = Server("processgraph", started.port, token, state / "haproxy.log",
                        pids=[g.pid for g in started.gateways], members=[g.port for g in started.gateways])
        yield server
    finally:
        cluster.stop(state)


def requests_per_member(server: Server) -> list[int]:
    """GraphQL requests each gateway behind the balancer has answered (its /metrics)."""
    counts = []
    for port in server.members:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        counts.append(int(sum(float(v) for v in re.findall(r"^processgraph_requests_total\{[^}]*\} ([0-9.e+]+)$",
                                                              text, re.M))))
    return counts


def statements(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    m = re.search(r"^processgraph_sql_statements_total ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


# ---- workloads ----

def query(name: str) -> str:
    return next(WORKLOADS.glob(f"{name}_*.graphql")).read_text()


def bodies(workload: str, m: dataset.Manifest) -> list[dict[str, Any]]:
    q = query(workload)
    if workload == "a":
        return [{"query": q, "variables": {"id": pid}} for pid in m.process_ids]
    if workload == "d":
        return [{"query": q, "variables": {"id": rid}} for rid in m.run_ids]
    return [{"query": q}]


@dataclass
class Row:
    workload: str
    server: str
    rps: float
    p50: float
    p99: float
    gateway_cpu_ms: float
    db_cpu_ms: float | None
    statements: float | None
    rss_mb: float
    requests: int
    errors: int

    @property
    def total_cpu_ms(self) -> float:
        return self.gateway_cpu_ms + (self.db_cpu_ms or 0.0)


def drive(spec: dict[str, Any]) -> dict[str, Any]:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "load-spec.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, "-m", "bench.load", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=spec["duration"] + 120)
    if done.returncode != 0:
        raise RuntimeError(f"load process failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(server: Server, workload: str, spec: dict[str, Any], *, warmup: float, duration: float,
            postgres: bool, count_sql: bool) -> Row:
    drive({**spec, "duration": warmup})
    sql_before = statements(server) if count_sql else None
    each0 = [cpu_seconds(p) for p in server.pids]
    db0 = postgres_cpu_seconds() if postgres else 0.0
    with RssSampler(server.pids) as rss:
        result = drive({**spec, "duration": duration})
    each1 = [cpu_seconds(p) for p in server.pids]
    gw0, gw1 = sum(each0), sum(each1)
    if len(server.pids) > 1:  # how the work fell on the processes (workers share the connections unevenly)
        log(f"{server.name} {workload}: CPU seconds per process "
            + ", ".join(f"{b - a:.1f}" for a, b in zip(each0, each1, strict=True)))
    db1 = postgres_cpu_seconds() if postgres else 0.0
    n = max(1, result["requests"])
    sql = None if sql_before is None else (statements(server) - sql_before) / n
    if result["errors"]:
        log(f"{server.name} {workload}: {result['errors']} errors, first: {result['first_error']}")
    if result.get("reconnects"):
        log(f"{server.name} {workload}: {result['reconnects']} reconnects after `Connection: close`")
    return Row(workload=workload, server=server.name, rps=result["rps"], p50=result["p50_ms"], p99=result["p99_ms"],
               gateway_cpu_ms=(gw1 - gw0) * 1000 / n, db_cpu_ms=(db1 - db0) * 1000 / n if postgres else None,
               statements=sql, rss_mb=rss.peak / 2**20, requests=result["requests"], errors=result["errors"])


def load_spec(server: Server, bodies_: list[dict[str, Any]], concurrency: int, path: str = "/graphql") -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": server.port, "path": path, "token": server.token,
            "concurrency": concurrency, "bodies": bodies_}


def write_spec(server: Server, m: dataset.Manifest, concurrency: int) -> dict[str, Any]:
    names = {pid: f"Bench process {i:04d}" for i, pid in enumerate(m.process_ids)}
    targets = [[pid, m.node_ids[pid], names[pid]] for pid in list(m.node_ids)[:concurrency]]
    return {**load_spec(server, [], concurrency), "scenario": "write", "targets": targets}


# ---- the table ----

def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row], ratios: dict[str, float]) -> str:
    head = ["workload", "server", "req/s", "p50 ms", "p99 ms", "gateway CPU ms/req", "DB CPU ms/req",
            "SQL/req", "peak RSS MB"]
    if ratios:
        head.append("CPU ratio ours/peer")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [NAMES.get(r.workload, r.workload), r.server, fmt(r.rps, 0), fmt(r.p50), fmt(r.p99),
                 fmt(r.gateway_cpu_ms, 2), fmt(r.db_cpu_ms, 2), fmt(r.statements, 2), fmt(r.rss_mb, 0)]
        if ratios:
            cells.append(fmt(ratios.get(r.workload), 2) if r.server == "processgraph" else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pooled(stack: ExitStack, url: str, args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The gateway's database URL and extra settings: with --pooler, through a PgBouncer started here (20
    server connections, the gateway pool's size), stopped when the stack closes."""
    if not args.pooler:
        return url, {}
    from bench import pgbouncer

    directory = VAR / "pgbouncer"
    directory.mkdir(parents=True, exist_ok=True)
    bouncer = stack.enter_context(pgbouncer.running(directory, direct_url=url, pool_size=20))
    log(f"through PgBouncer on 127.0.0.1:{bouncer.port} (transaction pooling)")
    return bouncer.url(url), {"DATABASE_POOLER": "pgbouncer-transaction", "LISTEN_DATABASE_URL": url}


# ---- main ----

def database(args: argparse.Namespace) -> tuple[str, str]:
    """(SQLAlchemy URL of the benchmark's database, manifest key)."""
    if args.sqlite:
        VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{VAR / 'bench.db'}", "sqlite"
    if args.database_url:
        return args.database_url, "postgresql"
    url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], env={**os.environ, "PG_DB": "processgraph_bench"},
                         check=True, capture_output=True, text=True).stdout.strip()
    return url, "postgresql"


def prepare(url: str, key: str, args: argparse.Namespace) -> dataset.Manifest:
    settings = load_settings({"DATABASE_URL": url})
    migrate.upgrade(settings)
    manifest_path = VAR / f"{key}.manifest.json"

    async def ensure() -> dataset.Manifest:
        engine = create_engine(settings)
        try:
            if manifest_path.exists() and not args.rebuild:
                m = dataset.Manifest.from_json(manifest_path.read_text())
                if (m.shape == dataset.SHAPE_VERSION and m.processes == args.processes
                        and await dataset.matches(engine, m)):
                    log(f"reusing the dataset in {key} (built in {m.build_seconds} s; --rebuild to build it again)")
                    return m
            log(f"building the dataset: {args.processes} processes, 3 runs each")

            def progress(done: int, total: int) -> None:
                if done % 20 == 0 or done == total:
                    log(f"  {done}/{total} processes")

            m = await dataset.build(engine, processes=args.processes, progress=progress)
            manifest_path.write_text(m.to_json())
            log(f"dataset built in {m.build_seconds} s")
            return m
        finally:
            await engine.dispose()

    VAR.mkdir(parents=True, exist_ok=True)
    return asyncio.run(ensure())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sqlite", action="store_true", help="use SQLite (var/bench/bench.db) instead of PostgreSQL")
    p.add_argument("--database-url", help="a PostgreSQL URL to use instead of the local cluster's processgraph_bench")
    p.add_argument("--workers", type=int, default=1, help="gateway worker processes (default 1)")
    p.add_argument("--soak", type=float, metavar="MINUTES",
                   help="soak: the write mix and reads on the cluster (--cluster N, default 3) at about 70%% of its "
                   "capacity for MINUTES; prints req/s, p99, errors and RSS per gateway over time (bench/soak.py)")
    p.add_argument("--cluster", type=int, default=0, metavar="N",
                   help="N gateway processes behind HAProxy (scripts/cluster) instead of one server")
    p.add_argument("--replicas", type=int, default=0, metavar="N",
                   help="1: workloads (a)-(e) on a primary and streaming standby of the bench's own, from a gateway "
                   "reading the standby and one reading the primary only (bench/replicas.py)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--pooler", action="store_true", help="serve through PgBouncer in transaction pooling mode "
                   "(DATABASE_POOLER=pgbouncer-transaction; LISTEN goes to PostgreSQL directly)")
    p.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn",
                   help="the HTTP server of the measured gateway: uvicorn (what scripts/serve runs) or Granian "
                   "(installed into var/bench/granian, a lever of issue 16 under measurement)")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per workload (default 10)")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per workload (default 3)")
    p.add_argument("--workloads", default="abcde", help="which workloads, e.g. 'ac' (default abcde); 'f' is like "
                   "real use (200 users, Zipf reads, 10%% writes, one connection per user; its own dataset of 2,000 "
                   "processes, built once, its own gateway and table; without a-e, the standard dataset and "
                   "--extra are left out)")
    p.add_argument("--notifications", choices=["on", "off", "both"], default="on",
                   help="on (default): the gateway's defaults, notifications written, no relay; off: "
                        "NOTIFICATIONS=false; both: the write mix (e) on three gateways in interleaved rounds "
                        "(notifications with e-mail to an SMTP sink here, notifications without a relay, "
                        "NOTIFICATIONS=false)")
    p.add_argument("--peer", choices=["postgraphile", "postgraphile5"],
                   help="also measure PostGraphile 4 (postgraphile) or 5 (postgraphile5) on the same data")
    p.add_argument("--processes", type=int, default=200, help=argparse.SUPPRESS)
    p.add_argument("--real-processes", type=int, default=2000, help=argparse.SUPPRESS)  # (f)'s, for the smoke test
    p.add_argument("--real-users", type=int, default=200, help=argparse.SUPPRESS)
    p.add_argument("--rebuild", action="store_true", help="rebuild the dataset even when the manifest matches")
    p.add_argument("--extra", default="batch3000", help="extra measurements: 'batch3000' (default), 'scale', "
                   "'growth' (CPU per node and per row as trees and pages grow), comma-separated, or '' for none")
    args = p.parse_args(argv)
    if args.peer and args.sqlite:
        p.error("--peer needs PostgreSQL")
    if "scale" in args.extra.split(","):
        if args.sqlite:
            p.error("the scale check runs on PostgreSQL")
        print(scale_table(args))
        return 0
    if args.replicas:
        if args.sqlite or args.cluster or args.pooler or args.peer or args.database_url:
            p.error("--replicas makes a PostgreSQL primary and standby of its own, for one gateway each")
        from bench import replicas

        return replicas.main(args)
    wanted = [w for w in "abcdez" if w in args.workloads]
    if args.cluster and (args.sqlite or args.workers > 1):
        p.error("--cluster runs single-process gateways on PostgreSQL")
    if args.server == "granian" and (args.cluster or args.notifications == "both"):
        p.error("--server granian serves the one measured gateway (not --cluster or --notifications both)")
    if args.pooler and (args.cluster or args.sqlite):
        p.error("--pooler puts PgBouncer between one gateway and PostgreSQL")
    env = {"NOTIFICATIONS": "false"} if args.notifications == "off" else {}
    rows: list[Row] = []
    if wanted or args.soak:
        rows = standard(p, args, wanted, env)
    if "f" in args.workloads:
        from bench import real

        ours_f, notes = real.rows(args, env)
        print()
        print(table(ours_f, ratios(ours_f, args.peer)))
        print("\n".join(["", *notes]))
        rows += ours_f
    if any(r.errors for r in rows):
        log("some requests failed (see above)")
        return 1
    return 0


def standard(p: argparse.ArgumentParser, args: argparse.Namespace, wanted: list[str], env: dict[str, str]
             ) -> list[Row]:
    """Workloads (a)-(e) and (z) on the standard dataset, the extras, or the soak (which exits); their table
    printed, their rows returned."""
    url, key = database(args)
    m = prepare(url, key, args)
    if args.soak:
        if key != "postgresql":
            p.error("--soak runs on PostgreSQL")
        from bench import soak

        raise SystemExit(soak.run(args, url, m))
    gm = prepare_growth(url) if "growth" in args.extra.split(",") else None
    postgres = key == "postgresql"
    rows: list[Row] = []
    growth: list[Row] = []
    with ExitStack() as stack:
        if args.cluster:
            serving = clustered(url, gateways=args.cluster, token=m.token, env=env)
        else:
            gateway_url, pooler_env = pooled(stack, url, args)
            serving = gateway(gateway_url, workers=args.workers, token=m.token, env={**env, **pooler_env},
                              server_kind=args.server)
        gw = stack.enter_context(serving)
        log(f"gateway on {gw.url}, {args.cluster or args.workers} process(es), pids {gw.pids}")
        if "batch3000" in args.extra:
            batch_ms = batch_rename_3000(gw, m)
            log(f"3,000-item batch rename: {batch_ms:.0f} ms of server time (the request log's durationMs)")
        for w in wanted:
            if w == "e" and args.notifications == "both":
                continue  # measured below on three gateways
            spec = write_spec(gw, m, args.concurrency) if w == "e" else load_spec(gw, bodies(w, m), args.concurrency)
            rows.append(measure(gw, w, spec, warmup=args.warmup, duration=args.duration, postgres=postgres,
                                count_sql=args.workers == 1 and not args.cluster))
            log(f"{NAMES[w]}: {rows[-1].rps:,.0f} req/s, {rows[-1].total_cpu_ms:.2f} ms CPU/req")
            if gw.members:
                log(f"  requests answered per gateway so far: {requests_per_member(gw)}")
        if gm is not None:
            growth = growth_rows(replace(gw, token=gm.token), gm, args, peer=False)
        if args.peer:
            rows += peer_rows(gw, url, m, args, [w for w in wanted if w != "e"])
            if gm is not None:
                growth += peer_growth_rows(url, gm, args)
    if args.notifications == "both" and "e" in wanted:
        rows += notification_rows(url, m, args, postgres=postgres)
    print(table(rows, ratios(rows, args.peer)))
    if gm is not None:
        print()
        print(growth_table(growth, gm, args.peer))
        rows += growth
    return rows


def ratios(rows: list[Row], peer_name: str | None) -> dict[str, float]:
    """Per workload: our gateway+database CPU per request over the peer's, where the peer has the workload."""
    out: dict[str, float] = {}
    for r in rows:
        peer = next((p for p in rows if p.server == peer_name and p.workload == r.workload), None)
        if r.server == "processgraph" and peer is not None:
            out[r.workload] = r.total_cpu_ms / peer.total_cpu_ms
    return out


NOTIFICATION_ROUNDS = 3


def notification_rows(url: str, m: dataset.Manifest, args: argparse.Namespace, *, postgres: bool) -> list[Row]:
    """The write mix (e) on three gateways serving at once: notifications on with e-mail to an SMTP sink here,
    notifications on without a relay, and NOTIFICATIONS=false; measured in NOTIFICATION_ROUNDS interleaved
    rounds of duration / rounds each, and each gateway's rounds summed into one row."""
    if args.cluster or args.workers != 1:
        raise SystemExit("--notifications both measures one single-process gateway per setting")
    with ExitStack() as stack:
        sink, mail = stack.enter_context(mail_sink())
        settings = [("processgraph, notifications + e-mail", mail), ("processgraph, notifications, no relay", {}),
                    ("processgraph, notifications off", {"NOTIFICATIONS": "false"})]
        servers = [replace(stack.enter_context(gateway(url, workers=1, token=m.token, env=env, name=name)),
                           name=name) for name, env in settings]
        parts: dict[str, list[Row]] = {s.name: [] for s in servers}
        for round_ in range(NOTIFICATION_ROUNDS):
            for server in servers:
                parts[server.name].append(measure(
                    server, "e", write_spec(server, m, args.concurrency), warmup=args.warmup if round_ == 0 else 1.0,
                    duration=args.duration / NOTIFICATION_ROUNDS, postgres=postgres, count_sql=True))
        rows = [combined(parts[s.name]) for s in servers]
        for row in rows:
            log(f"{NAMES['e']}, {row.server}: {row.rps:,.0f} req/s, {row.total_cpu_ms:.2f} ms CPU/req")
        log(f"e-mails the gateway delivered to the SMTP sink: {sink.received}")
    off = rows[-1].total_cpu_ms
    for row in rows[:-1]:
        log(f"{row.server}: {100 * (row.total_cpu_ms / off - 1):+.1f}% gateway+database CPU per request "
            "against notifications off")
    return rows


def combined(parts: list[Row]) -> Row:
    """Rounds of one server as one row: CPU and statements per request over all requests, req/s over the
    measured time, the median round's p50 and the worst round's p99, the peak RSS."""
    n = sum(p.requests for p in parts) or 1
    seconds = sum(p.requests / p.rps for p in parts if p.rps)

    def per_request(value: Any) -> float | None:
        values = [value(p) for p in parts]
        return None if any(v is None for v in values) else sum(v * p.requests for v, p in zip(values, parts, strict=True)) / n

    return Row(workload=parts[0].workload, server=parts[0].server, rps=n / seconds if seconds else 0.0,
               p50=sorted(p.p50 for p in parts)[len(parts) // 2], p99=max(p.p99 for p in parts),
               gateway_cpu_ms=per_request(lambda p: p.gateway_cpu_ms) or 0.0,
               db_cpu_ms=per_request(lambda p: p.db_cpu_ms), statements=per_request(lambda p: p.statements),
               rss_mb=max(p.rss_mb for p in parts), requests=sum(p.requests for p in parts),
               errors=sum(p.errors for p in parts))


def peer_rows(gw: Server, url: str, m: dataset.Manifest, args: argparse.Namespace, wanted: list[str]) -> list[Row]:
    """PostGraphile (args.peer: 4 or 5) on the same database, the same load, after checking that both answer
    alike."""
    from bench import peer_check, peer_postgraphile

    name = args.peer
    command = peer_postgraphile.install(VAR / name, name)
    port = free_port()
    rows: list[Row] = []
    with peer_postgraphile.serving(command, database_url=url, port=port, workers=args.workers,
                                   log=VAR / f"{name}.log") as pids:
        peer = Server(name, port, None, VAR / f"{name}.log", pids=pids)
        log(f"{name} on {peer.url}, pids {pids}")
        if not peer_check.check(gw.url, m.token, peer.url, process_ids=m.process_ids[:3], run_ids=m.run_ids[:3],
                                out=sys.stderr):
            raise RuntimeError("PostGraphile and the gateway answer differently; see above")
        queries = peer_postgraphile.workloads()
        for w in wanted:
            if w == "a":
                bodies_ = [{"query": queries[w], "variables": peer_postgraphile.variables(w, process_id=pid, run_id="")}
                           for pid in m.process_ids]
            elif w == "d":
                bodies_ = [{"query": queries[w], "variables": peer_postgraphile.variables(w, process_id="", run_id=rid)}
                           for rid in m.run_ids]
            else:
                bodies_ = [{"query": queries[w], "variables": peer_postgraphile.variables(w, process_id="", run_id="")}]
            rows.append(measure(peer, w, load_spec(peer, bodies_, args.concurrency), warmup=args.warmup,
                                duration=args.duration, postgres=True, count_sql=False))
            log(f"{name} {NAMES[w]}: {rows[-1].rps:,.0f} req/s, {rows[-1].total_cpu_ms:.2f} ms CPU/req")
    return rows


def prepare_growth(url: str) -> growth_data.GrowthManifest:
    """The Growth workspace's trees and list (bench/growth.py), built once and reused."""
    path = VAR / "growth.manifest.json"
    previous = growth_data.GrowthManifest.from_json(path.read_text()) if path.exists() else None

    async def ensure() -> growth_data.GrowthManifest:
        engine = create_engine(load_settings({"DATABASE_URL": url}))
        try:
            return await growth_data.ensure(engine, previous, lambda done, total: log(
                f"  growth list {done}/{total} processes"))
        finally:
            await engine.dispose()

    log("growth: trees of about " + ", ".join(map(str, growth_data.TREE_SHAPES)) + " nodes and pages of "
        + ", ".join(map(str, growth_data.LIST_SIZES)) + " summaries (built once)")
    m = asyncio.run(ensure())
    path.write_text(m.to_json())
    return m


def growth_rows(server: Server, gm: growth_data.GrowthManifest, args: argparse.Namespace, *,
                peer: bool) -> list[Row]:
    """(a) on each tree size and (c) on each page size; Row.workload is 'a120', 'c1000', ..."""
    from bench import peer_postgraphile

    tree_query = peer_postgraphile.workloads()["a"] if peer else query("a")
    list_query = peer_postgraphile.workloads()["c"] if peer else query("c")
    out: list[Row] = []
    for label, (process_id, _nodes) in gm.trees.items():
        spec = load_spec(server, [{"query": tree_query, "variables": {"id": process_id}}], args.concurrency)
        out.append(measure(server, f"a{label}", spec, warmup=args.warmup, duration=args.duration, postgres=True,
                           count_sql=not peer and args.workers == 1))
    for size in growth_data.LIST_SIZES:
        variables = {"workspaceId": gm.workspace_id} if peer else {}
        spec = load_spec(server, [{"query": growth_data.with_first(list_query, size), "variables": variables}],
                         args.concurrency)
        out.append(measure(server, f"c{size}", spec, warmup=args.warmup, duration=args.duration, postgres=True,
                           count_sql=not peer and args.workers == 1))
    for r in out:
        log(f"{r.server} growth {r.workload}: {r.rps:,.0f} req/s, {r.total_cpu_ms:.2f} ms CPU/req")
    return out


def peer_growth_rows(url: str, gm: growth_data.GrowthManifest, args: argparse.Namespace) -> list[Row]:
    from bench import peer_postgraphile

    name = args.peer
    command = peer_postgraphile.install(VAR / name, name)
    port = free_port()
    with peer_postgraphile.serving(command, database_url=url, port=port, workers=args.workers,
                                   log=VAR / f"{name}.log") as pids:
        return growth_rows(Server(name, port, None, VAR / f"{name}.log", pids=pids), gm, args, peer=True)


def growth_table(rows: list[Row], gm: growth_data.GrowthManifest, peer: str | None) -> str:
    """Gateway+database CPU per node (trees) and per row (pages), ours and the peer's, with their spread."""
    units = {f"a{size}": nodes for size, (_pid, nodes) in gm.trees.items()}
    units |= {f"c{size}": size for size in growth_data.LIST_SIZES}
    head = ["measure", "nodes or rows", "ours µs CPU/unit"] + ([f"{peer} µs CPU/unit", "ratio ours/peer"] if peer else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    per_unit: dict[str, dict[str, float]] = {}
    for r in rows:
        per_unit.setdefault(r.server, {})[r.workload] = r.total_cpu_ms * 1000 / units[r.workload]
    ours = per_unit.get("processgraph", {})
    theirs = per_unit.get(peer or "", {})
    for key, n in units.items():
        cells = ["tree (a)" if key[0] == "a" else "page (c)", f"{n:,}", fmt(ours.get(key), 1)]
        if peer:
            ratio = ours[key] / theirs[key] if key in ours and theirs.get(key) else None
            cells += [fmt(theirs.get(key), 1), fmt(ratio, 2)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for server, values in per_unit.items():
        for kind, label in (("a", "per node"), ("c", "per row")):
            series = [v for k, v in values.items() if k[0] == kind]
            if series:
                lines.append(f"{server}: CPU {label} within ±{growth_data.spread(series) * 100:.0f}% of its mean "
                             "across sizes")
    return "\n".join(lines)


def scale_table(args: argparse.Namespace) -> str:
    """Keyset pages deep in 1,000 and 1,000,000 processes, and totalCount at both sizes (issue 7 point 5)."""
    from app.graphql.pagination import encode_cursor
    from bench import scale

    url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], env={**os.environ, "PG_DB": "processgraph_scale"},
                         check=True, capture_output=True, text=True).stdout.strip()
    settings = load_settings({"DATABASE_URL": url})
    migrate.upgrade(settings)
    log("scale: generating 1,000 and 1,000,000 processes unless already there")
    built = scale.run_build(lambda: create_engine(settings))
    log(f"scale: data ready in {built['build_seconds']} s (generating rows: {built['generated_seconds']} s; "
        "0 means they were there from an earlier run)")

    async def cursors(workspace: str, n: int) -> list[str]:
        engine = create_engine(settings)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT name_key, id FROM process WHERE workspace_id = :w AND trashed_at IS NULL "
                    "ORDER BY name_key, id OFFSET :o LIMIT 20"), {"w": workspace, "o": n // 2})).all()
        finally:
            await engine.dispose()
        return [encode_cursor("process:NAME:asc", [r.name_key, r.id]) for r in rows]

    rows: list[Row] = []
    with gateway(url, workers=1, token="") as gw:
        for n, info in built["sizes"].items():
            gw.token = info["token"]
            deep = asyncio.run(cursors(info["workspace"], n))
            page = [{"query": scale.PAGE, "variables": {"after": c}} for c in deep]
            rows.append(measure(gw, f"deep page of 100 in {n:,}", load_spec(gw, page, args.concurrency),
                                warmup=args.warmup, duration=args.duration, postgres=True, count_sql=True))
            rows.append(measure(gw, f"totalCount of {n:,}", load_spec(gw, [{"query": scale.COUNT}], args.concurrency),
                                warmup=args.warmup, duration=args.duration, postgres=True, count_sql=True))
    small, large = rows[0], rows[2]
    ratio = large.total_cpu_ms / small.total_cpu_ms
    return (table(rows, {}) + f"\n\nDeep keyset page, gateway+DB CPU per request at 1,000,000 / at 1,000: "
            f"{ratio:.2f} (target at most 1.5). Data ready in {built['build_seconds']} s "
            f"(row generation {built['generated_seconds']} s; 0 when reused).")


BATCH_3000 = ("mutation BatchRename3000($id: ID!, $data: [BatchUpdateItemInput!]!) { processBatchUpdate(input: "
              "{id: $id, data: $data}) { errors { code message } process { id revision } } }")


def batch_rename_3000(gw: Server, m: dataset.Manifest) -> float:
    """Create a process with 3,000 jobs, rename them all in one batch, and return the server's own duration."""
    children = [{"job": {"arguments": {"sendTask": {"title": f"job {i}"}}}} for i in range(3000)]
    create = ("mutation($input: ProcessCreateInput!) { processCreate(input: $input) { errors { message } "
              "process { id nodes { __typename ... on ProcessJob { id } } } } }")
    headers = {"Authorization": f"Bearer {m.token}"}
    with httpx.Client(base_url=gw.url, headers=headers, timeout=60) as client:
        made = client.post("/graphql", json={"query": create, "variables": {"input": {
            "name": "Bench batch 3000", "root": {"name": "Root", "children": children}}}}).json()
        process = made["data"]["processCreate"]["process"]
        ids = [n["id"] for n in process["nodes"] if n["__typename"] == "ProcessJob"]
        data = [{"type": "JOB_NAME", "jobNameUpdate": {"id": i, "newName": f"renamed {k}"}} for k, i in enumerate(ids)]
        done = client.post("/graphql", json={"query": BATCH_3000, "operationName": "BatchRename3000",
                                              "variables": {"id": process["id"], "data": data}})
        assert not done.json()["data"]["processBatchUpdate"]["errors"], done.text[:500]
        for op in ("processTrash", "processPurge"):  # leave the dataset as it was
            client.post("/graphql", json={"query": f"mutation($id: ID!) {{ {op}(input: {{id: $id}}) "
                                                   "{ errors { message } } }", "variables": {"id": process["id"]}})
    time.sleep(0.3)  # the log line is written as the response goes out
    for line in reversed(gw.log_path.read_text().splitlines()):
        entry = request_log_entry(line)  # the line's JSON, read as JSON: its spacing is the logger's own
        if entry is not None and entry.get("operation") == "BatchRename3000":
            return float(entry["durationMs"])
    raise RuntimeError("no request log line for the 3,000-item batch rename")


def request_log_entry(line: str) -> dict[str, Any] | None:
    """The JSON object of a request log line (docs/operations.md), or None for any other line."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        entry = json.loads(line[start:])
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


if __name__ == "__main__":
    sys.exit(main())
