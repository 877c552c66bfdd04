"""The REST door's documentation page: Swagger UI over /v1/openapi.json, served by the gateway itself from
the pinned npm package in vendor/graphiql (never from a CDN), only when GRAPHIQL is on; like GraphiQL it
starts with the demo token only in development mode on a loopback address."""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from app.graphql.ide import (
    CSS,
    JAVASCRIPT,
    SOURCE_MAP,
    Asset,
    GraphiQLPage,
    load_assets,
    missing_assets_html,
)

HERE = Path(__file__).parent
PAGE = "/v1/docs"
STATIC_PREFIX = "/v1/docs/static/"
ASSETS = (
    Asset("swagger-ui-dist", "swagger-ui-bundle.js", JAVASCRIPT),
    Asset("swagger-ui-dist", "swagger-ui-bundle.js.map", SOURCE_MAP),
    Asset("swagger-ui-dist", "swagger-ui.css", CSS),
    Asset("swagger-ui-dist", "swagger-ui.css.map", SOURCE_MAP),
)


class DocsPage(GraphiQLPage):
    """The page (or what to install when its assets are missing) and its allow-listed static files, served
    as GraphiQL's are (`response`, `static`: the same headers and allow-list lookup)."""

    def __init__(self, *, node_modules: Path, token: str | None) -> None:  # GraphiQL's own page is not built
        self.assets = load_assets(node_modules, assets=ASSETS, script=HERE / "docs.js", prefix=STATIC_PREFIX)
        if self.assets.missing:
            self.html = missing_assets_html(self.assets, node_modules, tool="Swagger UI", endpoint=(
                "The REST API itself works without them; its document is <code>/v1/openapi.json</code>."))
            return
        config = {"url": "/v1/openapi.json", **({"token": token} if token else {})}
        scripts = "\n    ".join(f'<script src="{html.escape(self.assets.urls[name])}"></script>'
                                for name in ("swagger-ui-dist/swagger-ui-bundle.js", "processgraph/docs.js"))
        self.html = ((HERE / "docs.html").read_text()
                     .replace("{{stylesheet}}", html.escape(self.assets.urls["swagger-ui-dist/swagger-ui.css"]))
                     .replace("{{config}}", json.dumps(config).replace("<", "\\u003c"))
                     .replace("{{scripts}}", scripts))

    async def page(self, _request: Request) -> Response:
        return self.response()
