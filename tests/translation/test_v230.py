"""OCPI 2.3.0 <-> 2.2.1 translation (hub.translation.v230): round trips on generated objects, the
official examples of both editions, and the Untranslatable cases."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from hub.ocpi.models.types import Price as Price221
from hub.ocpi.models.v221 import cdrs as c221
from hub.ocpi.models.v221 import commands as k221
from hub.ocpi.models.v221 import credentials as cr221
from hub.ocpi.models.v221 import locations as l221
from hub.ocpi.models.v221 import sessions as s221
from hub.ocpi.models.v221 import tariffs as t221
from hub.ocpi.models.v221 import tokens as o221
from hub.ocpi.models.v230 import cdrs as c230
from hub.ocpi.models.v230 import commands as k230
from hub.ocpi.models.v230 import credentials as cr230
from hub.ocpi.models.v230 import locations as l230
from hub.ocpi.models.v230 import sessions as s230
from hub.ocpi.models.v230 import tariffs as t230
from hub.ocpi.models.v230 import tokens as o230
from hub.ocpi.models.v230.enums import ConnectorCapability
from hub.ocpi.models.v230.types import Price as Price230
from hub.ocpi.models.v230.types import TaxAmount
from hub.translation import ObjectKind, Untranslatable
from hub.translation.v230 import PAYMENT_OBJECTS, from_v221, to_v221
from tests.hub.ocpi.models.spec_examples import EXPECTED_FAILURES, SPEC_ROOT, example_files, model_for
from tests.hub.ocpi.models.strategies import objects

K = ObjectKind
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# kind -> (2.2.1 model, 2.3.0 model)
MODELS: dict[ObjectKind, tuple[type[BaseModel], type[BaseModel]]] = {
    K.LOCATION: (l221.Location, l230.Location),
    K.EVSE: (l221.EVSE, l230.EVSE),
    K.CONNECTOR: (l221.Connector, l230.Connector),
    K.SESSION: (s221.Session, s230.Session),
    K.CDR: (c221.CDR, c230.CDR),
    K.TARIFF: (t221.Tariff, t230.Tariff),
    K.TOKEN: (o221.Token, o230.Token),
    K.AUTHORIZATION_INFO: (o221.AuthorizationInfo, o230.AuthorizationInfo),
    K.LOCATION_REFERENCES: (o221.LocationReferences, o230.LocationReferences),
    K.START_SESSION: (k221.StartSession, k230.StartSession),
    K.STOP_SESSION: (k221.StopSession, k230.StopSession),
    K.RESERVE_NOW: (k221.ReserveNow, k230.ReserveNow),
    K.CANCEL_RESERVATION: (k221.CancelReservation, k230.CancelReservation),
    K.UNLOCK_CONNECTOR: (k221.UnlockConnector, k230.UnlockConnector),
    K.COMMAND_RESPONSE: (k221.CommandResponse, k230.CommandResponse),
    K.COMMAND_RESULT: (k221.CommandResult, k230.CommandResult),
    K.CREDENTIALS: (cr221.Credentials, cr230.Credentials),
}
PLAIN = sorted(set(MODELS) - {K.CREDENTIALS}, key=str)
_MONEY = {"excl_vat", "incl_vat", "before_taxes", "after_taxes", "amount", "price", "preauthorize_amount"}


def _money(value: Any) -> Any:
    """Amounts as OCPI numbers (4 decimals): the exactness the translation promises."""
    if isinstance(value, dict):
        return {k: round(v, 4) if k in _MONEY and isinstance(v, float) else _money(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_money(v) for v in value]
    return value


def _valid(model: type[BaseModel], obj: dict[str, Any]) -> None:
    model.model_validate(obj)


def _dec(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


# --- 2.2.1 -> 2.3.0 -> 2.2.1 -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PLAIN)
@FAST
@given(data=st.data())
def test_221_round_trip_keeps_every_field(kind: ObjectKind, data: st.DataObject) -> None:
    old, new = MODELS[kind]
    source = _money(data.draw(objects(old)))
    there = from_v221(kind, source)
    _valid(new, there)
    back = to_v221(kind, there)
    _valid(old, back)
    assert back == source


@FAST
@given(data=st.data())
def test_221_credentials_round_trip(data: st.DataObject) -> None:
    source = data.draw(objects(cr221.Credentials))
    hubs = [r for r in source["roles"] if r["role"] == "HUB"]
    if len(hubs) > 1:
        with pytest.raises(Untranslatable, match="several HUB roles"):
            from_v221(K.CREDENTIALS, source)
        return
    if not hubs:
        there = from_v221(K.CREDENTIALS, source)
        _valid(cr230.Credentials, there)
        assert to_v221(K.CREDENTIALS, there) == source
        return
    reachable = [{**hubs[0], "role": "CPO", "party_id": "ABC"}]
    if len(hubs[0]["country_code"]) != 2:  # the split of hub_party_id would be ambiguous
        with pytest.raises(Untranslatable, match="two-letter country code"):
            from_v221(K.CREDENTIALS, source, reachable_roles=reachable)
        return
    there = from_v221(K.CREDENTIALS, source, reachable_roles=reachable)
    _valid(cr230.Credentials, there)
    assert there["hub_party_id"] == hubs[0]["country_code"] + hubs[0]["party_id"]
    assert there["roles"] == reachable
    back = to_v221(K.CREDENTIALS, there, hub_business_details=hubs[0]["business_details"])
    _valid(cr221.Credentials, back)
    assert back == {**source, "roles": hubs}


# --- 2.3.0 -> 2.2.1 -> 2.3.0 -------------------------------------------------------------------------
# A 2.3.0 object = the 2.3.0 form of a 2.2.1 one plus 2.3.0-only fields: translated to 2.2.1 it must
# give back exactly the 2.2.1 one (every common field kept, the 2.3.0-only ones dropped by rule).


def _connector_extra(data: st.DataObject, connector: dict[str, Any]) -> dict[str, Any]:
    caps = data.draw(st.lists(st.sampled_from([c.value for c in ConnectorCapability]), max_size=2))
    return {**connector, "capabilities": caps}


def _evse_extra(data: st.DataObject, evse: dict[str, Any]) -> dict[str, Any]:
    return {
        **evse,
        "parking": data.draw(st.lists(objects(l230.EVSEParking), max_size=2)),
        "accepted_service_providers": ["Some eMSP"],
        "connectors": [_connector_extra(data, c) for c in evse["connectors"]],
    }


def _location_extra(data: st.DataObject, location: dict[str, Any]) -> dict[str, Any]:
    out = {
        **location,
        "parking_places": data.draw(st.lists(objects(l230.Parking), max_size=1)),
        "help_phone": "+31123456789",
    }
    if "evses" in out:
        out["evses"] = [_evse_extra(data, e) for e in out["evses"]]
    return out


def _tariff_extra(data: st.DataObject, tariff: dict[str, Any]) -> dict[str, Any]:
    return {
        **tariff,
        "tax_included": data.draw(st.sampled_from(["NO", "N/A"])),
        "preauthorize_amount": data.draw(st.integers(0, 500)),
    }


EXTRAS = {
    K.LOCATION: _location_extra,
    K.EVSE: _evse_extra,
    K.CONNECTOR: _connector_extra,
    K.TARIFF: _tariff_extra,
}


@pytest.mark.parametrize("kind", PLAIN)
@FAST
@given(data=st.data())
def test_230_round_trip_keeps_every_common_field(kind: ObjectKind, data: st.DataObject) -> None:
    old, new = MODELS[kind]
    common = _money(data.draw(objects(old)))
    source = from_v221(kind, common)
    if kind in EXTRAS:
        source = EXTRAS[kind](data, source)
    _valid(new, source)
    there = to_v221(kind, source)
    _valid(old, there)
    assert there == common
    assert to_v221(kind, from_v221(kind, there)) == there


@FAST
@given(price=st.builds(_money, objects(Price230)))
def test_230_price_keeps_before_taxes_and_the_tax_total(price: dict[str, Any]) -> None:
    """Checklist 79: before_taxes == excl_vat; incl_vat == before_taxes + sum(taxes.amount)."""
    session = {"total_cost": price}
    there = to_v221(K.SESSION, session)["total_cost"]
    _valid(Price221, there)
    assert there["excl_vat"] == price["before_taxes"]
    if price.get("taxes") is None:
        assert "incl_vat" not in there
    else:
        total = sum((_dec(t["amount"]) for t in price["taxes"]), Decimal(0))
        assert _dec(there["incl_vat"]) == _dec(price["before_taxes"]) + total
    back = from_v221(K.SESSION, {"total_cost": there})["total_cost"]
    _valid(Price230, back)
    assert back["before_taxes"] == price["before_taxes"]
    if price.get("taxes") is not None:
        assert sum(_dec(t["amount"]) for t in back["taxes"]) == sum(_dec(t["amount"]) for t in price["taxes"])
        assert all(TaxAmount.model_validate(t) for t in back["taxes"])


def test_221_incl_vat_becomes_one_vat_entry() -> None:
    price = from_v221(K.CDR, {"total_cost": {"excl_vat": 10, "incl_vat": 12.1}})["total_cost"]
    assert price == {"before_taxes": 10, "taxes": [{"name": "VAT", "amount": 2.1}]}
    assert from_v221(K.CDR, {"total_cost": {"excl_vat": 3.5}})["total_cost"] == {"before_taxes": 3.5}
    assert from_v221(K.CDR, {"total_cost": {"excl_vat": 0, "incl_vat": 0}})["total_cost"] == {
        "before_taxes": 0,
        "taxes": [],
    }


def test_tariff_limits_and_tax_included() -> None:
    tariff = {"min_price": {"excl_vat": 1, "incl_vat": 1.21}, "max_price": {"excl_vat": 9}, "elements": []}
    there = from_v221(K.TARIFF, tariff)
    assert there["min_price"] == {"before_taxes": 1, "after_taxes": 1.21}
    assert there["max_price"] == {"before_taxes": 9}
    assert there["tax_included"] == "NO"
    assert to_v221(K.TARIFF, there) == tariff


def _tariff_yes(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {"elements": [{"price_components": components}], "tax_included": "YES", "preauthorize_amount": 50}


def test_tariff_with_taxes_included_is_converted_to_excl_vat() -> None:
    tariff = _tariff_yes([{"type": "ENERGY", "price": 0.363, "vat": 21.0, "step_size": 1}])
    tariff["elements"][0]["price_components"].append({"type": "FLAT", "price": 0, "step_size": 1})
    there = to_v221(K.TARIFF, tariff)
    assert there == {
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": 0.3, "vat": 21.0, "step_size": 1},
                    {"type": "FLAT", "price": 0, "step_size": 1},
                ]
            }
        ]
    }


# --- Untranslatable ------------------------------------------------------------------------------


def _refused(kind: ObjectKind, obj: dict[str, Any], **context: Any) -> Untranslatable:
    with pytest.raises(Untranslatable) as caught:
        to_v221(kind, obj, **context)
    return caught.value


def test_tax_included_without_vat_is_refused() -> None:
    error = _refused(K.TARIFF, _tariff_yes([{"type": "TIME", "price": 2.1, "step_size": 1}]))
    assert error.field == "tax_included"
    assert error.target == "2.2.1"
    assert "elements[0].price_components[0]" in str(error)
    assert "vat" in str(error)


@pytest.mark.parametrize("standard", ["MCS", "SAE_J3400", "X_VENDOR_PLUG"])
def test_new_connector_type_is_refused(standard: str) -> None:
    location = {
        "evses": [{"uid": "1", "connectors": [{"id": "1", "standard": "IEC_62196_T2"}, {"standard": standard}]}]
    }
    error = _refused(K.LOCATION, location)
    assert error.field == "evses[0].connectors[1].standard"
    assert standard in str(error) and "ConnectorType" in str(error)
    assert (
        _refused(K.CDR, {"cdr_location": {"connector_standard": standard}}).field == "cdr_location.connector_standard"
    )


@pytest.mark.parametrize(
    ("kind", "obj", "field"),
    [
        (K.TOKEN, {"type": "EMAID"}, "type"),
        (K.SESSION, {"cdr_token": {"type": "EMAID"}}, "cdr_token.type"),
        (K.CDR, {"cdr_token": {"type": "EMAID"}}, "cdr_token.type"),
        (K.AUTHORIZATION_INFO, {"token": {"type": "EMAID"}}, "token.type"),
        (K.START_SESSION, {"token": {"type": "EMAID"}}, "token.type"),
        (K.RESERVE_NOW, {"token": {"type": "EMAID"}}, "token.type"),
        (K.LOCATION, {"publish_allowed_to": [{"type": "RFID"}, {"type": "EMAID"}]}, "publish_allowed_to[1].type"),
        (K.EVSE, {"parking_restrictions": ["EV_ONLY", "TAXIS"]}, "parking_restrictions[1]"),
        (K.LOCATION, {"evses": [{"parking_restrictions": ["EMPLOYEES"]}]}, "evses[0].parking_restrictions[0]"),
    ],
)
def test_new_enum_values_that_change_the_meaning_are_refused(kind: ObjectKind, obj: dict[str, Any], field: str) -> None:
    error = _refused(kind, obj)
    assert error.field == field
    assert "2.2.1" in str(error) and field in str(error)


def test_new_informational_enum_values_are_dropped_or_mapped() -> None:
    location = {
        "parking_type": "X_ROOFTOP",
        "facilities": ["WIFI", "X_TOILETS"],
        "images": [{"category": "X_PANORAMA"}],
        "energy_mix": {"environ_impact": [{"category": "X_WATER", "amount": 1}, {"category": "CARBON_DIOXIDE"}]},
        "evses": [{"capabilities": ["RFID_READER", "X_15118_20"]}],
        "operator": {"name": "Op", "logo": {"category": "X_LOGO"}},
    }
    assert to_v221(K.LOCATION, location) == {
        "facilities": ["WIFI"],
        "images": [{"category": "OTHER"}],
        "energy_mix": {"environ_impact": [{"category": "CARBON_DIOXIDE"}]},
        "evses": [{"capabilities": ["RFID_READER"]}],
        "operator": {"name": "Op", "logo": {"category": "OTHER"}},
    }


def test_credentials_hub_party_id_needs_business_details() -> None:
    roles = [{"role": "CPO", "country_code": "NL", "party_id": "EXA", "business_details": {"name": "Example"}}]
    credentials = {"token": "t", "url": "https://example.com/versions", "hub_party_id": "NLHUB", "roles": roles}
    error = _refused(K.CREDENTIALS, credentials)
    assert error.field == "hub_party_id" and "hub_business_details" in str(error)
    there = to_v221(K.CREDENTIALS, credentials, hub_business_details={"name": "Hub"})
    assert there["roles"] == [
        {"role": "HUB", "country_code": "NL", "party_id": "HUB", "business_details": {"name": "Hub"}}
    ]
    own = {**credentials, "roles": [*roles, {**roles[0], "party_id": "HUB", "business_details": {"name": "H"}}]}
    assert to_v221(K.CREDENTIALS, own)["roles"][0]["business_details"] == {"name": "H"}


def test_credentials_hub_role_needs_reachable_roles() -> None:
    hub = {"role": "HUB", "country_code": "NL", "party_id": "HUB", "business_details": {"name": "Hub"}}
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.CREDENTIALS, {"token": "t", "url": "u", "roles": [hub]})
    assert caught.value.field == "roles[0].role"
    assert caught.value.target == "2.3.0" and "reachable_roles" in str(caught.value)


@pytest.mark.parametrize("name", sorted(PAYMENT_OBJECTS))
def test_payments_objects_have_no_221_form(name: str) -> None:
    with pytest.raises(Untranslatable) as caught:
        to_v221(name, {})  # type: ignore[arg-type]
    assert caught.value.field == name and "Payments" in str(caught.value)


def test_input_is_not_modified() -> None:
    source = {"evses": [{"parking": [{"parking_id": "P1"}], "connectors": [{"capabilities": ["X"]}]}]}
    copy = json.loads(json.dumps(source))
    to_v221(K.LOCATION, source)
    assert source == copy


# --- official examples ---------------------------------------------------------------------------

_KIND_OF = {
    "Location": K.LOCATION,
    "LocationPatch": K.LOCATION,
    "EVSE": K.EVSE,
    "EVSEPatch": K.EVSE,
    "ConnectorPatch": K.CONNECTOR,
    "Session": K.SESSION,
    "SessionPatch": K.SESSION,
    "CDR": K.CDR,
    "Tariff": K.TARIFF,
    "Token": K.TOKEN,
    "TokenPatch": K.TOKEN,
    "Credentials": K.CREDENTIALS,
}
# 2.3.0 examples that cannot reach 2.2.1, by rule: (file, field named)
_REFUSED = {("2.3.0", "tariff_20_simple_north_american_inclusive.json"): "tax_included"}


def _cases() -> list[tuple[str, str]]:
    return [
        (edition, path.name)
        for edition in ("2.2.1", "2.2.1-d2", "2.3.0")
        for path in example_files(edition)
        if (found := model_for(edition, path.name)) is not None
        and found[1] is None
        and getattr(found[0], "__name__", "") in _KIND_OF
    ]


def _paths(error: ValidationError) -> set[str]:
    out = set()
    for item in error.errors():
        text = ""
        for part in item["loc"]:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        out.add(text)
    return out


@pytest.mark.skipif(not SPEC_ROOT.is_dir(), reason=f"the OCPI spec folder {SPEC_ROOT} is absent (../shared/ocpi-spec)")
@pytest.mark.parametrize(("edition", "name"), _cases() or [("-", "-")])
def test_official_examples_translate_and_validate(edition: str, name: str) -> None:
    if edition == "-":
        pytest.skip(f"no example files under {SPEC_ROOT}")
    folder = SPEC_ROOT / edition / "examples"
    source = json.loads((folder / name).read_text())
    model, _ = model_for(edition, name) or (None, None)
    kind = _KIND_OF[model.__name__]
    to_230 = not edition.startswith("2.3")
    target_edition = "2.3.0" if to_230 else "2.2.1"
    if (edition, name) in _REFUSED:
        with pytest.raises(Untranslatable) as caught:
            to_v221(kind, source)
        assert caught.value.field == _REFUSED[(edition, name)]
        return
    if to_230:
        hub = {"role": "CPO", "country_code": "NL", "party_id": "EXA", "business_details": {"name": "Example"}}
        there = from_v221(kind, source, reachable_roles=[hub])
    else:
        there = to_v221(kind, source, hub_business_details={"name": "Hub"})
    target, _ = model_for(target_edition, name) or (None, None)
    assert target is not None
    expected = EXPECTED_FAILURES.get((edition, name))
    try:
        target.model_validate(there)
    except ValidationError as error:
        # a defective source example may stay defective, at the same places, and nowhere else
        allowed = {path for path, _ in expected.violations} if expected else set()
        assert _paths(error) <= allowed, f"{name}: {error}"
    if to_230:
        assert to_v221(kind, there, hub_business_details={"name": "Hub"}) == source
        return
    back = from_v221(kind, there, reachable_roles=source.get("roles"))
    if expected is None:
        model.model_validate(back)
    assert to_v221(kind, back, hub_business_details={"name": "Hub"}) == there


@pytest.mark.parametrize(
    ("price", "field"),
    [({"before_taxes": 1, "taxes": [{"name": "GST"}]}, "total_cost.taxes[0].amount")],
)
def test_tax_without_amount_is_refused(price: dict[str, Any], field: str) -> None:
    assert _refused(K.SESSION, {"total_cost": price}).field == field


def test_tax_included_with_impossible_vat_is_refused() -> None:
    error = _refused(K.TARIFF, _tariff_yes([{"type": "TIME", "price": 2.1, "vat": -100, "step_size": 1}]))
    assert error.field == "elements[0].price_components[0].vat"
