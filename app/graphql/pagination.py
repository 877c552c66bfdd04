"""Cursor connections: page-size bounds, opaque keyset cursors, PageInfo."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
import strawberry

from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError
from app.graphql.errors import graphql_error


@strawberry.type(description="Where a page sits in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when rows follow this page.")
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for with `after` (rows precede it)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge; null on an empty page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last edge; pass it as `after` for the next page."
    )

    @classmethod
    def of(cls, edges: list[Any], *, has_next: bool, after: str | None) -> PageInfo:
        """The PageInfo of a forward page: `edges` have a `cursor`; `after` is what the page was asked after."""
        return cls(has_next_page=has_next, has_previous_page=after is not None,
                   start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None)


def page_size(first: int | None, *, default: int, maximum: int) -> int:
    """The page size a request asked for, refused with LIMIT_EXCEEDED past the maximum."""
    if first is None:
        return default
    if first < 0:
        raise graphql_error(AppError(VALIDATION_ERROR, f"`first` must be 0 or more; got {first}.", "first",
                                     {"actual": first}))
    if first > maximum:
        raise graphql_error(AppError(LIMIT_EXCEEDED, f"`first` is at most {maximum}; got {first}.", "first",
                                     {"limit": maximum, "actual": first}))
    return first


def encode_cursor(kind: str, values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([kind, values])).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, length: int) -> list[Any]:
    """The `length` key values inside a cursor made for `kind` (the list and order it came from)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_kind, values = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after")) from exc
    if got_kind != kind or not isinstance(values, list) or len(values) != length:
        raise graphql_error(AppError(
            VALIDATION_ERROR, "`after` was made for another list or order; use a cursor from this one.", "after"))
    return values


def decode_int_cursor(cursor: str, kind: str) -> int:
    """A cursor whose key is one non-negative 64-bit integer (a revision or a sequence number)."""
    (value,) = decode_cursor(cursor, kind, 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise graphql_error(AppError(VALIDATION_ERROR, "`after` is not a cursor this API made.", "after"))
    return value
