"""Migrate the configured database and serve the gateway with uvicorn (one process, or `--workers N`)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import math
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import multiprocess

from app import bootstrap, demo, faults, migrate
from app.adapters.cpython import with_extra_locals
from app.adapters.logging import skip_caller_lookup
from app.adapters.uvicorn import exit_after_shutdown, worker_server
from app.graphql.ide import is_loopback
from app.lifecycle import RESTART_CLOSE_CODE, Lifecycle
from app.main import create_app
from app.settings import ROOT, Settings, load_settings, settings_or_exit

# CPython 3.11/3.12 keep frames in 16 KiB stack chunks and free a chunk as soon as its first frame returns
# (gh-142183). When a chunk boundary falls at a hot depth of the executor's recursion, every field pays an
# mmap/munmap pair: the same request measured 6.7 or 19.5 ms depending only on the depth at which the
# server started. Serving from inside a frame of PAD_SLOTS locals puts the whole server in one chunk of a
# few MiB instead, so no boundary is crossed at any depth that the executor reaches.
PAD_SLOTS = 1 << 17


def _in_roomy_chunk(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


_roomy = with_extra_locals(_in_roomy_chunk, PAD_SLOTS)


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
    # The format reads none of a record's thread or process fields, so they are not gathered: getpid() and
    # the current thread were about a tenth of the request log line's cost (py-spy, issue 16).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    skip_caller_lookup()  # nor where the call was made (a walk up the stack for every line)


def worker_app() -> ASGIApp:
    """The application of one worker process (`--workers N`): settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(settings, dev_token=os.environ.get("PROCESSGRAPH_DEV_TOKEN") or None)
    settle_heap()
    return app


def _lifecycle_of(app: Any) -> Lifecycle | None:
    """The Lifecycle of our Starlette app inside uvicorn's wrappers (proxy headers, ASGI adapters)."""
    for _ in range(8):
        found = getattr(getattr(app, "state", None), "lifecycle", None)
        if isinstance(found, Lifecycle):
            return found
        app = getattr(app, "app", None)
    return None


class GracefulServer(uvicorn.Server):
    """uvicorn's server with the drain of app/lifecycle.py. On the first SIGTERM /readyz fails at once and the
    server keeps serving for `settle_seconds` (the load balancer's time to notice); then it stops accepting,
    closes the WebSockets with 1012, and uvicorn's own shutdown lets requests in flight finish within
    `timeout_graceful_shutdown` (DRAIN_TIMEOUT_SECONDS) before the lifespan stops the background tasks.
    SIGINT (Ctrl-C) skips the settle time; a second signal skips what is left of it."""

    def __init__(self, config: uvicorn.Config, *, settle_seconds: float, lifecycle: Lifecycle | None = None) -> None:
        super().__init__(config)
        self.settle_seconds = settle_seconds
        self._lifecycle = lifecycle
        self._drain_from: float | None = None

    @property
    def lifecycle(self) -> Lifecycle | None:
        if self._lifecycle is None:  # a --workers worker: the factory built the app inside uvicorn
            self._lifecycle = _lifecycle_of(getattr(self.config, "loaded_app", None))
        return self._lifecycle

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        lifecycle = self.lifecycle
        if lifecycle is not None:
            lifecycle.begin_drain()
        if sig == signal.SIGTERM and self._drain_from is None and self.settle_seconds > 0 and not self.should_exit:
            self._drain_from = time.monotonic()
            exit_after_shutdown(self, sig)  # uvicorn re-raises it after the shutdown, as for its own exits
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if (self._drain_from is not None and not self.should_exit
                and time.monotonic() - self._drain_from >= self.settle_seconds):
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting before the clients are told to reconnect
            server.close()
        lifecycle = self.lifecycle
        if lifecycle is not None:
            lifecycle.begin_drain()
            closed = await lifecycle.close_sockets()
            if closed:
                logging.getLogger("processgraph").info("closed %d WebSocket(s) with %d", closed, RESTART_CLOSE_CODE)
        await super().shutdown(sockets)


def server_timeouts(settings: Settings) -> dict[str, Any]:
    return {"timeout_keep_alive": math.ceil(settings.keep_alive_seconds),
            "timeout_graceful_shutdown": math.ceil(settings.drain_timeout_seconds)}


class _RoomyProcess(multiprocess.Process):
    """A uvicorn worker that serves from inside a roomy stack chunk, with the graceful drain."""

    @property
    def server(self) -> uvicorn.Server:
        return worker_server(self, lambda: GracefulServer(self.config,
                                                          settle_seconds=load_settings().shutdown_settle_seconds))

    def target(self, sockets: Any = None) -> None:
        in_roomy_chunk(super().target, [own_listener(s) for s in sockets or []])


def _reusable(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def shared_address(host: str, port: int) -> socket.socket:
    """The workers' address, bound by the supervisor (so that a port in use fails at once) with SO_REUSEPORT
    and never listened on: each worker listens on a socket of its own at this address (`own_listener`)."""
    sock = _reusable(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def own_listener(shared: socket.socket) -> socket.socket:
    """In a worker: a listening socket of its own at the supervisor's address. With one socket shared by
    every worker, the first worker to wake accepts every connection waiting (uvloop accepts until none is
    left), so a burst of keep-alive connections (a load balancer's, a client pool's) can land on one worker
    for good: measured, 16 connections all on one of two workers, which then served 1.3x PostGraphile 5's
    requests/s on workload (c) where an even split served 2.6x. With SO_REUSEPORT the kernel gives each new
    connection to one of the workers' sockets by a hash of its addresses, so connections spread over the
    workers."""
    sock = _reusable(shared.family)
    sock.bind(shared.getsockname())
    sock.set_inheritable(True)
    shared.close()  # this worker's copy; the supervisor keeps the address bound
    return sock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/serve", description="Migrate and serve the gateway.")
    parser.add_argument("--demo", action="store_true",
                        help="on an empty database, load the demo data (scripts/demo-data) before serving")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")),
                        help="gateway processes sharing the port (default 1, or WORKERS); use PostgreSQL "
                        "with more than one")
    args = parser.parse_args(argv)
    settings = settings_or_exit()  # a refused value: the variable and what it should be, not a traceback
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
        # uvicorn's supervisor and workers (what `uvicorn.run(workers=N)` runs), each worker listening on
        # its own socket at the address (own_listener); behind a load balancer, one process per port also
        # works (scripts/cluster).
        if token is not None:
            os.environ["PROCESSGRAPH_DEV_TOKEN"] = token
        multiprocess.Process = _RoomyProcess  # type: ignore[misc]
        config = uvicorn.Config("app.serve:worker_app", factory=True, workers=args.workers, host=settings.host,
                                port=settings.port, log_level="info", access_log=False, **server_timeouts(settings))
        with contextlib.suppress(KeyboardInterrupt):
            multiprocess.Multiprocess(config, sockets=[shared_address(settings.host, settings.port)]).run()
        return
    app = create_app(settings, dev_token=token)
    settle_heap()
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info", access_log=False,
                            **server_timeouts(settings))
    server = GracefulServer(config, settle_seconds=settings.shutdown_settle_seconds, lifecycle=app.state.lifecycle)
    in_roomy_chunk(server.run)


if __name__ == "__main__":
    main()
