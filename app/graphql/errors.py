"""The seed's Error shape as GraphQL types, and how unexpected exceptions are masked."""

from __future__ import annotations

import logging
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from app.adapters.strawberry import QuickMaskErrors
from app.connectivity import is_unavailable, unavailable_error
from app.errors import ERROR_CODES, INTERNAL, AppError

log = logging.getLogger("processgraph.errors")

_CODES_DOC = "; ".join(f"`{code}`: {text}" for code, text in ERROR_CODES.items())


@strawberry.type(description="One granular problem inside an Error (the seed's ErrorDetail).")
class ErrorDetail:
    code: str = strawberry.field(description="A stable UPPER_SNAKE code.")
    message: str = strawberry.field(description="A human-readable explanation.")
    target: str | None = strawberry.field(description="The field or item the detail is about.")
    meta: JSON | None = strawberry.field(description="Further facts as a JSON object (numbers stay numbers).")


@strawberry.type(
    description="An error in the seed's Error shape: a stable code, a message, and what it is about. "
    f"Codes: {_CODES_DOC}"
)
class Error:
    code: str = strawberry.field(description="A stable UPPER_SNAKE code; see the type's description for the list.")
    message: str = strawberry.field(description="A human-readable explanation, naming the limit or expected form.")
    target: str | None = strawberry.field(
        description="The path of the input field (`root.children[2].group.name`), patch path or item it is about."
    )
    details: list[ErrorDetail] | None = strawberry.field(description="Granular problems, when there are several.")
    meta: JSON | None = strawberry.field(
        description="Facts about the failure as a JSON object: ids, index, limit, actual value, current revision."
    )
    documentation_url: str | None = strawberry.field(description="Documentation about this error, when there is any.")

    @classmethod
    def from_app(cls, error: AppError) -> Error:
        return cls(
            code=error.code, message=error.message, target=error.target, meta=cast(JSON, error.meta),
            details=[ErrorDetail(code=d.code, message=d.message, target=d.target, meta=cast(JSON, d.meta))
                     for d in error.details]
            or None,
            documentation_url=error.documentation_url,
        )


def error_extensions(error: AppError) -> dict[str, Any]:
    """The Error shape for a top-level GraphQL error's `extensions`."""
    ext: dict[str, Any] = {"code": error.code, "message": error.message, "target": error.target, "meta": error.meta}
    if error.details:
        ext["details"] = [{"code": d.code, "message": d.message, "target": d.target, "meta": d.meta}
                          for d in error.details]
    return ext


def graphql_error(error: AppError) -> GraphQLError:
    """A top-level GraphQL error (queries) carrying the seed's Error shape in `extensions`."""
    return GraphQLError(error.message, extensions=error_extensions(error))


class MaskUnexpectedErrors(QuickMaskErrors):
    """Replaces exceptions raised inside resolvers with an INTERNAL error carrying the request id.

    Syntax, validation and variable errors (no path) and errors we raise on purpose
    (GraphQLError) stay readable. The traceback is logged with the same request id.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        original = error.original_error
        return error.path is not None and original is not None and not isinstance(original, GraphQLError)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None) or "unknown"
        original = error.original_error
        if original is not None and is_unavailable(original):  # a database fault: retryable, not INTERNAL
            log.warning("database unavailable in %s (request id %s): %s: %s", ".".join(map(str, error.path or [])),
                        request_id, type(original).__name__, original, extra={"request_id": request_id})
            unavailable = unavailable_error()
            return GraphQLError(unavailable.message, nodes=error.nodes, source=error.source,
                                positions=error.positions, path=error.path, extensions=error_extensions(unavailable))
        log.error(
            "unexpected error in %s (request id %s)", ".".join(map(str, error.path or [])), request_id,
            exc_info=(type(original), original, original.__traceback__) if original is not None else None,
            extra={"request_id": request_id},
        )
        app_error = AppError(code=INTERNAL, message=f"Internal server error (request id {request_id}).",
                             meta={"requestId": request_id})
        return GraphQLError(app_error.message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions=error_extensions(app_error))
