"""Every setting is documented: in docs/configuration.md (a table row with its env name) and in
config/hub.example.toml (a key, commented out where it has no default)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_setting_is_documented(field: str) -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    example = (ROOT / "config" / "hub.example.toml").read_text()
    assert f"| `{field}` | `HUB_{field.upper()}` |" in docs, f"{field} missing from docs/configuration.md"
    assert re.search(rf"^#? ?{field} = ", example, re.MULTILINE), f"{field} missing from config/hub.example.toml"
