"""Entry points: `scripts/serve --demo` (an empty database only) and `python -m app.demo` (scripts/demo-data)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from app import migrate
from app.db import create_engine, is_sqlite
from app.demo.load import DEFAULT_SEED, database_is_empty, load_demo
from app.demo.people import DemoError
from app.errors import ServiceError
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings, settings_or_exit

# ---- progress on a terminal ----

class ProgressBar:
    """A dependency-free progress bar on a stream (stderr by default), redrawn at most 10 times a second.

    On a terminal it draws the bar and clears it at the end; elsewhere (CI, a pipe) it draws nothing.
    `finish()` writes one summary line either way, unless `summary` is False.
    """

    def __init__(self, stream: TextIO | None = None, *, label: str = "demo data", width: int = 30,
                 summary: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.width = width
        self.summary = summary
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.done = 0
        self.total = 0
        self._drawn_at = 0.0
        self._shown = 0

    def __call__(self, done: int, total: int, what: str) -> None:
        self.done, self.total = done, total
        if not self.tty:
            return
        now = time.monotonic()
        if done < total and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        filled = self.width * done // total if total else self.width
        text = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {what[:50]}"
        self.stream.write("\r" + text.ljust(self._shown))
        self.stream.flush()
        self._shown = len(text)

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0
        if self.summary:
            self.stream.write(f"{self.label}: {self.done}/{self.total} steps in "
                              f"{time.monotonic() - self.started:.1f} s\n")
        self.stream.flush()


# ---- entry points: scripts/serve --demo, and python -m app.demo ----

def maybe_load_on_start(settings: Settings) -> str | None:
    """For `scripts/serve --demo`, after migrations: on an empty database load the demo into the default
    workspace, managed by the demo user, and return a one-line summary; otherwise None. Never prompts
    (CI has no terminal); a progress bar shows on stderr only when it is a terminal."""
    return asyncio.run(_maybe_load(settings))


async def _maybe_load(settings: Settings) -> str | None:
    engine = create_engine(settings)
    try:
        if not await database_is_empty(engine):
            return None
        bar = ProgressBar(summary=False)
        try:
            summary = await load_demo(engine, actor_user_id=DEV_USER_ID, workspace_id=DEFAULT_WORKSPACE_ID,
                                      progress=bar)
        finally:
            bar.finish()
        return f"demo data loaded: {summary.line()}"
    finally:
        await engine.dispose()


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("N is not negative")
    return value


async def _cli(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        if not args.force and not await database_is_empty(engine):
            print(f"app.demo: {where} already holds processes or runs; not loading the demo on top of them "
                  "(pass --force to add it anyway).", file=sys.stderr)
            return 1
        bar = ProgressBar()
        try:
            summary = await load_demo(engine, actor_user_id=args.manager, workspace_id=args.workspace,
                                      progress=bar, extra_processes=args.count, seed=args.seed)
        finally:
            bar.finish()
    except (DemoError, ServiceError) as exc:
        print(f"app.demo: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"Demo data loaded into {where}: {summary.line()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/demo-data",
        description="Migrate the database named by DATABASE_URL and fill it with demo processes and runs "
                    "(a quarterly close, a SOX 302 certification, month-end accruals, a budget; runs in "
                    "several states). Refuses a database that already holds processes unless --force.")
    parser.add_argument("--force", action="store_true",
                        help="load even when the database already holds processes (adds another copy)")
    parser.add_argument("--count", type=_count, default=0, metavar="N",
                        help="also add N generated processes (a third of them with a started run)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated processes")
    parser.add_argument("--workspace", default=DEFAULT_WORKSPACE_ID, help="workspace id (default: the default one)")
    parser.add_argument("--manager", default=DEV_USER_ID,
                        help="user id that creates the processes and manages the runs (default: the demo user)")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    if is_sqlite(settings.database_url):
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings)
    return asyncio.run(_cli(settings, args))
