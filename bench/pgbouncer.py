"""Debian's PgBouncer in transaction pooling mode in front of a PostgreSQL cluster, for the tests and the
benchmark that run the gateway through a connection pooler: a pgbouncer.ini in a directory of the caller's,
authentication against the cluster's role (SCRAM, the password in an auth file), a free loopback port;
stopped by its pid."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from app.settings import ROOT
from bench.procs import free_port


@dataclass
class Bouncer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, direct_url: str) -> str:
        """The SQLAlchemy URL of the same database and role, through PgBouncer."""
        return make_url(direct_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def show(self, what: str, direct_url: str) -> str:
        """`SHOW <what>` on PgBouncer's admin console (simple query protocol only, so through psql)."""
        u = make_url(direct_url)
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", str(u.username), "-At",
                               "-F", "|", "pgbouncer", "-c", f"SHOW {what}"], check=True, capture_output=True,
                              text=True, timeout=30, env={**os.environ, "PGPASSWORD": str(u.password)}).stdout


def _binary() -> str:
    found = subprocess.run([str(ROOT / "scripts" / "ensure-pgbouncer")], capture_output=True, text=True, timeout=600)
    if found.returncode != 0:
        raise RuntimeError(f"PgBouncer is not available: {found.stderr}")
    return found.stdout.strip()


@contextmanager
def running(directory: Path, *, direct_url: str, pool_size: int = 2) -> Iterator[Bouncer]:
    """PgBouncer in transaction mode for the cluster of `direct_url`, with `pool_size` server connections per
    database and user (few, so that many client connections share each one)."""
    binary = _binary()
    u = make_url(direct_url)
    port = free_port()
    (directory / "users.txt").write_text(f'"{u.username}" "{u.password}"\n')
    (directory / "users.txt").chmod(0o600)
    ini = directory / "pgbouncer.ini"
    ini.write_text(f"""[databases]
* = host={u.host} port={u.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {directory / "users.txt"}
admin_users = {u.username}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
""")
    log = directory / "pgbouncer.log"
    # PgBouncer refuses to run as root: it reads its files, then becomes the postgres user.
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    with log.open("wb") as out:
        process = subprocess.Popen([binary, *user, str(ini)], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not listen within 15 s:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield Bouncer(process=process, port=port, log=log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
