"""Integrity of every stored process, checked straight in the database (the fuzz test runs it last).

`check_integrity(engine)` returns one line per violation (empty when all is well):

- exactly one root group per process (no parent of either kind), and it is `process.root_group_id`;
- every group and job hangs under a parent that exists in the same process: client nodes under client
  groups, a generated group under a certification job (one per certification job, none elsewhere),
  generated groups and jobs under generated groups; every node is reachable from the root (no orphans,
  no cycles); at most 16 client group levels below the root and 5,000 client nodes;
- under every parent, ordinals (groups and jobs share one space) are exactly 0..n-1;
- revisions: the process and every node at revision >= 1, no node above its process; history revisions of
  a process are exactly 1..N with N = process.revision, the first written by processCreate, processCopy or
  processCreateFromRun, and replaying all history operations from nothing gives the stored document;
- tags belong to an existing job of the same process, with dense positions and no duplicate pair;
- nothing (group, job, tag, history entry) belongs to a process that does not exist.

Runs get the same structural checks (one root group run, parents in the same run, a generated group run
under a certification job run, dense ordinals, everything reachable) and: known statuses, revisions >= 1,
events numbered exactly 1..event_seq and about nodes of their run, a complete group run has only settled
children, a complete run has only settled job runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import Workspace
from app.db import table
from app.process import history
from app.process.draft import Draft
from app.process.limits import MAX_GROUP_DEPTH, MAX_TREE_NODES
from app.process.models import GENERATED_ACTIONS, ProcessGroup, ProcessHistory, ProcessJob, TagLink
from app.process.models import Process as ProcessModel
from app.run.models import (
    ACTION_STATUSES,
    SETTLED,
    STATUSES,
    GroupRun,
    JobRun,
    ProcessRun,
    RunEvent,
)

PT, GT, JT, TT, HT, WT = (table(m) for m in (ProcessModel, ProcessGroup, ProcessJob, TagLink, ProcessHistory,
                                             Workspace))
RT, GRT, JRT, ET = (table(m) for m in (ProcessRun, GroupRun, JobRun, RunEvent))
FIRST_MUTATIONS = {"processCreate", "processCopy", "processCreateFromRun"}
MAX_PER_PROCESS = 10  # report at most this many violations of one process


async def load(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    async with engine.connect() as conn:
        out = {}
        for name, tbl in (("processes", PT), ("groups", GT), ("jobs", JT), ("tags", TT), ("workspaces", WT),
                          ("runs", RT), ("group_runs", GRT), ("job_runs", JRT), ("events", ET)):
            out[name] = [dict(r) for r in (await conn.execute(select(tbl))).mappings().all()]
        order = (HT.c.process_id, HT.c.revision)
        out["history"] = [dict(r) for r in (await conn.execute(select(HT).order_by(*order))).mappings().all()]
    return out


async def check_integrity(engine: AsyncEngine, stats: dict[str, int] | None = None) -> list[str]:
    """Every violation found, one line each; `stats` (if given) receives how many rows were checked."""
    rows = await load(engine)
    if stats is not None:
        stats.update({name: len(found) for name, found in rows.items()})
    return check_rows(rows)


def check_rows(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    problems: list[str] = []
    processes = {p["id"]: p for p in rows["processes"]}
    workspaces = {w["id"] for w in rows["workspaces"]}
    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    jobs: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    tags: dict[str, list[dict[str, Any]]] = defaultdict(list)
    entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, source, target in (("group", rows["groups"], groups), ("job", rows["jobs"], jobs)):
        for r in source:
            if r["process_id"] not in processes:
                problems.append(f"orphan {kind} {r['id']}: its process {r['process_id']} does not exist")
            target[r["process_id"]][r["id"]] = r
    for t in rows["tags"]:
        tags[t["process_id"]].append(t)
        if t["process_id"] not in processes:
            problems.append(f"orphan tag {t['id']}: its process {t['process_id']} does not exist")
    for h in rows["history"]:
        entries[h["process_id"]].append(h)
        if h["process_id"] not in processes:
            problems.append(f"orphan history entry {h['id']}: its process {h['process_id']} does not exist")
    for pid, p in processes.items():
        found = _check_process(p, groups[pid], jobs[pid], tags[pid], entries[pid], workspaces)
        problems.extend(f"process {pid}: {line}" for line in found[:MAX_PER_PROCESS])
        if len(found) > MAX_PER_PROCESS:
            problems.append(f"process {pid}: ... and {len(found) - MAX_PER_PROCESS} more")
    problems.extend(check_runs(rows))
    return problems


def check_runs(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    problems: list[str] = []
    runs = {r["id"]: r for r in rows.get("runs", [])}
    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    jobs: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, source, target in (("group run", rows.get("group_runs", []), groups),
                                 ("job run", rows.get("job_runs", []), jobs)):
        for r in source:
            if r["run_id"] not in runs:
                problems.append(f"orphan {kind} {r['id']}: its run {r['run_id']} does not exist")
            target[r["run_id"]][r["id"]] = r
    for e in rows.get("events", []):
        events[e["run_id"]].append(e)
        if e["run_id"] not in runs:
            problems.append(f"orphan event {e['id']}: its run {e['run_id']} does not exist")
    for rid, run in runs.items():
        found = _check_run(run, groups[rid], jobs[rid], events[rid])
        problems.extend(f"run {rid}: {line}" for line in found[:MAX_PER_PROCESS])
        if len(found) > MAX_PER_PROCESS:
            problems.append(f"run {rid}: ... and {len(found) - MAX_PER_PROCESS} more")
    return problems


def _check_run(run: dict[str, Any], groups: dict[str, dict[str, Any]], jobs: dict[str, dict[str, Any]],
               events: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    roots = [g for g in groups.values() if g["parent_group_run_id"] is None and g["parent_job_run_id"] is None]
    if len(roots) != 1 or roots[0]["id"] != run["root_group_run_id"]:
        out.append(f"root group runs {[g['id'] for g in roots]}, but root_group_run_id is {run['root_group_run_id']}")
    children: dict[str, list[tuple[int, str]]] = defaultdict(list)
    generated_of: dict[str, list[str]] = defaultdict(list)
    for g in groups.values():
        if g["parent_group_run_id"] is not None:
            parent = groups.get(g["parent_group_run_id"])
            if parent is None:
                out.append(f"group run {g['id']}: parent {g['parent_group_run_id']} is not a group run of this run")
                continue
            children[parent["id"]].append((g["ordinal"], g["id"]))
            if bool(g["generated"]) != bool(parent["generated"]):
                out.append(f"group run {g['id']} (generated={g['generated']}) under group run {parent['id']} "
                           f"(generated={parent['generated']})")
        elif g["parent_job_run_id"] is not None:
            job = jobs.get(g["parent_job_run_id"])
            if job is None or job["action"] != "certification" or not g["generated"]:
                out.append(f"group run {g['id']} hangs under {g['parent_job_run_id']}, not as the generated group "
                           "of a certification job run of this run")
                continue
            generated_of[job["id"]].append(g["id"])
    for j in jobs.values():
        parent = groups.get(j["parent_group_run_id"])
        if parent is None:
            out.append(f"job run {j['id']}: parent {j['parent_group_run_id']} is not a group run of this run")
            continue
        children[parent["id"]].append((j["ordinal"], j["id"]))
        if bool(j["generated"]) != bool(parent["generated"]):
            out.append(f"job run {j['id']} (generated={j['generated']}) under group run {parent['id']} "
                       f"(generated={parent['generated']})")
    for job_id, gens in generated_of.items():
        if len(gens) != 1:
            out.append(f"certification job run {job_id} has {len(gens)} generated group runs")
    for parent_id, kids in children.items():
        ordinals = sorted(o for o, _ in kids)
        if ordinals != list(range(len(kids))):
            out.append(f"ordinals under group run {parent_id} are {ordinals[:20]}, not 0..{len(kids) - 1}")
    if len(roots) == 1:
        seen = {roots[0]["id"]}
        stack = [roots[0]["id"]]
        while stack:
            current = stack.pop()
            for cid in [c for _, c in children.get(current, [])] + generated_of.get(current, []):
                if cid not in seen:
                    seen.add(cid)
                    stack.append(cid)
        unreached = (set(groups) | set(jobs)) - seen
        if unreached:
            out.append(f"{len(unreached)} group/job runs are not reachable from the root, e.g. {sorted(unreached)[:3]}")

    # states, revisions, events
    if run["status"] not in STATUSES:
        out.append(f"unknown run status {run['status']!r}")
    for n in (run, *groups.values(), *jobs.values()):
        if n["revision"] < 1:
            out.append(f"{n['id']} at revision {n['revision']}")
    for g in groups.values():
        if g["status"] not in STATUSES:
            out.append(f"group run {g['id']}: unknown status {g['status']!r}")
        if g["status"] == "complete":
            open_ = [cid for _, cid in children.get(g["id"], [])
                     if (groups.get(cid) or jobs.get(cid) or {}).get("status") not in SETTLED]
            if open_:
                out.append(f"group run {g['id']} is complete with unsettled children, e.g. {open_[:3]}")
    for j in jobs.values():
        if j["status"] not in STATUSES or j["action_status"] not in ACTION_STATUSES:
            out.append(f"job run {j['id']}: unknown status {j['status']!r}/{j['action_status']!r}")
    if run["status"] == "complete":
        open_jobs = [j["id"] for j in jobs.values() if j["status"] not in SETTLED]
        if open_jobs:
            out.append(f"the run is complete with {len(open_jobs)} unsettled job runs, e.g. {open_jobs[:3]}")
    seqs = sorted(e["seq"] for e in events)
    if seqs != list(range(1, run["event_seq"] + 1)):
        shown = seqs if len(seqs) <= 12 else [*seqs[:6], "...", *seqs[-6:]]
        out.append(f"event sequence numbers are {shown}, expected 1..{run['event_seq']}")
    known = {run["id"], *groups, *jobs}
    strangers = [e["node_id"] for e in events if e["node_id"] not in known]
    if strangers:
        out.append(f"{len(strangers)} events are about nodes that are not in this run, e.g. {strangers[:3]}")
    return out


def _check_process(p: dict[str, Any], groups: dict[str, dict[str, Any]], jobs: dict[str, dict[str, Any]],
                   tags: list[dict[str, Any]], entries: list[dict[str, Any]], workspaces: set[str]) -> list[str]:
    out: list[str] = []
    if p["workspace_id"] not in workspaces:
        out.append(f"workspace {p['workspace_id']} does not exist")
    if (p["trashed_at"] is None) != (p["trashed_by"] is None):
        out.append("trashed_at and trashed_by disagree")
    roots = [g for g in groups.values() if g["parent_group_id"] is None and g["parent_job_id"] is None]
    if len(roots) != 1:
        out.append(f"{len(roots)} root groups (groups without a parent) instead of 1")
    elif roots[0]["id"] != p["root_group_id"]:
        out.append(f"the root group is {roots[0]['id']}, but root_group_id is {p['root_group_id']}")
    elif roots[0]["generated"] or roots[0]["ordinal"] != 0:
        out.append("the root group is generated or has an ordinal other than 0")

    # parents, kinds and ordinals
    children: dict[str, list[tuple[int, str]]] = defaultdict(list)  # parent group id -> (ordinal, id)
    generated_of: dict[str, list[str]] = defaultdict(list)  # certification job id -> generated group ids
    for g in groups.values():
        gid, parent_group, parent_job = g["id"], g["parent_group_id"], g["parent_job_id"]
        if parent_group is not None and parent_job is not None:
            out.append(f"group {gid} has both a parent group and a parent job")
        if parent_group is not None:
            parent = groups.get(parent_group)
            if parent is None:
                out.append(f"group {gid}: parent group {parent_group} is not in this process")
                continue
            children[parent_group].append((g["ordinal"], gid))
            if bool(g["generated"]) != bool(parent["generated"]):
                out.append(f"group {gid} (generated={g['generated']}) under group {parent_group} "
                           f"(generated={parent['generated']})")
        elif parent_job is not None:
            job = jobs.get(parent_job)
            if job is None:
                out.append(f"generated group {gid}: parent job {parent_job} is not in this process")
                continue
            generated_of[parent_job].append(gid)
            if not g["generated"] or job["generated"] or job["action"] != "certification":
                out.append(f"group {gid} hangs under job {parent_job} ({job['action']}, generated="
                           f"{job['generated']}) but only a generated group may, under a certification job")
            if g["ordinal"] != 0:
                out.append(f"generated group {gid} has ordinal {g['ordinal']}, not 0")
    for j in jobs.values():
        parent = groups.get(j["parent_group_id"])
        if parent is None:
            out.append(f"job {j['id']}: parent group {j['parent_group_id']} is not in this process")
            continue
        children[j["parent_group_id"]].append((j["ordinal"], j["id"]))
        if bool(j["generated"]) != bool(parent["generated"]):
            out.append(f"job {j['id']} (generated={j['generated']}) under group {parent['id']} "
                       f"(generated={parent['generated']})")
        if bool(j["generated"]) != (j["action"] in GENERATED_ACTIONS):
            out.append(f"job {j['id']}: action {j['action']} but generated={j['generated']}")
        if not j["generated"] and j["action"] == "certification" and len(generated_of.get(j["id"], [])) != 1:
            out.append(f"certification job {j['id']} has {len(generated_of.get(j['id'], []))} generated groups")
    for parent_id, kids in children.items():
        ordinals = sorted(o for o, _ in kids)
        if ordinals != list(range(len(kids))):
            out.append(f"ordinals under {parent_id} are {ordinals[:20]}, not 0..{len(kids) - 1}")

    # reachability from the root (no orphans, no cycles), depth and size limits
    if len(roots) == 1:
        root_id = roots[0]["id"]
        seen = {root_id}
        level = {root_id: 0}
        stack = [root_id]
        while stack:
            current = stack.pop()
            below = [cid for _, cid in children.get(current, [])]
            below += generated_of.get(current, [])
            for cid in below:
                if cid in seen:
                    out.append(f"node {cid} is reached twice from the root (a cycle or a shared child)")
                    continue
                seen.add(cid)
                stack.append(cid)
                if cid in groups and not groups[cid]["generated"]:
                    level[cid] = level[current] + 1
                else:
                    level[cid] = level.get(current, 0)
        unreached = (set(groups) | set(jobs)) - seen
        if unreached:
            out.append(f"{len(unreached)} groups/jobs are not reachable from the root, e.g. {sorted(unreached)[:3]}")
        deepest = max((level[g] for g in groups if g in level and not groups[g]["generated"]), default=0)
        if deepest > MAX_GROUP_DEPTH:
            out.append(f"client groups nest {deepest} levels below the root (limit {MAX_GROUP_DEPTH})")
    client_nodes = sum(1 for n in (*groups.values(), *jobs.values()) if not n["generated"]) - 1
    if client_nodes > MAX_TREE_NODES:
        out.append(f"{client_nodes} client groups and jobs below the root (limit {MAX_TREE_NODES})")

    # revisions and history
    revision = p["revision"]
    if revision < 1:
        out.append(f"process revision {revision} < 1")
    for n in (*groups.values(), *jobs.values()):
        if not 1 <= n["revision"] <= revision:
            out.append(f"node {n['id']} at revision {n['revision']}, outside 1..{revision} (the process's)")
    revisions = [h["revision"] for h in entries]
    if revisions != list(range(1, len(revisions) + 1)) or len(revisions) != revision:
        shown = revisions if len(revisions) <= 12 else [*revisions[:6], "...", *revisions[-6:]]
        out.append(f"history revisions are {shown}, expected 1..{revision}")
    elif entries[0]["mutation"] not in FIRST_MUTATIONS:
        out.append(f"the first history entry was written by {entries[0]['mutation']}")
    else:
        out.extend(_check_replay(p, groups, jobs, tags, entries))

    # tags
    by_job: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in tags:
        if t["job_id"] not in jobs:
            out.append(f"tag {t['id']}: job {t['job_id']} is not in this process")
        by_job[t["job_id"]].append(t)
    for job_id, ts in by_job.items():
        positions = sorted(t["position"] for t in ts)
        if positions != list(range(len(ts))):
            out.append(f"tag positions of job {job_id} are {positions}, not 0..{len(ts) - 1}")
        pairs = [(t["category"], t["value"]) for t in ts]
        if len(set(pairs)) != len(pairs):
            out.append(f"job {job_id} carries a tag twice")
    return out


def _check_replay(p: dict[str, Any], groups: dict[str, dict[str, Any]], jobs: dict[str, dict[str, Any]],
                  tags: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[str]:
    """All history operations, oldest first, applied to nothing must give the stored document."""
    try:
        stored = Draft(dict(p), [dict(g) for g in groups.values()], [dict(j) for j in jobs.values()],
                       [dict(t) for t in tags]).doc()
        replayed = history.apply(None, [op for h in entries for op in h["operations"]])
    except Exception as exc:  # a broken tree or history: report it, do not stop the check
        return [f"cannot rebuild or replay the history document: {type(exc).__name__}: {exc}"]
    if replayed == stored:
        return []
    assert replayed is not None
    keys = sorted(k for k in set(stored) | set(replayed) if stored.get(k) != replayed.get(k))
    nodes = [k for k in set(stored["nodes"]) | set(replayed.get("nodes", {}))
             if stored["nodes"].get(k) != replayed.get("nodes", {}).get(k)]
    return [f"replaying the history does not give the stored document: fields {keys[:8]} differ"
            + (f", nodes e.g. {sorted(nodes)[:3]}" if nodes else "")]
