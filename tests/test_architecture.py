"""Dependency arrows point one way: web, api and cli → services → models, io (DESIGN §6)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "tracker"
FRONT_DOORS = ("flask", "tracker.web", "tracker.api", "tracker.cli", "werkzeug.wrappers")


def imported_modules(path: Path) -> set[str]:
    """Every module an file imports, absolute names only (the package uses no relative imports)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("layer", ["models", "services", "io"])
def test_inner_layers_never_import_a_front_door(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    for path in files:
        offending = {
            module
            for module in imported_modules(path)
            if any(module == door or module.startswith(f"{door}.") for door in FRONT_DOORS)
        }
        assert not offending, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(offending)}"


def test_models_do_not_import_services() -> None:
    for path in sorted((PACKAGE / "models").rglob("*.py")):
        assert not any(m.startswith("tracker.services") for m in imported_modules(path)), path


def test_building_the_app_does_not_load_the_statistics_libraries() -> None:
    """statsmodels costs seconds to import; start-up and light pages must not pay for it."""
    code = (
        "import sys; import tracker, tracker.web, tracker.cli, tracker.io.importer; "
        "print(sorted(m for m in ('statsmodels', 'scipy') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"
