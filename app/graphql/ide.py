"""The GraphiQL page and its assets, served by the gateway itself from the pinned npm packages in
vendor/graphiql (never from a CDN), with the Authorization header filled in only for local development."""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

log = logging.getLogger("processgraph")

STATIC_PREFIX = "/graphiql/static/"
HERE = Path(__file__).parent
PAGE_TEMPLATE = HERE / "graphiql.html"
PAGE_SCRIPT = HERE / "graphiql.js"
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
SOURCE_MAP = "application/json"
# Every URL carries the installed version (or our script's hash), so a file can be cached for good.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
# The page may load only from this origin: even a stray absolute URL in a bundle cannot reach another host.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
DEFAULT_QUERY = """# Processgraph. Run with Ctrl-Enter; the book icon (top left) opens the documentation.
# Subscriptions (runEvents, runSummary) go over WebSocket with the same headers.
query Start {
  viewer { user { id name } scopes }
  processes(first: 10) { totalCount edges { node { id name } } }
}
"""


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of an npm package that the page loads; nothing outside this list is served."""

    package: str
    file: str
    media_type: str


# GraphiQL 3's CDN bundle carries graphql, the graphql-ws client and its fonts (as data: URLs);
# it needs React 18's UMD builds beside it. The source maps are for the browser's developer tools.
# The explorer plugin's UMD build (graphiql-explorer inside) takes React, GraphiQL.React and
# GraphiQL.GraphQL from the globals the scripts before it define.
ASSETS = (
    Asset("react", "umd/react.production.min.js", JAVASCRIPT),
    Asset("react-dom", "umd/react-dom.production.min.js", JAVASCRIPT),
    Asset("graphiql", "graphiql.min.js", JAVASCRIPT),
    Asset("graphiql", "graphiql.min.js.map", SOURCE_MAP),
    Asset("graphiql", "graphiql.min.css", CSS),
    Asset("graphiql", "graphiql.min.css.map", SOURCE_MAP),
    Asset("@graphiql/plugin-explorer", "dist/index.umd.js", JAVASCRIPT),
    Asset("@graphiql/plugin-explorer", "dist/style.css", CSS),
)
PAGE_ORDER = ("react/umd/react.production.min.js", "react-dom/umd/react-dom.production.min.js", "graphiql/graphiql.min.js",
              "@graphiql/plugin-explorer/dist/index.umd.js")
PAGE_STYLES = ("graphiql/graphiql.min.css", "@graphiql/plugin-explorer/dist/style.css")


@dataclass(frozen=True, slots=True)
class Assets:
    """What is installed: URL path (below STATIC_PREFIX) -> file and media type; `missing` names what is not."""

    files: dict[str, tuple[Path, str]]
    urls: dict[str, str]  # "<package>/<file>" -> its URL
    missing: tuple[str, ...]


def load_assets(node_modules: Path, *, assets: tuple[Asset, ...] = ASSETS, script: Path = PAGE_SCRIPT,
                prefix: str = STATIC_PREFIX) -> Assets:
    """Find the allow-listed files under `node_modules` and give each a versioned URL below `prefix`, our
    page `script` too (GraphiQL's by default; the REST door's Swagger UI page passes its own)."""
    files: dict[str, tuple[Path, str]] = {}
    urls: dict[str, str] = {}
    missing: list[str] = []
    for asset in assets:
        package_dir = node_modules / asset.package
        path = package_dir / asset.file
        try:
            version = json.loads((package_dir / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            version = None
        if version is None or not path.is_file():
            missing.append(f"{asset.package}/{asset.file}")
            continue
        key = f"{asset.package}@{version}/{asset.file}"
        files[key] = (path, asset.media_type)
        urls[f"{asset.package}/{asset.file}"] = prefix + key
    script_key = f"processgraph@{hashlib.sha256(script.read_bytes()).hexdigest()[:16]}/{script.name}"
    files[script_key] = (script, JAVASCRIPT)
    urls[f"processgraph/{script.name}"] = prefix + script_key
    return Assets(files=files, urls=urls, missing=tuple(missing))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def graphiql_html(*, token: str | None, assets: Assets) -> str:
    """Our GraphiQL page; with `token`, its headers editor starts with `Authorization: Bearer <token>`."""
    config: dict[str, object] = {"endpoint": "/graphql", "defaultQuery": DEFAULT_QUERY}
    if token is not None:
        config["headers"] = json.dumps({"Authorization": f"Bearer {token}"}, indent=2)
    # JSON inside <script>: no "<" may end the element early.
    config_json = json.dumps(config).replace("<", "\\u003c")
    scripts = "\n    ".join(f'<script src="{html.escape(assets.urls[name])}"></script>'
                        for name in (*PAGE_ORDER, "processgraph/graphiql.js"))
    styles = "\n    ".join(f'<link rel="stylesheet" href="{html.escape(assets.urls[name])}">' for name in PAGE_STYLES)
    return (PAGE_TEMPLATE.read_text()
            .replace("{{stylesheets}}", styles)
            .replace("{{config}}", config_json)
            .replace("{{scripts}}", scripts))


def missing_assets_html(assets: Assets, node_modules: Path, *, tool: str = "GraphiQL",
                        endpoint: str = "The GraphQL endpoint itself works without them: POST to "
                        "<code>/graphql</code>.") -> str:
    """What to do when the gateway runs without the assets of GraphiQL (or of another page: `tool`)."""
    items = "".join(f"<li><code>{html.escape(m)}</code></li>" for m in assets.missing)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{tool} is not installed</title></head>
<body style="font-family: sans-serif; max-width: 48em; margin: 2em auto">
<h1>{tool}'s assets are not installed</h1>
<p>This gateway serves {tool}'s scripts and styles itself and never loads them from a CDN, but these
files are missing from <code>{html.escape(str(node_modules))}</code>:</p>
<ul>{items}</ul>
<p>Run <code>scripts/install</code> (it runs <code>npm ci</code> in <code>vendor/graphiql</code> from the
pinned <code>package-lock.json</code>; it needs Node.js and npm), or point <code>GRAPHIQL_ASSETS_DIR</code>
at a <code>node_modules</code> folder installed from that lock, then restart the gateway.</p>
<p>{endpoint}</p>
</body></html>
"""


class GraphiQLPage:
    """The page (or what to install when its assets are missing) and the allow-listed static files."""

    def __init__(self, *, node_modules: Path, token: str | None) -> None:
        self.assets = load_assets(node_modules)
        if self.assets.missing:
            log.warning("GraphiQL's assets are missing from %s (%s); run scripts/install",
                        node_modules, ", ".join(self.assets.missing))
            self.html = missing_assets_html(self.assets, node_modules)
        else:
            self.html = graphiql_html(token=token, assets=self.assets)

    def response(self) -> Response:
        if self.assets.missing:
            return HTMLResponse(self.html, status_code=503)
        return HTMLResponse(self.html, headers={"Content-Security-Policy": PAGE_POLICY,
                                                "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def static(self, request: Request) -> Response:
        """GET /graphiql/static/<package>@<version>/<file>: a lookup in the allow-list, never a path join."""
        found = self.assets.files.get(request.path_params["path"])
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        path, media_type = found
        return FileResponse(path, media_type=media_type, headers=IMMUTABLE)
