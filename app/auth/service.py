"""Who is acting: workspaces, users, API tokens, and the resolver that turns a bearer token into an Actor."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.actor import READ as READ
from app.actor import SCOPES as SCOPES
from app.actor import WRITE as WRITE
from app.actor import Actor as Actor
from app.actor import scope_refusal
from app.auth.models import ApiToken, User, Workspace
from app.auth.oidc import OidcError, OidcUsers, OidcVerifier, scopes_of
from app.clock import utc_now
from app.db import PerDialect, reader, sort_key, table
from app.errors import ServiceError
from app.ids import new_id

TOKEN_PREFIX = "pgt_"
TOKEN_BYTES = 32

USERS, WORKSPACES, API_TOKENS = table(User), table(Workspace), table(ApiToken)


@dataclass(frozen=True, slots=True)
class Oidc:
    """The OIDC side of the resolver: token verification and the claims-to-user mapping."""

    verifier: OidcVerifier
    users: OidcUsers


class AuthError(Exception):
    """A request without a usable bearer token (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def require_scope(actor: Actor, scope: str) -> None:
    """Service-level guard: refuse with FORBIDDEN when the token lacks the scope (app/actor.py decides)."""
    if (refusal := scope_refusal(actor, scope)) is not None:
        raise ServiceError(refusal)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; AuthError when absent or malformed."""
    if not authorization:
        raise AuthError("missing Authorization header; send `Authorization: Bearer <token>`")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("malformed Authorization header; expected `Bearer <token>`")
    if not token.isascii() or not (
            (token.startswith(TOKEN_PREFIX) and len(token) <= 200) or (token.count(".") == 2 and len(token) <= 16384)):
        raise AuthError("malformed token")
    return token


class ActorResolver:
    """Turns bearer tokens into Actors: our API tokens (`pgt_…`) and, when an issuer is configured, its
    OIDC access tokens (JWTs). Lookups are cached per gateway process for `cache_seconds` (a JWT never past
    its `exp`), so a revoked token or a deactivated user stops working within that time."""

    def __init__(self, *, engine: AsyncEngine, cache_seconds: float = 5.0, oidc: Oidc | None = None,
                 cache_size: int = 10_000) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self.oidc = oidc
        # Known and unknown tokens alike (an unknown one costs one lookup per cache period), least recently
        # used first out: a flood of random tokens cannot grow it past `cache_size`.
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[float, Actor | None]] = OrderedDict()
        self.hits = 0  # lookups answered from the cache, and those that were not (/metrics)
        self.misses = 0

    async def resolve(self, *, authorization: str | None) -> Actor:
        token = parse_bearer(authorization)
        digest = hash_token(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            actor = hit[1]
            self._cache.move_to_end(digest)
            self.hits += 1
        elif not token.startswith(TOKEN_PREFIX):
            if self.oidc is None:
                raise AuthError("malformed token")
            self.misses += 1
            actor, seconds_left = await self._oidc_actor(token)
            self._remember(digest, now, min(self.cache_seconds, seconds_left), actor)
        else:
            self.misses += 1
            actor = await self._lookup(digest)
            self._remember(digest, now, self.cache_seconds, actor)
        if actor is None:
            raise AuthError("unknown, revoked or deactivated token")
        return actor

    def _remember(self, digest: str, now: float, seconds: float, actor: Actor | None) -> None:
        self._cache[digest] = (now + seconds, actor)
        self._cache.move_to_end(digest)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    @property
    def cached_tokens(self) -> int:
        return len(self._cache)

    async def _oidc_actor(self, token: str) -> tuple[Actor, float]:
        assert self.oidc is not None
        try:
            claims = await self.oidc.verifier.claims(token)
            user_id, workspace_id = await self.oidc.users.user(claims)
        except OidcError as exc:
            raise AuthError(str(exc)) from None
        return (Actor(user_id=user_id, workspace_id=workspace_id, scopes=scopes_of(claims)),
                max(0.0, float(claims["exp"]) - utc_now().timestamp()))

    async def _lookup(self, digest: str) -> Actor | None:
        stmt = (select(API_TOKENS.c.id, API_TOKENS.c.token_hash, API_TOKENS.c.scopes, USERS.c.id.label("user_id"), USERS.c.workspace_id)
                .select_from(API_TOKENS.join(USERS, USERS.c.id == API_TOKENS.c.user_id))
                .where(API_TOKENS.c.token_hash == digest, API_TOKENS.c.revoked_at.is_(None), USERS.c.active.is_(True)))
        async with reader(self.engine).connect() as conn:  # a lost connection is retried once (a read)
            row = (await conn.execute(stmt)).first()
        # The index found the row by hash; compare again in constant time all the same.
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        return Actor(user_id=row.user_id, workspace_id=row.workspace_id,
                     scopes=frozenset(row.scopes.split()), token_id=row.id)


# ---- administration (scripts/admin) ----

async def create_workspace(engine: AsyncEngine, *, name: str) -> str:
    workspace_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(WORKSPACES.insert().values(id=workspace_id, name=name, created_at=utc_now()))
    return workspace_id


async def create_user(engine: AsyncEngine, *, workspace_id: str, name: str, email: str) -> str:
    """Add an active user to a workspace; returns the new user's id."""
    user_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(USERS.insert().values(id=user_id, workspace_id=workspace_id, name=name,
                                              name_key=sort_key(name), email=email, active=True,
                                              created_at=utc_now()))
    return user_id


async def set_user_active(engine: AsyncEngine, *, user_id: str, active: bool) -> None:
    """Deactivate (or reactivate) a user; a deactivated user keeps their history but cannot act."""
    async with engine.begin() as conn:
        await conn.execute(USERS.update().where(USERS.c.id == user_id).values(active=active))


async def create_token(engine: AsyncEngine, *, user_id: str, scopes: list[str], label: str = "") -> tuple[str, str]:
    """A new token for a user: (token id, the token itself, which is never stored and shown only now)."""
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ValueError(f"scopes are a non-empty subset of {SCOPES}; got {scopes}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(API_TOKENS.insert().values(id=token_id, user_id=user_id, token_hash=hash_token(token),
                                              scopes=" ".join(s for s in SCOPES if s in scopes), label=label,
                                              created_at=utc_now()))
    return token_id, token


