"""Names explain themselves (issue 18): no module of app/ binds a table, a row source or a module to a one- to
three-letter name, so `TT` can never mean the tag-link table in one domain and the API-token table in another."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def cryptic(name: str, value: ast.expr | None) -> bool:
    """One or two letters (`m`, `P`), or an abbreviation of three capitals (`GRT`) bound to something other
    than a plain string or number (`JS = "text/javascript"` and `SOX = "SOX 302 …"` read fine)."""
    bare = name.strip("_")
    if len(bare) <= 2:
        return True
    return len(bare) == 3 and bare.isupper() and not isinstance(value, ast.Constant)


def short_names(source: str) -> list[str]:
    """Module-level names bound by an assignment (TypeVars aside) or by an `import ... as` that say nothing
    of what they hold."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "TypeVar":
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                pairs = (zip(target.elts, value.elts, strict=False) if isinstance(target, ast.Tuple)
                         and isinstance(value, ast.Tuple) else [(e, value) for e in getattr(target, "elts", [target])])
                found += [e.id for e, v in pairs if isinstance(e, ast.Name) and cryptic(e.id, v)]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found += [a.asname for a in node.names if a.asname and cryptic(a.asname, None)]
    return found


def test_the_check_sees_short_aliases() -> None:
    assert short_names("PT, GT = table(A), table(B)\nfrom app.rest import models as m\n") == ["PT", "GT", "m"]
    assert short_names("GRT = table(GroupRun)\nREM = table(Reminder)\nR = ('replace',)\n") == ["GRT", "REM", "R"]
    assert short_names("T = TypeVar('T')\nPROCESSES = table(Process)\nCSS = 'text/css'\nlog = getLogger()\n"
                       "RUN, INBOX = 'run', 'inbox'\n__all__ = ['x']\n") == []


def test_no_short_names_in_app() -> None:
    offenders = {str(path.relative_to(APP)): names for path in sorted(APP.rglob("*.py"))
                 if (names := short_names(path.read_text()))}
    assert offenders == {}
