"""uvicorn's server and worker processes, where app/serve.py adds the graceful drain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

S = TypeVar("S")


def exit_after_shutdown(server: Any, sig: int) -> None:
    """Has uvicorn re-raise `sig` once its shutdown is done, as it does for the signals it handles itself
    (`Server.handle_exit`), for a SIGTERM whose handling the drain delays: uvicorn keeps that list in
    `Server._captured_signals` and has no public way to add to it."""
    server._captured_signals.append(sig)


def worker_server(process: Any, make: Callable[[], S]) -> S:
    """The server of a `--workers` worker process, made by `make` the first time: uvicorn's
    `multiprocess.Process` makes a plain `Server` in its `server` property and keeps it in `_server`, and
    takes no server class."""
    if process._server is None:
        process._server = make()
    return process._server  # type: ignore[no-any-return]
