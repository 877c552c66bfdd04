"""OpenID Connect access tokens: the issuer's keys (JWKS), verification, and the user each token acts as.

PyJWT, cryptography and httpx are imported on first use, so gateways without an issuer do not pay their
import time at start-up (a worker that starts slowly under load misses uvicorn's health check).

One issuer is trusted (`OIDC_ISSUER`). Its keys come from the discovery document's `jwks_uri` (or
`OIDC_JWKS_URL`), fetched with httpx without blocking the event loop, kept for an hour, and fetched again
early when a token names a key id we do not hold (key rotation), at most once per
`OIDC_JWKS_REFETCH_SECONDS`. PyJWT checks the signature (RS256 or ES256 only, and only the algorithm of the
key the token names), `exp`/`nbf`/`iat` with a small leeway, `iss` and `aud`. The mapping rule from claims to
a user of a workspace is in `OidcUsers.actor` and docs/front-ends.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import User, Workspace
from app.clock import utc_now
from app.db import sort_key, table, write_transaction
from app.ids import new_id
from app.settings import Settings

log = logging.getLogger("processgraph.oidc")

ALGORITHMS = ("RS256", "ES256")
KEYS_MAX_AGE_SECONDS = 3600.0  # keys a provider withdrew stop working within this time
FETCH_TIMEOUT_SECONDS = 5.0
MAX_JWT_BYTES = 16 * 1024
# `scope` values that grant our scopes; `processgraph:read` style for providers that prefix API scopes.
SCOPE_NAMES = {"read": "read", "write": "write", "processgraph:read": "read", "processgraph:write": "write"}

USERS, WORKSPACES = table(User), table(Workspace)


class OidcError(Exception):
    """A token that does not authenticate; the reason goes to the client in the 401 body."""


class _Raced(Exception):
    """Another request bound the same user meanwhile: look again."""


@dataclass(frozen=True, slots=True)
class _Key:
    algorithm: str
    key: Any  # a cryptography public key


def _key_algorithm(jwk: dict[str, Any]) -> str | None:
    """RS256 for RSA keys, ES256 for P-256 keys; None for anything else (other curves, symmetric keys,
    encryption keys, keys that declare another algorithm)."""
    if jwk.get("use", "sig") != "sig":
        return None
    algorithm = {"RSA": "RS256", "EC": "ES256" if jwk.get("crv") == "P-256" else None}.get(str(jwk.get("kty")))
    if algorithm is None or jwk.get("alg", algorithm) != algorithm:
        return None
    return algorithm


class JwksCache:
    """The issuer's signing keys by key id, fetched on first use and again when a token names an unknown
    key id (not more often than `refetch_seconds`) or when they are older than an hour."""

    def __init__(self, *, issuer: str, jwks_url: str | None, refetch_seconds: float) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.refetch_seconds = refetch_seconds
        self._keys: dict[str | None, _Key] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> _Key | None:
        if self._fetched_at is None or time.monotonic() - self._fetched_at > KEYS_MAX_AGE_SECONDS:
            await self._refresh(self._fetched_at)
        found = self._find(kid)
        if found is None and self._fetched_at is not None and (
                time.monotonic() - self._fetched_at >= self.refetch_seconds):
            await self._refresh(self._fetched_at)
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> _Key | None:
        if kid is None:  # a token without `kid` is accepted only while the issuer publishes a single key
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, seen: float | None) -> None:
        import httpx
        import jwt

        async with self._lock:
            if self._fetched_at != seen:  # another request fetched while this one waited
                return
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
                # Keep the keys we have; a failed fetch counts as a fetch, so an outage is not hammered.
                log.warning("could not fetch the OIDC signing keys of %s: %r", self.issuer, exc)
            self._fetched_at = time.monotonic()

    async def _fetch(self) -> dict[str | None, _Key]:
        import httpx
        import jwt

        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as http:
            url = self.jwks_url
            if url is None:
                response = await http.get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                response.raise_for_status()
                discovery = response.json()
                if discovery.get("issuer") != self.issuer:
                    raise ValueError(f"the discovery document names issuer {discovery.get('issuer')!r}")
                url = str(discovery["jwks_uri"])
            response = await http.get(url)
            response.raise_for_status()
            keys: dict[str | None, _Key] = {}
            for jwk in response.json()["keys"]:
                algorithm = _key_algorithm(jwk)
                if algorithm is not None:
                    keys[jwk.get("kid")] = _Key(algorithm, jwt.PyJWK(jwk, algorithm).key)
            return keys


class OidcVerifier:
    """Checks an access token and returns its claims; OidcError says why not."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer is not None and settings.oidc_audience is not None
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.leeway = settings.oidc_leeway_seconds
        self.keys = JwksCache(issuer=self.issuer, jwks_url=settings.oidc_jwks_url,
                              refetch_seconds=settings.oidc_jwks_refetch_seconds)

    async def claims(self, token: str) -> dict[str, Any]:
        import jwt  # imported on first use: only gateways with an issuer pay for it at start-up

        if len(token) > MAX_JWT_BYTES:
            raise OidcError("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise OidcError("malformed token") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise OidcError(f"token algorithm {str(algorithm)[:20]!r} is not accepted (RS256 or ES256 only)")
        kid = header.get("kid")
        key = await self.keys.key(kid if isinstance(kid, str) else None)
        if key is None:
            raise OidcError("token signed with a key the issuer does not publish")
        if key.algorithm != algorithm:
            raise OidcError("token algorithm does not match its key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[key.algorithm], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise OidcError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise OidcError("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise OidcError("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise OidcError("token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise OidcError("token signature does not verify") from None
        except jwt.MissingRequiredClaimError as exc:
            raise OidcError(f"token lacks the `{exc.claim}` claim") from None
        except jwt.PyJWTError:
            raise OidcError("invalid token") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            raise OidcError("token `sub` is not a string of 1 to 255 characters")
        return claims


def scopes_of(claims: dict[str, Any]) -> frozenset[str]:
    """Our scopes from the space-separated `scope` claim (or an `scp` list, as some providers send)."""
    raw = claims.get("scope")
    names = raw.split() if isinstance(raw, str) else []
    scp = claims.get("scp")
    if isinstance(scp, list):
        names += [s for s in scp if isinstance(s, str)]
    return frozenset(SCOPE_NAMES[n] for n in names if n in SCOPE_NAMES)


def _email_of(claims: dict[str, Any]) -> str | None:
    """The `email` claim, unless the provider says it is not verified (`email_verified: false`)."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    if not isinstance(email, str) or not email or len(email) > 320 or verified is False or verified == "false":
        return None
    return email


class OidcUsers:
    """Maps verified claims to an active user of a workspace (the rule in docs/front-ends.md)."""

    def __init__(self, *, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.workspace_claim = settings.oidc_workspace_claim
        self.workspace = settings.oidc_workspace
        self.auto_provision = settings.oidc_auto_provision

    def workspace_of(self, claims: dict[str, Any]) -> str:
        if self.workspace_claim is None:
            assert self.workspace is not None
            return self.workspace
        value = claims.get(self.workspace_claim)
        if not isinstance(value, str) or not value:
            raise OidcError(f"token lacks the `{self.workspace_claim}` claim naming its workspace")
        return value

    async def user(self, claims: dict[str, Any]) -> tuple[str, str]:
        """(user id, workspace id) of the token's person: by `sub`, else by verified e-mail (then `sub` is
        bound to that user), else a new user when auto-provisioning is on."""
        workspace_id = self.workspace_of(claims)
        sub = str(claims["sub"])
        for _ in range(2):  # a second pass after losing a race to bind or create the same subject
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(USERS.c.id, USERS.c.workspace_id, USERS.c.active)
                                          .where(USERS.c.oidc_subject == sub))).first()
            if row is not None:
                if row.workspace_id != workspace_id:
                    raise OidcError("token subject belongs to a user of another workspace")
                if not row.active:
                    raise OidcError("user is deactivated")
                return row.id, workspace_id
            try:
                user_id = await self._bind_or_create(claims, sub, workspace_id)
            except (IntegrityError, _Raced):
                continue
            if user_id is not None:
                return user_id, workspace_id
            raise OidcError("no user of the workspace matches this token's subject or e-mail")
        raise OidcError("could not bind the token's subject to a user")

    async def _bind_or_create(self, claims: dict[str, Any], sub: str, workspace_id: str) -> str | None:
        email = _email_of(claims)
        async with write_transaction(self.engine) as conn:  # BEGIN IMMEDIATE on SQLite: concurrent first sights
            if email is not None:
                rows = (await conn.execute(select(USERS.c.id, USERS.c.active).where(
                    USERS.c.workspace_id == workspace_id, USERS.c.oidc_subject.is_(None),
                    func.lower(USERS.c.email) == email.lower()))).all()
                if len(rows) > 1:
                    raise OidcError("several users of the workspace have this token's e-mail")
                if rows:
                    if not rows[0].active:
                        raise OidcError("user is deactivated")
                    bound = await conn.execute(USERS.update().where(USERS.c.id == rows[0].id, USERS.c.oidc_subject.is_(None))
                                               .values(oidc_subject=sub))
                    if bound.rowcount != 1:
                        raise _Raced
                    return str(rows[0].id)
            if not self.auto_provision:
                return None
            if (await conn.execute(select(WORKSPACES.c.id).where(WORKSPACES.c.id == workspace_id))).first() is None:
                raise OidcError("token names a workspace that does not exist")
            name = next((v for k in ("name", "preferred_username", "email")
                         if isinstance(v := claims.get(k), str) and v), sub)[:200]
            user_id = new_id()
            await conn.execute(USERS.insert().values(id=user_id, workspace_id=workspace_id, name=name,
                                                  name_key=sort_key(name), email=email or "", active=True,
                                                  created_at=utc_now(), oidc_subject=sub))
            return user_id
