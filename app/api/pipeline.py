"""One schema extension for every request's checks, in place of one extension each (issue 16).

Strawberry runs each phase of a request (operation, parsing, validation, execution) through a context
manager that asks every extension for its hook: with six extensions (seven with introspection off), 24
lookups and the generators they start cost about a tenth of a small request's CPU (py-spy, `{ __typename }`
and a kept page). This extension does, phase by phase and in the same order, what they did:

- operation: unexpected errors masked, with the request id (MaskUnexpectedErrors, which this extends);
- parsing: documents over the token limit refused before the parser (limits.refuse_long_documents), then
  the parsed document from a cache of 256 texts (what Strawberry's ParserCache did);
- validation: the rules of the settings (no introspection when it is off), the document validated once per
  parsed document (app/graphql/validation.py), and documents over the depth, alias or cost limits refused
  (limits.refuse_over_limit);
- execution: subscriptions over HTTP and operations outside the token's scopes answered with their refusal
  (limits.refuse_out_of_scope), a query's engine made read-only while it runs
  (app/graphql/context.py read_only_engine), and a recorded request marked as a query (app/fast/recording.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import Any

from graphql import parse
from strawberry.types.graphql import OperationType

from app.api import limits
from app.fast.recording import current as recording_now
from app.graphql.context import put_back, read_only_engine, standby_engine
from app.graphql.errors import MaskUnexpectedErrors
from app.graphql.validation import validate_once

PARSED_DOCUMENTS = 256
_parse = lru_cache(maxsize=PARSED_DOCUMENTS)(parse)


class RequestPipeline(MaskUnexpectedErrors):
    """Every request's checks and caches, phase by phase (see the module). `extra_rules`: validation rules
    added to the standard ones."""

    def __init__(self, extra_rules: tuple[Any, ...] = ()) -> None:
        super().__init__()
        self.extra_rules = extra_rules

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        limits.refuse_long_documents(ctx)
        ctx.graphql_document = _parse(ctx.query, **ctx.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if self.extra_rules:
            ctx.validation_rules = ctx.validation_rules + self.extra_rules
        validate_once(ctx)
        limits.refuse_over_limit(ctx)
        yield

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        self._check_execution(ctx)
        engine = read_only_engine(ctx)
        try:
            yield
        finally:
            if engine is not None:
                put_back(ctx, engine)

    @staticmethod
    def _check_execution(ctx: Any) -> None:
        if (recording := recording_now()) is not None:
            recording.query = ctx.operation_type is OperationType.QUERY
        limits.refuse_out_of_scope(ctx)


class ReplicaPipeline(RequestPipeline):
    """The same, with standbys (READ_DATABASE_URLS): a query's engine is the standby's that may serve it
    (app/replicas.py), which can mean waiting for one to replay the LSN the request brings. An asynchronous
    hook, so only with standbys: a synchronous one costs less."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        self._check_execution(ctx)
        engine = read_only_engine(ctx, await standby_engine(ctx))
        try:
            yield
        finally:
            if engine is not None:
                put_back(ctx, engine)
