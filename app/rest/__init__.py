"""The seed's REST door (`/v1`): thin routes over the same services as GraphQL (docs/rest-api.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Route, request_response

from app.rest.door import Endpoint
from app.rest.routes import OPERATIONS
from app.settings import Settings

PREFIX = "/v1"
# Documents anyone may read (no token): the OpenAPI document and its page. Everything else needs a token.
PUBLIC_PATHS = frozenset({f"{PREFIX}/openapi.json", f"{PREFIX}/docs", f"{PREFIX}/docs/static/{{path:path}}"})


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
    out.append(Route(f"{PREFIX}/openapi.json", openapi_endpoint, methods=["GET"]))
    if settings.graphiql:
        from app.rest.docs import STATIC_PREFIX, DocsPage

        docs = DocsPage(node_modules=Path(settings.graphiql_assets_dir), token=dev_token)
        out += [Route(f"{PREFIX}/docs", docs.page, methods=["GET"]),
                Route(STATIC_PREFIX + "{path:path}", docs.static, methods=["GET", "HEAD"])]
    return out
