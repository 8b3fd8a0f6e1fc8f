"""routing.checks: pushes refused before forwarding (checklist C.43 and H.73)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import InvalidParameters
from hub.routing.checks import check_push, needs_body_check
from hub.types import InterfaceRole, PartyKey

CPO = PartyKey.of("NL", "CPA")
LOCATION = {"country_code": "NL", "party_id": "CPA", "id": "LOC1", "last_updated": "2026-01-01T00:00:00Z"}


def check(method: str, module: str, rest: str, body: Any, sender: PartyKey = CPO) -> None:
    check_push(method=method, module=module, interface=InterfaceRole.RECEIVER, rest=rest, body=body, sender=sender)


def test_matching_put_passes() -> None:
    check("PUT", "locations", "NL/CPA/LOC1", LOCATION)
    check("PUT", "locations", "nl/cpa/loc1", LOCATION)  # CiString: case-insensitive


@pytest.mark.parametrize(
    ("rest", "body", "complaint"),
    [
        ("NL/CPA/LOC2", LOCATION, "id"),
        ("NL/CPA/LOC1", {**LOCATION, "party_id": "XXX"}, "party_id"),
        ("NL/CPA/LOC1", {**LOCATION, "country_code": "BE"}, "country_code"),
        ("NL/CPA/LOC1/EVSE1", {"uid": "EVSE2", "last_updated": "x"}, "uid"),
        ("NL/CPA/LOC1/EVSE1/C1", {"id": "C2", "last_updated": "x"}, "id"),
    ],
)
def test_owner_or_id_mismatch_is_2001(rest: str, body: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        check("PUT", "locations", rest, body)
    assert caught.value.status_code == 2001
    assert complaint in caught.value.message


def test_url_owner_must_be_the_sender() -> None:
    with pytest.raises(InvalidParameters, match="OCPI-from"):
        check("PUT", "locations", "BE/OTH/LOC1", {**LOCATION, "country_code": "BE", "party_id": "OTH"})


def test_token_uid_is_checked() -> None:
    token = {"country_code": "NL", "party_id": "CPA", "uid": "ABC", "last_updated": "x"}
    check("PUT", "tokens", "NL/CPA/ABC", token)
    with pytest.raises(InvalidParameters, match="uid"):
        check("PUT", "tokens", "NL/CPA/XYZ", token)


def test_patch_without_last_updated_is_2001() -> None:
    with pytest.raises(InvalidParameters, match="last_updated"):
        check("PATCH", "sessions", "NL/CPA/S1", {"kwh": 3})


def test_body_that_is_not_an_object_is_2001() -> None:
    with pytest.raises(InvalidParameters, match="JSON object"):
        check("PUT", "locations", "NL/CPA/LOC1", [LOCATION])


def test_which_requests_are_checked() -> None:
    assert needs_body_check("PATCH", "sessions", InterfaceRole.RECEIVER)
    assert needs_body_check("PUT", "tariffs", InterfaceRole.RECEIVER)
    assert not needs_body_check("PUT", "chargingprofiles", InterfaceRole.RECEIVER)
    assert not needs_body_check("GET", "locations", InterfaceRole.RECEIVER)
    assert not needs_body_check("POST", "cdrs", InterfaceRole.RECEIVER)
