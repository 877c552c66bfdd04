"""Settings, read once from the environment (and an optional `.env` file) and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from app.clock import SYSTEM_CLOCK, Clock
from app.smtp import parse_smtp_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{ROOT / 'var' / 'processgraph.db'}"

# Fixed ids of the workspace and user the first migration creates: the demo
# workspace and user that scripts/serve gives a token on an empty database.
DEFAULT_WORKSPACE_ID = "00000000000000000000000000000001"
DEV_USER_ID = "00000000000000000000000000000002"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway is configured with; built once, never read from env later."""

    database_url: str = DEFAULT_SQLITE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # Development mode: on loopback, scripts/serve makes a demo token and GraphiQL starts with it.
    dev_mode: bool = True
    dev_token_file: str = str(ROOT / "var" / "dev-token")
    token_cache_seconds: float = 5.0
    token_cache_size: int = 10_000  # tokens (known or not) a gateway process remembers, least recently used out
    # Failed authentications per client address and gateway process: past the burst, 429 without a lookup.
    auth_failures_per_minute: float = 60.0
    auth_failure_burst: int = 30
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    max_body_bytes: int = 10 * 1024 * 1024
    request_timeout_seconds: float = 29.0
    introspection: bool = True
    max_query_depth: int = 40
    max_query_tokens: int = 15000
    max_query_aliases: int = 100
    max_query_cost: int = 500_000
    # Crash tests only: "<point>:<n>" kills the process the n-th time it reaches the point (app/faults.py).
    fault_kill_at: str | None = None
    # A JSON file (a list of documents, or an object of name -> document): only these run.
    trusted_documents_file: str | None = None
    max_subscriptions_per_connection: int = 10
    max_subscriptions_per_token: int = 20
    subscription_page_events: int = 100  # events read from the database per step: the server-side buffer
    subscription_buffer_events: int = 1000  # a subscriber this far behind and not reading is closed
    subscription_stall_seconds: float = 10.0
    default_page_size: int = 100
    max_page_size: int = 1000
    max_nodes_ids: int = 100
    max_tree_depth: int = 16
    max_tree_nodes: int = 5000
    # Process and run trees kept across requests by each gateway process (app/cache.py), in MB (estimated);
    # 0 turns the cache off.
    tree_cache_mb: int = 96
    # Answers of repeated queries kept by each gateway process (app/graphql/answers.py), in MB (estimated);
    # 0 turns them off.
    answer_cache_mb: int = 16
    sqlite_busy_timeout_ms: int = 5000
    graphiql: bool = True
    # GraphiQL's browser assets (npm ci in vendor/graphiql, run by scripts/install); never a CDN.
    graphiql_assets_dir: str = str(ROOT / "vendor" / "graphiql" / "node_modules")
    log_level: str = "INFO"
    # Graceful shutdown (app/lifecycle.py): after SIGTERM, /readyz fails and the process keeps serving this
    # long so the load balancer notices, then requests in flight get this long to finish.
    shutdown_settle_seconds: float = 3.0
    drain_timeout_seconds: float = 30.0
    # Longer than any load balancer's idle timeout towards us, so that the balancer closes an idle
    # connection first and never sends a request on one we are closing.
    keep_alive_seconds: float = 75.0
    # Run actions write notifications and plan reminders (issue 13); off only to measure their cost (scripts/bench).
    notifications: bool = True
    # The SMTP relay for email notifications (app/smtp.py); None: the in-app feed is the only channel.
    smtp_url: str | None = None
    notify_delivery: bool = True  # with smtp_url, the gateway runs the delivery loop in-process
    delivery_batch_size: int = 50
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30.0  # doubled after each temporary failure
    delivery_poll_seconds: float = 5.0
    delivery_lease_seconds: float = 300.0  # a claimed email not recorded by then (its process died) is sent again
    # Run the reminder and overdue scheduler loop inside the gateway process (app/notify/scheduler.py).
    notify_scheduler: bool = True
    notify_scheduler_interval_seconds: float = 30.0
    # Where the service layer reads the time (tests pass a SettableClock); never read from the environment.
    clock: Clock = field(default=SYSTEM_CLOCK, compare=False)
    # Browser origins allowed to call the API (CORS) and to open its WebSocket; exact, normalized origins.
    cors_origins: tuple[str, ...] = ()
    # OpenID Connect access tokens (app/auth/oidc.py; docs/front-ends.md): off while oidc_issuer is unset.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None  # else the discovery document's jwks_uri
    oidc_workspace_claim: str | None = None  # a claim holding the workspace id ...
    oidc_workspace: str | None = None  # ... or the one workspace every token maps to
    oidc_auto_provision: bool = False
    oidc_leeway_seconds: float = 30.0
    oidc_jwks_refetch_seconds: float = 60.0  # at most one JWKS fetch per this many seconds on an unknown kid
    # What sits between the gateway and PostgreSQL (docs/resilience.md): "none", or "pgbouncer-transaction"
    # (PgBouncer in transaction pooling mode: no prepared statement outlives its transaction).
    database_pooler: str = "none"
    # Where the wake-up listener LISTENs (a session of its own, so never through a transaction pooler);
    # None: DATABASE_URL.
    listen_database_url: str | None = None


