"""The README is the front door (issue 28, point 10): at most 200 lines, the two commands first, a first
query, the scripts, and links that lead somewhere. Figures and levers live in docs/performance.md.
"""

from __future__ import annotations

import re

from app.settings import ROOT

README = (ROOT / "README.md").read_text()
LINK = re.compile(r"\]\(([^)#:]+)(#[^)]*)?\)")


def test_the_readme_is_at_most_200_lines() -> None:
    assert len(README.splitlines()) <= 200


def test_the_two_commands_come_first() -> None:
    # Given the README, then its first code block starts with scripts/serve and scripts/test.
    first_block = README.split("```")[1].splitlines()
    assert [line.split()[0] for line in first_block[1:3]] == ["scripts/serve", "scripts/test"]


def test_it_shows_a_first_query_and_every_script() -> None:
    # Given the README and scripts/, then there is a first query and each script has a row of the table.
    assert "## A first query" in README and "```graphql" in README
    scripts = sorted(p.name for p in (ROOT / "scripts").iterdir() if not p.name.startswith("_"))
    missing = [name for name in scripts if f"| `scripts/{name}" not in README]
    assert missing == []


def test_warm_and_cold_figures_stand_side_by_side() -> None:
    assert re.search(r"\| workload \| warm[^\n]*\| cold", README)


def test_every_relative_link_leads_to_a_file() -> None:
    broken = [target for target, _ in LINK.findall(README) if not (ROOT / target).exists()]
    assert broken == []
