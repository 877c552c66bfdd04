"""The GraphiQL page and its assets, served by the gateway from vendor/graphiql (issue 8 point 1).

No migrated database: these requests never query one. The assets must be installed (scripts/install does it).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.graphql.ide import ASSETS, PAGE_POLICY, STATIC_PREFIX
from app.main import create_app
from app.settings import Settings, load_settings

HTML = {"Accept": "text/html"}
# Every http(s) URL, wherever it stands: in an attribute, in CSS, in a comment.
ANY_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


class _Refs(HTMLParser):
    """Every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [(tag, name, value or "") for name, value in attrs if name in {"src", "href", "action", "srcset"}]


def _refs(page: str) -> list[tuple[str, str, str]]:
    parser = _Refs()
    parser.feed(page)
    return parser.refs


@pytest.fixture
def base(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")


async def _client(settings: Settings, dev_token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, dev_token=dev_token)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
async def client(base: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(base, dev_token="pgt_demo-secret"):
        yield c


async def test_page_loads_its_scripts_and_styles_from_the_gateway_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert ANY_URL.findall(page.text) == []
    refs = _refs(page.text)
    assert ("link", "href", "data:,") in refs  # the empty icon: no /favicon.ico request either
    loaded = [value for _, _, value in refs if value != "data:,"]
    assert loaded and all(value.startswith(STATIC_PREFIX) for value in loaded), loaded
    kinds = {}
    for url in loaded:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        kinds[url.rsplit("/", 1)[1]] = response.headers["content-type"]
    assert kinds == {
        "graphiql.min.css": "text/css; charset=utf-8",
        "react.production.min.js": "text/javascript; charset=utf-8",
        "react-dom.production.min.js": "text/javascript; charset=utf-8",
        "graphiql.min.js": "text/javascript; charset=utf-8",
        "graphiql.js": "text/javascript; charset=utf-8",
        "index.umd.js": "text/javascript; charset=utf-8",  # the explorer plugin
        "style.css": "text/css; charset=utf-8",
    }


async def test_stylesheet_and_page_script_name_no_other_host(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=HTML)).text
    (css_url,) = [v for _, _, v in _refs(page) if v.endswith("/graphiql.min.css")]
    (script_url,) = [v for _, _, v in _refs(page) if v.startswith(f"{STATIC_PREFIX}processgraph@")]
    css = (await client.get(css_url)).text
    script = (await client.get(script_url)).text
    assert "GraphiQL.createFetcher" in script and "subscriptionUrl" in script
    assert "GraphiQLPluginExplorer.explorerPlugin()" in script
    (explorer_css_url,) = [v for _, _, v in _refs(page) if v.endswith("/dist/style.css")]
    assert ANY_URL.findall((await client.get(explorer_css_url)).text) == []
    # GraphiQL's fonts are inside its stylesheet as data: URLs; nothing is imported from elsewhere.
    assert ANY_URL.findall(css) == [] and ANY_URL.findall(script) == []
    assert "@import" not in css
    urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", css)
    assert urls and all(u.startswith("data:") for u in urls), [u[:40] for u in urls if not u.startswith("data:")]


async def test_static_route_serves_the_allow_list_and_nothing_else(client: httpx.AsyncClient, base: Settings) -> None:
    modules = Path(base.graphiql_assets_dir)
    version = json.loads((modules / "graphiql" / "package.json").read_text())["version"]
    react = json.loads((modules / "react" / "package.json").read_text())["version"]
    for asset in ASSETS:
        v = json.loads((modules / asset.package / "package.json").read_text())["version"]
        response = await client.get(f"{STATIC_PREFIX}{asset.package}@{v}/{asset.file}")
        assert response.status_code == 200 and response.headers["content-type"] == asset.media_type, asset
        assert response.content == (modules / asset.package / asset.file).read_bytes()
    explorer = json.loads((modules / "@graphiql" / "plugin-explorer" / "package.json").read_text())["version"]
    for path in (f"graphiql@{version}/package.json",  # in the package, not in the list
                 f"@graphiql/plugin-explorer@{explorer}/dist/index.js",
                 f"@graphiql/plugin-explorer@{explorer}/package.json",
                 f"@graphiql/plugin-explorer@{explorer}/src/index.tsx",
                 f"@graphiql/plugin-explorer@{explorer}/dist/../package.json",
                 f"react@{react}/umd/react.development.js",
                 f"graphql@{version}/index.js",
                 "graphiql@0.0.1/graphiql.min.js",  # another version
                 "graphiql/graphiql.min.js",
                 f"graphiql@{version}/../../../../../etc/passwd",
                 f"graphiql@{version}/..%2f..%2f..%2fpackage.json",
                 "..%2f..%2f..%2f..%2fapp%2fsettings.py",
                 "%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
                 ".lock-installed", ""):
        response = await client.get(STATIC_PREFIX + path)
        assert response.status_code == 404, (path, response.status_code)
        assert b"Processgraph" not in response.content and b"[project]" not in response.content
    assert (await client.post(f"{STATIC_PREFIX}graphiql@{version}/graphiql.min.css")).status_code == 405


async def test_the_demo_token_is_prefilled_only_in_development_on_loopback(base: Settings) -> None:
    async def config(*, host: str, dev_mode: bool) -> dict[str, object]:
        async for client in _client(replace(base, host=host, dev_mode=dev_mode), dev_token="pgt_demo-secret"):
            page = (await client.get("/graphql", headers=HTML)).text
        found = re.search(r'<script id="graphiql-config" type="application/json">(.*?)</script>', page)
        assert found, page
        return dict(json.loads(found.group(1)))

    dev = await config(host="127.0.0.1", dev_mode=True)
    assert json.loads(str(dev["headers"])) == {"Authorization": "Bearer pgt_demo-secret"}
    assert dev["endpoint"] == "/graphql"
    for host, dev_mode in (("127.0.0.1", False), ("0.0.0.0", True), ("192.168.1.5", True)):
        other = await config(host=host, dev_mode=dev_mode)
        assert "headers" not in other and "pgt_" not in json.dumps(other), (host, dev_mode)


async def test_without_its_assets_the_page_says_how_to_install_them(base: Settings, tmp_path: Path) -> None:
    async for client in _client(replace(base, graphiql_assets_dir=str(tmp_path / "nowhere")), dev_token="pgt_x"):
        page = await client.get("/graphql", headers=HTML)
        assert page.status_code == 503
        assert "scripts/install" in page.text and "npm ci" in page.text and "graphiql/graphiql.min.js" in page.text
        assert "<script" not in page.text and ANY_URL.findall(page.text) == [] and "pgt_x" not in page.text
        assert (await client.get(f"{STATIC_PREFIX}graphiql@3.8.3/graphiql.min.js")).status_code == 404


async def test_no_graphiql_no_static_route(base: Settings) -> None:
    async for client in _client(replace(base, graphiql=False)):
        modules = Path(base.graphiql_assets_dir)
        version = json.loads((modules / "graphiql" / "package.json").read_text())["version"]
        assert (await client.get(f"{STATIC_PREFIX}graphiql@{version}/graphiql.min.css")).status_code == 404
        assert "graphiql-config" not in (await client.get("/graphql", headers=HTML)).text


def test_assets_folder_is_a_setting(tmp_path: Path) -> None:
    assert load_settings({"GRAPHIQL_ASSETS_DIR": "/srv/graphiql/node_modules"}, env_file=tmp_path / "none"
                         ).graphiql_assets_dir == "/srv/graphiql/node_modules"
    assert load_settings({}, env_file=tmp_path / "none").graphiql_assets_dir.endswith("vendor/graphiql/node_modules")
