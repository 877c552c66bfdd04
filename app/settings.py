"""Settings, read once from the environment (and an optional `.env` file) and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{ROOT / 'var' / 'processgraph.db'}"

# Fixed ids of the rows the first migration creates, so that the access-control
# work can attach tokens to them without a backfill.
DEFAULT_WORKSPACE_ID = "00000000000000000000000000000001"
DEV_USER_ID = "00000000000000000000000000000002"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway is configured with; built once, never read from env later."""

    database_url: str = DEFAULT_SQLITE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    # The acting user until access control exists (replaced by token auth).
    dev_user_id: str = DEV_USER_ID
    default_page_size: int = 100
    max_page_size: int = 1000
    max_nodes_ids: int = 100
    max_tree_depth: int = 16
    max_tree_nodes: int = 5000
    sqlite_busy_timeout_ms: int = 5000
    graphiql: bool = True
    log_level: str = "INFO"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from `.env` (if present) overlaid by the process environment."""
    merged: dict[str, str] = {}
    path = env_file if env_file is not None else ROOT / ".env"
    if path.exists():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ if env is None else env)
    base = Settings()
    return Settings(
        database_url=merged.get("DATABASE_URL", base.database_url),
        host=merged.get("HOST", base.host),
        port=int(merged.get("PORT", base.port)),
        dev_user_id=merged.get("DEV_USER_ID", base.dev_user_id),
        default_page_size=int(merged.get("DEFAULT_PAGE_SIZE", base.default_page_size)),
        max_page_size=int(merged.get("MAX_PAGE_SIZE", base.max_page_size)),
        sqlite_busy_timeout_ms=int(merged.get("SQLITE_BUSY_TIMEOUT_MS", base.sqlite_busy_timeout_ms)),
        graphiql=_bool(merged.get("GRAPHIQL", "true")),
        log_level=merged.get("LOG_LEVEL", base.log_level),
    )
