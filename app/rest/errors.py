"""Errors of the REST door: the seed's Error shape with an HTTP status per code.

A request that fails answers one Error: the first problem at the top level and, when there are several,
every problem in `details`. The status is the code's (STATUS); with problems of different statuses, the
first of 403, 404, 409, 412, 400 present wins (an id that does not exist says more than a name that is
also wrong).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from starlette.responses import Response

from app.errors import (
    CONFLICT,
    FORBIDDEN,
    INTERNAL,
    INVALID_STATE,
    LIMIT_EXCEEDED,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    READ_ONLY,
    REQUIRED,
    TIMEOUT,
    VALIDATION_ERROR,
    AppError,
    ErrorDetail,
)
from app.process.health import HEALTH_CODES
from app.rest import wire

UNAVAILABLE = "UNAVAILABLE"  # the database or the gateway cannot serve now (503)
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"

STATUS: dict[str, int] = {
    VALIDATION_ERROR: 400, REQUIRED: 400, LIMIT_EXCEEDED: 400, NOT_FOUND: 404, CONFLICT: 412,
    INVALID_STATE: 409, READ_ONLY: 409, FORBIDDEN: 403, TIMEOUT: 503,
    UNAVAILABLE: 503, INTERNAL: 500, METHOD_NOT_ALLOWED: 405, UNSUPPORTED_MEDIA_TYPE: 415,
}
# Health-check problems refuse a run: the process's state does not allow it.
STATUS.update(dict.fromkeys(HEALTH_CODES, 409))
_PRECEDENCE = (403, 404, 409, 412, 400)
JSON_MEDIA = "application/json"


class RestError(Exception):
    """An answer other than success: the errors and the status to send them with."""

    def __init__(self, errors: list[AppError] | AppError, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.errors = [errors] if isinstance(errors, AppError) else list(errors)
        self.status = status if status is not None else status_of(self.errors)
        self.headers = headers or {}
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in self.errors))


def status_of(errors: list[AppError]) -> int:
    statuses = {STATUS.get(e.code, 400) for e in errors}
    if len(statuses) == 1:
        return statuses.pop()
    return next((s for s in _PRECEDENCE if s in statuses), max(statuses))


def body_of(errors: list[AppError]) -> dict[str, Any]:
    first = errors[0]
    if len(errors) > 1:
        first = AppError(first.code, first.message, first.target, first.meta, tuple(
            ErrorDetail(e.code, e.message, e.target, e.meta) for e in errors), first.documentation_url)
    return wire.error(first)


def response(exc: RestError) -> Response:
    return Response(orjson.dumps(body_of(exc.errors)), status_code=exc.status, media_type=JSON_MEDIA,
                    headers=exc.headers)


# ---- request validation (pydantic) in the seed's spelling ----

# Discriminator tags pydantic puts into error locations: action and patch variants after `arguments` or an
# index, and `group`/`job` before the field of the same name.
_VARIANT_TAGS = frozenset({"sendTask", "contentRequest", "certification", "generated", "remove", "date", "flag",
                           "name", "trigger", "weekdays", "dates", "calendars", "reminders"})


def target_of(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """`root.children[0].job.arguments.sendTaskArgs.title` from a pydantic location."""
    out = prefix
    for i, seg in enumerate(loc):
        prev = loc[i - 1] if i else None
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif ((seg in ("group", "job") and nxt == seg)
              or (seg in _VARIANT_TAGS and nxt is not None and (isinstance(prev, int) or prev == "arguments"))
              or seg[:1].isupper() or seg.startswith("function-")):
            continue
        else:
            out += f".{seg}" if out else seg
    return out


def invalid(exc: ValidationError, *, where: str = "body", targets: Any = None) -> RestError:
    """A 400 naming every bad field; `targets(loc)` may name a field its own way (a patch path)."""
    errors: list[AppError] = []
    for e in exc.errors(include_url=False, include_input=False):
        loc = tuple(e["loc"])
        if e["type"] == "json_invalid":
            errors.append(AppError(VALIDATION_ERROR, f"The request body is not valid JSON: {e['msg']}.", where))
            continue
        target = (targets(loc) if targets else None) or target_of(loc) or where
        code = REQUIRED if e["type"] == "missing" else VALIDATION_ERROR
        meta: dict[str, Any] = {"type": e["type"]}
        if isinstance(loc[:1][0] if loc else None, int):
            meta["index"] = loc[0]
        errors.append(AppError(code, f"{target}: {e['msg']}.", target, meta))
    return RestError(errors or [AppError(VALIDATION_ERROR, "The request body is not valid.", where)], 400)
