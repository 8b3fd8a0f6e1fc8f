"""The official example payloads (read from ../shared/ocpi-spec, never copied into the project):
which model each file is an instance of, and which files fail, where and why.

`EXPECTED_FAILURES[(edition, file)]` lists the (path, rule) violations a defective example must
show, exactly. `documented` says whether ../shared/ocpi-spec/EXAMPLES-NOTES.md describes the defect;
the undocumented ones were found by these models and are reported for the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.ocpi.models.envelope import Envelope, envelope_of
from hub.ocpi.models.types import DisplayText
from hub.ocpi.models.v211 import cdrs as cdrs211
from hub.ocpi.models.v211 import credentials as credentials211
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v211 import sessions as sessions211
from hub.ocpi.models.v211 import tariffs as tariffs211
from hub.ocpi.models.v211 import tokens as tokens211
from hub.ocpi.models.v211 import versions as versions211
from hub.ocpi.models.v221 import cdrs as cdrs221
from hub.ocpi.models.v221 import credentials as credentials221
from hub.ocpi.models.v221 import locations as locations221
from hub.ocpi.models.v221 import sessions as sessions221
from hub.ocpi.models.v221 import tariffs as tariffs221
from hub.ocpi.models.v221 import tokens as tokens221
from hub.ocpi.models.v221 import versions as versions221
from hub.ocpi.models.v230 import cdrs as cdrs230
from hub.ocpi.models.v230 import credentials as credentials230
from hub.ocpi.models.v230 import locations as locations230
from hub.ocpi.models.v230 import payments as payments230
from hub.ocpi.models.v230 import sessions as sessions230
from hub.ocpi.models.v230 import tariffs as tariffs230
from hub.ocpi.models.v230 import tokens as tokens230
from hub.ocpi.models.v230 import versions as versions230
from tests.helpers import PROJECT_ROOT

__all__ = ["EDITIONS", "EXPECTED_FAILURES", "NOTES", "SPEC_ROOT", "Expected", "example_files", "model_for"]

SPEC_ROOT = PROJECT_ROOT.parent / "shared" / "ocpi-spec"
NOTES = SPEC_ROOT / "EXAMPLES-NOTES.md"
EDITIONS = ("2.1.1", "2.1.1-d2", "2.2.1", "2.2.1-d2", "2.3.0")


def example_files(edition: str) -> list[Path]:
    folder = SPEC_ROOT / edition / ("examples-extracted" if edition.startswith("2.1.1") else "examples")
    return sorted(folder.glob("*.json"))


# --- which model --------------------------------------------------------------------------------


def _modules(edition: str) -> dict[str, Any]:
    if edition.startswith("2.3"):
        return {
            "L": locations230,
            "S": sessions230,
            "C": cdrs230,
            "T": tariffs230,
            "K": tokens230,
            "CR": credentials230,
            "V": versions230,
        }
    return {
        "L": locations221,
        "S": sessions221,
        "C": cdrs221,
        "T": tariffs221,
        "K": tokens221,
        "CR": credentials221,
        "V": versions221,
    }


def model_for(edition: str, name: str) -> tuple[Any, str | None] | None:
    """(type, key) for an example file: validate `data[key]` (or the whole file) against type."""
    if edition.startswith("2.1.1"):
        return _V211.get(name)
    m = _modules(edition)
    L, S, C, T, K, CR, V = (m[k] for k in ("L", "S", "C", "T", "K", "CR", "V"))  # noqa: N806
    exact: dict[str, tuple[Any, str | None]] = {
        "location_patch_example_location.json": (L.LocationPatch, None),
        "location_patch_example_remove_evse.json": (L.EVSEPatch, None),
        "location_patch_example_status.json": (L.EVSEPatch, None),
        "location_patch_example_tariff.json": (L.ConnectorPatch, None),
        "location_put_example_add_evse.json": (L.EVSE, None),
        "location_regularhours_example.json": (L.Hours, "opening_times"),
        "token_patch_example.json": (K.TokenPatch, None),
        "transport_and_format_get_token_example.json": (envelope_of(K.Token), None),
        "transport_and_format_get_token_list_example.json": (envelope_of(K.Token, many=True), None),
        "transport_and_format_version_details_example.json": (envelope_of(V.VersionDetails), None),
        "transport_and_format_version_info_example.json": (envelope_of(V.Version, many=True), None),
        "type_displaytext_example.json": (DisplayText, None),
        "versions_info_example.json": (list[V.Version], None),
        "payment_terminal_activate.json": (payments230.TerminalActivation, None),
        "payment_terminal_create.json": (payments230.TerminalCreate, None),
        "payment_terminal_create_minimal.json": (payments230.TerminalCreate, None),
        "payment_terminal_location_assignment.json": (payments230.TerminalPatch, None),
    }
    if name in exact:
        return exact[name]
    prefixes: list[tuple[str, tuple[Any, str | None]]] = [
        ("cdr_example", (C.CDR, None)),
        ("credentials_example", (CR.Credentials, None)),
        ("location_energymix_example", (L.EnergyMix, "energy_mix")),
        ("location_hours_", (L.Hours, None)),
        ("location_example", (L.Location, None)),
        ("session_patch_example", (S.SessionPatch, None)),
        ("session_example", (S.Session, None)),
        ("tariff", (T.Tariff, None)),
        ("token_", (K.Token, None)),
        ("version_details_example", (V.VersionDetails, None)),
        ("payment_financial_advice_confirmation", (payments230.FinancialAdviceConfirmation, None)),
        ("payment_terminal", (payments230.Terminal, None)),
    ]
    for prefix, found in prefixes:
        if name.startswith(prefix):
            return found
    return None


# 2.1.1 has no examples folder: the blocks are extracted per spec file (INDEX.md gives the line and
# the "PUT To URL"/"PATCH To URL" prefix that tells what each block is).
_V211: dict[str, tuple[Any, str | None]] = {
    "credentials_ex01.json": (credentials211.Credentials, None),
    "mod_cdrs_ex01.json": (cdrs211.CDR, None),
    "mod_locations_ex01.json": (locations211.EVSEPatch, None),
    "mod_locations_ex02.json": (locations211.LocationPatch, None),
    "mod_locations_ex03.json": (locations211.ConnectorPatch, None),
    "mod_locations_ex04.json": (locations211.EVSE, None),
    "mod_locations_ex05.json": (locations211.EVSEPatch, None),
    "mod_locations_ex06.json": (locations211.Location, None),
    "mod_sessions_ex01.json": (sessions211.SessionPatch, None),
    "mod_sessions_ex02.json": (sessions211.Session, None),
    "mod_sessions_ex03.json": (sessions211.Session, None),
    "mod_tariffs_ex01.json": (tariffs211.Tariff, None),
    # Under "2.2.3 PATCH Method", though its prefix says PUT.
    "mod_tariffs_ex02.json": (tariffs211.TariffPatch, None),
    "mod_tariffs_ex03.json": (tariffs211.Tariff, None),
    "mod_tariffs_ex04.json": (tariffs211.Tariff, None),
    "mod_tariffs_ex05.json": (tariffs211.Tariff, None),
    "mod_tariffs_ex06.json": (tariffs211.Tariff, None),
    "mod_tariffs_ex07.json": (tariffs211.Tariff, None),
    "mod_tokens_ex01.json": (tokens211.Token, None),
    "mod_tokens_ex02.json": (tokens211.TokenPatch, None),
    "mod_tokens_ex03.json": (tokens211.Token, None),
    "transport_and_format_ex01.json": (envelope_of(versions211.Version, many=True), None),
    "transport_and_format_ex02.json": (envelope_of(versions211.VersionDetails), None),
    "transport_and_format_ex03.json": (envelope_of(tokens211.Token), None),
    "transport_and_format_ex04.json": (envelope_of(tokens211.Token, many=True), None),
    "transport_and_format_ex05.json": (Envelope, None),
    "version_information_endpoint_ex01.json": (list[versions211.Version], None),
    "version_information_endpoint_ex02.json": (versions211.VersionDetails, None),
}


# --- which fail, and why ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    reason: str
    violations: frozenset[tuple[str, str]]
    documented: bool


def _req(*paths: str) -> set[tuple[str, str]]:
    return {(p, "required") for p in paths}


_CDR_TOKEN = _req("cdr_token.country_code", "cdr_token.party_id")
_TARIFF_PUT = _req("last_updated")
_ADD_EVSE = _req(
    "connectors[0].power_type", "connectors[0].max_voltage", "connectors[0].max_amperage", "connectors[0].last_updated"
) | {("physical_reference", "type")}
_PRICE_221 = _req("total_costs.before_taxes")
_COORDS_211 = {("coordinates.latitude", "latitude"), ("coordinates.longitude", "longitude")}


def _at(prefix: str, violations: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(f"{prefix}.{path}", rule) for path, rule in violations}


_SESSION_211 = (
    _req("auth_method", "location.evses[0].status") | {("location.type", "enum")} | _at("location", _COORDS_211)
)

_211 = ("2.1.1", "2.1.1-d2")
_V19 = {("data[0].version", "enum")}

_FAILURES: list[tuple[str, str, str, set[tuple[str, str]], bool]] = [
    # (edition, file, reason, violations, documented in EXAMPLES-NOTES.md)
    ("2.2.1", "cdr_example.json", "cdr_token lacks country_code/party_id", _CDR_TOKEN, True),
    ("2.2.1", "session_example_1_simple_start.json", "cdr_token lacks country_code/party_id", _CDR_TOKEN, True),
    ("2.2.1", "session_example_2_short_finished.json", "cdr_token lacks country_code/party_id", _CDR_TOKEN, True),
    *[(e, "tariff_put_example.json", "lacks last_updated", _TARIFF_PUT, True) for e in ("2.2.1", "2.2.1-d2", "2.3.0")],
    *[
        (
            e,
            "location_put_example_add_evse.json",
            "connector lacks power_type/max_voltage/max_amperage/last_updated (documented); "
            "physical_reference is a number, not a string (not documented)",
            _ADD_EVSE,
            True,
        )
        for e in ("2.2.1", "2.2.1-d2", "2.3.0")
    ],
    ("2.3.0", "cdr_example.json", "embedded tariff lacks tax_included", _req("tariffs[0].tax_included"), True),
    *[
        (
            "2.3.0",
            f"payment_financial_advice_confirmation_{kind}.json",
            "2.2.1 Price (excl_vat) instead of before_taxes",
            _PRICE_221,
            True,
        )
        for kind in ("create", "example_success")
    ],
    (
        "2.3.0",
        "payment_financial_advice_confirmation_example_failure.json",
        "2.2.1 Price (documented); no eft_data although it is `+` (not documented)",
        _PRICE_221 | _req("eft_data"),
        True,
    ),
    (
        "2.3.0",
        "location_example.json",
        "EVSE.parking given as a list of ids instead of EVSEParking objects",
        {(f"evses[{e}].parking[{p}]", "type") for e in (0, 1) for p in (0, 1)},
        False,
    ),
    (
        "2.3.0",
        "location_example_parking_garage_opening_hours.json",
        "EVSE.parking given as a list of ids instead of EVSEParking objects",
        {("evses[0].parking[0]", "type")},
        False,
    ),
    ("2.3.0", "payment_terminal_put_update.json", "PUT Terminal without terminal_id", _req("terminal_id"), False),
    # 2.1.1 tag: the documented lower-case enum ("on_street") and "STATUS" key, and more.
    (
        "2.1.1",
        "mod_cdrs_ex01.json",
        "location type 'on_street' and 'STATUS' key (documented); coordinates with 5 decimals, "
        "price as a string, tariff without last_updated (not documented)",
        _req("location.evses[0].status", "tariffs[0].last_updated")
        | {("location.type", "enum"), ("tariffs[0].elements[0].price_components[0].price", "type")}
        | _at("location", _COORDS_211),
        True,
    ),
    ("2.1.1", "mod_sessions_ex02.json", "as mod_cdrs_ex01, and no auth_method (not documented)", _SESSION_211, True),
    (
        "2.1.1",
        "mod_sessions_ex03.json",
        "as mod_sessions_ex02, and dimension type 'energy' in lower case",
        _SESSION_211 | {("charging_periods[1].dimensions[0].type", "enum")},
        True,
    ),
    (
        "2.1.1",
        "transport_and_format_ex03.json",
        "allow_whitelist instead of whitelist (documented); no last_updated (not documented)",
        _req("data.whitelist", "data.last_updated"),
        True,
    ),
    (
        "2.1.1",
        "transport_and_format_ex04.json",
        "allow_whitelist instead of whitelist (documented); no last_updated (not documented)",
        _req(*(f"data[{i}].{f}" for i in range(3) for f in ("whitelist", "last_updated"))),
        True,
    ),
    (
        "2.1.1",
        "mod_locations_ex06.json",
        "coordinates with 5 decimals (2.1.1 wants 6); a connector without last_updated",
        _COORDS_211 | _req("evses[1].connectors[0].last_updated"),
        False,
    ),
    (
        "2.1.1",
        "mod_locations_ex04.json",
        "the 2.1.1 'add an EVSE' PUT: incomplete connector, physical_reference a number, no last_updated",
        _req(
            "connectors[0].power_type",
            "connectors[0].voltage",
            "connectors[0].amperage",
            "connectors[0].last_updated",
            "last_updated",
        )
        | {("physical_reference", "type")},
        False,
    ),
    (
        "2.1.1-d2",
        "mod_locations_ex04.json",
        "as in 2.1.1, and floor_level a number",
        _req(
            "connectors[0].power_type",
            "connectors[0].voltage",
            "connectors[0].amperage",
            "connectors[0].last_updated",
            "last_updated",
        )
        | {("physical_reference", "type"), ("floor_level", "type")},
        False,
    ),
    (
        "2.1.1-d2",
        "mod_cdrs_ex01.json",
        "price as a string",
        {("tariffs[0].elements[0].price_components[0].price", "type")},
        False,
    ),
    *[(e, "mod_tariffs_ex01.json", "PUT Tariff without last_updated", _TARIFF_PUT, False) for e in _211],
    *[(e, "transport_and_format_ex01.json", "version '1.9' is not a VersionNumber", _V19, False) for e in _211],
]

EXPECTED_FAILURES: dict[tuple[str, str], Expected] = {
    (edition, name): Expected(reason, frozenset(violations), documented)
    for edition, name, reason, violations, documented in _FAILURES
}
