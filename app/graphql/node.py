"""The Node interface: every object with an id that `node(id)` and `nodes(ids)` can fetch."""

import strawberry


@strawberry.interface(
    description="An object with a server-made id (32 lowercase hex characters), unique across every kind, "
    "that `node(id)` and `nodes(ids)` fetch."
)
class Node:
    id: strawberry.ID = strawberry.field(description="The object's id: 32 lowercase hex characters.")
