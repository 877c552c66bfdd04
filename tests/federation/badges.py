"""A second, small subgraph for the composition test (tests/test_federation_gateway.py): it extends the
gateway's `User` entity with a `badge`, on /graphql. The test serves it with uvicorn in its own event loop
(tests/servers.py inprocess_server)."""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL


@strawberry.federation.type(keys=["id"], description="A user of the Processgraph subgraph, with a badge.")
class User:
    id: strawberry.ID = strawberry.field(description="The user's id (the Processgraph subgraph's).")

    @strawberry.field(description="A badge made from the user's id.")
    def badge(self) -> str:
        return f"badge-{str(self.id)[-4:]}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:  # `id`: the key
        return cls(id=id)


@strawberry.type(description="Reads of the badges subgraph.")
class Query:
    @strawberry.field(description="How many badges there are.")
    def badge_kinds(self) -> int:
        return 1

    @strawberry.field(description="The holder of a badge: a user this subgraph knows by id only.")
    def holder(self, id: strawberry.ID) -> User:  # `id`: the key
        return User(id=id)


schema = strawberry.federation.Schema(query=Query, types=[User], federation_version="2.9")
app = Starlette(routes=[Route("/graphql", GraphQL[None, None](schema, graphql_ide=None), methods=["GET", "POST"])])
