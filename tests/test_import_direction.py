"""The product never depends on its test doubles: imports point from ``outlay.testing`` inward only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import outlay

PACKAGE = Path(outlay.__file__).parent
# The two commands that exist to run the fake; they import it inside the command, when it runs.
FAKE_COMMANDS = {"cli/fake_cursor.py", "cli/demo.py", "cli/demo_guardrails.py"}


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "testing"
        and path.relative_to(PACKAGE).as_posix() not in FAKE_COMMANDS
    )


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from … import`` names, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_testing(module: str) -> bool:
    return module == "outlay.testing" or module.startswith("outlay.testing.")


def test_the_checks_see_the_whole_product_and_would_spot_a_testing_import() -> None:
    modules = {p.relative_to(PACKAGE).as_posix() for p in product_modules()}
    assert {"service/core.py", "providers/cursor/client.py", "cli/app.py", "web/app.py"} <= modules
    assert not any(m.startswith("testing/") for m in modules) and not modules & FAKE_COMMANDS
    assert any(is_testing(m) for m in imported_modules(PACKAGE / "cli" / "demo.py"))
    assert is_testing("outlay.testing") and not is_testing("outlay.testing_tools")


def test_no_product_module_imports_outlay_testing() -> None:
    offenders = {
        path.relative_to(PACKAGE).as_posix(): sorted(filter(is_testing, imported_modules(path)))
        for path in product_modules()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def loaded_testing_modules(module: str) -> list[str]:
    """The ``outlay.testing`` modules a fresh interpreter has loaded after importing ``module``."""
    probe = (
        f"import sys, {module}; "
        "print(*(m for m in sorted(sys.modules) if m.startswith('outlay.testing')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


def test_the_cli_loads_the_fake_only_when_a_fake_command_runs() -> None:
    assert "outlay.testing.cursor_fake" in loaded_testing_modules("outlay.testing.cursor_fake")
    assert loaded_testing_modules("outlay.cli.app") == []