class SettingsError(ValueError):
    """A setting with a value the gateway refuses at start-up; the message names the variable."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origins(value: str, *, variable: str = "CORS_ORIGINS") -> tuple[str, ...]:
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
            raise SettingsError(f"{variable}: {item!r} is not an origin; expected a scheme, a host and an "
                                "optional port, like https://app.example.com or http://localhost:5173 "
                                "(no path, no trailing slash, no wildcard)")
        scheme = parts.scheme.lower()
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        origin = f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def load_settings(env: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from `.env` (if present) overlaid by the process environment."""
    merged: dict[str, str] = {}
    path = env_file if env_file is not None else ROOT / ".env"
    if path.exists():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ if env is None else env)
    base = Settings()
    smtp_url = merged.get("SMTP_URL") or None
    if smtp_url is not None:
        try:
            parse_smtp_url(smtp_url)
        except ValueError as exc:
            raise SettingsError(f"SMTP_URL is not usable: {exc}") from None
    settings = Settings(
        database_url=merged.get("DATABASE_URL", base.database_url),
        host=merged.get("HOST", base.host),
        port=int(merged.get("PORT", base.port)),
        dev_mode=_bool(merged.get("DEV_MODE", "true")),
        dev_token_file=merged.get("DEV_TOKEN_FILE", base.dev_token_file),
        token_cache_seconds=float(merged.get("TOKEN_CACHE_SECONDS", base.token_cache_seconds)),
        token_cache_size=int(merged.get("TOKEN_CACHE_SIZE", base.token_cache_size)),
        auth_failures_per_minute=float(merged.get("AUTH_FAILURES_PER_MINUTE", base.auth_failures_per_minute)),
        auth_failure_burst=int(merged.get("AUTH_FAILURE_BURST", base.auth_failure_burst)),
        rate_limit_per_second=float(merged.get("RATE_LIMIT_PER_SECOND", base.rate_limit_per_second)),
        rate_limit_burst=int(merged.get("RATE_LIMIT_BURST", base.rate_limit_burst)),
        max_body_bytes=int(merged.get("MAX_BODY_BYTES", base.max_body_bytes)),
        request_timeout_seconds=float(merged.get("REQUEST_TIMEOUT_SECONDS", base.request_timeout_seconds)),
        introspection=_bool(merged.get("INTROSPECTION", "true")),
        max_query_depth=int(merged.get("MAX_QUERY_DEPTH", base.max_query_depth)),
        max_query_tokens=int(merged.get("MAX_QUERY_TOKENS", base.max_query_tokens)),
        max_query_aliases=int(merged.get("MAX_QUERY_ALIASES", base.max_query_aliases)),
        max_query_cost=int(merged.get("MAX_QUERY_COST", base.max_query_cost)),
        default_page_size=int(merged.get("DEFAULT_PAGE_SIZE", base.default_page_size)),
        max_page_size=int(merged.get("MAX_PAGE_SIZE", base.max_page_size)),
        sqlite_busy_timeout_ms=int(merged.get("SQLITE_BUSY_TIMEOUT_MS", base.sqlite_busy_timeout_ms)),
        graphiql=_bool(merged.get("GRAPHIQL", "true")),
        graphiql_assets_dir=merged.get("GRAPHIQL_ASSETS_DIR", base.graphiql_assets_dir),
        log_level=merged.get("LOG_LEVEL", base.log_level),
        smtp_url=smtp_url,
        notify_delivery=_bool(merged.get("NOTIFY_DELIVERY", "true")),
        delivery_batch_size=int(merged.get("DELIVERY_BATCH_SIZE", base.delivery_batch_size)),
        delivery_max_attempts=int(merged.get("DELIVERY_MAX_ATTEMPTS", base.delivery_max_attempts)),
        delivery_backoff_seconds=float(merged.get("DELIVERY_BACKOFF_SECONDS", base.delivery_backoff_seconds)),
        delivery_poll_seconds=float(merged.get("DELIVERY_POLL_SECONDS", base.delivery_poll_seconds)),
        delivery_lease_seconds=float(merged.get("DELIVERY_LEASE_SECONDS", base.delivery_lease_seconds)),
        fault_kill_at=merged.get("FAULT_KILL_AT") or None,
        trusted_documents_file=merged.get("TRUSTED_DOCUMENTS_FILE") or None,
        max_subscriptions_per_connection=int(merged.get("MAX_SUBSCRIPTIONS_PER_CONNECTION",
                                                        base.max_subscriptions_per_connection)),
        max_subscriptions_per_token=int(merged.get("MAX_SUBSCRIPTIONS_PER_TOKEN", base.max_subscriptions_per_token)),
        subscription_buffer_events=int(merged.get("SUBSCRIPTION_BUFFER_EVENTS", base.subscription_buffer_events)),
        subscription_stall_seconds=float(merged.get("SUBSCRIPTION_STALL_SECONDS", base.subscription_stall_seconds)),
        notifications=_bool(merged.get("NOTIFICATIONS", "true")),
        notify_scheduler=_bool(merged.get("NOTIFY_SCHEDULER", "true")),
        notify_scheduler_interval_seconds=float(merged.get("NOTIFY_SCHEDULER_INTERVAL_SECONDS",
                                                           base.notify_scheduler_interval_seconds)),
        shutdown_settle_seconds=_seconds(merged, "SHUTDOWN_SETTLE_SECONDS", base.shutdown_settle_seconds),
        drain_timeout_seconds=_seconds(merged, "DRAIN_TIMEOUT_SECONDS", base.drain_timeout_seconds),
        keep_alive_seconds=_seconds(merged, "KEEP_ALIVE_SECONDS", base.keep_alive_seconds),
        cors_origins=parse_origins(merged.get("CORS_ORIGINS", "")),
        tree_cache_mb=_whole_number(merged, "TREE_CACHE_MB", base.tree_cache_mb),
        answer_cache_mb=_whole_number(merged, "ANSWER_CACHE_MB", base.answer_cache_mb),
    )
    return _with_pooler(_with_oidc(settings, merged), merged)


