"""Do our gateway and the PostGraphile peer return the same data for the read workloads (a)-(d)?

Both answers are brought to one canonical shape and compared whole: for (a) and (d) the trees (our ordinal-ordered
`children` union lists against the peer's groups and jobs relations merged by ordinal) with every selected field
of every group, job, group run and job run (enum spellings compared case- and underscore-blind, timestamps as
instants, a job's title and a job run's name from the peer's `arguments`) and (d)'s status counts; for (b) the
processes in order with their two-level trees; for (c) the summaries in order with their fields and `hasNextPage`.

    python -m bench.peer_check --database-url URL --token TOKEN --gateway URL --peer URL [--process-id ID]
        [--run-id ID] [--all]

Without ids it checks the process with the most groups and jobs and the run with the most job runs (`--all`: every
live process and every run). Exits 1 on the first workload that differs, printing where.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from app.process.tree import job_name
from bench import peer_postgraphile as peer

OURS = Path(__file__).resolve().parent / "workloads"
OUR_FILES = {"a": "a_process_tree.graphql", "b": "b_process_list_trees.graphql",
             "c": "c_process_summaries.graphql", "d": "d_run_tree.graphql"}
ENUMS = frozenset({"status", "actionStatus", "triggerType", "action"})
GROUP_TYPES = frozenset({"ProcessGroup", "GroupRun"})


def endpoint(url: str) -> str:
    return url if url.rstrip("/").endswith("/graphql") else url.rstrip("/") + "/graphql"


def post(url: str, query: str, variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables}).encode()
    with urllib.request.urlopen(urllib.request.Request(endpoint(url), data=body, headers=headers), timeout=30) as r:
        answer: dict[str, Any] = json.load(r)
    if answer.get("errors"):
        raise RuntimeError(f"{url}: {answer['errors']}")
    data: dict[str, Any] = answer["data"]
    return data


def norm(key: str, value: Any) -> Any:
    if key in ENUMS and isinstance(value, str):
        return value.replace("_", "").lower()
    if key.endswith("At") and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def fields(node: dict[str, Any], skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in skip or key in ("__typename", "children", "jobs", "groups", "root", "arguments"):
            continue
        if key in ("created", "modified") and isinstance(value, dict):  # our Action { dateTime user { id } }
            out[f"{key}At"] = norm(f"{key}At", value["dateTime"])
            out[f"{key}By"] = value["user"]["id"]
        else:
            out[key] = norm(key, value)
    return out


def ours_tree(node: dict[str, Any], kind: str = "group") -> dict[str, Any]:
    """Our node: its fields, a job's title (from its typed arguments) and its children in our order."""
    out = {"kind": kind, **fields(node)}
    if isinstance(node.get("arguments"), dict):
        out["title"] = node["arguments"].get("title")
    if "children" in node:
        out["children"] = [ours_tree(c, "group" if c["__typename"] in GROUP_TYPES else "job")
                           for c in node["children"]]
    return out


def peer_tree(node: dict[str, Any], kind: str = "group", *, run: bool = False, under_read_only: bool = False
              ) -> dict[str, Any]:
    """The peer's node in our shape: groups and jobs merged by ordinal into `children`; a job's readOnly derived as
    our gateway derives it (generated, or under a read-only group)."""
    out = {"kind": kind, **fields(node, frozenset({"generated"}))}
    if kind == "job" and "generated" in node:
        out["readOnly"] = node["generated"] or under_read_only
    if kind == "job" and isinstance(node.get("arguments"), dict):
        if run:  # our job run's name is derived from its arguments; our (d) selects no arguments
            out["name"] = job_name(node["action"], node["arguments"])
        else:
            out["title"] = node["arguments"].get("title")
    if "jobs" in node or "groups" in node:
        read_only = bool(node.get("readOnly")) or under_read_only
        kids = [(c, "job") for c in (node.get("jobs") or {}).get("nodes", [])]
        kids += [(c, "group") for c in (node.get("groups") or {}).get("nodes", [])]
        kids.sort(key=lambda item: item[0]["ordinal"])
        out["children"] = [peer_tree(c, k, run=run, under_read_only=read_only) for c, k in kids]
    return out


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'ours' if key in a else 'peer'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items in ours, {len(b)} in the peer"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: ours {a!r}, peer {b!r}"


def count_nodes(tree: dict[str, Any]) -> tuple[int, int]:
    groups, jobs = (1, 0) if tree["kind"] == "group" else (0, 1)
    for child in tree.get("children") or []:
        g, j = count_nodes(child)
        groups, jobs = groups + g, jobs + j
    return groups, jobs


