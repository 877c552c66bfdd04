"""The seed's REST door (`/v1`): thin routes over the same services as GraphQL (docs/rest-api.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, request_response

from app.errors import NOT_FOUND, AppError, method_not_allowed
from app.rest.door import Endpoint
from app.rest.errors import RestError, response
from app.rest.routes import OPERATIONS
from app.settings import Settings

PREFIX = "/v1"
UNKNOWN = f"{PREFIX}/{{path:path}}"
# Documents anyone may read (no token): the OpenAPI document and its page; and the answer to a path the door
# does not have (the same 404 for everyone). Everything else needs a token.
PUBLIC_PATHS = frozenset({f"{PREFIX}/openapi.json", f"{PREFIX}/docs", f"{PREFIX}/docs/static/{{path:path}}",
                          PREFIX, UNKNOWN})


class EveryMethod:
    """An endpoint as an ASGI app that is not a function, so that its Route hands it every method (Starlette
    gives a function endpoint GET alone and answers the rest itself, in plain text)."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(endpoint)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def unknown(request: Request) -> Response:
    """Any path under /v1 that is not an operation or a document: NOT_FOUND in the seed's Error shape (not
    Starlette's plain-text 404)."""
    return response(RestError(AppError(NOT_FOUND, f"No operation at {request.url.path}; the operations are "
                                       f"listed in {PREFIX}/openapi.json.", None, {"path": request.url.path[:200]}),
                              404))


def only(methods: tuple[str, ...], endpoint: Callable[[Request], Awaitable[Response]]) -> EveryMethod:
    """A public document's endpoint that answers other methods 405 in the seed's Error shape, with `Allow`."""
    allow = ", ".join(methods)

    async def answer(request: Request) -> Response:
        if request.method not in methods:
            return response(RestError(method_not_allowed(request.method, list(methods)), 405, {"Allow": allow}))
        return await endpoint(request)
    return EveryMethod(answer)


def routes(*, state: dict[str, Any], settings: Settings, guard: Callable[[Any], Any],
           dev_token: str | None = None) -> list[BaseRoute]:
    """One route per documented path, each behind `guard` (the gateway middleware: body size, token, rate);
    the OpenAPI document; with GRAPHIQL on, the Swagger UI page and its files (`dev_token` prefilled)."""
    by_path: dict[str, list[Any]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, []).append(op)
    from app.rest.openapi import endpoint as openapi_endpoint

    out: list[BaseRoute] = [Route(PREFIX + path, guard(request_response(Endpoint(ops, state=state, settings=settings))))
                            for path, ops in by_path.items()]
    out.append(Route(f"{PREFIX}/openapi.json", only(("GET",), openapi_endpoint)))
    if settings.graphiql:
        from app.rest.docs import STATIC_PREFIX, DocsPage

        docs = DocsPage(node_modules=Path(settings.graphiql_assets_dir), token=dev_token)
        out += [Route(f"{PREFIX}/docs", only(("GET",), docs.page)),
                Route(STATIC_PREFIX + "{path:path}", only(("GET", "HEAD"), docs.static))]
    # Last: whatever else is under /v1 answers the seed's Error shape.
    return [*out, Route(PREFIX, EveryMethod(unknown)), Route(UNKNOWN, EveryMethod(unknown))]
