"""ASGI middleware in front of /graphql: body size (413), bearer authentication (401), rate limit (429);
and the CORS policy for browser front ends on other origins."""

from __future__ import annotations

import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from app.auth.service import ActorResolver, AuthError
from app.connectivity import RETRY_AFTER_SECONDS, is_unavailable, unavailable_error
from app.errors import (
    INTERNAL,
    LIMIT_EXCEEDED,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    VALIDATION_ERROR,
    AppError,
    method_not_allowed,
)
from app.graphql.errors import error_extensions
from app.graphql.ide import is_loopback
from app.ids import new_id
from app.lsn import HEADER as LSN_HEADER
from app.settings import Settings

log = logging.getLogger("processgraph")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNAUTHENTICATED = "UNAUTHENTICATED"
RATE_LIMITED = "RATE_LIMITED"


# The reference web client's development server (scripts/web), allowed in development mode on loopback.
DEV_WEB_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")


def allowed_origins(settings: Settings) -> list[str]:
    """`CORS_ORIGINS`, plus the reference web client's origins in development mode on a loopback host."""
    origins = list(settings.cors_origins)
    if settings.dev_mode and is_loopback(settings.host):
        origins += [o for o in DEV_WEB_ORIGINS if o not in origins]
    return origins


def cors(settings: Settings) -> Middleware:
    """Starlette's CORS middleware, outside everything else, so that 401, 413 and 429 answers carry the
    headers too (a browser cannot read an answer without them). Bearer tokens only: no credentials mode,
    no cookies, so a page on another origin can do nothing a token does not allow."""
    return Middleware(CORSMiddleware, allow_origins=allowed_origins(settings), allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                      allow_headers=["Authorization", "Content-Type", "If-Match", LSN_HEADER], allow_credentials=False,
                      expose_headers=["X-Request-Id", "Retry-After", "ETag", "Location", LSN_HEADER], max_age=600)


class Straight:
    """Starlette middleware, the innermost: GET and POST requests to `path` go straight to `to` (the app their
    route calls), past Starlette's exception middleware and router; anything else goes on as usual. What is in
    front (ServerErrorMiddleware, CORS) stays in front. The two layers cost about 15 us of the 300 of a repeated
    query's answer (issue 16)."""

    def __init__(self, app: ASGIApp, *, path: str, to: ASGIApp) -> None:
        self.app, self.path, self.to = app, path, to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path and scope["method"] in ("POST", "GET"):
            await self.to(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def error_body(error: AppError, *, graphql: bool = True) -> bytes:
    """The seed's Error shape as the body, plus (for GraphQL clients) a GraphQL `errors` list."""
    body: dict[str, Any] = {"code": error.code, "message": error.message, "target": error.target, "details": None,
                            "meta": error.meta, "documentationUrl": None}
    if graphql:
        body["errors"] = [{"message": error.message, "extensions": error_extensions(error)}]
    return orjson.dumps(body)


# The code of a request refused by its HTTP status alone (Starlette's or Strawberry's HTTPException).
CODE_OF_STATUS = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}


async def internal_error(_request: object, exc: Exception) -> Response:
    """The last resort for an exception no layer answered (Starlette's ServerErrorMiddleware calls it, then
    re-raises for the server's log): the Error shape as JSON with a request id to report, never text/plain."""
    request_id = new_id()
    log.error("unhandled %s (request id %s)", type(exc).__name__, request_id, exc_info=exc,
              extra={"request_id": request_id})
    error = AppError(INTERNAL, f"Internal server error (request id {request_id}).", None, {"requestId": request_id})
    return Response(error_body(error), status_code=500, media_type="application/json",
                    headers={"X-Request-Id": request_id})


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a path no route serves, a method a route does not take) in the Error shape,
    with their headers (`Allow`), instead of Starlette's text/plain."""
    assert isinstance(exc, StarletteHTTPException)
    path, method = request.url.path, request.method
    if exc.status_code == 404:
        error = AppError(NOT_FOUND, f"Nothing is served at {path}: GraphQL is at /graphql, the REST API under /v1.",
                         "path", {"path": path})
    elif exc.status_code == 405:
        error = method_not_allowed(method, (exc.headers or {}).get("Allow", "").split(", "), "method")
    else:
        error = AppError(CODE_OF_STATUS.get(exc.status_code, VALIDATION_ERROR), str(exc.detail), None)
    return Response(error_body(error, graphql=path == "/graphql"), status_code=exc.status_code,
                    headers=exc.headers, media_type="application/json")


async def send_error(send: Send, status: int, error: AppError, headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
                     *, graphql: bool = True) -> None:
    body = error_body(error, graphql=graphql)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class TokenBucket:
    """Per-key request budget of one gateway process: `rate` per second, bursts up to `burst`. At most
    `max_keys` keys are remembered (the least recently used go first), so a flood of new keys cannot grow it."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * self.rate)

    def peek(self, key: str) -> float:
        """0 when one more may go now; otherwise seconds until it may. Takes nothing."""
        tokens = self._level(key, time.monotonic())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, key: str) -> float:
        """0 when the request may go; otherwise seconds until it may."""
        now = time.monotonic()
        tokens = self._level(key, now)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\x00")


def _text_problem(body: bytes, query_string: bytes) -> str | None:
    """NUL characters (PostgreSQL cannot store them) and lone UTF-16 surrogates (no database can) are
    refused for the whole request, with a JSON error, before anything parses it."""
    for raw in (body, unquote_to_bytes(query_string)):
        if not _SUSPECT.search(raw):
            continue
        if b"\\u0000" in raw or b"\x00" in raw:
            return "NUL characters (U+0000) are not accepted in requests."
        try:
            orjson.loads(raw if raw is body else _json_part(raw))
        except orjson.JSONDecodeError:
            return "The request holds a lone UTF-16 surrogate (or is not valid JSON); strings must be valid Unicode."
    return None


def number_beyond_orjson(exc: orjson.JSONDecodeError) -> bool:
    """orjson refuses integers past 64 bits and numbers past a double, which are valid JSON."""
    text = str(exc)
    return "64-bit" in text or "infinity" in text


def _json_problem(body: bytes) -> str | None:
    """A JSON body that is not a JSON object (or batch array) is answered here, as JSON, not by GraphQL."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if number_beyond_orjson(exc):
            return None  # valid JSON; GraphQL's coercion answers such numbers
        return f"The request body is not valid JSON: {exc}."
    if not isinstance(value, dict | list):
        return "The request body must be a JSON object with `query` (and optional `variables`, `operationName`)."
    return None


