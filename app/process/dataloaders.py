"""Per-request loaders of the process domain: one IN query per batch, each batch on its own connection."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import plain_connection
from app.process import revisions, service
from app.process.tree import WHOLE, Tree, TreeRead


class ProcessByIdLoader(DataLoader[str, Any]):
    """Live process rows of the acting workspace; None for unknown, trashed or foreign ids."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.workspace_id = workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with plain_connection(self.engine) as conn:
            rows = await service.processes_by_ids(conn, workspace_id=self.workspace_id, ids=keys)
        return [rows.get(k) for k in keys]


TreeKey = tuple[str, TreeRead, "int | None"]


class TreeLoader(DataLoader[TreeKey, Tree]):
    """Trees of processes already resolved in the workspace, keyed by (process id, what is read: see
    TreeRead, the revision of the process row the caller read, or None); one batch per kind of read. A key
    with a revision is first asked for once its process row was read, so its tree is as new as that row
    or newer: what a build for the gateway's shared cache needs (app/process/trees.py built_tree)."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        self._trees: dict[TreeKey, Any] = {}
        super().__init__(cache_map=self._trees)
        self.engine = engine

    async def whole(self, process_id: str, revision: int | None = None) -> Tree:
        return await self.load((process_id, WHOLE, revision))

    def loaded(self, key: TreeKey) -> Tree | None:
        """The tree when this request has already loaded it, without waiting; None otherwise."""
        future = self._trees.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()  # type: ignore[no-any-return]

    def forget(self, process_id: str) -> None:
        """After a write: every tree of the process this request cached, whatever was read."""
        for key in [k for k in self._trees if k[0] == process_id]:
            self.clear(key)

    async def batch_load_fn(self, keys: list[TreeKey]) -> list[Tree]:
        by_read: dict[TreeRead, list[str]] = {}
        for pid, read, _ in keys:
            pids = by_read.setdefault(read, [])
            if pid not in pids:
                pids.append(pid)
        found: dict[tuple[str, TreeRead], Tree] = {}
        async with plain_connection(self.engine) as conn:
            for read, pids in by_read.items():
                trees = await service.trees_by_process_ids(conn, process_ids=pids, read=read)
                found.update({(pid, read): tree for pid, tree in trees.items()})
        return [found[(pid, read)] for pid, read, _ in keys]


class NodeLocationLoader(DataLoader[str, "tuple[str, str] | None"]):
    """For any id: (kind, process id) when it is a live process, group or job of the workspace."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.workspace_id = workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[tuple[str, str] | None]:
        async with self.engine.connect() as conn:
            found = await service.node_locations(conn, workspace_id=self.workspace_id, ids=list(keys))
        return [found.get(k) for k in keys]


class HistoryPageLoader(DataLoader["tuple[str, int, int | None]", "list[Any]"]):
    """Pages of process history keyed by (process id, page size, before revision); one statement per page shape."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[tuple[str, int, int | None]]) -> list[list[Any]]:
        shapes: dict[tuple[int, int | None], list[str]] = {}
        for pid, first, before in keys:
            shapes.setdefault((first, before), []).append(pid)
        found: dict[tuple[str, int, int | None], list[Any]] = {}
        async with self.engine.connect() as conn:
            for (first, before), pids in shapes.items():
                pages = await service.history_pages(conn, process_ids=pids, first=first, before_revision=before)
                found.update({(pid, first, before): rows for pid, rows in pages.items()})
        return [found[k] for k in keys]


class PatchesUpToLoader(DataLoader["tuple[str, int]", "list[Any]"]):
    """The stored patches of revisions 1 to n of a process, keyed by (process id, n); one statement per batch."""

    def __init__(self, engine: AsyncEngine, workspace_id: str = "") -> None:  # keys already scoped
        super().__init__()
        self.engine = engine

    async def batch_load_fn(self, keys: list[tuple[str, int]]) -> list[list[Any]]:
        async with self.engine.connect() as conn:
            found = await revisions.patches_up_to(conn, keys)
        return [found[k] for k in keys]
