"""Strawberry, where the gateway needs graphql-core's objects that Strawberry wraps without exposing them.

Used by app/graphql/lookahead.py and app/graphql/validation.py (the resolve info and the schema), app/api/limits.py
(the schema) and app/graphql/errors.py (the error masking hook).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema
from strawberry.extensions import MaskErrors


def resolve_info(info: Any) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind a Strawberry `Info`: its field nodes and fragments. The public
    `Info.selected_fields` converts the whole selection (arguments included) into new objects on every
    resolver call, and each item of a list gets an `Info` of its own (about 30 us for a selection of 12 fields
    on three levels, against 0.1 us for this and a cache lookup); look-ahead asks once per item and caches per
    request by the identity of the field node, which only the raw info gives."""
    return info._raw_info  # type: ignore[no-any-return]


def graphql_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema of a Strawberry schema, for graphql-core's validation and for the limits'
    walk over a document. Strawberry builds it in `Schema.__init__` and keeps it only as `_schema`."""
    return schema._schema  # type: ignore[no-any-return]


class QuickMaskErrors(MaskErrors):
    """MaskErrors without its check of each result against a runtime typing Protocol (2.5% of a small
    request's CPU under load): `on_operation` hands every result to `_process_result`, the one hook for it,
    and this one reads `errors` directly. Masking itself goes through the public `should_mask_error` and
    `anonymise_error`."""

    def _process_result(self, result: object) -> None:
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            result.errors = [self.anonymise_error(e) if self.should_mask_error(e) else e  # type: ignore[attr-defined]
                             for e in errors]
