"""Standards as tests: `tracker/stats` imports only numpy, scipy, pandas, statsmodels and the
standard library, and importing the package is cheap (no statsmodels, no scipy)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

STATS = Path(__file__).resolve().parents[2] / "tracker" / "stats"
ALLOWED_THIRD_PARTY = {"numpy", "scipy", "pandas", "statsmodels"}
PACKAGE = "tracker.stats"


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """(absolute module name, line) for every import in a file, nested ones included."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                found.append((f"{PACKAGE}.{node.module or ''}".rstrip("."), node.lineno))
            else:
                found.append((node.module or "", node.lineno))
    return found


def violations(path: Path) -> list[str]:
    """Imports in `path` that break the rule."""
    bad = []
    for name, line in imported_modules(path):
        top = name.split(".")[0]
        inside = name == PACKAGE or name.startswith(PACKAGE + ".")
        allowed = top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names or inside
        if not allowed or (top == "tracker" and not inside):
            bad.append(f"{path.name}:{line} imports {name}")
    return bad


def engine_modules() -> list[Path]:
    return sorted(STATS.glob("*.py"))


def test_the_rule_sees_every_engine_module_and_its_imports() -> None:
    modules = engine_modules()
    names = {path.stem for path in modules}
    assert {"__init__", "binary", "continuous", "counts", "power", "sequential"} <= names
    assert len(modules) >= 15
    imports = [name for path in modules for name, _ in imported_modules(path)]
    assert len(imports) > 100
    # statsmodels is imported inside functions; the walk must see those too.
    assert any(name.startswith("statsmodels.stats.proportion") for name in imports)
    assert any(name.startswith("scipy") for name in imports)


def test_engine_imports_only_the_allowed_libraries() -> None:
    found = [problem for path in engine_modules() for problem in violations(path)]
    assert found == []


def test_the_rule_rejects_flask_sqlmodel_and_other_tracker_modules(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "import flask\n"
        "from sqlmodel import Session\n"
        "def f():\n"
        "    from tracker.models import Policy\n"
        "    import tracker.services\n"
        "from tracker.stats.results import EffectResult\n"
        "import numpy, json\n",
        encoding="utf-8",
    )
    found = violations(module)
    assert [problem.split(" imports ")[1] for problem in found] == [
        "flask",
        "sqlmodel",
        "tracker.models",
        "tracker.services",
    ]


def _new_modules_after(code: str) -> dict[str, list[str]]:
    script = (
        "import json, sys\n"
        "import tracker\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps({'new': sorted(set(sys.modules) - before)}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    parsed: dict[str, list[str]] = json.loads(output)
    return parsed


def _loaded(modules: list[str], library: str) -> bool:
    return any(name == library or name.startswith(library + ".") for name in modules)


def test_importing_the_engine_loads_neither_statsmodels_nor_scipy() -> None:
    new = _new_modules_after("import tracker.stats")["new"]
    assert "tracker.stats" in new
    assert not _loaded(new, "statsmodels")
    assert not _loaded(new, "scipy")


def test_statsmodels_loads_only_when_a_method_runs() -> None:
    reached = _new_modules_after(
        "import tracker.stats as s\n"
        "f = s.compare_proportions\n"
        "assert not any(m.startswith('statsmodels') for m in sys.modules)\n"
        "f(s.ProportionSummary(10, 3), s.ProportionSummary(10, 6))"
    )["new"]
    assert _loaded(reached, "statsmodels")