POOLERS = ("none", "pgbouncer-transaction")


def _with_pooler(settings: Settings, env: dict[str, str]) -> Settings:
    """DATABASE_POOLER and LISTEN_DATABASE_URL, checked together: LISTEN needs a session of its own, which a
    transaction pooler does not give, so that mode needs a direct URL for the listener."""
    pooler = env.get("DATABASE_POOLER", "").strip().lower() or "none"
    if pooler not in POOLERS:
        raise SettingsError(f"DATABASE_POOLER: {pooler!r} is not one of {', '.join(POOLERS)}")
    listen_url = env.get("LISTEN_DATABASE_URL", "").strip() or None
    postgres = settings.database_url.startswith("postgresql")
    if pooler != "none" and not postgres:
        raise SettingsError(f"DATABASE_POOLER={pooler} needs a PostgreSQL DATABASE_URL (the pooler's address)")
    if listen_url is not None and not listen_url.startswith("postgresql"):
        raise SettingsError(f"LISTEN_DATABASE_URL: {listen_url.split('@')[-1]!r} is not a PostgreSQL URL")
    if pooler == "pgbouncer-transaction" and listen_url is None:
        raise SettingsError("LISTEN_DATABASE_URL is required with DATABASE_POOLER=pgbouncer-transaction: the "
                            "wake-up listener's LISTEN needs a session, so point it at PostgreSQL directly")
    return replace(settings, database_pooler=pooler, listen_database_url=listen_url)


