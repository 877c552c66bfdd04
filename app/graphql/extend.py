"""Fields one domain adds to another domain's type, so the GraphQL type graph follows the import arrows.

A run-returning field on `Process` belongs to the run domain (which may use the process domain), not to the
process domain (which never imports runs). The run domain declares such fields on a Strawberry type of its
own and calls `extend_type(Process, ProcessRunFields)`; the fields then live on `Process` in the schema as
if declared there. The composition root (`app/api/schema.py`) imports the extending modules before it builds
the schema."""

from __future__ import annotations

from typing import Any


def extend_type(target: type[Any], extension: type[Any]) -> None:
    """Adds the fields of the Strawberry type `extension` to the Strawberry type `target`. Resolvers receive
    the `target` object as their parent (`self`). Adding the same extension twice is a no-op; a field name
    the target already has is refused."""
    definition = target.__strawberry_definition__
    present = {f.python_name: f for f in definition.fields}
    for field in extension.__strawberry_definition__.fields:
        if present.get(field.python_name) is field:
            continue
        if field.python_name in present:
            raise TypeError(f"{target.__name__} already has a field `{field.python_name}`; "
                            f"{extension.__name__} cannot add another")
        definition.fields.append(field)
