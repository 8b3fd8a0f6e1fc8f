"""The basic types (types.asciidoc) and the model-level rules, one case at a time."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from hub.ocpi.models.types import URL, CiString, DateTime, Number, String
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v211 import tokens as tokens211
from hub.ocpi.models.v221 import cdrs, commands, locations, sessions, tokens
from hub.ocpi.models.v230 import locations as locations230
from hub.ocpi.models.v230 import tariffs as tariffs230
from hub.validation.explain import explain


def rules(model: Any, value: Any) -> list[tuple[str, str]]:
    try:
        TypeAdapter(model).validate_python(value)
    except ValidationError as error:
        return [(v.path, v.rule) for v in explain(error, model)]
    return []


@pytest.mark.parametrize(
    "stamp",
    [
        "2015-06-29T20:39:09Z",
        "2015-06-29T20:39:09",
        "2016-12-29T17:45:09.2Z",
        "2016-12-29T17:45:09.2",
        "2018-01-01T01:08:01.123Z",
        "2018-01-01T01:08:01.123",
    ],
)
def test_datetime_accepts_the_forms_of_the_spec(stamp: str) -> None:
    assert rules(DateTime, stamp) == []


@pytest.mark.parametrize(
    ("stamp", "rule"),
    [
        ("2015-06-29T20:39:09+00:00", "datetime"),  # "+00:00 is not the same as UTC"
        ("2015-06-29T20:39:09+02:00", "datetime"),
        ("2015-06-29 20:39:09Z", "datetime"),
        ("2015-13-29T20:39:09Z", "datetime"),
        ("2015-06-29T24:00:00Z", "datetime"),
        ("2015-06-29", "datetime"),
        ("yesterday", "datetime"),
        ("2018-01-01T01:08:01.1234567Z", "max_length"),  # string(25)
    ],
)
def test_datetime_rejects_other_forms(stamp: str, rule: str) -> None:
    assert rules(DateTime, stamp) == [("", rule)]


def test_cistring_is_printable_ascii_of_bounded_length() -> None:
    ci = Annotated[str, CiString(3)]
    assert rules(ci, "NL1") == []
    assert rules(ci, "NLXX") == [("", "max_length")]
    assert rules(ci, "Né") == [("", "ascii")]
    assert rules(ci, "N\tL") == [("", "ascii")]
    assert rules(ci, 123) == [("", "type")]


def test_string_is_printable_utf8_of_bounded_length() -> None:
    text = Annotated[str, String(10)]
    assert rules(text, "Café ☕ ok") == []
    assert rules(text, "line\nbreak") == [("", "printable")]
    assert rules(text, "\x85next") == [("", "printable")]  # C1 control
    assert rules(text, "x" * 11) == [("", "max_length")]
    assert rules(URL, "https://example.com/" + "x" * 300) == [("", "max_length")]


def test_numbers_are_json_numbers_only() -> None:
    assert rules(Number, 1) == rules(Number, 1.5) == []
    assert rules(Number, "1.5") == [("", "type")]
    assert rules(Number, True) == [("", "type")]


def test_unknown_fields_are_allowed_and_kept() -> None:
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "last_updated": "2020-01-01T00:00:00Z",
        "x_vendor": {"nested": [1, 2]},
    }
    parsed = locations.Connector.model_validate(connector)
    assert parsed.model_extra == {"x_vendor": {"nested": [1, 2]}}


def test_open_enums_of_230_accept_unknown_values_and_221_does_not() -> None:
    connector = {
        "id": "1",
        "standard": "X_FUTURE_PLUG",
        "format": "SOCKET",
        "power_type": "DC",
        "max_voltage": 920,
        "max_amperage": 400,
        "capabilities": ["ISO_15118_20_PLUG_AND_CHARGE"],
        "last_updated": "2020-01-01T00:00:00Z",
    }
    assert rules(locations230.Connector, connector) == []
    assert rules(locations.Connector, connector) == [("standard", "enum")]


def test_enum_errors_name_the_enumeration() -> None:
    evse = {"uid": "1", "status": "BROKEN", "connectors": [], "last_updated": "2020-01-01T00:00:00Z"}
    with pytest.raises(ValidationError) as caught:
        locations.EVSE.model_validate(evse)
    messages = {v.path: v.message for v in explain(caught.value, locations.EVSE)}
    assert messages == {"status": "not a valid Status", "connectors": "must not be empty"}


def test_patch_models_make_fields_optional_but_still_check_them() -> None:
    assert rules(locations.EVSEPatch, {"status": "CHARGING", "last_updated": "2020-01-01T00:00:00Z"}) == []
    assert rules(locations.EVSEPatch, {"status": "CHARGING"}) == [("last_updated", "required")]
    assert rules(locations.EVSEPatch, {"status": "NOPE", "last_updated": "2020-01-01T00:00:00Z"}) == [
        ("status", "enum")
    ]
    assert rules(locations.EVSEPatch, {"status": None, "last_updated": "2020-01-01T00:00:00Z"}) == [("status", "enum")]
    assert rules(sessions.SessionPatch, {"kwh": "3", "last_updated": "2020-01-01T00:00:00Z"}) == [("kwh", "type")]
    assert rules(tokens211.TokenPatch, {"valid": False}) == []  # 2.1.1 does not require last_updated


def test_hours_need_regular_hours_unless_always_open() -> None:
    assert rules(locations.Hours, {"twentyfourseven": True}) == []
    assert rules(locations.Hours, {"twentyfourseven": False}) == [("", "constraint")]
    open_monday = {"weekday": 1, "period_begin": "08:00", "period_end": "18:00"}
    assert rules(locations.Hours, {"twentyfourseven": False, "regular_hours": [open_monday]}) == []
    late = {"weekday": 8, "period_begin": "8:00", "period_end": "24:00"}
    assert rules(locations.Hours, {"twentyfourseven": False, "regular_hours": [late]}) == [
        ("regular_hours[0].weekday", "range"),
        ("regular_hours[0].period_begin", "time_of_day"),
        ("regular_hours[0].period_end", "time_of_day"),
    ]
    assert rules(locations211.Hours, {}) == [("", "constraint")]
    assert rules(locations211.Hours, {"regular_hours": [open_monday]}) == []


def test_publish_token_rules() -> None:
    assert rules(locations.PublishTokenType, {"uid": "A", "type": "RFID"}) == []
    assert rules(locations.PublishTokenType, {"group_id": "G"}) == []
    assert rules(locations.PublishTokenType, {"issuer": "X"}) == [("", "constraint")]
    assert rules(locations.PublishTokenType, {"uid": "A"}) == [("", "constraint")]
    assert rules(locations.PublishTokenType, {"visual_number": "123"}) == [("", "constraint")]


def test_start_session_needs_evse_for_connector_and_credit_cdr_needs_reference() -> None:
    token = {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": "U1",
        "type": "APP_USER",
        "contract_id": "C1",
        "issuer": "I",
        "valid": True,
        "whitelist": "ALWAYS",
        "last_updated": "2020-01-01T00:00:00Z",
    }
    start = {"response_url": "https://e.example/r", "token": token, "location_id": "L1", "connector_id": "1"}
    assert rules(commands.StartSession, start) == [("", "constraint")]
    assert rules(commands.StartSession, {**start, "evse_uid": "E1"}) == []
    assert rules(tokens.Token, {**token, "type": "EMAID"}) == [("type", "enum")]
    assert rules(cdrs.CdrToken, {"country_code": "DE", "party_id": "EMS", "uid": "U", "type": "RFID"}) == [
        ("contract_id", "required")
    ]


def test_230_tariff_requires_tax_included_and_price_limits() -> None:
    tariff = {
        "country_code": "US",
        "party_id": "CPO",
        "id": "T1",
        "currency": "USD",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}],
        "last_updated": "2025-01-01T00:00:00Z",
    }
    assert rules(tariffs230.Tariff, tariff) == [("tax_included", "required")]
    assert rules(tariffs230.Tariff, {**tariff, "tax_included": "N/A", "max_price": {"before_taxes": 10}}) == []
    assert rules(tariffs230.Tariff, {**tariff, "tax_included": "NO", "max_price": {"excl_vat": 10}}) == [
        ("max_price.before_taxes", "required")
    ]
