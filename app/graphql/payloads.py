"""What every mutation payload shares: the descriptions of `errors` and `clientMutationId`, and running one
service call into a result and its payload errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.errors import ServiceError
from app.graphql.errors import Error

ERRORS_DOC = "Why the mutation did nothing, in the seed's Error shape; empty on success."
CMID_DOC = "The `clientMutationId` sent with the input, if any."

T = TypeVar("T")


async def attempt(call: Callable[[], Awaitable[T]]) -> tuple[T | None, list[Error]]:
    """Run one service call; expected failures become payload errors, anything else propagates."""
    try:
        return await call(), []
    except ServiceError as exc:
        return None, [Error.from_app(e) for e in exc.errors]
