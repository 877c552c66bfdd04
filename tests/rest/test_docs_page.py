"""The REST door's Swagger UI page (issue 17, point 3): served by the gateway from the pinned npm package,
only with GRAPHIQL on, every file from an allow-list under a versioned URL, the demo token only in
development mode on loopback."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.main import create_app
from app.settings import ROOT, Settings

MODULES = ROOT / "vendor" / "graphiql" / "node_modules"


@asynccontextmanager
async def client(settings: Settings, **kwargs: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, **kwargs)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://test") as http:
        yield http


async def test_the_page_and_its_files_come_from_the_gateway(settings: Settings) -> None:
    version = json.loads((MODULES / "swagger-ui-dist" / "package.json").read_text())["version"]
    async with client(settings) as http:
        page = await http.get("/v1/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert f"/v1/docs/static/swagger-ui-dist@{version}/swagger-ui-bundle.js" in sources
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
        for source in (s for s in sources if s.startswith("/v1/docs/static/")):
            served = await http.get(source)
            assert served.status_code == 200, source
            assert "immutable" in served.headers["cache-control"]
            assert served.headers["content-type"].startswith("text/" if source.endswith((".js", ".css")) else "")
        script = next(s for s in sources if s.endswith("/docs.js"))
        assert "/v1/openapi.json" in page.text and not re.search(r"https?:", (await http.get(script)).text)
        for path in (f"swagger-ui-dist@{version}/package.json", f"swagger-ui-dist@{version}/index.html",
                     "swagger-ui-dist@0.0.1/swagger-ui-bundle.js",
                     f"swagger-ui-dist@{version}/..%2f..%2f..%2fpackage.json", "../../app/settings.py"):
            assert (await http.get(f"/v1/docs/static/{path}")).status_code == 404, path
        assert "token" not in page.text.split("docs-config")[1].split("</script>")[0]


async def test_the_demo_token_only_on_loopback_in_development(settings: Settings) -> None:
    async with client(settings, dev_token="pgt_demo") as http:
        assert '"token": "pgt_demo"' in (await http.get("/v1/docs")).text
    remote = Settings(database_url=settings.database_url, host="0.0.0.0")
    async with client(remote, dev_token="pgt_demo") as http:
        assert "pgt_demo" not in (await http.get("/v1/docs")).text


async def test_no_page_without_graphiql(settings: Settings) -> None:
    off = Settings(database_url=settings.database_url, graphiql=False)
    async with client(off) as http:
        assert (await http.get("/v1/docs")).status_code == 404
        assert (await http.get("/v1/openapi.json")).status_code == 200


async def test_missing_assets_say_what_to_install(settings: Settings) -> None:
    bare = Settings(database_url=settings.database_url, graphiql_assets_dir="/nonexistent/node_modules")
    async with client(bare) as http:
        page = await http.get("/v1/docs")
    assert page.status_code == 503 and "scripts/install" in page.text and "Swagger UI" in page.text
