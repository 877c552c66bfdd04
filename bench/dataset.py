"""The benchmark's standard dataset (issue 7), built through the service layer, the same for the same seed.

200 processes; each root holds 3 groups, each of those 3 groups, each of those 3 groups (39 groups under
the root), and each of those 39 groups holds 2 jobs (sendTask, contentRequest and certification arguments
in a fixed rotation, so generated certification groups appear too). Each process gets 3 runs. A manifest
(`<database>.manifest.json` beside the database, or under var/bench for PostgreSQL) records the ids the
workloads cycle over, the benchmark token and what the dataset was built from; a matching manifest means
the database is reused as it is.

Workload (f), "like real use" (issue 29), has a dataset of its own in a database of its own (so that the standard
one stays as it is): 2,000 processes of the same shape in one workspace, 200 users there, each with a token of
their own, and 2 runs per process, started, so their first job runs wait in people's inboxes. The people of
process i (manager, assignee, signer, approver) are users picked by a fixed rotation, so that every user has
work waiting and every process has a different set of people.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import app.models_registry  # noqa: F401  (every table on the metadata)
from app.auth import service as auth_service
from app.auth.models import Workspace
from app.auth.service import READ, WRITE, Actor
from app.db import metadata, table
from app.process import service as process_service
from app.process.draft import GROUPS, JOBS
from app.process.inputs import GroupSpec, JobSpec, ProcessSpec, TagSpec
from app.run import service as run_service
from app.settings import DEFAULT_WORKSPACE_ID

SHAPE_VERSION = 1  # bump when the dataset's shape changes, so old databases are rebuilt
REAL_SHAPE_VERSION = 1  # the same for the dataset of workload (f)
RENAMES = 5  # per process of (f): the groups and jobs its batch renames draw from
PEOPLE = ("Bench Manager", "Ana Assignee", "Ben Signer", "Cleo Approver")


@dataclass
class Manifest:
    shape: int
    processes: int
    runs_per_process: int
    seed: int
    token: str
    manager_id: str
    process_ids: list[str]
    run_ids: list[str]
    # per process: ids of client groups and jobs (the write mix renames 100 of them in a batch)
    node_ids: dict[str, list[list[str]]]
    build_seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: str) -> Manifest:
        return cls(**json.loads(data))


def _job(n: int, users: dict[str, str], rng: random.Random, due: date) -> JobSpec:
    kind = n % 6
    title = f"Job {n:03d} {rng.choice(['reconcile', 'review', 'collect', 'confirm', 'draft', 'attest'])}"
    tags = [TagSpec(category="area", value=rng.choice(["AP", "AR", "GL", "Tax"]))] if n % 4 == 0 else []
    if kind in (0, 1, 3):
        args: dict[str, Any] = {"title": title, "instructions": f"Please {title.lower()} for the period.",
                                "assignee": users["manager"], "dueDate": (due + timedelta(days=n % 9)).isoformat()}
        if kind == 3:
            args["document"] = f"doc-{n % 17}"
        return JobSpec(action="sendTask", arguments=args, tags=tags)
    if kind in (2, 4):
        return JobSpec(action="contentRequest", tags=tags, arguments={
            "title": title, "instructions": "Fill in the section.", "assignee": users["assignee"],
            "approver": users["manager"], "document": f"doc-{n % 11}", "section": f"sec-{n % 5}",
            "dueDate": (due + timedelta(days=n % 7)).isoformat()})
    return JobSpec(action="certification", tags=tags, arguments={
        "title": title, "document": f"letter-{n % 3}", "dueDate": (due + timedelta(days=20)).isoformat(),
        "signerSteps": [{"mode": "everyone", "users": [users["signer"]]}],
        "approverSteps": [{"mode": "someone", "users": [users["approver"]]}]})


def process_spec(index: int, users: dict[str, str], seed: int) -> ProcessSpec:
    """Process `index` of the standard dataset: 39 groups below the root, 2 jobs in each of them."""
    rng = random.Random(seed * 1_000_003 + index)
    due = date(2027, 1, 1) + timedelta(days=index % 60)
    counter = iter(range(10_000))

    def group(level: int, path: str) -> GroupSpec:
        jobs: list[GroupSpec | JobSpec] = [_job(next(counter), users, rng, due) for _ in range(2)]
        kids: list[GroupSpec | JobSpec] = [group(level + 1, f"{path}.{i + 1}") for i in range(3)] if level < 3 else []
        return GroupSpec(name=f"Group {path}", parallel=level % 2 == 0, children=jobs + kids,
                         due_date=due if level == 1 else None)

    root = GroupSpec(name="Root", parallel=True, children=[group(1, str(i + 1)) for i in range(3)])
    return ProcessSpec(name=f"Bench process {index:04d}", root=root, auto_close=index % 2 == 0,
                       cert_auto_approve=index % 3 == 0, due_date=due + timedelta(days=30))


async def _reset(engine: AsyncEngine) -> None:
    """Empty every table of the migrated schema (the benchmark owns its database)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for tbl in reversed(metadata.sorted_tables):  # children before parents
                await conn.execute(tbl.delete())
        else:
            names = [r[0] for r in (await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename != 'alembic_version'"
            ))).all()]
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))


