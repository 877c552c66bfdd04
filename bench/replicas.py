"""`scripts/bench --replicas 1` (issue 30 point 5): the workloads on a gateway reading from a streaming standby
and on one reading the primary only, in the same run, on the same data: the reads (a)-(d), and the write mix
(e), which stays on the primary but reads each commit's WAL position when standbys are configured.

The bench makes a primary and a standby of its own rather than a standby of the bench's usual PostgreSQL
(127.0.0.1:5432): `pg_basebackup` of that cluster would copy every database on it (the tests', the scale
check's million processes) and needs a replication role and a pg_hba line on a server others use. Here,
`initdb` on a free loopback port (Debian's binaries, run as the `postgres` user when the bench runs as root,
`fsync=off` as in the tests), the standard dataset built into it, then `pg_basebackup -R -X stream` onto
another port; both stopped and deleted at the end. PostgreSQL's CPU is counted per server (each postmaster's
process tree, plus the backends it has reaped), so the primary's CPU per read is the primary's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import run
from bench.procs import free_port, process_tree

OWNER = "postgres"  # initdb refuses root
WORKLOADS = "abcde"  # (a)-(d) read, and a standby serves them; (e) writes, on the primary either way


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise SystemExit("--replicas needs Debian's PostgreSQL binaries (scripts/ensure-postgres installs them)")
    return str(found[-1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", OWNER, "--", *args] if os.geteuid() == 0 else args


@dataclass
class Postgres:
    """One server of the bench's own: its directory, loopback port and password."""

    name: str
    directory: Path
    port: int
    password: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(self.directory / "data"), "-w", "-l",
                                  str(self.directory / "log"), "-o", options, "start"]),
                       check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cpu_seconds(self) -> float:
        """The server's processes, and the finished backends its postmaster has reaped (cutime, cstime)."""
        try:
            postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
            fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            return 0.0
        reaped = (int(fields[13]) + int(fields[14])) / run.TICK
        return reaped + sum(run.cpu_seconds(pid) for pid in process_tree(postmaster))


def new_server(name: str, password: str) -> Postgres:
    """A directory the owner can reach (not under the repository: the `postgres` user may not enter it)."""
    directory = Path(tempfile.mkdtemp(prefix=f"bench-pg-{name}-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(directory, OWNER)
    return Postgres(name, directory, free_port(), password)


def remove(server: Postgres) -> None:
    """Stopped (immediately: nothing in it is kept) and deleted."""
    if (server.directory / "data" / "postmaster.pid").exists():
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(server.directory / "data"), "-w", "-m", "immediate",
                                  "stop"]), timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(server.directory, ignore_errors=True)


