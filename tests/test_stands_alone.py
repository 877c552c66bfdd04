"""The repository stands alone (issue 28, point 5; docs/conventions.md habit 14): no tracked file reads or
cites a path outside it, so a clone in an empty folder passes the test command. What the tests need from the
seed is in tests/data/; the rules they cite are in docs/.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from app.settings import ROOT

# Spelt in pieces so that this file does not hold what it looks for.
OUTSIDE = ("../" + "shared", "STYLE" + ".md", "PRODUCT" + ".md", "PRODUCT" + " §", "STYLE" + " habit")
# Lock files hold hashes and names of other projects' packages, not citations.
LOCKS = ("requirements.lock", "requirements-dev.lock", "package-lock.json")


def tracked_files() -> list[str]:
    """Every file git tracks in the repository."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def citations_outside(names: list[str], root: Path = ROOT) -> list[str]:
    """`path:line: text` for each line of the named files that mentions a path outside the repository."""
    found = []
    for name in names:
        if name.endswith(LOCKS) or not (root / name).is_file():
            continue
        text = (root / name).read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if any(word in line for word in OUTSIDE):
                found.append(f"{name}:{number}: {line.strip()[:120]}")
    return found


def test_no_tracked_file_cites_a_path_outside_the_repository() -> None:
    # Given every tracked file, when each line is searched for the outside paths, then none holds one.
    files = tracked_files()
    assert "tests/data/seed_examples.json" in files
    assert citations_outside(files) == []


def test_the_search_names_the_file_and_line_of_a_citation(tmp_path: Path) -> None:
    # Given a file whose second line cites the shared folder beside the clone, and a lock file that does,
    (tmp_path / "notes.md").write_text("first line\nsee " + OUTSIDE[0] + "/seed\n")
    (tmp_path / "requirements.lock").write_text(OUTSIDE[1] + "\n")
    # when both are searched, then the answer names the file and the line, and skips the lock.
    assert citations_outside(["notes.md", "requirements.lock"], tmp_path) == [f"notes.md:2: see {OUTSIDE[0]}/seed"]


def test_the_seed_examples_are_a_fixture_of_the_repository() -> None:
    # Given the fixture, when read, then it names its source by name only and holds the examples.
    data = json.loads((ROOT / "tests" / "data" / "seed_examples.json").read_text())
    assert "processes-api-models.txt" in data["source"] and "/" not in data["source"].split("(")[1].split(")")[0]
    assert {"Process", "ProcessGroup", "ProcessJob", "Error"} <= set(data["examples"])
