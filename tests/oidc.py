"""A test OpenID Connect provider: key pairs, a real discovery + JWKS server on loopback, and a token minter.

Tests that sign people in with OIDC access tokens (the gateway's tests, the web client's browser test) use
it the same way:

    with serve_provider() as idp:                      # or the `oidc_provider` fixture (tests/conftest.py)
        settings = idp.settings(Settings(...), workspace=DEFAULT_WORKSPACE_ID)   # OIDC_* for create_app
        env = idp.env(workspace=DEFAULT_WORKSPACE_ID)  # the same as environment variables, for a server process
        token = idp.token(sub="ann", email="ann@example.com", scope="read write")
        headers = {"Authorization": f"Bearer {token}"}

The server answers `GET /.well-known/openid-configuration` (issuer = the server's base URL, `jwks_uri`)
and `GET /jwks` on 127.0.0.1 from a daemon thread, counts the requests per path (`idp.requests`), and
publishes whatever `idp.keys` holds at the moment of the request, so `idp.rotate()` is seen by the next
fetch. `token()` signs with the current key (RS256 by default; `key=idp.add_key("ES256")` for ES256) and
takes any claim as a keyword (`exp`, `nbf` as offsets from now via `expires_in` / `not_before_in`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from app.settings import Settings

AUDIENCE = "processgraph-api"


@dataclass
class SigningKey:
    kid: str
    algorithm: str  # RS256 or ES256
    private: Any
    public_jwk: dict[str, Any]


def make_key(kid: str, algorithm: str = "RS256") -> SigningKey:
    if algorithm == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid=kid, algorithm=algorithm, private=private,
                      public_jwk={**jwk, "kid": kid, "use": "sig", "alg": algorithm})


class OidcProvider:
    """The provider's state; `serve_provider()` puts it behind a real HTTP server."""

    def __init__(self) -> None:
        self.base_url = ""  # set once the server listens
        self.keys: list[SigningKey] = [make_key("key-1")]
        self.requests: Counter[str] = Counter()
        self._next = 2

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def add_key(self, algorithm: str = "RS256") -> SigningKey:
        """Publish one more key (it becomes the current one)."""
        key = make_key(f"key-{self._next}", algorithm)
        self._next += 1
        self.keys.append(key)
        return key

    def rotate(self, *, keep_old: bool = False) -> SigningKey:
        """A new current key; the old ones are withdrawn unless `keep_old`."""
        key = self.add_key()
        if not keep_old:
            self.keys = [key]
        return key

    def token(self, *, sub: str = "subject-1", scope: str | None = "read write", key: SigningKey | None = None,
              expires_in: float = 300, not_before_in: float | None = None, headers: dict[str, Any] | None = None,
              **claims: Any) -> str:
        """A signed access token; claims given as keywords are added or override (None removes one)."""
        key = key or self.current
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "iat": now,
                                "exp": now + int(expires_in)}
        if scope is not None:
            body["scope"] = scope
        if not_before_in is not None:
            body["nbf"] = now + int(not_before_in)
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key.private, algorithm=key.algorithm, headers={"kid": key.kid, **(headers or {})})

    def env(self, *, workspace: str | None = None, workspace_claim: str | None = None,
            auto_provision: bool = False, refetch_seconds: float = 60.0) -> dict[str, str]:
        """OIDC_* environment variables for a gateway process trusting this provider."""
        env = {"OIDC_ISSUER": self.issuer, "OIDC_AUDIENCE": AUDIENCE,
               "OIDC_AUTO_PROVISION": "true" if auto_provision else "false",
               "OIDC_JWKS_REFETCH_SECONDS": str(refetch_seconds)}
        if workspace is not None:
            env["OIDC_WORKSPACE"] = workspace
        if workspace_claim is not None:
            env["OIDC_WORKSPACE_CLAIM"] = workspace_claim
        return env

    def settings(self, base: Settings, *, workspace: str | None = None, workspace_claim: str | None = None,
                 auto_provision: bool = False, refetch_seconds: float = 60.0) -> Settings:
        """`base` with the OIDC settings trusting this provider."""
        return replace(base, oidc_issuer=self.issuer, oidc_audience=AUDIENCE, oidc_workspace=workspace,
                       oidc_workspace_claim=workspace_claim, oidc_auto_provision=auto_provision,
                       oidc_jwks_refetch_seconds=refetch_seconds)


def _handler(provider: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.requests[self.path] += 1
            if self.path == "/.well-known/openid-configuration":
                body: Any = {"issuer": provider.issuer, "jwks_uri": f"{provider.base_url}/jwks",
                             "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
            elif self.path == "/jwks":
                body = {"keys": [k.public_jwk for k in provider.keys]}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def serve_provider() -> Iterator[OidcProvider]:
    """A provider served on a free 127.0.0.1 port from a daemon thread; shut down on exit."""
    provider = OidcProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
