"""The error shape every domain returns (the seed's Error), free of any GraphQL import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Stable codes. The README lists them; clients switch on these strings.
VALIDATION_ERROR = "VALIDATION_ERROR"  # a value has the wrong form or breaks a rule
REQUIRED = "REQUIRED"  # a required value is missing or empty
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"  # a size limit (tree, page, batch) was passed
NOT_FOUND = "NOT_FOUND"  # no such object in the caller's workspace
INVALID_STATE = "INVALID_STATE"  # the object is not in a state that allows this
CONFLICT = "CONFLICT"  # expectedRevision did not match
READ_ONLY = "READ_ONLY"  # the node or its group is read-only
FORBIDDEN = "FORBIDDEN"  # the caller may not do this
INTERNAL = "INTERNAL"  # an unexpected failure; the message carries a request id
TIMEOUT = "TIMEOUT"  # the request ran past its time budget; its writes were rolled back
UNAVAILABLE = "UNAVAILABLE"  # the database could not be reached or the connection was lost; retry later
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # an HTTP method the path does not take (405, with Allow)

ERROR_CODES: dict[str, str] = {
    VALIDATION_ERROR: "A value has the wrong form or breaks a rule of the model.",
    REQUIRED: "A required value is missing or empty.",
    LIMIT_EXCEEDED: "A limit was passed; `meta.limit` holds the limit and `meta.actual` the request's value.",
    NOT_FOUND: "No object with that id exists in the caller's workspace.",
    INVALID_STATE: "The object is not in a state that allows the operation.",
    CONFLICT: "`expectedRevision` did not match; `meta.currentRevision` holds the current one.",
    READ_ONLY: "The node, or a group above it, is read-only.",
    FORBIDDEN: "The caller may not perform this operation.",
    INTERNAL: "An unexpected failure; report the request id from `meta.requestId`.",
    TIMEOUT: "The request ran past its time budget (`meta.limitSeconds`); nothing it wrote was kept.",
    UNAVAILABLE: "The database could not be reached or the connection to it was lost; retry after "
                 "`meta.retryAfterSeconds`. A write answered so was rolled back, unless the connection was lost "
                 "while committing: read before retrying a write that is not idempotent.",
}


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One granular problem inside an AppError (the seed's ErrorDetail)."""

    code: str
    message: str
    target: str | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AppError:
    """One problem, in the seed's Error shape: a stable code, a message, what it is about."""

    code: str
    message: str
    target: str | None = None
    meta: dict[str, Any] | None = None
    details: tuple[ErrorDetail, ...] = ()
    documentation_url: str | None = None


class ServiceError(Exception):
    """An expected failure of a service call: nothing was written; the errors say why."""

    def __init__(self, errors: list[AppError] | AppError) -> None:
        self.errors = [errors] if isinstance(errors, AppError) else list(errors)
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in self.errors))


def not_found(kind: str, id_: str, target: str = "id") -> AppError:
    return AppError(
        code=NOT_FOUND,
        message=f"No {kind} with id '{id_}' exists.",
        target=target,
        meta={"id": id_, "kind": kind},
    )


def method_not_allowed(method: str, allowed: list[str], target: str | None = None) -> AppError:
    """The 405 refusal of every door: `method` where only `allowed` are taken (the `Allow` header's list)."""
    return AppError(METHOD_NOT_ALLOWED, f"{method} is not allowed here; allowed: {', '.join(allowed)}.", target,
                    {"allowed": allowed})


@dataclass(slots=True)
class ErrorList:
    """Collects errors while validating a whole input, so all problems are reported at once."""

    errors: list[AppError] = field(default_factory=list)

    def add(
        self, code: str, message: str, target: str | None = None, **meta: Any
    ) -> None:
        self.errors.append(AppError(code=code, message=message, target=target, meta=meta or None))

    def __bool__(self) -> bool:
        return bool(self.errors)
