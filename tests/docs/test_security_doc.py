"""docs/security.md names the test that covers each attack class: every name must exist, so the
page cannot quietly point at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_CELL = re.compile(r"`([^`]+)`")


def _named_tests() -> list[tuple[str, str | None]]:
    """(file, test name or None) for each test reference; `::name` continues the file named before it."""
    refs: list[tuple[str, str | None]] = []
    for line in (ROOT / "docs" / "security.md").read_text().splitlines():
        current: str | None = None
        for ref in _CELL.findall(line):
            if ref.startswith("tests/") and ref.split("::")[0].endswith(".py"):
                current, _, name = ref.partition("::")
                refs.append((current, name or None))
            elif ref.startswith("::") and current is not None:
                refs.append((current, ref[2:]))
    return refs


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_named_in_security_md_exists() -> None:
    refs = _named_tests()
    assert len(refs) >= 30, "docs/security.md should name the tests of each attack class"
    missing = []
    for file, name in refs:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
        elif name is not None and name not in _functions(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
