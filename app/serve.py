"""Migrate the configured database and serve the gateway with uvicorn (one process, or `--workers N`)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
from collections.abc import Callable
from types import FunctionType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import multiprocess

from app import balance, bootstrap, demo, faults, migrate
from app.graphql.ide import is_loopback
from app.main import create_app
from app.settings import ROOT, load_settings

# CPython 3.11/3.12 keep frames in 16 KiB stack chunks and free a chunk as soon as its first frame returns
# (gh-142183). When a chunk boundary falls at a hot depth of the executor's recursion, every field pays an
# mmap/munmap pair: the same request measured 6.7 or 19.5 ms depending only on the depth at which the
# server started. Serving from inside a frame of PAD_SLOTS locals puts the whole server in one chunk of a
# few MiB instead, so no boundary is crossed at any depth that the executor reaches.
PAD_SLOTS = 1 << 17


def _in_roomy_chunk(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


_code = _in_roomy_chunk.__code__
_code = _code.replace(co_varnames=_code.co_varnames + tuple(f"_pad{i}" for i in range(PAD_SLOTS)),
                      co_nlocals=_code.co_nlocals + PAD_SLOTS)
_roomy: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any] = FunctionType(
    _code, globals(), "_in_roomy_chunk")


def in_roomy_chunk(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `fn` from a frame large enough that everything it calls shares one big stack chunk."""
    return _roomy(fn, args, kwargs)


def settle_heap() -> None:
    """After start-up: move the long-lived objects (schema, modules) out of the collector's sight, and run the
    cycle collector rarely. Request objects are freed by reference counting (the request path keeps no
    reference cycles); at 20,000 allocations per young collection, collections that walked the in-flight
    requests' objects took about 12% of the CPU of 50-tree responses (py-spy, issue 7). Cycles that do
    form (exceptions and their tracebacks) are still collected, after 200,000 allocations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 100, 1000)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


# With --workers N: the slots shared by the workers (made by the supervisor, app/balance.py).
_shared_counts: Any = None


def worker_app() -> ASGIApp:
    """The application of one worker process (`--workers N`): settings from the environment, and its
    keep-alive connections balanced with the other workers' (app/balance.py)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(settings, dev_token=os.environ.get("PROCESSGRAPH_DEV_TOKEN") or None)
    settle_heap()
    balancer = balance.installed()
    return app if balancer is None else balance.balanced(app, balancer)


class _RoomyProcess(multiprocess.Process):
    """A uvicorn worker that serves from inside a roomy stack chunk, with a connection balancer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.shared_counts = _shared_counts  # travels to the worker with this object (spawn)
        super().__init__(*args, **kwargs)

    def target(self, sockets: Any = None) -> None:
        # (This class runs in the worker as `__mp_main__`'s, not `app.serve`'s: hence app/balance.py keeps
        # the worker's balancer for `worker_app`.)
        if self.shared_counts is not None:
            balance.install(balance.Balancer(self.shared_counts, self.server.server_state.connections))
        in_roomy_chunk(super().target, sockets)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/serve", description="Migrate and serve the gateway.")
    parser.add_argument("--demo", action="store_true",
                        help="on an empty database, load the demo data (scripts/demo-data) before serving")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")),
                        help="gateway processes sharing the port (default 1, or WORKERS); use PostgreSQL "
                        "with more than one")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level)
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
    print(f"Processgraph: GraphiQL at http://{settings.host}:{settings.port}/graphql"
          + (f" ({args.workers} worker processes)" if args.workers > 1 else ""), flush=True)
    if args.workers > 1:
        if token is not None:
            os.environ["PROCESSGRAPH_DEV_TOKEN"] = token
        global _shared_counts
        _shared_counts = balance.shared_counts(args.workers)
        multiprocess.Process = _RoomyProcess  # type: ignore[misc]
        uvicorn.run("app.serve:worker_app", factory=True, workers=args.workers, host=settings.host,
                    port=settings.port, log_level="info", access_log=False)
        return
    app = create_app(settings, dev_token=token)
    settle_heap()
    in_roomy_chunk(uvicorn.run, app, host=settings.host, port=settings.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
