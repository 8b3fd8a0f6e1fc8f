"""Every official example payload validates against its edition's model, except the defective
ones, which fail exactly where and how `spec_examples.EXPECTED_FAILURES` says.

The examples are read from ../shared/ocpi-spec beside the project (CC BY-ND: never copied here);
without that folder these tests skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from hub.validation.explain import explain
from tests.hub.ocpi.models.spec_examples import (
    EDITIONS,
    EXPECTED_FAILURES,
    SPEC_ROOT,
    example_files,
    model_for,
)

pytestmark = pytest.mark.skipif(
    not SPEC_ROOT.is_dir(), reason=f"official OCPI examples not found at {SPEC_ROOT} (../shared/ocpi-spec)"
)


def _cases() -> list[tuple[str, Path]]:
    return [(edition, path) for edition in EDITIONS for path in example_files(edition)]


@pytest.mark.parametrize(("edition", "path"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_example_validates_or_fails_as_documented(edition: str, path: Path) -> None:
    mapped = model_for(edition, path.name)
    assert mapped is not None, f"no model mapped for {edition}/{path.name}"
    model, key = mapped
    data = json.loads(path.read_text(encoding="utf-8"))
    if key is not None:
        data = data[key]
    expected = EXPECTED_FAILURES.get((edition, path.name))
    try:
        TypeAdapter(model).validate_python(data)
    except ValidationError as error:
        found = {(v.path, v.rule) for v in explain(error, model)}
        assert expected is not None, f"{edition}/{path.name} should validate: {sorted(found)}"
        assert found == expected.violations, expected.reason
    else:
        assert expected is None, f"{edition}/{path.name} should fail: {expected.reason}"


def test_every_edition_has_examples() -> None:
    assert all(example_files(edition) for edition in EDITIONS)