def init_primary(primary: Postgres, database: str) -> None:
    """initdb (password authentication), started, with an empty `database`."""
    (primary.directory / "pw").write_text(primary.password)
    if os.geteuid() == 0:
        shutil.chown(primary.directory / "pw", OWNER)
    subprocess.run(_as_owner([_bin("initdb"), "-D", str(primary.directory / "data"), "-U", "postgres", "-A",
                              "scram-sha-256", f"--pwfile={primary.directory / 'pw'}", "--no-sync"]),
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    primary.start()

    async def create() -> None:
        conn = await asyncpg.connect(primary.dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()

    asyncio.run(create())


@contextmanager
def primary_and_standby(database: str) -> Iterator[tuple[Postgres, Postgres]]:
    """A running primary with an empty `database`, and a standby's place (`make_standby` fills it); both
    removed on exit."""
    password = secrets.token_hex(12)
    servers: list[Postgres] = []
    try:
        servers += [new_server("primary", password), new_server("standby", password)]
        init_primary(servers[0], database)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            remove(server)


def start_replicated(standbys: int, database: str) -> list[Postgres]:
    """A primary with an empty `database` and `standbys` streaming standbys of it, left running for
    `scripts/cluster --replicas N` (which removes them on stop); everything removed if one fails to start."""
    password = secrets.token_hex(12)
    servers = [new_server("primary", password)]
    try:
        init_primary(servers[0], database)
        for number in range(1, standbys + 1):
            servers.append(new_server(f"standby{number}", password))
            make_standby(servers[0], servers[-1])
    except BaseException:
        for server in servers:
            remove(server)
        raise
    return servers


def make_standby(primary: Postgres, standby: Postgres) -> None:
    """`pg_basebackup -R` (primary_conninfo and standby.signal written), started, caught up with the primary."""
    subprocess.run(_as_owner(["env", f"PGPASSWORD={primary.password}", _bin("pg_basebackup"), "-h", "127.0.0.1",
                              "-p", str(primary.port), "-U", "postgres", "-D", str(standby.directory / "data"),
                              "-R", "-X", "stream", "--no-sync", "-c", "fast"]),
                   check=True, timeout=600, stdout=subprocess.DEVNULL)
    standby.start()

    async def caught_up() -> None:
        primary_conn = await asyncpg.connect(primary.dsn())
        standby_conn = await asyncpg.connect(standby.dsn())
        try:
            target = await primary_conn.fetchval("SELECT pg_current_wal_lsn()")
            for _ in range(600):
                if await standby_conn.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target):
                    return
                await asyncio.sleep(0.1)
            raise SystemExit("the bench's standby did not catch up with its primary within 60 s")
        finally:
            await primary_conn.close()
            await standby_conn.close()

    asyncio.run(caught_up())


@dataclass
class Reads:
    workload: str
    gateway: str
    rps: float
    gateway_cpu_ms: float
    primary_cpu_ms: float
    standby_cpu_ms: float
    from_standby: float  # requests the gateway gave the standby during the measurement
    errors: int


def standby_reads(server: run.Server) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    found = re.search(r'^processgraph_replica_reads(?:_total)?\{server="standby"\} ([0-9.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def measure(server: run.Server, workload: str, spec: dict[str, Any], args: argparse.Namespace, primary: Postgres,
            standby: Postgres) -> Reads:
    run.drive({**spec, "duration": args.warmup})
    gateway0, primary0, standby0, served0 = (sum(run.cpu_seconds(p) for p in server.pids), primary.cpu_seconds(),
                                             standby.cpu_seconds(), standby_reads(server))
    result = run.drive({**spec, "duration": args.duration})
    n = max(1, result["requests"])
    if result["errors"]:
        run.log(f"{server.name} {workload}: {result['errors']} errors, first: {result['first_error']}")
    return Reads(workload=workload, gateway=server.name, rps=result["rps"],
                 gateway_cpu_ms=(sum(run.cpu_seconds(p) for p in server.pids) - gateway0) * 1000 / n,
                 primary_cpu_ms=(primary.cpu_seconds() - primary0) * 1000 / n,
                 standby_cpu_ms=(standby.cpu_seconds() - standby0) * 1000 / n,
                 from_standby=standby_reads(server) - served0, errors=result["errors"])


def table(rows: list[Reads]) -> str:
    head = ["workload", "gateway", "req/s", "gateway CPU ms/req", "primary CPU ms/req", "standby CPU ms/req",
            "reads given the standby"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([run.NAMES[r.workload], r.gateway, run.fmt(r.rps, 0),
                                        run.fmt(r.gateway_cpu_ms, 2), run.fmt(r.primary_cpu_ms, 2),
                                        run.fmt(r.standby_cpu_ms, 2), run.fmt(r.from_standby, 0)]) + " |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Both gateways serve at once; each read workload is measured on one, then the other."""
    if args.replicas != 1:
        raise SystemExit("--replicas measures one standby (1)")
    wanted = [w for w in WORKLOADS if w in args.workloads]
    rows: list[Reads] = []
    started = time.monotonic()
    with primary_and_standby("processgraph_bench") as (primary, standby):
        m = run.prepare(primary.url("processgraph_bench"), "replicas", args)
        make_standby(primary, standby)
        run.log(f"primary on 127.0.0.1:{primary.port}, standby on 127.0.0.1:{standby.port} "
                f"(ready in {time.monotonic() - started:.0f} s)")
        url = primary.url("processgraph_bench")
        with ExitStack() as stack:
            alone = stack.enter_context(run.gateway(url, workers=1, token=m.token, name="primary only"))
            paired = stack.enter_context(run.gateway(url, workers=1, token=m.token, name="with 1 standby", env={
                "READ_DATABASE_URLS": standby.url("processgraph_bench")}))
            for w in wanted:
                for server in (alone, paired):
                    spec = run.write_spec(server, m, args.concurrency) if w == "e" else \
                        run.load_spec(server, run.bodies(w, m), args.concurrency)
                    rows.append(measure(server, w, spec, args, primary, standby))
                    r = rows[-1]
                    run.log(f"{run.NAMES[w]}, {r.gateway}: {r.rps:,.0f} req/s, primary {r.primary_cpu_ms:.2f} ms "
                            f"CPU/req, standby {r.standby_cpu_ms:.2f}")
    print(table(rows))
    return 1 if any(r.errors for r in rows) else 0
