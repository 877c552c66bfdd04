"""The time budget of one request, for both doors (GraphQL in app/main.py, REST in app/rest/door.py): the
bound and the TIMEOUT error past it are written once here; each door only answers it in its own shape."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.errors import TIMEOUT, AppError, ServiceError


class OverBudget(ServiceError):
    """The request ran past its time budget and was stopped (its transaction is rolled back as it unwinds)."""


def over_budget(limit: float) -> AppError:
    return AppError(TIMEOUT, f"The request took longer than its {limit:g} s budget and was stopped; nothing it "
                    "wrote was kept.", None, {"limitSeconds": limit})


@asynccontextmanager
async def within_budget(limit: float) -> AsyncIterator[None]:
    """Runs the block for at most `limit` seconds; past it, the block is cancelled and OverBudget raised."""
    try:
        async with asyncio.timeout(limit):
            yield
    except TimeoutError as exc:
        raise OverBudget(over_budget(limit)) from exc