def _with_oidc(settings: Settings, env: dict[str, str]) -> Settings:
    """The OIDC_* settings, checked together: an issuer needs an audience and exactly one workspace rule."""
    issuer = env.get("OIDC_ISSUER", "").strip() or None  # exactly as tokens carry it in `iss`
    audience = env.get("OIDC_AUDIENCE", "").strip() or None
    jwks_url = env.get("OIDC_JWKS_URL", "").strip() or None
    claim = env.get("OIDC_WORKSPACE_CLAIM", "").strip() or None
    workspace = env.get("OIDC_WORKSPACE", "").strip() or None
    given = [k for k, v in (("OIDC_AUDIENCE", audience), ("OIDC_JWKS_URL", jwks_url),
                            ("OIDC_WORKSPACE_CLAIM", claim), ("OIDC_WORKSPACE", workspace)) if v]
    if issuer is None and given:
        raise SettingsError(f"{given[0]} is set but OIDC_ISSUER is not; set OIDC_ISSUER to accept OIDC tokens")
    if issuer is not None:
        for name, url in (("OIDC_ISSUER", issuer), ("OIDC_JWKS_URL", jwks_url)):
            if url is not None and urlsplit(url).scheme not in ("https", "http"):
                raise SettingsError(f"{name}: {url!r} is not an http(s) URL")
        if audience is None:
            raise SettingsError("OIDC_AUDIENCE is required with OIDC_ISSUER (the `aud` your API's tokens carry)")
        if (claim is None) == (workspace is None):
            raise SettingsError("with OIDC_ISSUER set exactly one of OIDC_WORKSPACE_CLAIM (a claim holding the "
                                "workspace id) and OIDC_WORKSPACE (one workspace id for every token)")
    return replace(
        settings, oidc_issuer=issuer, oidc_audience=audience, oidc_jwks_url=jwks_url, oidc_workspace_claim=claim,
        oidc_workspace=workspace, oidc_auto_provision=_bool(env.get("OIDC_AUTO_PROVISION", "false")),
        oidc_leeway_seconds=_seconds(env, "OIDC_LEEWAY_SECONDS", settings.oidc_leeway_seconds, 300),
        oidc_jwks_refetch_seconds=_seconds(env, "OIDC_JWKS_REFETCH_SECONDS", settings.oidc_jwks_refetch_seconds,
                                           86400),
    )


def _whole_number(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if value < 0:
        raise SettingsError(f"{name}: {raw!r} is not 0 or more")
    return value


def _seconds(env: dict[str, str], name: str, default: float, maximum: float = float("inf")) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number of seconds") from None
    if not 0 <= value <= maximum:
        raise SettingsError(f"{name}: {raw!r} is outside 0..{maximum:g} seconds" if maximum != float("inf")
                            else f"{name}: {raw!r} is not 0 or more seconds")
    return value
