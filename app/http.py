"""ASGI middleware in front of /graphql: body size (413), bearer authentication (401), rate limit (429)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from app.auth.service import ActorResolver, AuthError
from app.errors import LIMIT_EXCEEDED, VALIDATION_ERROR, AppError
from app.graphql.errors import error_extensions

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNAUTHENTICATED = "UNAUTHENTICATED"
RATE_LIMITED = "RATE_LIMITED"


def error_body(error: AppError, *, graphql: bool = True) -> bytes:
    """The seed's Error shape as the body, plus (for GraphQL clients) a GraphQL `errors` list."""
    body: dict[str, Any] = {"code": error.code, "message": error.message, "target": error.target, "details": None,
                            "meta": error.meta, "documentationUrl": None}
    if graphql:
        body["errors"] = [{"message": error.message, "extensions": error_extensions(error)}]
    return orjson.dumps(body)


async def send_error(send: Send, status: int, error: AppError, headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
                     *, graphql: bool = True) -> None:
    body = error_body(error, graphql=graphql)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class TokenBucket:
    """Per-token request budget of one gateway process: `rate` per second, bursts up to `burst`."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 when the request may go; otherwise seconds until it may."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


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


class GatewayMiddleware:
    """Refuses oversized bodies, unauthenticated requests and over-eager tokens before GraphQL (or the REST
    door, with `graphql=False`: no GraphiQL page, bodies parsed by the door, errors without a GraphQL
    `errors` list) sees them.

    The acting user goes into `scope["state"]["actor"]`; the GraphiQL page itself needs no token.
    """

    def __init__(self, app: ASGIApp, *, resolver: Callable[[], ActorResolver], max_body_bytes: int,
                 rate_limiter: TokenBucket | None, graphql: bool = True) -> None:
        self.app = app
        self.resolver = resolver
        self.max_body_bytes = max_body_bytes
        self.rate_limiter = rate_limiter
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
        try:
            actor = await self.resolver().resolve(authorization=None if auth is None else auth.decode("latin-1"))
        except AuthError as exc:
            await send_error(send, 401, AppError(UNAUTHENTICATED, f"Authentication required: {exc.reason}.",
                                                 "Authorization"), [(b"www-authenticate", b'Bearer realm="processgraph"')],
                             graphql=self.graphql)
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
        scope.setdefault("state", {})["actor"] = actor
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

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
