"""The gateway served by Granian (a Rust HTTP server for ASGI) instead of uvicorn, for `scripts/bench --server
granian`: one of issue 16's levers, measured before anything is adopted. Granian is not a project dependency:
the bench installs a pinned wheel into var/bench/granian (`pip install --target`) and puts it on the gateway
process's PYTHONPATH.

    python -m granian --interface asgi --factory --workers N bench.granian_serve:app

Settings come from the environment as for `app.serve`; the database is migrated by the bench beforehand."""

from __future__ import annotations

from starlette.types import ASGIApp

from app.main import create_app
from app.serve import configure_logging, settle_heap
from app.settings import load_settings


def app() -> ASGIApp:
    """The application of one Granian worker process."""
    settings = load_settings()
    configure_logging(settings.log_level)
    served = create_app(settings)
    settle_heap()
    return served
