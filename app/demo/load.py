"""Loading the demo into a workspace, and what a workspace holds."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth_service
from app.demo.people import check_manager, ensure_people
from app.demo.processes import PROCESS_NAMES, demo_processes, generated_process, resolve_manager
from app.demo.scenarios import Loader, run_scenarios
from app.process.draft import PROCESSES
from app.run import service as run_service
from app.run.models import STATUSES

DEFAULT_SEED = 2025

Progress = Callable[[int, int, str], None]
"""Called after each step with (steps done, steps in all, what was just done)."""


_BASE_STEPS = 1 + len(PROCESS_NAMES) + 6  # people, processes, runs (one step per run scenario of scenarios.py)


async def load_demo(engine: AsyncEngine, *, actor_user_id: str, workspace_id: str,
                    progress: Progress | None = None, extra_processes: int = 0,
                    seed: int = DEFAULT_SEED) -> DemoSummary:
    """Load the demo into a migrated database through the service layer; returns what the workspace holds.

    `actor_user_id` (an active user of `workspace_id`) creates the processes and manages the runs. The caller
    decides whether loading is wanted (see `database_is_empty`); loading twice adds a second copy of the
    processes and runs, reusing the people. `extra_processes` adds that many generated processes (a third of
    them with a started run), the same ones for the same `seed`.
    """
    if extra_processes < 0:
        raise ValueError("extra_processes is not negative")
    await check_manager(engine, workspace_id=workspace_id, user_id=actor_user_id)
    total = _BASE_STEPS + extra_processes
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    u = await ensure_people(engine, workspace_id)
    step("people")
    d = Loader(engine, workspace_id=workspace_id, manager=actor_user_id)
    for spec in demo_processes(u):
        await d.create(resolve_manager(spec, actor_user_id))
        step(f"process: {spec.name}")
    await run_scenarios(d, u, step)
    rng = random.Random(seed)
    for i in range(extra_processes):
        spec = generated_process(i, rng, u)
        await d.create(spec)
        if i % 3 == 0:
            await d.start(spec.name)
        step(f"generated: {spec.name}")
    return await demo_summary(engine, workspace_id=workspace_id)


# ---- what the database holds ----

@dataclass(frozen=True, slots=True)
class DemoSummary:
    processes: int
    runs_by_status: dict[str, int]
    users: int

    @property
    def runs(self) -> int:
        return sum(self.runs_by_status.values())

    def line(self) -> str:
        by_status = ", ".join(f"{s} {n}" for s, n in self.runs_by_status.items() if n)
        return (f"{self.processes} processes, {self.runs} runs ({by_status or 'none'}), "
                f"{self.users} users")


async def demo_summary(engine: AsyncEngine, *, workspace_id: str) -> DemoSummary:
    """Live processes, runs by status (in enum order) and users of a workspace."""
    async with engine.connect() as conn:
        processes = (await conn.execute(select(func.count()).select_from(PROCESSES).where(
            PROCESSES.c.workspace_id == workspace_id, PROCESSES.c.trashed_at.is_(None)))).scalar_one()
        rows = (await conn.execute(select(run_service.RUNS.c.status, func.count()).where(
            run_service.RUNS.c.workspace_id == workspace_id).group_by(run_service.RUNS.c.status))).all()
    found = {status: int(n) for status, n in rows}
    users = await auth_service.count_users(engine, workspace_id=workspace_id)
    return DemoSummary(processes=int(processes), runs_by_status={s: found.get(s, 0) for s in STATUSES},
                       users=users)


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when no workspace holds a process (live or trashed) or a run: the demo may be loaded."""
    async with engine.connect() as conn:
        process = (await conn.execute(select(PROCESSES.c.id).limit(1))).first()
        run = (await conn.execute(select(run_service.RUNS.c.id).limit(1))).first()
    return process is None and run is None
