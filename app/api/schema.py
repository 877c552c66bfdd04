"""The schema: root types composed from the domains."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext

from app.api.node_queries import NodeQuery
from app.api.pipeline import ReplicaPipeline, RequestPipeline
from app.auth.queries import AuthQuery
from app.auth.types import User
from app.graphql.executor import FastExecutor
from app.notify import fields as notify_fields
from app.notify.mutations import NotifyMutation
from app.notify.subscriptions import NotifySubscription
from app.process.mutations import ProcessMutation
from app.process.queries import ProcessQuery
from app.process.tree_types import ProcessGroup, ProcessJob
from app.process.types import Process
from app.run import fields as run_fields
from app.run.live import LiveQuery, LiveSubscription
from app.run.mutations import RunMutation
from app.run.queries import RunQuery
from app.run.subscriptions import RunSubscription
from app.run.types import GroupRun, JobRun, ProcessRun
from app.settings import Settings


@strawberry.type(description="Reads. Every read sees only the caller's workspace.")
class Query(ProcessQuery, RunQuery, NodeQuery, AuthQuery, LiveQuery):
    pass


@strawberry.type(description="Writes. Each takes one `input` and returns a payload with `errors`.")
class Mutation(ProcessMutation, RunMutation, NotifyMutation):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws (token in connection_init).")
class Subscription(RunSubscription, NotifySubscription, LiveSubscription):
    pass


# Fields the run and notify domains add to other domains' types (app/graphql/extend.py).
EXTENSIONS = (run_fields, notify_fields)


class KeptNames(NameConverter):
    """Strawberry's names, each Python name camel-cased once: argument conversion asks for every argument's
    GraphQL name on every call of a resolver with arguments (about a fifth of converting `processes`'
    arguments, issue 16). The names are the schema's own, so the dict stays as small as the schema."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = super().apply_naming_config(name)
        return found


class ProcessgraphSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # MaskUnexpectedErrors logs unexpected errors with their request id; the
        # rest (bad queries, expected errors) are answers, not server faults.
        return None


TYPES = [Process, ProcessGroup, ProcessJob, User, ProcessRun, GroupRun, JobRun]
"""Types reached only through interfaces or unions, listed so the schema holds them."""


def schema_options(settings: Settings | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What both schemas (this one and the subgraph's, app/api/federation.py) are built with; with
    `settings.introspection` off, introspection queries are refused at validation.

    One extension does every request's checks and caches (app/api/pipeline.py): unexpected errors are
    masked last; parsing and validation are cached; limits are checked after validation and scopes before
    execution.
    """
    extra_rules = () if settings is None or settings.introspection else (NoSchemaIntrospectionCustomRule,)
    pipeline = ReplicaPipeline if settings is not None and settings.read_database_urls else RequestPipeline
    extensions: list[Any] = [lambda: pipeline(extra_rules)]
    return {"mutation": Mutation, "subscription": Subscription, "types": TYPES, "extensions": extensions,
            "execution_context_class": kwargs.pop("execution_context_class", FastExecutor),
            "config": kwargs.pop("config", StrawberryConfig(name_converter=KeptNames())), **kwargs}


def build_schema(settings: Settings | None = None, **kwargs: Any) -> strawberry.Schema:
    """The public schema (see schema_options); the subgraph's is app/api/federation.py's."""
    return ProcessgraphSchema(query=Query, **schema_options(settings, kwargs))


schema = build_schema()
