"""A PostgreSQL cluster of a test's own (Debian's binaries, initdb into a temporary directory, a free loopback
port), for tests that stop and start the database under a running gateway. Always stopped and removed."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from app import migrate
from app.auth import service as auth_service
from app.db import create_engine
from app.settings import DEV_USER_ID, Settings
from tests.servers import free_port

OWNER = "postgres"  # initdb refuses root; tests run as root, so the cluster belongs to the postgres user


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.skip("Debian's PostgreSQL binaries are not installed (scripts/ensure-postgres installs them)")
    return str(found[-1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", OWNER, "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    directory: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(self.data), *args]), check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        self._ctl("-w", "-l", str(self.directory / "log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-m", mode, "stop")

    def promote(self) -> None:
        """A standby becomes a primary (`pg_ctl promote`, waiting until it accepts writes)."""
        self._ctl("-w", "promote")

    def running(self) -> bool:
        return subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(self.data), "status"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode == 0

    def log(self) -> str:
        path = self.directory / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """initdb (password authentication) and start; on exit stop (immediately) and delete everything."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser is needed to run PostgreSQL as its own user")
    # Not under pytest's tmp_path: the cluster's user must be able to reach its directory.
    directory = Path(tempfile.mkdtemp(prefix="pg-own-", dir="/tmp"))
    cluster = Cluster(directory=directory, port=free_port(), password=secrets.token_hex(12))
    try:
        (directory / "pw").write_text(cluster.password)
        if os.geteuid() == 0:
            shutil.chown(directory, OWNER)
            shutil.chown(directory / "pw", OWNER)
        subprocess.run(_as_owner([_bin("initdb"), "-D", str(cluster.data), "-U", "postgres", "-A", "scram-sha-256",
                                  f"--pwfile={directory / 'pw'}", "--no-sync"]),
                       check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(cluster.data), "-w", "-m", "immediate", "stop"]),
                           timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def standby_of(primary: Cluster) -> Iterator[Cluster]:
    """A streaming standby of `primary` (`pg_basebackup -R` over loopback, hot standby, a port of its own);
    on exit stopped (immediately) and deleted."""
    directory = Path(tempfile.mkdtemp(prefix="pg-standby-", dir="/tmp"))
    standby = Cluster(directory=directory, port=free_port(), password=primary.password)
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, OWNER)
        # -R writes primary_conninfo (with the password the backup connected with) and standby.signal.
        subprocess.run(_as_owner(["env", f"PGPASSWORD={primary.password}", _bin("pg_basebackup"), "-h", "127.0.0.1",
                                  "-p", str(primary.port), "-U", "postgres", "-D", str(standby.data), "-R",
                                  "-X", "stream", "--no-sync", "-c", "fast"]),
                       check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        standby.start()
        yield standby
    finally:
        if (standby.data / "postmaster.pid").exists():
            subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(standby.data), "-w", "-m", "immediate", "stop"]),
                           timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)


async def migrated_database(primary: Cluster) -> tuple[Settings, str]:
    """A database `processgraph` on `primary`, migrated: its settings and a read-write token of the demo user."""
    admin = await asyncpg.connect(primary.dsn())
    try:
        await admin.execute("CREATE DATABASE processgraph")
    finally:
        await admin.close()
    settings = Settings(database_url=primary.url("processgraph"), rate_limit_per_second=0)
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    try:
        _, token = await auth_service.create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
    finally:
        await engine.dispose()
    return settings, token
