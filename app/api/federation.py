"""The Federation v2 subgraph (docs/federation.md): the public schema plus `_service` and `_entities`, its
node types entities with `@key(fields: "id")`. /graphql serves it in place of the public schema when
FEDERATION is on; `subgraph.graphql` is its SDL (scripts/export-schema).

The entity keys live only in this schema. The public schema and `schema.graphql` stay free of federation's
imported directives (`@key` has no definition in a schema's SDL, only in the `@link`ed spec), which
clients' code generators and the documentation's reference would refuse. Strawberry reads an object type's
directives from its definition, which both schemas share: `keys_applied` puts the keys there while this
schema is built and its SDL printed (synchronous code, no request runs meanwhile), and takes them off again.
Nothing reads them after that: `_entities` resolves by `__typename`, and `_service` answers the SDL printed
at build time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Final, cast

import strawberry
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.printer import print_schema
from strawberry.types.scalar import scalar
from strawberry.types.unset import UNSET

from app.api.node_queries import resolve_node
from app.api.schema import ProcessgraphSchema, Query, schema_options
from app.auth.dataloaders import UserByIdLoader
from app.auth.types import User
from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError
from app.graphql.context import Info
from app.graphql.errors import graphql_error
from app.graphql.node import Node
from app.ids import is_id
from app.process.dataloaders import ProcessByIdLoader
from app.process.tree_types import ProcessGroup, ProcessJob
from app.process.types import Process
from app.run.dataloaders import RunByIdLoader
from app.run.types import GroupRun, JobRun, ProcessRun
from app.settings import Settings

FEDERATION_VERSION: Final = "2.9"
"""The `@link`ed Federation spec: the newest the Guild's composer accepts (0.27 refuses 2.10 and 2.11,
Strawberry's default); tests/test_federation_gateway.py composes with it."""

ENTITIES: dict[str, type[Node]] = {cls.__name__: cls for cls in (
    Process, ProcessGroup, ProcessJob, ProcessRun, GroupRun, JobRun, User)}
"""Every node type: a router joins on any of them by id."""

MAX_REPRESENTATIONS = 1000
"""At most this many representations per `_entities` (a page holds at most 1000 rows)."""

ANY_SCALAR = scalar(name="_Any", description="A representation of an entity (Federation): `{__typename, id}`.",
             serialize=lambda value: value, parse_value=lambda value: value)
"""Strawberry's `_Any`, described."""

ID_KEY = Key(fields="id", resolvable=UNSET)  # type: ignore[arg-type]

@contextmanager
def keys_applied() -> Iterator[None]:
    """`@key(fields: "id")` on every entity type while the subgraph schema is built and printed."""
    kept = {name: cls.__strawberry_definition__.directives for name, cls in ENTITIES.items()}  # type: ignore[attr-defined]
    try:
        for cls in ENTITIES.values():
            definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
            definition.directives = [*(definition.directives or ()), ID_KEY]
        yield
    finally:
        for name, cls in ENTITIES.items():
            cls.__strawberry_definition__.directives = kept[name]  # type: ignore[attr-defined]


EntityObject = Process | ProcessGroup | ProcessJob | ProcessRun | GroupRun | JobRun | User


async def resolve_entity(info: Info, representation: Any) -> EntityObject | None:
    """The entity a router's representation names; None when its id is unknown or not the caller's
    workspace's. Each kind goes through the loader `node(id)` uses, so a request's representations of one
    kind are one batch."""
    if not isinstance(representation, dict) or not isinstance(representation.get("id"), str) \
            or representation.get("__typename") not in ENTITIES:
        raise graphql_error(AppError(VALIDATION_ERROR, "A representation is an object with `__typename` (one of "
                                     f"{', '.join(ENTITIES)}) and `id`.", "representations"))
    id_, kind = representation["id"], ENTITIES[representation["__typename"]]
    if not is_id(id_):
        return None
    loaders = info.context.loaders
    if kind is Process:
        row = await loaders.get(ProcessByIdLoader).load(id_)
        return None if row is None else Process.from_row(row)
    if kind is User:
        row = await loaders.get(UserByIdLoader).load(id_)
        return None if row is None else User(id=strawberry.ID(id_), _row=row)
    if kind is ProcessRun:
        row = await loaders.get(RunByIdLoader).load(id_)
        return None if row is None else ProcessRun.from_row(row)
    found = await resolve_node(info, id_)  # a group or job of a process or of a run, found in its tree
    return cast("EntityObject", found) if type(found) is kind else None


Entity = Annotated[EntityObject, strawberry.union(
    "_Entity", description="Every entity of this subgraph (Federation): the types with `@key`.")]


@strawberry.type(name="_Service", description="This subgraph's description for a router (Federation).")
class Service:
    sdl: str = strawberry.field(description="The subgraph's SDL, with its `@link` and `@key` directives.")


@strawberry.type(name="Query", description="Reads. Every read sees only the caller's workspace.")
class SubgraphQuery(Query):
    @strawberry.field(name="_entities", description=(
        "Entities by representation (Federation), in the order asked, at most "
        f"{MAX_REPRESENTATIONS}; null for each unknown id or one of another workspace."))
    async def entities(
        self, info: Info,
        representations: Annotated[list[FederationAny], strawberry.argument(description=(
            f"`{{__typename, id}}` objects, at most {MAX_REPRESENTATIONS}."))],
    ) -> list[Entity | None]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise graphql_error(AppError(
                LIMIT_EXCEEDED, f"`representations` holds at most {MAX_REPRESENTATIONS}; got {len(representations)}.",
                "representations", {"limit": MAX_REPRESENTATIONS, "actual": len(representations)}))
        return list(await asyncio.gather(*(resolve_entity(info, r) for r in representations)))

    @strawberry.field(name="_service", description="This subgraph's SDL for a router's composition (Federation).")
    def service(self, info: Info) -> Service:
        schema = info.schema
        assert isinstance(schema, SubgraphSchema)
        return Service(sdl=schema.sdl)


class SubgraphSchema(ProcessgraphSchema, FederationSchema):
    """The public schema's behaviour (its error processing) with Federation's `_Any`, `@link` and keys."""

    sdl: str = ""


def build_subgraph_schema(settings: Settings | None = None, **kwargs: Any) -> SubgraphSchema:
    """The subgraph schema: the public schema's extension, executor and name converter, its `Query` with
    `_entities` and `_service`, and the keys."""
    with keys_applied():
        built = SubgraphSchema(query=SubgraphQuery, federation_version=FEDERATION_VERSION,
                               scalar_overrides={FederationAny: ANY_SCALAR}, **schema_options(settings, kwargs))
        built.sdl = print_schema(built)
    return built
