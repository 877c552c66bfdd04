"""docs/architecture.md covers every package and every top module of app/ (issue 28, point 5), and keeps a
section on the fast path and its seams.
"""

from __future__ import annotations

from app.settings import ROOT

APP = ROOT / "app"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def test_every_package_and_top_module_is_named() -> None:
    # Given app/'s packages and top modules, then each is named in the architecture page.
    packages = [f"{p.name}/" for p in APP.iterdir() if (p / "__init__.py").is_file()]
    modules = [p.name for p in APP.glob("*.py") if p.name != "__init__.py"]
    assert len(packages) >= 8 and "serve.py" in modules
    missing = [name for name in packages + modules if f"`{name}`" not in ARCHITECTURE
               and f"  {name}" not in ARCHITECTURE and f"app/{name}" not in ARCHITECTURE]
    assert missing == []


def test_the_fast_path_has_its_section() -> None:
    assert "\n## The fast path and its seams\n" in ARCHITECTURE