async def build(engine: AsyncEngine, *, processes: int = 200, runs_per_process: int = 3, seed: int = 7,
                progress: Any = None) -> Manifest:
    """Empty the database and build the dataset through the service layer."""
    started = time.perf_counter()
    await _reset(engine)
    ws = DEFAULT_WORKSPACE_ID
    async with engine.begin() as conn:
        await conn.execute(table(Workspace).insert().values(id=ws, name="Bench", created_at=datetime.now(UTC)))
    ids = [await auth_service.create_user(engine, workspace_id=ws, name=n, email=f"{n.split()[0].lower()}@bench.test")
           for n in PEOPLE]
    users = dict(zip(("manager", "assignee", "signer", "approver"), ids, strict=True))
    _, token = await auth_service.create_token(engine, user_id=users["manager"], scopes=[READ, WRITE], label="bench")
    actor = Actor(user_id=users["manager"], workspace_id=ws, scopes=frozenset({READ, WRITE}))
    process_ids: list[str] = []
    run_ids: list[str] = []
    for i in range(processes):
        row = await process_service.create_process(engine=engine, actor=actor, spec=process_spec(i, users, seed))
        process_ids.append(row.id)
        for _ in range(runs_per_process):
            run_ids.append((await run_service.start_run(engine=engine, actor=actor, process_id=row.id)).id)
        if progress is not None:
            progress(i + 1, processes)
    if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would give a live database
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE"))
    node_ids: dict[str, list[list[str]]] = {}
    async with engine.connect() as conn:
        for pid in process_ids[:20]:
            groups = (await conn.execute(select(GROUPS.c.id).where(GROUPS.c.process_id == pid, GROUPS.c.generated.is_(False),
                                                               GROUPS.c.parent_group_id.is_not(None)))).scalars().all()
            jobs = (await conn.execute(select(JOBS.c.id).where(JOBS.c.process_id == pid, JOBS.c.generated.is_(False))
                                       )).scalars().all()
            node_ids[pid] = [["GROUP", g] for g in sorted(groups)] + [["JOB", j] for j in sorted(jobs)]
    return Manifest(shape=SHAPE_VERSION, processes=processes, runs_per_process=runs_per_process, seed=seed,
                    token=token, manager_id=users["manager"], process_ids=process_ids, run_ids=run_ids,
                    node_ids=node_ids, build_seconds=round(time.perf_counter() - started, 1))


async def matches(engine: AsyncEngine, manifest: Manifest | RealManifest) -> bool:
    """The database still holds what the manifest describes (same process and job counts)."""
    try:
        async with engine.connect() as conn:
            n = (await conn.execute(text("SELECT count(*) FROM process"))).scalar_one()
            jobs = (await conn.execute(select(JOBS.c.id).limit(1))).first()
    except Exception:
        return False
    return bool(n == manifest.processes and jobs is not None)


