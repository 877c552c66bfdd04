"""The schema: root types composed from the domains."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from app.auth.types import User
from app.graphql.errors import MaskUnexpectedErrors
from app.graphql.node_queries import NodeQuery
from app.process.mutations import ProcessMutation
from app.process.queries import ProcessQuery
from app.process.tree_types import ProcessGroup, ProcessJob
from app.process.types import Process


@strawberry.type(description="Reads. Every read sees only the caller's workspace.")
class Query(ProcessQuery, NodeQuery):
    pass


@strawberry.type(description="Writes. Each takes one `input` and returns a payload with `errors`.")
class Mutation(ProcessMutation):
    pass


class ProcessgraphSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # MaskUnexpectedErrors logs unexpected errors with their request id; the
        # rest (bad queries, expected errors) are answers, not server faults.
        return None


def build_schema(**kwargs: Any) -> strawberry.Schema:
    return ProcessgraphSchema(
        query=Query,
        mutation=Mutation,
        types=[Process, ProcessGroup, ProcessJob, User],
        extensions=[MaskUnexpectedErrors, lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
        **kwargs,
    )


schema = build_schema()
