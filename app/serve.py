"""Migrate the configured database and serve the gateway with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from app import bootstrap, demo, faults, migrate
from app.graphql.ide import is_loopback
from app.main import create_app
from app.settings import ROOT, load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/serve", description="Migrate and serve the gateway.")
    parser.add_argument("--demo", action="store_true",
                        help="on an empty database, load the demo data (scripts/demo-data) before serving")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.database_url.startswith("sqlite"):
        (ROOT / "var").mkdir(exist_ok=True)
    migrate.upgrade(settings)
    faults.configure(settings.fault_kill_at)
    if args.demo:
        loaded = demo.maybe_load_on_start(settings)
        print(f"Processgraph: {loaded}" if loaded else "Processgraph: the database is not empty; demo data not loaded.",
              flush=True)
    token = None
    if settings.dev_mode and is_loopback(settings.host):
        token, created = bootstrap.demo_token(settings)
        if token is not None:
            print(f"Processgraph: {'created a' if created else 'the'} demo token (read, write) for the demo user:\n"
                  f"  Authorization: Bearer {token}\n  (kept in {settings.dev_token_file}; GraphiQL starts with it)", flush=True)
        else:
            print("Processgraph: tokens exist; create one with `scripts/admin create-token --user <id>`.", flush=True)
    print(f"Processgraph: GraphiQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    uvicorn.run(create_app(settings, dev_token=token), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
