"""How the CLI prints: tables with headers for people, `--json` for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["confirm", "print_json", "print_record", "print_table"]


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _cell(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items()) or "-"
    return str(value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str = "nothing") -> None:
    """Columns aligned under upper-case headers; the last column is not padded."""
    if not rows:
        print(f"({empty})")
        return
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    for line in ([h.upper() for h in headers], *cells):
        print("  ".join([*(c.ljust(w) for c, w in zip(line[:-1], widths[:-1], strict=True)), line[-1]]))


def print_record(fields: Sequence[tuple[str, Any]]) -> None:
    """`label: value` lines, labels aligned."""
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        print(f"{label + ':':<{width + 1}} {_cell(value)}")


def confirm(question: str, *, yes: bool, refusal: str) -> None:
    """Go on with --yes; ask on a terminal; refuse otherwise (CliError)."""
    from hub.cli.failures import CliError

    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(refusal)
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise CliError("cancelled: nothing changed")
