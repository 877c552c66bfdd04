"""Per-request loaders of the run domain: one IN query per batch, each batch on its own connection."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import plain_connection
from app.run import service


class RunByIdLoader(DataLoader[str, Any]):
    """Runs of the acting workspace; None for unknown or foreign ids."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine, self.workspace_id = engine, workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with plain_connection(self.engine) as conn:
            rows = await service.runs_by_ids(conn, workspace_id=self.workspace_id, ids=list(keys))
        return [rows.get(k) for k in keys]


class RunTreeLoader(DataLoader["tuple[str, int | None]", "tuple[list[Any], list[Any]]"]):
    """All group runs and job runs of runs already resolved in the workspace (two statements), keyed by (run
    id, the `tree_version` of the run row the caller read, or None): a key with a version is first asked for
    once that row was read, so its rows are as new as the row or newer (the shared cache keeps them under
    it: app/run/types.py)."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        self._trees: dict[tuple[str, int | None], Any] = {}
        super().__init__(cache_map=self._trees)
        self.engine = engine

    def forget(self, run_id: str) -> None:
        """After a write: every tree of the run this request cached."""
        for key in [k for k in self._trees if k[0] == run_id]:
            self.clear(key)

    async def batch_load_fn(self, keys: list[tuple[str, int | None]]) -> list[tuple[list[Any], list[Any]]]:
        async with plain_connection(self.engine) as conn:
            trees = await service.run_trees(conn, run_ids=sorted({run_id for run_id, _ in keys}))
        return [trees[run_id] for run_id, _ in keys]


class RunStatusCountsLoader(DataLoader[str, "dict[str, int]"]):
    """Job runs by status for each run: one GROUP BY statement per batch."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[str]) -> list[dict[str, int]]:
        async with plain_connection(self.engine) as conn:
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
