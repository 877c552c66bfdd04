"""Migrate the configured database and serve the gateway with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from app import migrate
from app.main import create_app
from app.settings import ROOT, load_settings


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.database_url.startswith("sqlite"):
        (ROOT / "var").mkdir(exist_ok=True)
    migrate.upgrade(settings)
    print(f"Processgraph: GraphiQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
