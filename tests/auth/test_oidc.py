"""Sign-in with an OpenID Connect provider (issue 14 point 2): JWT access tokens from one issuer, verified
against the keys its discovery document publishes (served here by a real HTTP server on loopback, see
tests/oidc.py), mapped to a user of a workspace by the documented rule."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.typing import Subprotocol

from app.auth.models import User
from app.auth.service import create_user, create_workspace, set_user_active
from app.db import table
from app.main import create_app
from app.settings import DEFAULT_WORKSPACE_ID, Settings, SettingsError, load_settings
from tests.oidc import AUDIENCE, OidcProvider
from tests.servers import inprocess_server

VIEWER = {"query": "{ viewer { user { id name email } workspace { id } scopes } }"}
CREATE = {"query": 'mutation { processCreate(input: {name: "Via OIDC", root: {name: "Root"}}) '
                   "{ errors { code } process { id created { user { id } } } } }"}
UT = table(User)


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(http: httpx.AsyncClient, token: str, body: dict[str, Any] = VIEWER) -> httpx.Response:
    return await http.post("/graphql", json=body, headers=bearer(token))


def assert_unauthenticated(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, (reason, response.status_code, response.text)
    body = response.json()
    assert body["code"] == "UNAUTHENTICATED" and body["target"] == "Authorization", body
    assert set(body) >= {"code", "message", "target", "details", "meta", "documentationUrl"}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in body["message"], (reason, body["message"])
    assert response.headers["www-authenticate"].startswith("Bearer")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture
async def ann(engine: AsyncEngine) -> str:
    return await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Ann Oidc", email="Ann@Example.test")


async def bind(engine: AsyncEngine, user_id: str, sub: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(UT.update().where(UT.c.id == user_id).values(oidc_subject=sub))


async def test_a_valid_token_acts_as_its_user_for_queries_and_mutations(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    await bind(engine, ann, "ann-sub")
    configured = oidc_provider.settings(settings, workspace=DEFAULT_WORKSPACE_ID, refetch_seconds=0)
    async with gateway(configured) as http:
        # the viewer is the mapped user, with the token's scopes
        token = oidc_provider.token(sub="ann-sub", scope="openid read write")
        viewer = (await post(http, token)).json()["data"]["viewer"]
        assert viewer == {"user": {"id": ann, "name": "Ann Oidc", "email": "Ann@Example.test"},
                          "workspace": {"id": DEFAULT_WORKSPACE_ID}, "scopes": ["READ", "WRITE"]}
        # a mutation records the mapped user as its author
        created = (await post(http, token, CREATE)).json()["data"]["processCreate"]
        assert created["errors"] == [] and created["process"]["created"]["user"]["id"] == ann
        # scopes decide: read alone may not write, and the provider-prefixed spelling counts as well
        read_only = oidc_provider.token(sub="ann-sub", scope="processgraph:read")
        refused = (await post(http, read_only, CREATE)).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused.get("data") is None
        assert (await post(http, read_only)).json()["data"]["viewer"]["scopes"] == ["READ"]
        nothing = oidc_provider.token(sub="ann-sub", scope="openid profile")
        assert (await post(http, nothing)).json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listed = oidc_provider.token(sub="ann-sub", scope=None, scp=["read", "processgraph:write"])
        assert (await post(http, listed)).json()["data"]["viewer"]["scopes"] == ["READ", "WRITE"]
        # ES256 keys work as well as RS256 ones (the new key is fetched on its unknown kid)
        es = oidc_provider.add_key("ES256")
        assert (await post(http, oidc_provider.token(sub="ann-sub", key=es))).status_code == 200
        # API tokens keep working beside OIDC
        from app.auth.service import create_token
        _, api_token = await create_token(engine, user_id=ann, scopes=["read"])
        assert (await post(http, api_token)).json()["data"]["viewer"]["user"]["id"] == ann


async def test_bad_tokens_get_401_with_the_error_shape(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    await bind(engine, ann, "ann-sub")
    idp = oidc_provider
    good = idp.token(sub="ann-sub")
    header, payload, signature = good.split(".")
    claims = json.loads(unb64(payload))
    pem = idp.current.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)

    def forged(alg: str, secret: bytes | None, body: dict[str, Any] = claims) -> str:
        head = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": idp.current.kid}).encode())
        signing_input = f"{head}.{b64(json.dumps(body).encode())}"
        sig = b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(sig)}"

    tampered = f"{header}.{b64(json.dumps({**claims, 'sub': 'someone-else'}).encode())}.{signature}"
    dave = await create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Dave Gone", email="dave@example.test")
    await bind(engine, dave, "dave-sub")
    await set_user_active(engine, user_id=dave, active=False)
    cases = {
        "alg none": (forged("none", None), "not accepted"),
        "HS256 with the public key as secret": (forged("HS256", pem), "not accepted"),
        "wrong kid": (idp.token(sub="ann-sub", headers={"kid": "no-such-key"}), "key the issuer does not publish"),
        "expired": (idp.token(sub="ann-sub", expires_in=-3600), "expired"),
        "not yet valid": (idp.token(sub="ann-sub", not_before_in=3600), "not yet valid"),
        "wrong issuer": (idp.token(sub="ann-sub", iss="https://other-issuer.test"), "another issuer"),
        "wrong audience": (idp.token(sub="ann-sub", aud="another-api"), "another audience"),
        "tampered payload": (tampered, "signature does not verify"),
        "deactivated user": (idp.token(sub="dave-sub"), "deactivated"),
        "unknown subject": (idp.token(sub="nobody-sub"), "no user of the workspace"),
        "no exp": (idp.token(sub="ann-sub", exp=None), "`exp`"),
        "garbage": ("abc.def.ghi", "malformed token"),
    }
    async with gateway(idp.settings(settings, workspace=DEFAULT_WORKSPACE_ID, refetch_seconds=0)) as http:
        assert (await post(http, good)).status_code == 200
        for name, (token, reason) in cases.items():
            response = await post(http, token)
            assert_unauthenticated(response, reason)
            assert name and "Ann Oidc" not in response.text
    # without an issuer configured, a JWT is just a malformed token
    async with gateway(settings) as http:
        assert_unauthenticated(await post(http, good), "malformed token")


async def test_key_rotation_is_picked_up_and_refetches_are_rate_limited(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    await bind(engine, ann, "ann-sub")
    idp = oidc_provider
    async with gateway(idp.settings(settings, workspace=DEFAULT_WORKSPACE_ID, refetch_seconds=1.0)) as http:
        assert (await post(http, idp.token(sub="ann-sub"))).status_code == 200
        assert idp.requests["/jwks"] == 1 and idp.requests["/.well-known/openid-configuration"] == 1
        # a burst of tokens naming unknown keys, right after a fetch: no fetch at all, every one refused
        fakes = [idp.token(sub="ann-sub", headers={"kid": f"unknown-{i}"}) for i in range(20)]
        answers = await asyncio.gather(*(post(http, t) for t in fakes))
        assert [a.status_code for a in answers] == [401] * 20 and idp.requests["/jwks"] == 1
        # the provider rotates its key; once the interval has passed, the first token with the new kid
        # fetches the keys again (one fetch, even for a concurrent burst) and is accepted, without a restart
        old_key = idp.current
        idp.rotate()
        await asyncio.sleep(1.1)
        rotated = [idp.token(sub="ann-sub", jti=str(i)) for i in range(10)]
        answers = await asyncio.gather(*(post(http, t) for t in rotated))
        assert [a.status_code for a in answers] == [200] * 10
        assert idp.requests["/jwks"] == 2
        # more unknown kids within the interval: still no new fetch
        for token in fakes[:5]:
            assert (await post(http, token)).status_code == 401
        assert idp.requests["/jwks"] == 2
        # the withdrawn key no longer verifies once the keys were fetched again
        assert_unauthenticated(await post(http, idp.token(sub="ann-sub", key=old_key, jti="old")),
                               "key the issuer does not publish")
        assert idp.requests["/jwks"] == 2


async def test_explicit_jwks_url_skips_discovery(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    await bind(engine, ann, "ann-sub")
    idp = oidc_provider
    configured = replace(idp.settings(settings, workspace=DEFAULT_WORKSPACE_ID), oidc_jwks_url=f"{idp.base_url}/jwks")
    async with gateway(configured) as http:
        assert (await post(http, idp.token(sub="ann-sub"))).status_code == 200
    assert idp.requests["/.well-known/openid-configuration"] == 0 and idp.requests["/jwks"] == 1


async def test_users_are_found_by_subject_then_verified_email_or_provisioned(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    idp = oidc_provider
    async with gateway(idp.settings(settings, workspace=DEFAULT_WORKSPACE_ID)) as http:
        # an unverified e-mail does not match; a verified one (any case) binds the subject to the user
        unverified = idp.token(sub="ann-sub", email="ann@example.test", email_verified=False)
        assert_unauthenticated(await post(http, unverified), "no user of the workspace")
        by_email = idp.token(sub="ann-sub", email="ANN@example.test", email_verified=True)
        assert (await post(http, by_email)).json()["data"]["viewer"]["user"]["id"] == ann
        # from then on the subject alone finds her, whatever e-mail the token carries
        moved = idp.token(sub="ann-sub", email="ann@elsewhere.test", jti="2")
        assert (await post(http, moved)).json()["data"]["viewer"]["user"]["id"] == ann
        # another subject presenting her e-mail does not take her over (she is bound already)
        intruder = idp.token(sub="intruder-sub", email="ann@example.test")
        assert_unauthenticated(await post(http, intruder), "no user of the workspace")
    async with engine.connect() as conn:
        assert (await conn.execute(select(UT.c.oidc_subject).where(UT.c.id == ann))).scalar_one() == "ann-sub"

    provisioning = idp.settings(settings, workspace=DEFAULT_WORKSPACE_ID, auto_provision=True)
    async with gateway(provisioning) as http:
        # first sight of a new person creates the user (concurrent first requests create one user)
        first = [idp.token(sub="new-sub", name="Nia New", email="nia@example.test", jti=str(i)) for i in range(5)]
        answers = await asyncio.gather(*(post(http, t) for t in first))
        ids = {a.json()["data"]["viewer"]["user"]["id"] for a in answers}
        assert len(ids) == 1
        viewer = answers[0].json()["data"]["viewer"]
        assert viewer["user"]["name"] == "Nia New" and viewer["user"]["email"] == "nia@example.test"
        users = await post(http, first[0], {"query": "{ users { edges { node { id name } } } }"})
        names = [e["node"]["name"] for e in users.json()["data"]["users"]["edges"]]
        assert names.count("Nia New") == 1
        # a deactivated provisioned user stays out (no second user is made)
        await set_user_active(engine, user_id=ids.pop(), active=False)
        assert_unauthenticated(await post(http, idp.token(sub="new-sub", jti="later")), "deactivated")


async def test_workspace_claim_maps_tokens_to_their_workspace(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    idp = oidc_provider
    other = await create_workspace(engine, name="Other workspace")
    bo = await create_user(engine, workspace_id=other, name="Bo Other", email="bo@other.test")
    await bind(engine, ann, "ann-sub")
    await bind(engine, bo, "bo-sub")
    claimed = idp.settings(settings, workspace_claim="pg_workspace", auto_provision=True)
    async with gateway(claimed) as http:
        ann_token = idp.token(sub="ann-sub", pg_workspace=DEFAULT_WORKSPACE_ID)
        assert (await post(http, ann_token)).json()["data"]["viewer"]["workspace"]["id"] == DEFAULT_WORKSPACE_ID
        bo_token = idp.token(sub="bo-sub", pg_workspace=other)
        assert (await post(http, bo_token)).json()["data"]["viewer"]["user"]["id"] == bo
        # a subject bound in one workspace cannot claim another, nor be provisioned a second time there
        assert_unauthenticated(await post(http, idp.token(sub="ann-sub", pg_workspace=other)),
                               "another workspace")
        assert_unauthenticated(await post(http, idp.token(sub="ann-sub")), "`pg_workspace` claim")
        assert_unauthenticated(await post(http, idp.token(sub="new-sub", pg_workspace="0" * 32)),
                               "workspace that does not exist")
        # an e-mail matches only inside the claimed workspace: Bo's e-mail claiming the default workspace
        # provisions a new user there and leaves Bo alone
        x_token = idp.token(sub="x-sub", email="bo@other.test", pg_workspace=DEFAULT_WORKSPACE_ID)
        x_user = (await post(http, x_token)).json()["data"]["viewer"]["user"]["id"]
        assert x_user != bo
        async with engine.connect() as conn:
            rows = (await conn.execute(select(UT.c.id, UT.c.workspace_id, UT.c.oidc_subject)
                                       .where(UT.c.id.in_([x_user, bo])))).all()
        assert sorted(rows) == sorted([(x_user, DEFAULT_WORKSPACE_ID, "x-sub"), (bo, other, "bo-sub")])


async def test_websocket_connection_init_accepts_oidc_tokens(
    settings: Settings, engine: AsyncEngine, oidc_provider: OidcProvider, ann: str
) -> None:
    await bind(engine, ann, "ann-sub")
    app = create_app(oidc_provider.settings(settings, workspace=DEFAULT_WORKSPACE_ID))
    async with inprocess_server(app) as address:
        for token, expected in ((oidc_provider.token(sub="ann-sub"), "connection_ack"),
                                (oidc_provider.token(sub="ann-sub", aud="another-api"), 4403)):
            async with websockets.connect(f"ws://{address}/graphql",
                                          subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": bearer(token)}))
                try:
                    got: Any = json.loads(await asyncio.wait_for(ws.recv(), 10))["type"]
                except websockets.ConnectionClosed as closed:
                    got = closed.rcvd.code if closed.rcvd else None
                assert got == expected


def test_oidc_settings_are_checked_at_start_up() -> None:
    base = {"OIDC_ISSUER": "https://login.example.test/", "OIDC_AUDIENCE": AUDIENCE}
    ok = load_settings(env={**base, "OIDC_WORKSPACE": DEFAULT_WORKSPACE_ID, "OIDC_LEEWAY_SECONDS": "10"},
                       env_file=None)
    assert (ok.oidc_issuer, ok.oidc_leeway_seconds, ok.oidc_auto_provision) == ("https://login.example.test/", 10, False)
    assert load_settings(env={}, env_file=None).oidc_issuer is None
    for env, named in (
        ({**base}, "OIDC_WORKSPACE"),
        ({**base, "OIDC_WORKSPACE": "w", "OIDC_WORKSPACE_CLAIM": "ws"}, "OIDC_WORKSPACE"),
        ({"OIDC_ISSUER": "https://login.example.test", "OIDC_WORKSPACE": "w"}, "OIDC_AUDIENCE"),
        ({"OIDC_AUDIENCE": AUDIENCE}, "OIDC_ISSUER"),
        ({**base, "OIDC_ISSUER": "login.example.test", "OIDC_WORKSPACE": "w"}, "OIDC_ISSUER"),
        ({**base, "OIDC_WORKSPACE": "w", "OIDC_LEEWAY_SECONDS": "soon"}, "OIDC_LEEWAY_SECONDS"),
        ({**base, "OIDC_WORKSPACE": "w", "OIDC_JWKS_REFETCH_SECONDS": "-1"}, "OIDC_JWKS_REFETCH_SECONDS"),
    ):
        with pytest.raises(SettingsError, match=named):
            load_settings(env=env, env_file=None)
