"""The GraphiQL page, with the Authorization header filled in only for local development."""

from __future__ import annotations

import ipaddress
import json

from strawberry.http.ides import get_graphql_ide_html

_HEADERS_STATE = "const [headers, setHeaders] = React.useState(parameters.headers);"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def graphiql_html(*, token: str | None) -> str:
    """GraphiQL; with `token`, its headers editor starts with `Authorization: Bearer <token>`."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    if token is None:
        return html
    assert _HEADERS_STATE in html, "the GraphiQL template changed; update app/graphql/ide.py"
    headers = json.dumps(json.dumps({"Authorization": f"Bearer {token}"}, indent=2))
    return html.replace(_HEADERS_STATE,
                        f"const [headers, setHeaders] = React.useState(parameters.headers || {headers});")
