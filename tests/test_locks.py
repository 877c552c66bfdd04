"""Serving installs only runtime dependencies (issue 28, point 6): requirements.lock holds the runtime and
requirements-dev.lock the dev tools, each package pinned once and with its hashes (scripts/lock makes both;
scripts/serve installs the first, scripts/test both). Read, never installed, here.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import ROOT

DEV_ONLY = {"pytest", "mypy", "playwright", "schemathesis", "hypothesis", "ruff"}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def pins(path: Path) -> dict[str, list[str]]:
    """Package name -> the hashes pinned for it, from a lock written by `uv pip compile --generate-hashes`."""
    found: dict[str, list[str]] = {}
    name: str | None = None
    for line in path.read_text().splitlines():
        pinned = PIN.match(line)
        if pinned:
            name = pinned.group(1).lower()
            found[name] = []
        elif name is not None and line.strip().startswith("--hash=sha256:"):
            found[name].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
        elif not line.startswith(" "):
            name = None
    return found


def test_pins_reads_names_and_hashes(tmp_path: Path) -> None:
    # Given a lock of two packages, the second without hashes,
    path = tmp_path / "probe.lock"
    path.write_text("Alpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\nbeta==2.0\n")
    # when it is read, then each package has the hashes under it, and the second none.
    assert pins(path) == {"alpha": ["aa", "bb"], "beta": []}


def test_the_runtime_lock_holds_no_dev_tool() -> None:
    # Given the runtime lock, then it holds what the gateway runs on and none of the dev tools.
    runtime = pins(ROOT / "requirements.lock")
    assert {"strawberry-graphql", "graphql-core", "uvicorn", "pydantic-settings"} <= set(runtime)
    assert DEV_ONLY & set(runtime) == set()


def test_the_dev_lock_holds_the_dev_tools_and_no_runtime_package() -> None:
    # Given both locks, then the dev tools are in the dev lock, and no package is pinned in both.
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert set(dev) >= DEV_ONLY
    assert set(dev) & set(runtime) == set()  # pinned once: both install together in one pip call


def test_every_locked_package_has_hashes() -> None:
    # Given both locks, then every package has at least one hash (pip installs them with --require-hashes).
    for lock in ("requirements.lock", "requirements-dev.lock"):
        unhashed = [name for name, hashes in pins(ROOT / lock).items() if not hashes]
        assert unhashed == [], f"{lock}: {unhashed}"
