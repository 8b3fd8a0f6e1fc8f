"""The OCPI 2.2.1 <-> OICP 2.3 bridge translations (oicp-bridge.md §2, §6, §7, §8)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.oicp import ids, mapping
from adapters.oicp.errors import InvalidId, Unmappable
from adapters.oicp.models import (
    Acknowledgement,
    AuthorizationStart,
    AuthorizeRemoteReservationStart,
    AuthorizeRemoteStart,
    ChargeDetailRecord,
    ChargingNotificationEnd,
    ChargingNotificationError,
    ChargingNotificationProgress,
    ChargingNotificationStart,
    EvcoIdentification,
    EvseDataRecord,
    Identification,
    ProductAvailabilityTimes,
    PullEvseDataRecord,
    QRCodeIdentification,
    RFIDMifareFamilyIdentification,
    StatusCode,
    parse_charging_notification,
    wire,
)
from adapters.oicp.status import (
    OicpCode,
    ocpi_error,
    ocpi_http_status,
    ocpi_outcome,
    oicp_code_for_allowed,
    oicp_code_for_command_response,
    oicp_code_for_command_result,
    oicp_code_for_ocpi_status,
)
from hub.errors import ReceiverTimeout, UnknownLocation, UnknownReceiver
from hub.types import PartyKey

EXAMPLES = Path("/work/shared/ocpi-spec/2.2.1/examples")
NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
SESSION = "b2688855-7f00-0002-6d8e-48d883f6abb6"
EVCO = "DE-8EO-CAET5E4XY-3"
CONFIG = mapping.EvseRecordConfig(hotline_phone_number="+4930123456")


def example(name: str) -> Any:
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"official OCPI 2.2.1 example {name} is not available at {EXAMPLES}")
    return json.loads(path.read_text())


def raises_unmappable(field: str) -> Any:
    return pytest.raises(Unmappable, match="^" + re.escape(field) + ": ")


# ---- §6 identifiers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "given", "emitted"),
    [
        (ids.operator_id, "DE*ABC", "DE*ABC"),
        (ids.operator_id, "deabc", "DE*ABC"),
        (ids.operator_id, "+49*536", "+49*536"),
        (ids.provider_id, "DE-8EO", "DE-8EO"),
        (ids.provider_id, "de8eo", "DE-8EO"),
        (ids.provider_id, "DE*8EO", "DE-8EO"),
        (ids.evse_id, "DE*AB7*E840*6487", "DE*AB7*E840*6487"),
        (ids.evse_id, "DEAB7E8406487", "DE*AB7*E8406487"),
        (ids.evse_id, "de*ab7*e840", "DE*AB7*E840"),
        (ids.evse_id, "+49*810*000*438", "+49*810*000*438"),
        (ids.evco_id, "DE-8EO-CAet5e4XY-3", "DE-8EO-CAET5E4XY-3"),
        (ids.evco_id, "DE8EOCAet5e43X1", "DE-8EO-CAET5E43X-1"),
        (ids.evco_id, "DE*8EO*Aet5e4*3", "DE*8EO*AET5E4*3"),
        (ids.evco_id, "DE8EOAet5e43", "DE*8EO*AET5E4*3"),
        (ids.session_id, SESSION, SESSION),
    ],
)
def test_valid_ids_are_emitted_in_iso_form(parse: Any, given: str, emitted: str) -> None:
    assert parse(given) == emitted
    assert ids.canonical(parse(given)) == ids.canonical(given)


@pytest.mark.parametrize(
    ("parse", "given"),
    [
        (ids.operator_id, "DE*AB"),
        (ids.operator_id, "D1*ABC"),
        (ids.operator_id, "DE**ABC"),
        (ids.provider_id, "DE-8E"),
        (ids.provider_id, "DE_8EO"),
        (ids.evse_id, "DE*AB7*X840"),
        (ids.evse_id, "DE*AB7*E" + "1" * 31),
        (ids.evco_id, "DE8ACC12E46L89"),
        (ids.evco_id, "NL-TST-C12345678-S1"),
        (ids.session_id, "not-a-guid"),
    ],
)
def test_invalid_ids_raise_an_error_naming_the_field(parse: Any, given: str) -> None:
    with pytest.raises(InvalidId) as caught:
        parse(given, "some.field")
    assert isinstance(caught.value, Unmappable)
    assert str(caught.value).startswith("some.field: ")
    assert given in str(caught.value)


def test_party_and_oicp_ids_follow_each_other_by_default_and_overrides_win() -> None:
    assert ids.operator_id_of_party(PartyKey.of("de", "abc")) == "DE*ABC"
    assert ids.provider_id_of_party(PartyKey.of("nl", "tst")) == "NL-TST"
    assert ids.party_of_operator_id("de*abc") == PartyKey("DE", "ABC")
    assert ids.party_of_evse_id("DE*AB7*E840*6487") == PartyKey("DE", "AB7")
    assert ids.party_of_evco_id("de8eocaet5e43x1") == PartyKey("DE", "8EO")
    overrides = {"DE-8EO": PartyKey("NL", "XYZ"), "+49*810": PartyKey("DE", "DIN")}
    assert ids.party_of_evco_id(EVCO, overrides) == PartyKey("NL", "XYZ")
    assert ids.party_of_evse_id("+49*810*000*438", overrides) == PartyKey("DE", "DIN")
    with raises_unmappable("OperatorID"):
        ids.party_of_evse_id("+49*810*000*438")
    with raises_unmappable("party_id"):
        ids.operator_id_of_party(PartyKey.of("DE", "ABCD"))


@pytest.mark.parametrize(
    ("uid", "ok"), [("7568290fff765f", True), ("0A1B2C3D", True), ("123abc", False), ("012345678", False)]
)
def test_rfid_uids_must_be_8_14_or_20_hex_digits(uid: str, ok: bool) -> None:
    if ok:
        assert ids.rfid_uid(uid) == uid.upper()
    else:
        with raises_unmappable("uid"):
            ids.rfid_uid(uid)


def test_ocpi_keys_derived_from_oicp_ids_fit_36_characters() -> None:
    assert ids.evse_uid_of_evse_id("de*ab7*e840*6487") == "DEAB7E8406487"
    long_id = "DE*AB7*E" + "1" * 30
    assert len(ids.evse_uid_of_evse_id(long_id)) <= 36
    assert ids.evse_uid_of_evse_id(long_id) == ids.evse_uid_of_evse_id(long_id.lower())
    assert ids.tariff_id_of_product("AC1") == "AC1"
    assert len(ids.tariff_id_of_product("P" * 50)) <= 36
    assert ids.pool_id_of_location(PartyKey("BE", "BEC"), "LOC1") == "BE*BEC*PLOC1"
    assert ids.pool_id_of_location(PartyKey("BE", "BEC"), "loc-1") is None


# ---- §2 status codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "allowed", "response", "result"),
    [
        ("000", 1000, "ALLOWED", "ACCEPTED", "ACCEPTED"),
        ("001", 3000, None, None, None),
        ("009", 3000, None, None, None),
        ("017", 3001, None, None, None),
        ("018", 2001, None, None, None),
        ("019", 2001, None, None, None),
        ("021", 3000, None, None, None),
        ("022", 2001, None, None, None),
        ("102", 1000, "NOT_ALLOWED", "REJECTED", "REJECTED"),
        ("106", 1000, "NOT_ALLOWED", "REJECTED", "REJECTED"),
        ("110", 4002, None, None, None),
        ("122", 4002, None, None, None),
        ("200", 1000, "BLOCKED", "REJECTED", "REJECTED"),
        ("210", 4001, None, None, None),
        ("300", 4001, None, None, None),
        ("310", 4002, None, None, None),
        ("320", 4003, None, None, None),
        ("400", 2001, None, "UNKNOWN_SESSION", "REJECTED"),
        ("501", 1000, None, "ACCEPTED", "FAILED"),
        ("510", 1000, None, "ACCEPTED", "FAILED"),
        ("601", 1000, None, "ACCEPTED", "REJECTED"),
        ("602", 1000, None, "ACCEPTED", "EVSE_OCCUPIED"),
        ("603", 2003, None, None, None),
        ("604", 1000, None, "NOT_SUPPORTED", None),
        ("700", 1000, None, "ACCEPTED", "EVSE_INOPERATIVE"),
        ("999", 3000, None, None, None),
    ],
)
def test_oicp_codes_map_to_ocpi_outcomes(code: str, status: int, allowed: str, response: str, result: str) -> None:
    outcome = ocpi_outcome(code)
    assert (outcome.status_code, outcome.allowed, outcome.command_response, outcome.command_result) == (
        status,
        allowed,
        response,
        result,
    )
    error = ocpi_error(code, "why")
    assert (error is None) == (status == 1000)
    if error is not None:
        assert error.status_code == status
        assert code in error.message and "why" in error.message


def test_transient_and_configuration_failures_are_flagged() -> None:
    assert ocpi_outcome("009").retry and not ocpi_outcome("022").retry
    assert ocpi_outcome("017").alert
    assert isinstance(ocpi_error("310"), ReceiverTimeout)
    assert isinstance(ocpi_error("300"), UnknownReceiver)
    assert [ocpi_http_status(s) for s in (1000, 2001, 2002, 2004, 3000, 3001, 4002)] == [
        200,
        400,
        400,
        404,
        500,
        200,
        200,
    ]


@pytest.mark.parametrize(
    ("status", "evco", "code"),
    [
        (1000, False, "000"),
        (2000, False, "022"),
        (2001, False, "022"),
        (2002, False, "022"),
        (2003, False, "603"),
        (2004, False, "102"),
        (2004, True, "105"),
        (3000, False, "021"),
        (3001, False, "021"),
        (4000, False, "021"),
        (4001, False, "300"),
        (4002, False, "310"),
        (4003, False, "320"),
    ],
)
def test_ocpi_status_codes_map_to_oicp_codes(status: int, evco: bool, code: str) -> None:
    assert oicp_code_for_ocpi_status(status, token_is_evco=evco) == code


@pytest.mark.parametrize(
    ("allowed", "evco", "code"),
    [
        ("ALLOWED", False, "000"),
        ("BLOCKED", True, "200"),
        ("BLOCKED", False, "106"),
        ("EXPIRED", True, "106"),
        ("NO_CREDIT", False, "106"),
        ("NOT_ALLOWED", False, "106"),
    ],
)
def test_allowed_types_map_to_oicp_codes(allowed: str, evco: bool, code: str) -> None:
    assert oicp_code_for_allowed(allowed, token_is_evco=evco) == code
    if code != "106":  # 106 stands for several refusals, the others go back to where they came from
        assert ocpi_outcome(code).allowed == allowed


@pytest.mark.parametrize(
    ("kind", "value", "reservation", "code"),
    [
        ("response", "ACCEPTED", False, "000"),
        ("response", "NOT_SUPPORTED", False, "604"),
        ("response", "UNKNOWN_SESSION", False, "400"),
        ("response", "REJECTED", True, "601"),
        ("response", "REJECTED", False, "022"),
        ("result", "ACCEPTED", False, "000"),
        ("result", "FAILED", False, "501"),
        ("result", "TIMEOUT", False, "510"),
        ("result", "EVSE_OCCUPIED", False, "602"),
        ("result", "EVSE_INOPERATIVE", False, "700"),
        ("result", "REJECTED", True, "601"),
        ("result", "UNKNOWN_RESERVATION", True, "400"),
    ],
)
def test_command_answers_map_to_oicp_codes(kind: str, value: str, reservation: bool, code: str) -> None:
    pick = oicp_code_for_command_response if kind == "response" else oicp_code_for_command_result
    assert pick(value, reservation=reservation) == code


# ---- models: both spellings of §4.12 ---------------------------------------------------------------


def test_models_accept_both_spellings_and_emit_the_first() -> None:
    times = ProductAvailabilityTimes.model_validate({"Period": [{"begin": "08:00", "end": "18:00"}], "on": "Monday"})
    assert wire(times)["Periods"] == [{"begin": "08:00", "end": "18:00"}]
    error = parse_charging_notification(
        {
            "Type": "Error",
            "SessionID": SESSION,
            "EvseID": "DE*ABC*E1",
            "OperatorID": "DE*ABC",
            "ErrorType": "Connector Error",
        }
    )
    assert isinstance(error, ChargingNotificationError) and wire(error)["ErrorType"] == "ConnectorError"
    reservation = AuthorizeRemoteReservationStart.model_validate(
        {
            "ProviderID": "DE-8EO",
            "EvseID": "DE*ABC*E1",
            "EMPPartnerSessionId": "r-1",
            "Identification": {"RemoteIdentification": {"EvcoID": EVCO}},
        }
    )
    assert reservation.emp_partner_session_id == "r-1" and wire(reservation)["EMPPartnerSessionID"] == "r-1"


def test_identification_needs_exactly_one_option() -> None:
    with pytest.raises(ValidationError):
        Identification.model_validate(
            {"RemoteIdentification": {"EvcoID": EVCO}, "RFIDMifareFamilyIdentification": {"UID": "0A1B2C3D"}}
        )
    with pytest.raises(ValidationError):
        Identification.model_validate({})


# ---- §7.1-7.3 locations and status ------------------------------------------------------------------


def location_records() -> tuple[dict[str, Any], list[EvseDataRecord]]:
    location = example("location_example.json")
    return location, mapping.location_to_evse_records(location, CONFIG, NOW)


def test_official_location_becomes_one_record_per_evse() -> None:
    _, records = location_records()
    assert [r.evse_id for r in records] == ["BE*BEC*E041503001", "BE*BEC*E041503002"]
    first = wire(records[0])
    assert first["ChargingPoolID"] == "BE*BEC*PLOC1"
    assert first["Plugs"] == ["Type 2 Connector (Cable Attached)", "Type 2 Outlet"]
    assert first["ChargingFacilities"][0] == {
        "PowerType": "AC_3_PHASE",
        "Voltage": 220,
        "Amperage": 16,
        "Power": 11,
        "ChargingModes": ["Mode_3"],
    }
    assert first["Address"] == {
        "Country": "BEL",
        "City": "Gent",
        "Street": "F.Rooseveltlaan",
        "PostalCode": "9000",
        "HouseNum": "3A",
        "Floor": "-1",
        "TimeZone": "UTC+02:00",
    }
    assert first["GeoCoordinates"] == {"DecimalDegree": {"Longitude": "3.729944", "Latitude": "51.047599"}}
    assert first["ValueAddedServices"] == ["Reservation"]
    assert first["AccessibilityLocation"] == "OnStreet"
    assert first["IsOpen24Hours"] is True
    assert first["ChargingStationNames"] == [{"lang": "en", "value": "Gent Zuid"}]
    assert EvseDataRecord.model_validate(first) == records[0]


def test_location_round_trips_through_pulled_records() -> None:
    location, records = location_records()
    pulled = [
        PullEvseDataRecord.model_validate(wire(r) | {"OperatorID": "BE*BEC", "OperatorName": "BeCharged"})
        for r in records
    ]
    batch = mapping.evse_records_to_locations(
        pulled, time_zone="Europe/Brussels", now=NOW, statuses={"BE*BEC*E041503002": "Reserved"}
    )
    assert batch.rejected == []
    (back,) = batch.locations
    assert (back["country_code"], back["party_id"], back["id"]) == ("BE", "BEC", "BE*BEC*PLOC1")
    for key in ("name", "address", "city", "postal_code", "country", "coordinates", "time_zone", "parking_type"):
        assert back[key] == location[key], key
    assert [e["evse_id"] for e in back["evses"]] == [e["evse_id"] for e in location["evses"]]
    assert [e["status"] for e in back["evses"]] == ["UNKNOWN", "RESERVED"]
    assert [e["floor_level"] for e in back["evses"]] == ["-1", "-2"]
    connectors = back["evses"][0]["connectors"]
    assert [(c["standard"], c["format"], c["power_type"]) for c in connectors] == [
        (c["standard"], c["format"], c["power_type"]) for c in location["evses"][0]["connectors"]
    ]
    assert back["evses"][0]["capabilities"] == ["RESERVABLE"]


def with_changes(location: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(location)
    *parents, leaf = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        target.pop(leaf, None)
    else:
        target[leaf] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("publish", False, "publish"),
        ("evses.0.evse_id", None, "evses[0].evse_id"),
        ("evses.0.evse_id", "BE-BEC-041503001", "evses[0].evse_id"),
        ("evses.1.connectors.0.standard", "GBT_DC", "evses[1].connectors[0].standard"),
        ("evses.1.connectors.0.standard", "DOMESTIC_A", "evses[1].connectors[0].standard"),
        ("evses.1.connectors.0.max_electric_power", 1_200_000, "evses[1].connectors[0].max_electric_power"),
        ("postal_code", None, "postal_code"),
        ("coordinates", {"latitude": "251.0", "longitude": "3.7"}, "coordinates.latitude"),
        ("opening_times", {"twentyfourseven": False}, "opening_times.regular_hours"),
        ("time_zone", "Mars/Olympus", "time_zone"),
    ],
)
def test_unmappable_locations_name_the_field(path: str, value: Any, field: str) -> None:
    location = with_changes(example("location_example.json"), path, value)
    with raises_unmappable(field):
        mapping.location_to_evse_records(location, CONFIG, NOW)


def test_configured_postal_code_placeholder_and_withheld_evses() -> None:
    location = with_changes(example("location_example.json"), "postal_code", None)
    location["evses"][1]["status"] = "PLANNED"
    config = mapping.EvseRecordConfig(hotline_phone_number="+4930123456", postal_code_placeholder="00000")
    records = mapping.location_to_evse_records(location, config, NOW)
    assert [r.address.postal_code for r in records] == ["00000"]
    assert mapping.withdrawn_evse_ids(location) == ["BE*BEC*E041503002"]


def test_opening_hours_and_energy_mix_cross_both_ways() -> None:
    location = example("location_example.json") | {
        "opening_times": {
            "twentyfourseven": False,
            "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
        },
        "energy_mix": {
            "is_green_energy": True,
            "energy_sources": [{"source": "SOLAR", "percentage": 100}, {"source": "GENERAL_GREEN", "percentage": 0}],
        },
    }
    record = mapping.location_to_evse_records(location, CONFIG, NOW)[0]
    assert wire(record)["OpeningTimes"] == [{"Period": [{"begin": "08:00", "end": "20:00"}], "on": "Monday"}]
    assert wire(record)["EnergySource"] == [{"Energy": "Solar", "Percentage": 99}]
    pulled = PullEvseDataRecord.model_validate(wire(record) | {"OperatorID": "BE*BEC", "OperatorName": "B"})
    (back,) = mapping.evse_records_to_locations([pulled], time_zone="Europe/Brussels", now=NOW).locations
    assert back["opening_times"] == location["opening_times"]
    assert back["energy_mix"] == {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 99}]}


def test_records_without_ocpi_plug_are_rejected_not_dropped() -> None:
    _, records = location_records()
    exotic = wire(records[1]) | {"Plugs": ["AVCON Connector"], "OperatorID": "BE*BEC", "OperatorName": "B"}
    good = wire(records[0]) | {"OperatorID": "BE*BEC", "OperatorName": "B"}
    batch = mapping.evse_records_to_locations(
        [PullEvseDataRecord.model_validate(good), PullEvseDataRecord.model_validate(exotic)], time_zone="UTC", now=NOW
    )
    assert [e["evse_id"] for e in batch.locations[0]["evses"]] == ["BE*BEC*E041503001"]
    assert [(evse, problem.field) for evse, problem in batch.rejected] == [("BE*BEC*E041503002", "Plugs")]


@pytest.mark.parametrize(
    ("ocpi", "oicp", "back"),
    [
        ("AVAILABLE", "Available", "AVAILABLE"),
        ("CHARGING", "Occupied", "CHARGING"),
        ("BLOCKED", "Occupied", "CHARGING"),
        ("RESERVED", "Reserved", "RESERVED"),
        ("INOPERATIVE", "OutOfService", "OUTOFORDER"),
        ("OUTOFORDER", "OutOfService", "OUTOFORDER"),
        ("UNKNOWN", "Unknown", "UNKNOWN"),
    ],
)
def test_evse_status_both_ways(ocpi: str, oicp: str, back: str) -> None:
    record = mapping.evse_status_record("be*bec*e041503001", ocpi)
    assert wire(record) == {"EvseID": "BE*BEC*E041503001", "EvseStatus": oicp}
    assert mapping.ocpi_evse_status(oicp) == back


@pytest.mark.parametrize(
    ("convert", "value", "field"),
    [("to", "PLANNED", "status"), ("to", "REMOVED", "status"), ("from", "EvseNotFound", "EvseStatus")],
)
def test_unmappable_statuses(convert: str, value: str, field: str) -> None:
    with raises_unmappable(field):
        if convert == "to":
            mapping.evse_status_record("BE*BEC*E1", value)
        else:
            mapping.ocpi_evse_status(value)


# ---- §7.9 tariffs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit", "price", "fees"),
    [
        ("tariff_1_simple_2hour.json", "HOUR", 2.0, {}),
        ("tariff_5_free_of_charge.json", "KILOWATT_HOUR", 0.0, {"START FEE": 0.0}),
        ("tariff_8_simple_025kwh.json", "KILOWATT_HOUR", 0.25, {}),
        ("tariff_9_025kwh_start.json", "KILOWATT_HOUR", 0.25, {"START FEE": 0.5}),
        ("tariff_10_025kwh_parking_start.json", "KILOWATT_HOUR", 0.25, {"START FEE": 0.5, "PARKING FEE": 2.0}),
        ("tariff_12_025kwh_min_price.json", "KILOWATT_HOUR", 0.25, {"MINIMUM FEE": 0.5}),
        ("tariff_6_025kwh_start_max_price.json", "KILOWATT_HOUR", 0.25, {"START FEE": 0.5, "MAXIMUM FEE": 10.0}),
        ("tariff_13_simple_3hour_5parking.json", "HOUR", 3.0, {"PARKING FEE": 5.0}),
        ("tariff_11_not_possible_alt_text.json", "HOUR", 1.9, {"START FEE": 0.4}),
    ],
)
def test_official_tariffs_become_pricing_products(name: str, unit: str, price: float, fees: dict[str, float]) -> None:
    tariff = example(name)
    product = mapping.tariff_to_pricing(tariff, max_power_kw=22)
    assert (product.product_id, product.reference_unit, product.price_per_reference_unit) == (tariff["id"], unit, price)
    assert {
        f.additional_reference: f.price_per_additional_reference_unit for f in product.additional_references or []
    } == fees
    assert product.is_valid_24_hours and product.maximum_product_charging_power == 22
    back = mapping.pricing_to_tariff(product, party=PartyKey("DE", "ALL"), last_updated=NOW)
    components = {c["type"]: c["price"] for c in back["elements"][0]["price_components"]}
    originals = {c["type"]: c["price"] for e in tariff["elements"] for c in e["price_components"]}
    assert {k: v for k, v in components.items() if k in originals} == originals
    assert all(v == 0 for k, v in components.items() if k not in originals)  # a free main unit fills the gap
    assert back["id"] == tariff["id"] and back["currency"] == tariff["currency"]
    if "min_price" in tariff:
        assert back["min_price"] == {"excl_vat": tariff["min_price"]["excl_vat"]}


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("tariff_4_complex.json", "elements[1].restrictions.max_current"),
        ("tariff_7_first_hour_kwh_free.json", "elements[0].restrictions.min_duration"),
        ("tariff_14_step_size.json", "elements[1].price_components"),
        ("tariff_15_reservation_5_euro_per_hour.json", "elements[0].restrictions.reservation"),
    ],
)
def test_official_tariffs_oicp_cannot_price_are_unmappable(name: str, field: str) -> None:
    with raises_unmappable(field):
        mapping.tariff_to_pricing(example(name), max_power_kw=22)


def test_time_restricted_tariff_becomes_availability_times_and_back() -> None:
    tariff = {
        "id": "NIGHT",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1}],
                "restrictions": {
                    "start_time": "22:00",
                    "end_time": "06:00",
                    "day_of_week": ["SATURDAY", "SUNDAY"],
                    "max_power": 11.0,
                },
            }
        ],
    }
    product = mapping.tariff_to_pricing(tariff, max_power_kw=22)
    assert not product.is_valid_24_hours and product.maximum_product_charging_power == 11.0
    assert [(t.on, t.periods[0].begin, t.periods[0].end) for t in product.product_availability_times] == [
        ("Saturday", "22:00", "06:00"),
        ("Sunday", "22:00", "06:00"),
    ]
    back = mapping.pricing_to_tariff(product, party=PartyKey("DE", "ABC"), last_updated=NOW)
    assert [e["restrictions"] for e in back["elements"]] == [
        {"start_time": "22:00", "end_time": "06:00", "day_of_week": ["SATURDAY"], "max_power": 11.0},
        {"start_time": "22:00", "end_time": "06:00", "day_of_week": ["SUNDAY"], "max_power": 11.0},
    ]


def test_cost_from_pricing_applies_fees_and_bounds() -> None:
    product = mapping.tariff_to_pricing(example("tariff_10_025kwh_parking_start.json"), max_power_kw=22)
    assert mapping.cost_from_pricing(product, energy_kwh=10, charging_hours=1, parking_hours=0.5) == 0.5 + 2.5 + 1.0
    capped = mapping.tariff_to_pricing(example("tariff_6_025kwh_start_max_price.json"), max_power_kw=22)
    assert mapping.cost_from_pricing(capped, energy_kwh=100, charging_hours=5, parking_hours=0) == 10.0
    minimum = mapping.tariff_to_pricing(example("tariff_12_025kwh_min_price.json"), max_power_kw=22)
    assert mapping.cost_from_pricing(minimum, energy_kwh=1, charging_hours=1, parking_hours=0) == 0.5


def test_evse_pricing_uses_the_first_connectors_tariffs() -> None:
    pricing = mapping.evse_pricing_from_location(example("location_example.json"))
    assert [(p.evse_id, p.provider_id, p.evse_id_product_list) for p in pricing] == [
        ("BE*BEC*E041503001", "*", ["11"]),
        ("BE*BEC*E041503002", "*", ["12"]),
    ]


# ---- §7.4 tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "wire_form"),
    [
        ({"type": "RFID", "uid": "12345678905880"}, {"RFIDMifareFamilyIdentification": {"UID": "12345678905880"}}),
        ({"type": "RFID", "uid": "0a1b2c3d"}, {"RFIDMifareFamilyIdentification": {"UID": "0A1B2C3D"}}),
        (
            {"type": "APP_USER", "uid": "x", "contract_id": "de8eocaet5e4xy3"},
            {"RemoteIdentification": {"EvcoID": EVCO}},
        ),
        ({"type": "OTHER", "uid": "x", "contract_id": EVCO}, {"RemoteIdentification": {"EvcoID": EVCO}}),
    ],
)
def test_tokens_become_identifications(token: dict[str, Any], wire_form: dict[str, Any]) -> None:
    assert wire(mapping.identification_from_token(token)) == wire_form


@pytest.mark.parametrize(
    ("token", "field"),
    [
        ({"type": "RFID", "uid": "123abc", "contract_id": EVCO}, "token.uid"),
        ({"type": "APP_USER", "uid": "u", "contract_id": "NL-TST-C12345678-S1"}, "token.contract_id"),
        ({"type": "AD_HOC_USER", "uid": "u"}, "token.contract_id"),
    ],
)
def test_unmappable_tokens(token: dict[str, Any], field: str) -> None:
    with raises_unmappable(field):
        mapping.identification_from_token(token)


def test_official_rfid_token_is_uploaded_without_its_non_evco_contract() -> None:
    token = example("token_example_2_full_rfid.json")
    uploaded = wire(mapping.auth_data_identification_from_token(token))
    assert uploaded == {
        "RFIDIdentification": {"UID": "12345678905880", "RFID": "mifareCls", "PrintedNumber": "DF000-2001-8999-1"}
    }
    with_evco = wire(mapping.auth_data_identification_from_token(token | {"contract_id": EVCO}))
    assert with_evco["RFIDIdentification"]["EvcoID"] == EVCO


@pytest.mark.parametrize(
    ("change", "field"),
    [({"whitelist": "NEVER"}, "whitelist"), ({"valid": False}, "valid"), ({"type": "APP_USER"}, "type")],
)
def test_tokens_not_uploadable_for_offline_authorization(change: dict[str, Any], field: str) -> None:
    with raises_unmappable(field):
        mapping.auth_data_identification_from_token(example("token_example_2_full_rfid.json") | change)


@pytest.mark.parametrize(
    ("identification", "provider", "expected"),
    [
        (
            Identification(remote=EvcoIdentification(evco_id=EVCO)),
            "DE*ICE",
            ("DE", "8EO", EVCO, "APP_USER", EVCO, "DE*ICE"),
        ),
        (
            Identification(plug_and_charge=EvcoIdentification(evco_id=EVCO)),
            None,
            ("DE", "8EO", EVCO, "OTHER", EVCO, "DE-8EO"),
        ),
        (
            Identification(rfid_mifare_family=RFIDMifareFamilyIdentification(uid="0A1B2C3D")),
            "NL-TST",
            ("NL", "TST", "0A1B2C3D", "RFID", "0A1B2C3D", "NL-TST"),
        ),
    ],
)
def test_identifications_become_synthesized_tokens(
    identification: Identification, provider: str | None, expected: tuple[str, ...]
) -> None:
    token = mapping.token_from_identification(identification, provider_id=provider, last_updated=NOW)
    assert tuple(token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id", "issuer")) == expected
    assert token["whitelist"] == "NEVER" and token["last_updated"] == "2024-07-01T12:00:00Z"


@pytest.mark.parametrize(
    ("identification", "field"),
    [
        (Identification(qr_code=QRCodeIdentification(evco_id=EVCO, pin="1234")), "QRCodeIdentification"),
        (Identification(rfid_mifare_family=RFIDMifareFamilyIdentification(uid="0A1B2C3D")), "ProviderID"),
    ],
)
def test_identifications_without_ocpi_token(identification: Identification, field: str) -> None:
    with raises_unmappable(field):
        mapping.token_from_identification(identification, provider_id=None, last_updated=NOW)


# ---- §7.5 authorization -----------------------------------------------------------------------------


def test_authorize_start_of_our_cpo_and_the_answer() -> None:
    request = mapping.authorize_start_from_ocpi(
        "0a1b2c3d", "RFID", operator_id="DE*HUB", evse_id="BE*BEC*E041503001", cpo_partner_session_id="ref-1"
    )
    assert wire(request) == {
        "CPOPartnerSessionID": "ref-1",
        "OperatorID": "DE*HUB",
        "EvseID": "BE*BEC*E041503001",
        "Identification": {"RFIDMifareFamilyIdentification": {"UID": "0A1B2C3D"}},
    }
    answer = AuthorizationStart.model_validate(
        {
            "SessionID": SESSION,
            "ProviderID": "DE-8EO",
            "AuthorizationStatus": "Authorized",
            "StatusCode": {"Code": "000"},
        }
    )
    location = {"location_id": "LOC1", "evse_uids": ["3256"]}
    info = mapping.authorization_info_from_authorize_start_response(
        answer,
        token_uid="0A1B2C3D",
        token_type="RFID",
        owner_if_unknown=PartyKey("XX", "HUB"),
        now=NOW,
        location=location,
    )
    assert info["allowed"] == "ALLOWED" and info["authorization_reference"] == SESSION and info["location"] == location
    assert (info["token"]["country_code"], info["token"]["party_id"], info["token"]["issuer"]) == (
        "DE",
        "8EO",
        "DE-8EO",
    )


@pytest.mark.parametrize(
    ("code", "allowed"), [("200", "BLOCKED"), ("102", "NOT_ALLOWED"), ("106", "NOT_ALLOWED"), ("000", "NOT_ALLOWED")]
)
def test_refusals_from_hubject_become_allowed_types(code: str, allowed: str) -> None:
    answer = AuthorizationStart(
        authorization_status="NotAuthorized", status_code=StatusCode(code=code, description="no contract")
    )
    info = mapping.authorization_info_from_authorize_start_response(
        answer, token_uid="0A1B2C3D", token_type="RFID", owner_if_unknown=PartyKey("XX", "HUB"), now=NOW
    )
    assert info["allowed"] == allowed and info["token"]["valid"] is False
    assert info["token"]["party_id"] == "HUB" and info["info"]["text"] == "no contract"
    assert "authorization_reference" not in info


def test_hubject_failures_become_hub_errors() -> None:
    answer = AuthorizationStart(authorization_status="NotAuthorized", status_code=StatusCode(code="310"))
    with pytest.raises(ReceiverTimeout):
        mapping.authorization_info_from_authorize_start_response(
            answer, token_uid="0A1B2C3D", token_type="RFID", owner_if_unknown=PartyKey("XX", "HUB"), now=NOW
        )


def test_our_emsps_answer_to_a_hubject_cpo() -> None:
    request = mapping.authorize_start_from_ocpi(
        "u", "APP_USER", contract_id=EVCO, operator_id="DE*ABC", evse_id=None, cpo_partner_session_id="c-1"
    ).model_copy(update={"session_id": SESSION})
    stoppers = [{"type": "RFID", "uid": "0A1B2C3D"}, {"type": "RFID", "uid": "not-hex"}]
    allowed = mapping.authorization_start_from_authorization_info(
        {"allowed": "ALLOWED", "authorization_reference": "emsp-7"},
        request=request,
        provider_id="DE-HUB",
        stop_tokens=stoppers,
    )
    assert wire(allowed) == {
        "SessionID": SESSION,
        "CPOPartnerSessionID": "c-1",
        "EMPPartnerSessionID": "emsp-7",
        "ProviderID": "DE-HUB",
        "AuthorizationStatus": "Authorized",
        "StatusCode": {"Code": "000"},
        "AuthorizationStopIdentifications": [{"RFIDMifareFamilyIdentification": {"UID": "0A1B2C3D"}}],
    }
    blocked = mapping.authorization_start_from_authorization_info(
        {"allowed": "BLOCKED"}, request=request, provider_id="DE-HUB"
    )
    assert (blocked.authorization_status, blocked.status_code.code, blocked.provider_id) == (
        "NotAuthorized",
        "200",
        None,
    )
    refused = mapping.authorization_start_refused(request, OicpCode.PLC_INVALID_EVCO_ID, "unknown token")
    assert wire(refused)["StatusCode"] == {"Code": "105", "Description": "unknown token"}


# ---- §7.6 commands ----------------------------------------------------------------------------------


START_COMMAND = {
    "response_url": "https://emsp.example/cmd/1",
    "token": {"uid": "app-1", "type": "APP_USER", "contract_id": EVCO},
    "location_id": "LOC1",
    "evse_uid": "3256",
    "connector_id": "1",
    "authorization_reference": "emsp-ref-1",
}


def test_start_session_becomes_remote_start_and_back() -> None:
    remote = mapping.remote_start_from_command(START_COMMAND, provider_id="DE-HUB", evse_id="BE*BEC*E041503001")
    assert wire(remote) == {
        "EMPPartnerSessionID": "emsp-ref-1",
        "ProviderID": "DE-HUB",
        "EvseID": "BE*BEC*E041503001",
        "Identification": {"RemoteIdentification": {"EvcoID": EVCO}},
    }
    forwarded = AuthorizeRemoteStart.model_validate(wire(remote) | {"SessionID": SESSION})
    command = mapping.start_session_from_remote_start(
        forwarded, location_id="LOC1", evse_uid="3256", connector_id=None, response_url="https://hub/r/1", now=NOW
    )
    assert command["authorization_reference"] == SESSION and "connector_id" not in command
    assert (command["token"]["contract_id"], command["token"]["type"], command["token"]["party_id"]) == (
        EVCO,
        "APP_USER",
        "8EO",
    )
    with raises_unmappable("SessionID"):
        mapping.start_session_from_remote_start(
            remote, location_id="LOC1", evse_uid="3256", connector_id=None, response_url="u", now=NOW
        )


@pytest.mark.parametrize(
    ("command", "evse_id", "field"),
    [
        (START_COMMAND, None, "evse_uid"),
        (
            START_COMMAND | {"token": {"uid": "u", "type": "RFID", "contract_id": "DE8ACC12E46L89"}},
            "DE*ABC*E1",
            "token.contract_id",
        ),
    ],
)
def test_unmappable_start_sessions(command: dict[str, Any], evse_id: str | None, field: str) -> None:
    with raises_unmappable(field):
        mapping.remote_start_from_command(command, provider_id="DE-HUB", evse_id=evse_id)


def test_unlock_connector_has_no_oicp_operation() -> None:
    mapping.ensure_command_supported("START_SESSION")
    with raises_unmappable("command"):
        mapping.ensure_command_supported("UNLOCK_CONNECTOR")


def test_stop_session_and_reservations() -> None:
    stop = mapping.remote_stop_from_command(
        {"session_id": "s-1"}, session_id=SESSION, provider_id="DE-HUB", evse_id="DE*ABC*E1"
    )
    assert wire(stop) == {
        "SessionID": SESSION,
        "EMPPartnerSessionID": "s-1",
        "ProviderID": "DE-HUB",
        "EvseID": "DE*ABC*E1",
    }
    assert mapping.stop_session_from_remote_stop(stop, session_id="ocpi-9", response_url="u") == {
        "response_url": "u",
        "session_id": "ocpi-9",
    }
    with raises_unmappable("SessionID"):
        mapping.stop_session_from_remote_stop(stop, session_id=None, response_url="u")
    reserve = START_COMMAND | {"reservation_id": "r-1", "expiry_date": "2024-07-01T15:00:00Z"}
    long = mapping.reservation_start_from_command(reserve, provider_id="DE-HUB", evse_id="DE*ABC*E1", now=NOW)
    assert (long.duration, long.emp_partner_session_id) == (99, "r-1")
    short = mapping.reservation_start_from_command(
        reserve, provider_id="DE-HUB", evse_id="DE*ABC*E1", now=NOW + timedelta(minutes=179, seconds=30)
    )
    assert short.duration == 1
    with raises_unmappable("expiry_date"):
        mapping.reservation_start_from_command(
            reserve, provider_id="DE-HUB", evse_id="DE*ABC*E1", now=NOW + timedelta(hours=4)
        )
    forwarded = long.model_copy(update={"session_id": SESSION, "duration": 30})
    reserve_now = mapping.reserve_now_from_reservation_start(
        forwarded, location_id="LOC1", evse_uid="3256", response_url="u", now=NOW
    )
    assert (reserve_now["reservation_id"], reserve_now["expiry_date"]) == (SESSION, "2024-07-01T12:30:00Z")
    cancel = mapping.reservation_stop_from_command(
        {"reservation_id": "r-1"}, session_id=SESSION, provider_id="DE-HUB", evse_id="DE*ABC*E1"
    )
    assert mapping.cancel_reservation_from_reservation_stop(cancel, response_url="u") == {
        "response_url": "u",
        "reservation_id": SESSION,
    }


@pytest.mark.parametrize(
    ("result", "code", "response", "command_result"),
    [
        (True, "000", "ACCEPTED", "ACCEPTED"),
        (False, "602", "ACCEPTED", "EVSE_OCCUPIED"),
        (False, "700", "ACCEPTED", "EVSE_INOPERATIVE"),
        (False, "510", "ACCEPTED", "FAILED"),
        (False, "400", "UNKNOWN_SESSION", None),
        (False, "604", "NOT_SUPPORTED", None),
        (False, "106", "REJECTED", None),
    ],
)
def test_acknowledgements_split_into_command_response_and_result(
    result: bool, code: str, response: str, command_result: str | None
) -> None:
    ack = Acknowledgement(result=result, status_code=StatusCode(code=code))
    assert mapping.command_response_from_ack(ack, timeout=30)["result"] == response
    answer = mapping.command_result_from_ack(ack)
    assert (answer or {}).get("result") == command_result


@pytest.mark.parametrize(
    ("code", "error"), [("603", UnknownLocation), ("300", UnknownReceiver), ("310", ReceiverTimeout)]
)
def test_negative_acknowledgements_that_are_ocpi_errors(code: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        mapping.command_response_from_ack(Acknowledgement(result=False, status_code=StatusCode(code=code)), timeout=30)


@pytest.mark.parametrize(
    ("response", "result", "reservation", "code"),
    [
        ({"result": "ACCEPTED", "timeout": 30}, None, False, "000"),
        ({"result": "ACCEPTED", "timeout": 30}, {"result": "ACCEPTED"}, False, "000"),
        (
            {"result": "ACCEPTED", "timeout": 30},
            {"result": "EVSE_OCCUPIED", "message": [{"language": "en", "text": "busy"}]},
            False,
            "602",
        ),
        ({"result": "ACCEPTED", "timeout": 30}, {"result": "TIMEOUT"}, False, "510"),
        ({"result": "REJECTED", "timeout": 30}, None, True, "601"),
        ({"result": "NOT_SUPPORTED", "timeout": 30}, None, False, "604"),
        (None, None, False, "310"),
    ],
)
def test_command_answers_fold_into_one_acknowledgement(
    response: Any, result: Any, reservation: bool, code: str
) -> None:
    ack = mapping.acknowledgement_from_command(response, result, session_id=SESSION, reservation=reservation)
    assert (ack.result, ack.status_code.code, ack.session_id) == (code == "000", code, SESSION)
    if result and result.get("message"):
        assert ack.status_code.description == "busy"


# ---- §7.7 sessions ----------------------------------------------------------------------------------


def ocpi_session(**changes: Any) -> dict[str, Any]:
    return {
        "country_code": "BE",
        "party_id": "BEC",
        "id": "101",
        "start_date_time": "2024-07-01T10:00:00Z",
        "kwh": 0,
        "cdr_token": {"country_code": "DE", "party_id": "8EO", "uid": "0A1B2C3D", "type": "RFID", "contract_id": EVCO},
        "auth_method": "AUTH_REQUEST",
        "authorization_reference": SESSION,
        "location_id": "LOC1",
        "evse_uid": "3256",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2024-07-01T10:00:00Z",
    } | changes


@pytest.mark.parametrize(
    ("session", "previous", "kind"),
    [
        (ocpi_session(), None, "Start"),
        (ocpi_session(), ocpi_session(status="PENDING"), "Start"),
        (ocpi_session(status="PENDING", kwh=0.5), ocpi_session(status="PENDING"), "Start"),
        (ocpi_session(kwh=3), ocpi_session(kwh=1), "Progress"),
        (ocpi_session(kwh=1), ocpi_session(kwh=1), None),
        (ocpi_session(status="COMPLETED"), ocpi_session(), "End"),
        (ocpi_session(status="COMPLETED"), ocpi_session(status="COMPLETED"), None),
        (ocpi_session(status="INVALID"), ocpi_session(), "Error"),
        (ocpi_session(status="PENDING"), None, None),
    ],
)
def test_session_updates_pick_the_notification(session: dict[str, Any], previous: Any, kind: str | None) -> None:
    assert mapping.notification_kind(session, previous) == kind


def test_session_notifications_carry_local_times() -> None:
    ids_ = {
        "session_id": SESSION,
        "evse_id": "BE*BEC*E041503001",
        "operator_id": "DE*HUB",
        "time_zone": "Europe/Brussels",
    }
    start = mapping.charging_notification_from_session(ocpi_session(), "Start", **ids_)
    assert wire(start)["ChargingStart"] == "2024-07-01T12:00:00+02:00" and wire(start)["CPOPartnerSessionID"] == "101"
    progress = mapping.charging_notification_from_session(
        ocpi_session(kwh=4.56789, last_updated="2024-07-01T10:30:00Z"), "Progress", **ids_
    )
    assert isinstance(progress, ChargingNotificationProgress)
    assert (progress.charging_duration, progress.consumed_energy_progress) == (1_800_000, 4.568)
    end = mapping.charging_notification_from_session(
        ocpi_session(status="COMPLETED", kwh=10, end_date_time="2024-07-01T11:00:00Z"), "End", **ids_
    )
    assert isinstance(end, ChargingNotificationEnd) and wire(end)["ChargingEnd"] == "2024-07-01T13:00:00+02:00"
    error = mapping.charging_notification_from_session(ocpi_session(status="INVALID"), "Error", **ids_)
    assert wire(error)["ErrorType"] == "CriticalError"
    with raises_unmappable("cdr_token.uid"):
        mapping.charging_notification_from_session(
            ocpi_session(cdr_token={"uid": "123abc", "type": "RFID", "contract_id": EVCO}), "Start", **ids_
        )


def test_notifications_from_hubject_become_an_ocpi_session() -> None:
    start = mapping.charging_notification_from_session(
        ocpi_session(),
        "Start",
        session_id=SESSION,
        evse_id="BE*BEC*E041503001",
        operator_id="DE*HUB",
        time_zone="Europe/Brussels",
    )
    assert isinstance(start, ChargingNotificationStart)
    received = parse_charging_notification(wire(start))
    assert isinstance(received, ChargingNotificationStart)
    session = mapping.session_from_charging_notification(
        received,
        party=PartyKey("BE", "BEC"),
        token_owner=PartyKey("DE", "8EO"),
        location_id="LOC1",
        evse_uid="3256",
        connector_id="1",
        auth_method="AUTH_REQUEST",
        currency="EUR",
        now=NOW,
    )
    original = ocpi_session()
    for key in ("start_date_time", "location_id", "evse_uid", "connector_id", "auth_method", "currency", "status"):
        assert session[key] == original[key], key
    assert session["id"] == session["authorization_reference"] == SESSION
    # an RFID card's contract_id does not travel in OICP: synthesized, contract_id falls back to the UID
    assert session["cdr_token"] == original["cdr_token"] | {"contract_id": "0A1B2C3D"}
    common = {"SessionID": SESSION, "EvseID": "BE*BEC*E1", "OperatorID": "BE*BEC"}
    progress = parse_charging_notification(
        common
        | {
            "Type": "Progress",
            "ChargingStart": "2024-07-01T12:00:00+02:00",
            "EventOccurred": "2024-07-01T12:10:00+02:00",
            "ConsumedEnergyProgress": 2.5,
        }
    )
    assert isinstance(progress, ChargingNotificationProgress)
    assert mapping.session_patch_from_charging_notification(progress, now=NOW) == {
        "kwh": 2.5,
        "last_updated": "2024-07-01T12:00:00Z",
    }
    end = parse_charging_notification(
        common | {"Type": "End", "ChargingEnd": "2024-07-01T13:00:00+02:00", "ConsumedEnergy": 9.1}
    )
    assert isinstance(end, ChargingNotificationEnd)
    assert mapping.session_patch_from_charging_notification(end, now=NOW) == {
        "kwh": 9.1,
        "last_updated": "2024-07-01T12:00:00Z",
    }
    error = parse_charging_notification(common | {"Type": "Error", "ErrorType": "CriticalError"})
    assert isinstance(error, ChargingNotificationError)
    assert mapping.session_patch_from_charging_notification(error, now=NOW) is None
    assert mapping.session_patch_from_charging_notification(error, now=NOW, charging_started=False) == {
        "status": "INVALID",
        "last_updated": "2024-07-01T12:00:00Z",
    }
    with raises_unmappable("Identification"):
        mapping.session_from_charging_notification(
            received.model_copy(update={"identification": None}),
            party=PartyKey("BE", "BEC"),
            token_owner=PartyKey("DE", "8EO"),
            location_id="LOC1",
            evse_uid="3256",
            connector_id="1",
            auth_method="COMMAND",
            currency="EUR",
            now=NOW,
        )


# ---- §7.8 CDRs --------------------------------------------------------------------------------------


def ocpi_cdr(**changes: Any) -> dict[str, Any]:
    cdr: dict[str, Any] = example("cdr_example.json")
    cdr["cdr_location"]["evse_id"] = "BE*BEC*E041503001"
    cdr["cdr_token"] = {"country_code": "DE", "party_id": "8EO", "uid": "0A1B2C3D", "type": "RFID", "contract_id": EVCO}
    cdr["authorization_reference"] = SESSION
    cdr["charging_periods"] = [
        {"start_date_time": "2015-06-29T21:39:09Z", "dimensions": [{"type": "ENERGY", "volume": 0}]},
        {
            "start_date_time": "2015-06-29T21:45:00Z",
            "dimensions": [{"type": "ENERGY", "volume": 15.342}],
            "tariff_id": "12",
        },
        {"start_date_time": "2015-06-29T23:00:00Z", "dimensions": [{"type": "PARKING_TIME", "volume": 0.62}]},
    ]
    return cdr | changes


def test_official_cdr_needs_a_session_id_and_an_oicp_token() -> None:
    official = example("cdr_example.json")
    with raises_unmappable("authorization_reference"):
        mapping.cdr_to_oicp(official, time_zone="Europe/Brussels")
    with raises_unmappable("cdr_token.uid"):  # "012345678" is no Mifare UID
        mapping.cdr_to_oicp(official, session_id=SESSION, time_zone="Europe/Brussels")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit": True}, "credit"),
        ({"authorization_reference": "not-a-guid"}, "authorization_reference"),
        ({"cdr_location": {"id": "LOC1"}}, "cdr_location.evse_id"),
        (
            {
                "signed_data": {
                    "encoding_method": "OCMF",
                    "signed_values": [{"nature": "x", "plain_data": "", "signed_data": "s"}] * 11,
                }
            },
            "signed_data.signed_values",
        ),
        ({"tariffs": [{"id": "T" * 51}], "charging_periods": []}, "tariffs"),
    ],
)
def test_unmappable_cdrs(changes: dict[str, Any], field: str) -> None:
    with raises_unmappable(field):
        mapping.cdr_to_oicp(ocpi_cdr(**changes), time_zone="Europe/Brussels")


def test_cdr_crosses_to_oicp_and_back() -> None:
    signed = {
        "encoding_method": "OCMF",
        "encoding_method_version": 1,
        "public_key": "KEY",
        "url": "https://meter.example/1",
        "signed_values": [
            {"nature": "Start", "plain_data": "p1", "signed_data": "s1"},
            {"nature": "End", "plain_data": "p2", "signed_data": "s2"},
        ],
    }
    record = mapping.cdr_to_oicp(ocpi_cdr(signed_data=signed), time_zone="Europe/Brussels", hub_operator_id="DE*HUB")
    sent = wire(record)
    assert sent["SessionID"] == SESSION and sent["CPOPartnerSessionID"] == "12345"
    assert (sent["SessionStart"], sent["SessionEnd"]) == ("2015-06-29T23:39:09+02:00", "2015-06-30T01:37:32+02:00")
    assert (sent["ChargingStart"], sent["ChargingEnd"]) == ("2015-06-29T23:45:00+02:00", "2015-06-30T01:00:00+02:00")
    assert sent["ConsumedEnergy"] == 15.342 and sent["PartnerProductID"] == "12"
    assert sent["SignedMeteringValues"] == [
        {"SignedMeteringValue": "s1", "MeteringStatus": "Start"},
        {"SignedMeteringValue": "s2", "MeteringStatus": "End"},
    ]
    assert sent["CalibrationLawVerificationInfo"]["MeteringSignatureEncodingFormat"] == "OCMF 1"
    assert "total_cost" not in json.dumps(sent) and "currency" not in json.dumps(sent)

    received = ChargeDetailRecord.model_validate(sent | {"HubProviderId": "DE-HUB"})
    assert received.hub_provider_id == "DE-HUB"
    _, records = location_records()
    cdr_location = mapping.cdr_location_from_evse_record(
        records[0], location_id="LOC1", evse_uid="3256", connector_id="2"
    )
    assert (cdr_location["connector_standard"], cdr_location["connector_format"]) == ("IEC_62196_T2", "SOCKET")
    product = mapping.tariff_to_pricing(example("tariff_13_simple_3hour_5parking.json"), max_power_kw=22)
    tariff = mapping.pricing_to_tariff(product, party=PartyKey("BE", "BEC"), last_updated=NOW)
    back = mapping.cdr_from_oicp(
        received,
        party=PartyKey("BE", "BEC"),
        token_owner=PartyKey("DE", "8EO"),
        cdr_location=cdr_location,
        auth_method="AUTH_REQUEST",
        currency="EUR",
        now=NOW,
        pricing=product,
        tariff=tariff,
        cdr_token=ocpi_cdr()["cdr_token"],
    )
    original = ocpi_cdr()
    for key in ("start_date_time", "end_date_time", "total_energy", "cdr_token", "authorization_reference"):
        assert back[key] == original[key], key
    assert back["id"] == back["session_id"] == SESSION
    assert back["total_time"] == pytest.approx(1.9731, abs=1e-3)
    assert back["total_parking_time"] == pytest.approx(0.6256, abs=1e-3)
    assert [p["dimensions"][0]["type"] for p in back["charging_periods"]] == ["ENERGY", "PARKING_TIME"]
    charging_hours = back["charging_periods"][0]["dimensions"][1]["volume"]
    assert back["total_cost"]["excl_vat"] == pytest.approx(
        3.0 * charging_hours + 5.0 * back["total_parking_time"], abs=1e-3
    )
    assert back["tariffs"] == [tariff] and "remark" not in back
    assert back["signed_data"]["signed_values"][0] == {"nature": "Start", "plain_data": "", "signed_data": "s1"}
    assert back["signed_data"]["encoding_method"] == "OCMF 1"


def test_cdr_without_pricing_is_free_with_a_remark() -> None:
    record = mapping.cdr_to_oicp(ocpi_cdr(), time_zone=None)
    back = mapping.cdr_from_oicp(
        record,
        party=PartyKey("BE", "BEC"),
        token_owner=PartyKey("DE", "8EO"),
        cdr_location={"id": "LOC1"},
        auth_method="COMMAND",
        currency="EUR",
        now=NOW,
    )
    assert back["total_cost"] == {"excl_vat": 0} and back["remark"] == mapping.NO_PRICE_REMARK
    assert back["cdr_token"]["contract_id"] == "0A1B2C3D"  # synthesized: the card's EvcoID did not travel
    assert "tariffs" not in back
