"""What every REST endpoint shares: the acting user and scope, request bodies through the models, ETags,
the time budget, errors in the seed's shape, the request log and metrics (app/ops.py)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app import ops
from app.actor import Actor, scope_refusal
from app.budget import OverBudget, within_budget
from app.connectivity import RETRY_AFTER_SECONDS, is_unavailable, unavailable_error
from app.errors import (
    CONFLICT,
    INTERNAL,
    NOT_FOUND,
    VALIDATION_ERROR,
    AppError,
    ServiceError,
    method_not_allowed,
)
from app.ids import is_id, new_id
from app.lsn import HEADER, Tracked, lsn_text
from app.rest.errors import (
    JSON_MEDIA,
    UNSUPPORTED_MEDIA_TYPE,
    RestError,
    invalid,
    response,
)
from app.settings import Settings

log = logging.getLogger("processgraph.rest")
M = TypeVar("M", bound=BaseModel)
# Service targets named as this door names them: the revision check is the If-Match header, a process
# to run is the path's id, and REST calls the parent of added job runs `parentGroupId`.
RENAMED = {"expectedRevision": "If-Match", "processId": "id", "parentGroupRunId": "parentGroupId"}


@dataclass(slots=True)
class Call:
    """One REST request as a handler sees it."""

    request: Request
    actor: Actor
    engine: Any
    settings: Settings
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def id(self, name: str, kind: str) -> str:
        """A path id; one that cannot exist is NOT_FOUND without a query (as an unknown one is)."""
        value = str(self.request.path_params[name])
        if not is_id(value):
            raise RestError(AppError(NOT_FOUND, f"No {kind} with id '{value}' exists.", name, {"id": value}))
        return value

    async def body(self, model: type[M], *, media: tuple[str, ...] = (JSON_MEDIA,), targets: Any = None) -> M:
        """The request body validated by a model of app/rest/models.py (400 naming each bad field)."""
        given = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given not in media:
            raise RestError(AppError(UNSUPPORTED_MEDIA_TYPE, f"Send the body as {' or '.join(media)}; got "
                                     f"'{given or 'no content type'}'.", "Content-Type",
                                     {"expected": list(media), "actual": given}), 415)
        raw = await self.request.body()
        try:
            return model.model_validate_json(raw or b"null")
        except ValidationError as exc:
            raise invalid(exc, targets=targets) from exc

    def if_match(self) -> int | None:
        """The revision an `If-Match: "<revision>"` header expects (`*` or none: any)."""
        value = self.request.headers.get("if-match")
        if value is None or value == "*":
            return None
        if WEAK_ETAG.fullmatch(value):
            # If-Match compares strongly (RFC 9110 §13.1.1): a weak tag matches no representation.
            raise RestError(AppError(CONFLICT, "If-Match compares ETags strongly: a weak tag (W/...) never "
                                     "matches; send the ETag as the server gave it.", "If-Match",
                                     {"actual": value[:100]}), 412)
        found = ETAG.fullmatch(value)
        if found is None:
            raise RestError(AppError(VALIDATION_ERROR, 'If-Match holds an ETag of this API: "<revision>" (or *).',
                                     "If-Match", {"actual": value[:100]}), 400)
        return int(found.group(1))


ETAG = re.compile(r'"([0-9]{1,18})"')
WEAK_ETAG = re.compile(r'W/"[^"]*"')


def etag(revision: int) -> dict[str, str]:
    return {"ETag": f'"{revision}"'}


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON_MEDIA, headers=headers)


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation: method, path template, scope it needs, handler."""

    method: str
    path: str
    scope: str
    handler: Handler
    name: str


def _codes(status: int, body: bytes) -> list[str]:
    if status < 400:
        return []
    try:
        return [str(orjson.loads(body).get("code"))]
    except (orjson.JSONDecodeError, AttributeError):
        return [str(status)]


class Endpoint:
    """All operations of one path: dispatch by method (405 with `Allow` otherwise), then the shared steps."""

    def __init__(self, operations: list[Operation], *, state: dict[str, Any], settings: Settings) -> None:
        self.operations = {op.method: op for op in operations}
        self.state, self.settings = state, settings
        self.allow = ", ".join(sorted(self.operations))

    async def _handled(self, op: Operation, call: Call) -> Response:
        """The handler's response. A read a standby served that fails unexpectedly (a conflict with recovery, a
        fault past the retried connection) runs once more on the primary (app/replicas.py)."""
        try:
            return await op.handler(call)
        except (RestError, ServiceError):
            raise
        except Exception as exc:
            replicas, primary = self.state.get("replicas"), self.state["engine"]
            if replicas is None or call.engine is primary:
                raise
            log.warning("a read served by a standby failed (%s: %s); it runs again on the primary",
                        type(exc).__name__, str(exc)[:200])
            replicas.retried += 1
            return await op.handler(replace(call, engine=primary))

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = new_id()
        op = self.operations.get(request.method)
        actor: Actor | None = request.scope.get("state", {}).get("actor")
        result: Response
        try:
            if op is None:
                raise RestError(method_not_allowed(request.method, sorted(self.operations)), 405,
                                {"Allow": self.allow})
            assert actor is not None, "the gateway middleware authenticates every REST request"
            if (refusal := scope_refusal(actor, op.scope, target="Authorization")) is not None:
                raise RestError(refusal, 403)
            engine, replicas = self.state["engine"], self.state.get("replicas")
            if replicas is not None and request.method == "GET":  # a standby may serve it (app/replicas.py)
                engine = await replicas.engine_for(request.headers.get(HEADER))
            call = Call(request=request, actor=actor, engine=engine, settings=self.settings, request_id=request_id)
            with Tracked(replicas is not None) as written:
                async with within_budget(self.settings.request_timeout_seconds):
                    result = await self._handled(op, call)
            if written.lsn:  # read-your-writes: the client brings it back on its next reads (app/lsn.py)
                result.headers[HEADER] = lsn_text(written.lsn)
        except RestError as exc:
            result = response(exc)
        except OverBudget as exc:
            result = response(RestError(exc.errors, 503, {"Retry-After": "1"}))
        except ServiceError as exc:
            result = response(RestError([replace(e, target=RENAMED.get(e.target or "", e.target))
                                         for e in exc.errors]))
        except Exception as exc:
            if is_unavailable(exc):  # a lost connection, a database down or failing over: retryable, as in GraphQL
                log.warning("database unavailable in %s %s (request id %s): %s: %s", request.method,
                            request.url.path, request_id, type(exc).__name__, str(exc)[:200])
                result = response(RestError(unavailable_error(), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}))
            else:
                log.exception("unexpected error in %s %s (request id %s)", request.method, request.url.path,
                              request_id)
                result = response(RestError(AppError(INTERNAL, f"Internal server error (request id {request_id}).",
                                                     None, {"requestId": request_id}), 500))
        result.headers["X-Request-Id"] = request_id
        name = f"{request.method} /v1{op.path}" if op is not None else f"{request.method} {request.url.path}"
        ops.record(self.state["metrics"], operation=name, started=started, result=None,
                   codes=_codes(result.status_code, bytes(result.body)), request_id=request_id,
                   user_id=actor.user_id if actor is not None else None)
        return result
