"""Per-request loaders of the run domain: one IN query per batch, each batch on its own connection."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from app.run import service


class RunByIdLoader(DataLoader[str, Any]):
    """Runs of the acting workspace; None for unknown or foreign ids."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine, self.workspace_id = engine, workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with self.engine.connect() as conn:
            rows = await service.runs_by_ids(conn, workspace_id=self.workspace_id, ids=list(keys))
        return [rows.get(k) for k in keys]


class RunTreeLoader(DataLoader[str, "tuple[list[Any], list[Any]]"]):
    """All group runs and job runs of runs already resolved in the workspace (two statements)."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[str]) -> list[tuple[list[Any], list[Any]]]:
        async with self.engine.connect() as conn:
            trees = await service.run_trees(conn, run_ids=list(keys))
        return [trees[k] for k in keys]


class RunStatusCountsLoader(DataLoader[str, "dict[str, int]"]):
    """Job runs by status for each run: one GROUP BY statement per batch."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[str]) -> list[dict[str, int]]:
        async with self.engine.connect() as conn:
            found = await service.status_counts(conn, run_ids=list(keys))
        return [found[k] for k in keys]


class LastCommentLoader(DataLoader["tuple[str, str]", Any]):
    """The latest commented event of each (run id, job run id), or None: one statement per batch."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[tuple[str, str]]) -> list[Any]:
        async with self.engine.connect() as conn:
            found = await service.last_comments(conn, keys=list(keys))
        return [found.get(k) for k in keys]


class RunNodeLocationLoader(DataLoader[str, "tuple[str, str] | None"]):
    """For any id: (kind, run id) when it is a run, group run or job run of the workspace."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine, self.workspace_id = engine, workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[tuple[str, str] | None]:
        async with self.engine.connect() as conn:
            found = await service.node_locations(conn, workspace_id=self.workspace_id, ids=list(keys))
        return [found.get(k) for k in keys]
