"""Cost growth (issue 16 point 4): gateway+database CPU per node for process trees of about 120, 1,000 and 5,000
nodes (workload (a)'s query) and per row for list pages of 10, 100 and 1,000 summaries (workload (c)'s query), for
our gateway and, with `--peer`, for the peer in the same run: `scripts/bench --extra growth [--peer postgraphile5]`.

The trees and the list live in a workspace of their own ("Growth"), so the standard workloads' lists are untouched.
They are built through the service layer once and recorded in `var/bench/growth.manifest.json`; a manifest whose
workspace still holds its processes means the data is reused.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth_service
from app.auth.models import Workspace
from app.auth.service import READ, WRITE, Actor
from app.db import table
from app.ids import new_id
from app.process import service as process_service
from app.process.inputs import GroupSpec, JobSpec, ProcessSpec
from app.process.models import Process
from bench.dataset import _job

# nodes (about) -> (groups per group, jobs per group) for 3 group levels below the root, all of which (a) reads
TREE_SHAPES = {120: (3, 2), 1000: (6, 3), 5000: (9, 5)}
LIST_SIZES = (10, 100, 1000)
SHAPE_VERSION = 1


@dataclass
class GrowthManifest:
    shape: int
    workspace_id: str
    token: str
    trees: dict[str, list[Any]]  # "120" -> [process id, nodes the (a) query returns: groups and jobs]
    processes: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: str) -> GrowthManifest:
        return cls(**json.loads(data))


def tree_spec(nodes: int, users: dict[str, str]) -> tuple[ProcessSpec, int]:
    """A process of about `nodes` client groups and jobs in (a)'s shape, and its exact count (root included)."""
    branching, jobs_per_group = TREE_SHAPES[nodes]
    rng = random.Random(nodes)
    due = date(2027, 1, 1)
    counter = iter(range(100_000))
    count = 1

    def group(level: int, path: str) -> GroupSpec:
        nonlocal count
        jobs: list[GroupSpec | JobSpec] = [_job(next(counter), users, rng, due) for _ in range(jobs_per_group)]
        kids: list[GroupSpec | JobSpec] = ([group(level + 1, f"{path}.{i + 1}") for i in range(branching)]
                                           if level < 3 else [])
        count += 1 + len(jobs)
        return GroupSpec(name=f"Group {path}", parallel=level % 2 == 0, children=jobs + kids)

    root = GroupSpec(name="Root", parallel=True, children=[group(1, str(i + 1)) for i in range(branching)])
    return ProcessSpec(name=f"Growth tree {nodes:05d}", root=root, due_date=due + timedelta(days=30)), count


async def build(engine: AsyncEngine, progress: Any = None) -> GrowthManifest:
    """A new Growth workspace with its user, token, the three trees and enough processes for a page of 1,000."""
    ws = new_id()
    async with engine.begin() as conn:
        await conn.execute(table(Workspace).insert().values(id=ws, name="Growth", created_at=datetime.now(UTC)))
    names = ("manager", "assignee", "signer", "approver")
    ids = [await auth_service.create_user(engine, workspace_id=ws, name=f"Growth {n}", email=f"{n}@growth.test")
           for n in names]
    users = dict(zip(names, ids, strict=True))
    _, token = await auth_service.create_token(engine, user_id=users["manager"], scopes=[READ, WRITE], label="growth")
    actor = Actor(user_id=users["manager"], workspace_id=ws, scopes=frozenset({READ, WRITE}))
    trees: dict[str, list[Any]] = {}
    for nodes in TREE_SHAPES:
        spec, count = tree_spec(nodes, users)
        trees[str(nodes)] = [(await process_service.create_process(engine=engine, actor=actor, spec=spec)).id, count]
    small = max(LIST_SIZES)
    for i in range(small):
        spec = ProcessSpec(name=f"Growth list {i:04d}", root=GroupSpec(name="Root", children=[
            _job(i, users, random.Random(i), date(2027, 1, 1))]), due_date=date(2027, 2, 1) + timedelta(days=i % 90))
        await process_service.create_process(engine=engine, actor=actor, spec=spec)
        if progress is not None and (i + 1) % 200 == 0:
            progress(i + 1, small)
    return GrowthManifest(shape=SHAPE_VERSION, workspace_id=ws, token=token, trees=trees,
                          processes=small + len(TREE_SHAPES))


async def ensure(engine: AsyncEngine, previous: GrowthManifest | None, progress: Any = None) -> GrowthManifest:
    """`previous` (the recorded manifest) when the database still holds its data, else a fresh build."""
    if previous is not None and previous.shape == SHAPE_VERSION:
        pt = table(Process)
        async with engine.connect() as conn:
            n = (await conn.execute(select(func.count()).select_from(pt).where(
                pt.c.workspace_id == previous.workspace_id))).scalar_one()
        if n == previous.processes:
            return previous
    return await build(engine, progress)


def with_first(query: str, first: int) -> str:
    """Workload (c)'s query (ours or the peer's) asking for `first` summaries instead of 100."""
    if query.count("first: 100") != 1:
        raise ValueError("the list query should ask for exactly `first: 100` once")
    return query.replace("first: 100", f"first: {first}")


def spread(values: list[float]) -> float:
    """The largest relative distance of a value from their mean (0.2 is ±20%)."""
    mean = sum(values) / len(values)
    return max(abs(v - mean) / mean for v in values) if mean else 0.0