@dataclass
class RealManifest:
    """The dataset of workload (f): who the users are, their tokens, and the ids the load draws from."""

    shape: int
    processes: int
    users: int
    runs_per_process: int
    seed: int
    workspace_id: str
    user_ids: list[str]
    tokens: list[str]  # tokens[k] is user k's own (READ and WRITE)
    process_ids: list[str]  # process k is named `Bench process {k:04d}`
    run_ids: list[list[str]]  # per process, in the order of process_ids
    rename_ids: list[list[list[str]]]  # per process: RENAMES client [kind, id], GROUP or JOB
    build_seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: str) -> RealManifest:
        return cls(**json.loads(data))


def people(index: int, user_ids: list[str]) -> dict[str, str]:
    """The manager, assignee, signer and approver of process `index` of (f): four users by fixed strides, so that
    each user is a manager of some processes and an assignee, signer or approver of others."""
    n = len(user_ids)
    return {"manager": user_ids[index % n], "assignee": user_ids[(index * 7 + 1) % n],
            "signer": user_ids[(index * 13 + 2) % n], "approver": user_ids[(index * 31 + 3) % n]}


async def build_real(engine: AsyncEngine, *, processes: int = 2000, users: int = 200, runs_per_process: int = 2,
                     seed: int = 7, progress: Any = None) -> RealManifest:
    """Empty the database and build the dataset of (f) through the service layer, as build() does; each process
    is created and its runs started by its manager."""
    started = time.perf_counter()
    await _reset(engine)
    ws = DEFAULT_WORKSPACE_ID
    async with engine.begin() as conn:
        await conn.execute(table(Workspace).insert().values(id=ws, name="Bench", created_at=datetime.now(UTC)))
    user_ids = [await auth_service.create_user(engine, workspace_id=ws, name=f"User {k:03d}",
                                               email=f"user{k:03d}@bench.test") for k in range(users)]
    tokens = [(await auth_service.create_token(engine, user_id=u, scopes=[READ, WRITE], label="bench f"))[1]
              for u in user_ids]
    process_ids: list[str] = []
    run_ids: list[list[str]] = []
    for i in range(processes):
        roles = people(i, user_ids)
        actor = Actor(user_id=roles["manager"], workspace_id=ws, scopes=frozenset({READ, WRITE}))
        row = await process_service.create_process(engine=engine, actor=actor, spec=process_spec(i, roles, seed))
        process_ids.append(row.id)
        run_ids.append([(await run_service.start_run(engine=engine, actor=actor, process_id=row.id)).id
                        for _ in range(runs_per_process)])
        if progress is not None:
            progress(i + 1, processes)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE"))
    nodes: dict[str, list[list[str]]] = {p: [] for p in process_ids}
    async with engine.connect() as conn:
        groups = (await conn.execute(select(GROUPS.c.process_id, GROUPS.c.id).where(
            GROUPS.c.generated.is_(False), GROUPS.c.parent_group_id.is_not(None)).order_by(GROUPS.c.id))).all()
        jobs = (await conn.execute(select(JOBS.c.process_id, JOBS.c.id).where(JOBS.c.generated.is_(False))
                                   .order_by(JOBS.c.id))).all()
    for process_id, group_id in groups:  # about half groups, half jobs
        if len(nodes[process_id]) < RENAMES // 2:
            nodes[process_id].append(["GROUP", group_id])
    for process_id, job_id in jobs:
        if len(nodes[process_id]) < RENAMES:
            nodes[process_id].append(["JOB", job_id])
    return RealManifest(shape=REAL_SHAPE_VERSION, processes=processes, users=users, runs_per_process=runs_per_process,
                        seed=seed, workspace_id=ws, user_ids=user_ids, tokens=tokens, process_ids=process_ids,
                        run_ids=run_ids, rename_ids=[nodes[p] for p in process_ids],
                        build_seconds=round(time.perf_counter() - started, 1))