class Checker:
    def __init__(self, gateway: str, token: str, peer_url: str) -> None:
        self.gateway, self.token, self.peer_url = gateway, token, peer_url
        self.ours = {w: (OURS / f).read_text() for w, f in OUR_FILES.items()}
        self.theirs = peer.workloads()

    def fetch(self, workload: str, process_id: str = "", run_id: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
        our_vars = {"a": {"id": process_id}, "d": {"id": run_id}}.get(workload, {})
        ours = post(self.gateway, self.ours[workload], our_vars, self.token)
        theirs = post(self.peer_url, self.theirs[workload],
                      peer.variables(workload, process_id=process_id, run_id=run_id))
        return ours, theirs

    def a(self, process_id: str) -> tuple[str | None, str]:
        ours, theirs = self.fetch("a", process_id=process_id)
        o, t = ours["process"], theirs["processById"]
        left = {**fields(o), "root": ours_tree(o["root"])}
        right = {**fields(t), "root": peer_tree(t["root"])}
        g, j = count_nodes(left["root"])
        return first_difference(left, right, "process"), f"{g} groups, {j} jobs"

    def d(self, run_id: str) -> tuple[str | None, str]:
        ours, theirs = self.fetch("d", run_id=run_id)
        o, t = ours["processRun"], theirs["processRunById"]
        counts = {norm("status", c["status"]): c["count"] for c in o["statusCounts"]}
        aliases = [k for k, v in t.items() if isinstance(v, dict) and "totalCount" in v]
        peer_counts = {norm("status", k): t[k]["totalCount"] for k in aliases}
        left = {**fields(o, frozenset({"statusCounts"})), "statusCounts": counts, "root": ours_tree(o["root"])}
        right = {**fields(t, frozenset(aliases)), "statusCounts": peer_counts,
                 "root": peer_tree(t["root"], run=True)}
        g, j = count_nodes(left["root"])
        return first_difference(left, right, "processRun"), f"{g} group runs, {j} job runs, counts {counts}"

    def b(self) -> tuple[str | None, str]:
        ours, theirs = self.fetch("b")
        left = [{**fields(e["node"], frozenset({"process"})), "process": {**fields(e["node"]["process"]),
                                                  "root": {**ours_tree(e["node"]["process"]["root"]), "readOnly": None}}}
                for e in ours["processes"]["edges"]]
        right = [{"id": n["id"], "name": n["name"],
                  "process": {**fields(n), "root": {**peer_tree(n["root"]), "readOnly": None}}}
                 for n in (e["node"] for e in theirs["allProcesses"]["edges"])]
        nodes = [count_nodes(p["process"]["root"]) for p in left]
        return (first_difference(left, right, "processes"),
                f"{len(left)} processes, {sum(g for g, _ in nodes)} groups, {sum(j for _, j in nodes)} jobs")

    def c(self) -> tuple[str | None, str]:
        ours, theirs = self.fetch("c")
        o, t = ours["processes"], theirs["allProcesses"]
        left = {"nodes": [fields(e["node"]) for e in o["edges"]], "hasNextPage": o["pageInfo"]["hasNextPage"],
                "cursors": all(e["cursor"] for e in o["edges"]) and bool(o["pageInfo"]["endCursor"])}
        right = {"nodes": [fields(e["node"]) for e in t["edges"]], "hasNextPage": t["pageInfo"]["hasNextPage"],
                 "cursors": all(e["cursor"] for e in t["edges"]) and bool(t["pageInfo"]["endCursor"])}
        return first_difference(left, right, "processes"), f"{len(left['nodes'])} summaries"


async def pick_ids(database_url: str, every: bool) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(peer.pg_url(database_url))
    try:
        limit = "" if every else "limit 1"
        processes = await conn.fetch(f"""
            select p.id from process p
            where p.trashed_at is null
            order by (select count(*) from process_group g where g.process_id = p.id)
                   + (select count(*) from process_job j where j.process_id = p.id) desc, p.id {limit}""")
        runs = await conn.fetch(f"""
            select r.id from process_run r
            order by (select count(*) from job_run j where j.run_id = r.id) desc, r.id {limit}""")
    finally:
        await conn.close()
    return [r["id"] for r in processes], [r["id"] for r in runs]


def check(gateway: str, token: str, peer_url: str, *, process_ids: list[str], run_ids: list[str],
          out: Any = sys.stdout) -> bool:
    """Compare every workload; print one line per check; True when all agree."""
    checker = Checker(gateway, token, peer_url)
    ok = True

    def report(name: str, result: tuple[str | None, str]) -> None:
        nonlocal ok
        difference, summary = result
        ok = ok and difference is None
        print(f"{name}: {'same' if difference is None else 'DIFFERENT'} ({summary})"
              + ("" if difference is None else f"\n    first difference: {difference}"), file=out)

    for pid in process_ids:
        report(f"(a) process {pid}", checker.a(pid))
    report("(b) first 50 processes with trees", checker.b())
    report("(c) 100 summaries", checker.c())
    for rid in run_ids:
        report(f"(d) run {rid}", checker.d(rid))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of the database both servers read")
    parser.add_argument("--token", required=True, help="a read token of our gateway")
    parser.add_argument("--gateway", required=True, help="our gateway, e.g. http://127.0.0.1:8011")
    parser.add_argument("--peer", required=True, help="the PostGraphile peer, e.g. http://127.0.0.1:8021")
    parser.add_argument("--process-id", action="append", default=[], help="a process for (a); repeatable")
    parser.add_argument("--run-id", action="append", default=[], help="a run for (d); repeatable")
    parser.add_argument("--all", action="store_true", help="check (a) for every live process and (d) for every run")
    args = parser.parse_args()
    processes, runs = args.process_id, args.run_id
    if not processes or not runs:
        picked_processes, picked_runs = asyncio.run(pick_ids(args.database_url, args.all))
        processes, runs = processes or picked_processes, runs or picked_runs
    sys.exit(0 if check(args.gateway, args.token, args.peer, process_ids=processes, run_ids=runs) else 1)


if __name__ == "__main__":
    main()
