"""Run Alembic migrations programmatically (serve script, tests, readiness)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.settings import ROOT, Settings


def alembic_config(settings: Settings) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["settings"] = settings
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database named by settings up to `revision` (default: the newest)."""
    command.upgrade(alembic_config(settings), revision)


if __name__ == "__main__":
    from app.settings import settings_or_exit

    s = settings_or_exit()
    if s.database_url.startswith("sqlite"):
        (ROOT / "var").mkdir(exist_ok=True)
    upgrade(s)
    print("database migrated:", s.database_url.split("@")[-1])