async def revoke_token(engine: AsyncEngine, *, token_id: str) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(API_TOKENS.update().where(API_TOKENS.c.id == token_id, API_TOKENS.c.revoked_at.is_(None))
                                    .values(revoked_at=utc_now()))
    return bool(result.rowcount)


async def count_tokens(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(API_TOKENS))).scalar_one())


# ---- reads used by loaders and the viewer ----

# Built once (app/db.py PerDialect): a statement built per batch also left its expanding IN's bind parameters
# in a reference cycle, for the cyclic collector (tests/test_executor.py, a request leaves no cycle).
_USERS_BY_IDS = PerDialect(lambda in_ids: select(USERS).where(in_ids(USERS.c.id, "ids"),
                                                              USERS.c.workspace_id == bindparam("workspace_id")))


async def users_by_ids(conn: AsyncConnection, *, workspace_id: str, ids: list[str]) -> dict[str, Any]:
    """Users of one workspace by id (unknown ids and other workspaces' users are absent)."""
    rows = (await conn.execute(_USERS_BY_IDS(conn), {"ids": ids, "workspace_id": workspace_id})).all()
    return {r.id: r for r in rows}


async def workspace(conn: AsyncConnection, *, workspace_id: str) -> Any:
    return (await conn.execute(select(WORKSPACES).where(WORKSPACES.c.id == workspace_id))).one()


async def users_page(engine: AsyncEngine, *, workspace_id: str, first: int, after: tuple[str, str] | None
                     ) -> tuple[list[Any], bool]:
    """Users of a workspace ordered by casefolded name, then id."""
    conds = [USERS.c.workspace_id == workspace_id]
    if after is not None:
        key, id_ = after
        conds.append((USERS.c.name_key > key) | ((USERS.c.name_key == key) & (USERS.c.id > id_)))
    stmt = select(USERS).where(*conds).order_by(USERS.c.name_key, USERS.c.id).limit(first + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    return rows[:first], len(rows) > first


async def count_users(engine: AsyncEngine, *, workspace_id: str) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(USERS).where(USERS.c.workspace_id == workspace_id)
        return int((await conn.execute(stmt)).scalar_one())
