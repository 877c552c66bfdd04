"""Per-request loaders of the auth domain."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service


class UserByIdLoader(DataLoader[str, Any]):
    """Users of the acting workspace; None for unknown or foreign ids."""

    def __init__(self, engine: AsyncEngine, workspace_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.workspace_id = workspace_id

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        async with self.engine.connect() as conn:
            rows = await service.users_by_ids(conn, workspace_id=self.workspace_id, ids=list(keys))
        return [rows.get(k) for k in keys]