def _json_part(query: bytes) -> bytes:
    """The `variables` parameter of a GET query string (where JSON escapes can hide surrogates)."""
    for part in query.split(b"&"):
        if part.startswith(b"variables="):
            return part[len(b"variables="):]
    return b"{}"


def _is_ide_request(scope: Scope) -> bool:
    if scope["method"] != "GET" or scope.get("query_string"):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    return "text/html" in accept


def handing_over(message: Message, receive: Receive) -> Receive:
    """A `receive` that gives `message` (a body already read) first, then what `receive` gives."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()
    return again


class GatewayMiddleware:
    """Refuses oversized bodies, unauthenticated requests and over-eager tokens before GraphQL (or the REST
    door, with `graphql=False`: no GraphiQL page, bodies parsed by the door, errors without a GraphQL
    `errors` list) sees them.

    The acting user goes into `scope["state"]["actor"]` and the body read into `scope["state"]["body"]`; the
    GraphiQL page itself needs no token.
    """

    def __init__(self, app: ASGIApp, *, resolver: Callable[[], ActorResolver], max_body_bytes: int,
                 rate_limiter: TokenBucket | None, auth_failures: TokenBucket | None = None,
                 graphql: bool = True) -> None:
        self.app = app
        self.resolver = resolver
        self.max_body_bytes = max_body_bytes
        self.rate_limiter = rate_limiter
        self.auth_failures = auth_failures  # failed authentications budgeted per client address
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.graphql and _is_ide_request(scope)):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(send, int(length))
            return
        body, too_large = await self._read_body(receive)
        if too_large:
            await self._too_large(send, None)
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        problem = _text_problem(body, scope.get("query_string", b""))
        if problem is None and self.graphql and scope["method"] == "POST" and content_type == b"application/json":
            problem = _json_problem(body)
        if problem is not None:
            await send_error(send, 400, AppError(VALIDATION_ERROR, problem, "body"), graphql=self.graphql)
            return
        auth = headers.get(b"authorization")
        address = (scope.get("client") or ("unknown", 0))[0]
        if self.auth_failures is not None and (wait := self.auth_failures.peek(address)) > 0:
            await self._too_many_failures(send, wait)  # no token lookup for an address over its budget
            return
        try:
            actor = await self.resolver().resolve(authorization=None if auth is None else auth.decode("latin-1"))
        except AuthError as exc:
            if self.auth_failures is not None:
                self.auth_failures.take(address)
            await send_error(send, 401, AppError(UNAUTHENTICATED, f"Authentication required: {exc.reason}.",
                                                 "Authorization"), [(b"www-authenticate", b'Bearer realm="processgraph"')],
                             graphql=self.graphql)
            return
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # The token lookup met a database fault: retryable, like any request that meets one.
            await send_error(send, 503, unavailable_error(), [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())])
            return
        if self.rate_limiter is not None:
            wait = self.rate_limiter.take(actor.token_id or actor.user_id)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                await send_error(send, 429, AppError(RATE_LIMITED, f"Too many requests for this token; retry in {retry} s.",
                                                     "Authorization", {"retryAfterSeconds": retry,
                                                                       "limitPerSecond": self.rate_limiter.rate,
                                                                       "burst": self.rate_limiter.burst}),
                                 [(b"retry-after", str(retry).encode())], graphql=self.graphql)
                return
        state = scope.setdefault("state", {})
        state["actor"], state["body"] = actor, body  # the body for what comes next (app/fast/answers.py)
        await self.app(scope, handing_over({"type": "http.request", "body": body, "more_body": False}, receive),
                       send)

    async def _too_many_failures(self, send: Send, wait: float) -> None:
        assert self.auth_failures is not None
        retry = max(1, math.ceil(wait))
        await send_error(send, 429, AppError(
            RATE_LIMITED, f"Too many failed authentications from this address; retry in {retry} s.", "Authorization",
            {"retryAfterSeconds": retry, "limitPerSecond": self.auth_failures.rate, "burst": self.auth_failures.burst,
             "limitName": "authFailuresPerAddress"}), [(b"retry-after", str(retry).encode())], graphql=self.graphql)

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"", False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _too_large(self, send: Send, length: int | None) -> None:
        meta: dict[str, Any] = {"limit": self.max_body_bytes}
        if length is not None:
            meta["actual"] = length
        await send_error(send, 413, AppError(LIMIT_EXCEEDED, f"The request body is larger than "
                                             f"{self.max_body_bytes} bytes.", "body", meta), graphql=self.graphql)
