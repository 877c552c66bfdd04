"""The settings, one group per area (issue 28): each field is an environment variable of the same name in
capitals (`database_url` is `DATABASE_URL`), with its type, its bounds and a description. The groups are
validating dataclasses, so a value out of bounds is refused however Settings is built (app/settings.py
composes them and reads the environment); docs/operations.md lists them grouped the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{ROOT / 'var' / 'processgraph.db'}"

# Unknown names are refused (a removed setting is not silently ignored); NaN and infinity are not numbers of
# seconds; the Clock field holds any object (app/settings.py).
CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True, arbitrary_types_allowed=True)
Pooler = Literal["none", "pgbouncer-transaction"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _lowercase(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class DatabaseSettings:
    """Where the data is, and what sits in between."""

    database_url: str = Field(default=DEFAULT_SQLITE_URL, description=(
        "The database: sqlite+aiosqlite:///<path>, or postgresql+asyncpg://user:pw@host:port/db; for failover, "
        "every server that may be the primary: postgresql+asyncpg://user:pw@/db?host=a:5432&host=b:5432"
        "&target_session_attrs=read-write."))
    database_pooler: Pooler = Field(default="none", description=(
        "What sits between the gateway and PostgreSQL: none, or pgbouncer-transaction (PgBouncer in "
        "transaction pooling mode: no prepared statement outlives its transaction)."))
    listen_database_url: str | None = Field(default=None, description=(
        "Where the wake-up listener LISTENs: PostgreSQL directly, a session of its own, never through a "
        "transaction pooler; unset: DATABASE_URL."))
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, description=(
        "How long a SQLite writer waits for the write lock, in milliseconds."))
    read_database_urls: tuple[str, ...] = Field(default=(), description=(
        "Streaming standbys of the PostgreSQL primary that serve queries and REST GETs (app/replicas.py): "
        "comma-separated postgresql+asyncpg URLs; empty: every read goes to DATABASE_URL."))
    max_replica_lag: float = Field(default=5.0, gt=0, description=(
        "A standby further behind the primary than this many seconds serves no read."))
    replica_wait_seconds: float = Field(default=0.2, ge=0, description=(
        "How long a read that brings a write's LSN waits for a standby to replay it before it goes to the "
        "primary."))

    _pooler_lowercase = field_validator("database_pooler", mode="before")(_lowercase)

    @field_validator("read_database_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        urls = tuple(url.strip() for url in value.split(",") if url.strip()) if isinstance(value, str) else value
        for url in urls if isinstance(urls, tuple) else ():
            if not (isinstance(url, str) and url.startswith("postgresql")):
                raise ValueError(f"{str(url).split('@')[-1]!r} is not a PostgreSQL URL; expected comma-separated "
                                 "postgresql+asyncpg://user:pw@host:port/db URLs of standbys")
        return urls

    @field_validator("database_url")
    @classmethod
    def _supported(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("expected a SQLite or PostgreSQL URL, like sqlite+aiosqlite:///var/processgraph.db "
                             "or postgresql+asyncpg://user:pw@host:5432/db")
        return url

    @model_validator(mode="after")
    def _database_urls_agree(self) -> Self:
        # LISTEN needs a session of its own, which a transaction pooler does not give: that mode needs a
        # direct URL for the listener.
        listen_url = self.listen_database_url
        if self.database_pooler != "none" and not self.database_url.startswith("postgresql"):
            raise ValueError(f"DATABASE_POOLER={self.database_pooler} needs a PostgreSQL DATABASE_URL "
                             "(the pooler's address)")
        if self.read_database_urls and not self.database_url.startswith("postgresql"):
            raise ValueError("READ_DATABASE_URLS needs a PostgreSQL DATABASE_URL (the standbys' primary)")
        if listen_url is not None and not listen_url.startswith("postgresql"):
            raise ValueError(f"LISTEN_DATABASE_URL: {listen_url.split('@')[-1]!r} is not a PostgreSQL URL")
        if self.database_pooler == "pgbouncer-transaction" and listen_url is None:
            raise ValueError("LISTEN_DATABASE_URL is required with DATABASE_POOLER=pgbouncer-transaction: the "
                             "wake-up listener's LISTEN needs a session, so point it at PostgreSQL directly")
        return self


def parse_origins(value: str) -> tuple[str, ...]:
    """A comma-separated list of exact origins (`https://app.example.com`, `http://localhost:5173`), in the
    form browsers send in `Origin`: lowercase scheme and host, no default port, no path and no wildcard."""
    origins: list[str] = []
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            parts = urlsplit(item)
            port = parts.port
        except ValueError:
            parts, port = None, None
        if (parts is None or parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname
                or "*" in item or parts.path or parts.query or parts.fragment or parts.username is not None):
            raise ValueError(f"{item!r} is not an origin; expected a scheme, a host and an optional port, like "
                             "https://app.example.com or http://localhost:5173 (no path, no trailing slash, "
                             "no wildcard)")
        scheme = parts.scheme.lower()
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        origin = f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class HttpSettings:
    """Where and what the gateway serves, and how it stops."""

    host: str = Field(default="127.0.0.1", min_length=1, description="The address scripts/serve listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="The port scripts/serve listens on.")
    cors_origins: tuple[str, ...] = Field(default=(), description=(
        "Browser origins allowed to call the API (CORS) and open its WebSocket: comma-separated exact origins."))
    graphiql: bool = Field(default=True, description="Serve GraphiQL on GET /graphql.")
    graphiql_assets_dir: str = Field(default=str(ROOT / "vendor" / "graphiql" / "node_modules"), description=(
        "GraphiQL's browser assets (npm ci in vendor/graphiql, run by scripts/install); never a CDN."))
    introspection: bool = Field(default=True, description="Answer __schema and __type; off refuses them.")
    federation: bool = Field(default=False, description=(
        "Serve /graphql as a Federation v2 subgraph: `_service`, `_entities` and `@key` on the node types "
        "(docs/federation.md); off, the public schema alone (schema.graphql)."))
    trusted_documents_file: str | None = Field(default=None, description=(
        "A JSON file (a list of documents, or an object of name -> document): only these run."))
    keep_alive_seconds: float = Field(default=75.0, ge=0, description=(
        "How long an idle keep-alive connection is kept: longer than any load balancer's idle timeout towards "
        "us, so that the balancer closes it first and never sends a request on one we are closing."))
    shutdown_settle_seconds: float = Field(default=3.0, ge=0, description=(
        "After SIGTERM, /readyz fails and the process keeps serving this long so the load balancer notices."))
    drain_timeout_seconds: float = Field(default=30.0, ge=0, description=(
        "Then requests in flight get this long to finish."))

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        return parse_origins(value) if isinstance(value, str) else value


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class AuthSettings:
    """Who may call: the development token, and OpenID Connect access tokens (app/auth/oidc.py)."""

    dev_mode: bool = Field(default=True, description=(
        "Development mode: on loopback, scripts/serve makes a demo token and GraphiQL starts with it."))
    dev_token_file: str = Field(default=str(ROOT / "var" / "dev-token"), description="Where the demo token is kept.")
    oidc_issuer: str | None = Field(default=None, description=(
        "Accept JWT access tokens from this OpenID Connect issuer (exactly as tokens carry it in `iss`); "
        "unset: OIDC is off."))
    oidc_audience: str | None = Field(default=None, description="The `aud` the API's access tokens carry.")
    oidc_jwks_url: str | None = Field(default=None, description="The key set URL; unset: the discovery document's.")
    oidc_workspace_claim: str | None = Field(default=None, description="A claim holding the token's workspace id.")
    oidc_workspace: str | None = Field(default=None, description="Or the one workspace every token maps to.")
    oidc_auto_provision: bool = Field(default=False, description="Create users on first sight.")
    oidc_leeway_seconds: float = Field(default=30.0, ge=0, le=300, description=(
        "Clock leeway for a token's exp and nbf."))
    oidc_jwks_refetch_seconds: float = Field(default=60.0, ge=0, le=86400, description=(
        "At most one key set fetch per this many seconds on an unknown kid."))

    @model_validator(mode="after")
    def _oidc_is_whole(self) -> Self:
        """An issuer needs an audience and exactly one workspace rule; the others need an issuer."""
        given = [name for name, value in (
            ("OIDC_AUDIENCE", self.oidc_audience), ("OIDC_JWKS_URL", self.oidc_jwks_url),
            ("OIDC_WORKSPACE_CLAIM", self.oidc_workspace_claim), ("OIDC_WORKSPACE", self.oidc_workspace)) if value]
        if self.oidc_issuer is None:
            if given:
                raise ValueError(f"{given[0]} is set but OIDC_ISSUER is not; set OIDC_ISSUER to accept OIDC tokens")
            return self
        for name, url in (("OIDC_ISSUER", self.oidc_issuer), ("OIDC_JWKS_URL", self.oidc_jwks_url)):
            if url is not None and urlsplit(url).scheme not in ("https", "http"):
                raise ValueError(f"{name}: {url!r} is not an http(s) URL")
        if self.oidc_audience is None:
            raise ValueError("OIDC_AUDIENCE is required with OIDC_ISSUER (the `aud` your API's tokens carry)")
        if (self.oidc_workspace_claim is None) == (self.oidc_workspace is None):
            raise ValueError("with OIDC_ISSUER set exactly one of OIDC_WORKSPACE_CLAIM (a claim holding the "
                             "workspace id) and OIDC_WORKSPACE (one workspace id for every token)")
        return self


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class NotifySettings:
    """Notifications (issue 13): the in-app feed, reminders, and email through an SMTP relay."""

    notifications: bool = Field(default=True, description=(
        "Run actions write notifications and plan reminders; off only to measure their cost (scripts/bench)."))
    smtp_url: str | None = Field(default=None, description=(
        "The SMTP relay for email notifications (app/smtp.py), checked by load_settings; unset: the in-app feed "
        "is the only channel."))
    smtp_ca_file: str | None = Field(default=None, description=(
        "A PEM file of certificates the SMTP client trusts besides the system's (a private relay's own CA or "
        "self-signed certificate), for smtps:// and smtp+starttls://; checked by load_settings."))
    notify_delivery: bool = Field(default=True, description="With SMTP_URL, run the delivery loop in-process.")
    delivery_batch_size: int = Field(default=50, ge=1, description="Emails claimed per delivery step.")
    delivery_max_attempts: int = Field(default=8, ge=1, description="Attempts before an email is given up.")
    delivery_backoff_seconds: float = Field(default=30.0, ge=0, description=(
        "Wait after a temporary failure, doubled after each."))
    delivery_poll_seconds: float = Field(default=5.0, ge=0, description=(
        "How often the delivery loop looks, besides being woken when an email is written."))
    delivery_lease_seconds: float = Field(default=300.0, ge=0, description=(
        "A claimed email not recorded by then (its process died) is sent again."))
    notify_scheduler: bool = Field(default=True, description=(
        "Run the reminder and overdue scheduler loop in the gateway process (app/notify/scheduler.py)."))
    notify_scheduler_interval_seconds: float = Field(default=30.0, ge=0, description="How often the scheduler looks.")


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class CacheSettings:
    """What each gateway process keeps in memory across requests."""

    tree_cache_mb: int = Field(default=96, ge=0, description=(
        "Process and run trees kept across requests (app/fast/cache.py), in MB (estimated); 0 turns the cache off."))
    answer_cache_mb: int = Field(default=16, ge=0, description=(
        "Answers of repeated queries (app/fast/answers.py), in MB (estimated); 0 turns them off."))
    page_cache: bool = Field(default=True, description=(
        "Pages of process summaries and the summaries on them kept in the tree cache's budget, looked up by "
        "their rows' versions (app/fast/pages.py); false turns the page layer off (the tree cache stays)."))
    token_cache_seconds: float = Field(default=5.0, ge=0, description=(
        "How long a token lookup is trusted: revocation and deactivation take effect within this time."))
    token_cache_size: int = Field(default=10_000, ge=0, description=(
        "Tokens (known or not) remembered, least recently used out."))


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class LimitSettings:
    """What one client, request or subscription may take."""

    rate_limit_per_second: float = Field(default=50.0, ge=0, description="Requests per token and process; 0: off.")
    rate_limit_burst: int = Field(default=200, ge=0, description="Requests a token may make at once.")
    auth_failures_per_minute: float = Field(default=60.0, ge=0, description=(
        "Failed authentications per client address and process: past the burst, 429 without a lookup; 0: off."))
    auth_failure_burst: int = Field(default=30, ge=0, description="Failed authentications an address may make at once.")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1, description="Larger request bodies get HTTP 413.")
    request_timeout_seconds: float = Field(default=29.0, gt=0, description=(
        "A request's time budget; past it a TIMEOUT error and its writes are rolled back."))
    max_query_depth: int = Field(default=40, ge=1, description="Field nesting of a GraphQL document.")
    max_query_tokens: int = Field(default=15000, ge=1, description="Parser tokens of a GraphQL document.")
    max_query_aliases: int = Field(default=100, ge=0, description="Aliased fields of a GraphQL document.")
    max_query_cost: int = Field(default=500_000, ge=1, description="Estimated cost of a GraphQL document.")
    default_page_size: int = Field(default=100, ge=1, description="A connection's page when `first` is not given.")
    max_page_size: int = Field(default=1000, ge=1, description="The largest page a connection gives.")
    max_subscriptions_per_connection: int = Field(default=10, ge=0, description="Subscriptions on one WebSocket.")
    max_subscriptions_per_token: int = Field(default=20, ge=0, description="Subscriptions of one token, per process.")
    subscription_page_events: int = Field(default=100, ge=1, description=(
        "Events read from the database per step: the server-side buffer."))
    subscription_buffer_events: int = Field(default=1000, ge=1, description=(
        "Events that may wait for a subscriber that is not reading (see SUBSCRIPTION_STALL_SECONDS)."))
    subscription_stall_seconds: float = Field(default=10.0, ge=0, description=(
        "A subscriber blocked this long with SUBSCRIPTION_BUFFER_EVENTS waiting is closed (4008)."))


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class OpsSettings:
    """Logging and crash tests."""

    log_level: LogLevel = Field(default="INFO", description="The lowest level logged.")
    fault_kill_at: str | None = Field(default=None, description=(
        'Crash tests only: "<point>:<n>" kills the process the n-th time it reaches the point (app/faults.py).'))

    @field_validator("log_level", mode="before")
    @classmethod
    def _capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


GROUPS = (DatabaseSettings, HttpSettings, AuthSettings, NotifySettings, CacheSettings, LimitSettings, OpsSettings)
