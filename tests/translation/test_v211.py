"""OCPI 2.1.1 <-> 2.2.1 translation (hub.translation.v211): round trips on generated objects, the
official examples of both editions, and the Untranslatable cases."""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hub.ocpi.models.v211 import cdrs as c211
from hub.ocpi.models.v211 import commands as k211
from hub.ocpi.models.v211 import credentials as cr211
from hub.ocpi.models.v211 import locations as l211
from hub.ocpi.models.v211 import sessions as s211
from hub.ocpi.models.v211 import tariffs as t211
from hub.ocpi.models.v211 import tokens as o211
from hub.ocpi.models.v221 import cdrs as c221
from hub.ocpi.models.v221 import commands as k221
from hub.ocpi.models.v221 import credentials as cr221
from hub.ocpi.models.v221 import locations as l221
from hub.ocpi.models.v221 import sessions as s221
from hub.ocpi.models.v221 import tariffs as t221
from hub.ocpi.models.v221 import tokens as o221
from hub.translation import ObjectKind, Untranslatable
from hub.translation.v211 import from_v221, publishable_to_v211, to_v221
from tests.hub.ocpi.models.spec_examples import SPEC_ROOT, example_files, model_for
from tests.hub.ocpi.models.strategies import _field, objects, value_of

K = ObjectKind
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# kind -> (2.1.1 model, 2.2.1 model); CommandResult's 2.1.1 form is the async CommandResponse.
MODELS: dict[ObjectKind, tuple[type[BaseModel], type[BaseModel]]] = {
    K.LOCATION: (l211.Location, l221.Location),
    K.EVSE: (l211.EVSE, l221.EVSE),
    K.CONNECTOR: (l211.Connector, l221.Connector),
    K.SESSION: (s211.Session, s221.Session),
    K.CDR: (c211.CDR, c221.CDR),
    K.TARIFF: (t211.Tariff, t221.Tariff),
    K.TOKEN: (o211.Token, o221.Token),
    K.AUTHORIZATION_INFO: (o211.AuthorizationInfo, o221.AuthorizationInfo),
    K.LOCATION_REFERENCES: (o211.LocationReferences, o221.LocationReferences),
    K.START_SESSION: (k211.StartSession, k221.StartSession),
    K.STOP_SESSION: (k211.StopSession, k221.StopSession),
    K.RESERVE_NOW: (k211.ReserveNow, k221.ReserveNow),
    K.UNLOCK_CONNECTOR: (k211.UnlockConnector, k221.UnlockConnector),
    K.COMMAND_RESPONSE: (k211.CommandResponse, k221.CommandResponse),
    K.COMMAND_RESULT: (k211.CommandResponse, k221.CommandResult),
    K.CREDENTIALS: (cr211.Credentials, cr221.Credentials),
}
KINDS = sorted(MODELS, key=str)
OWNER: dict[str, Any] = {"country_code": "NL", "party_id": "ABC"}
TZ = "Europe/Amsterdam"


def _asciify(value: Any) -> Any:
    """Same lengths, printable ASCII only (2.1.1 strings; the non-ASCII policy is the pipeline's)."""
    if isinstance(value, str):
        return "".join(c if " " <= c <= "~" else "x" for c in value)
    if isinstance(value, dict):
        return {k: _asciify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_asciify(v) for v in value]
    return value


# --- making a generated 2.1.1 object canonical: what the documented drop rules change ---------------


def _canon_hours(h: dict[str, Any]) -> dict[str, Any]:
    h = dict(h)
    if h.get("twentyfourseven"):
        h.pop("regular_hours", None)
    else:
        h.pop("twentyfourseven", None)
        if not h.get("regular_hours"):
            h["twentyfourseven"] = True
            h.pop("regular_hours", None)
    return h


def _canon_evse(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "uid": e["uid"][:36]}


def _canon_location(loc: dict[str, Any], one: bool = False) -> dict[str, Any]:
    loc = {**loc, "id": loc["id"][:36], "time_zone": loc.get("time_zone") or TZ}
    if loc["type"] == "OTHER":
        loc["type"] = "UNKNOWN"
    if loc.get("opening_times") is not None:
        loc["opening_times"] = _canon_hours(loc["opening_times"])
    if one:
        evse = loc.get("evses", [None])[0] if loc.get("evses") else None
        if evse is None:
            raise AssertionError("generated without EVSE")
        loc["evses"] = [{**_canon_evse(evse), "connectors": evse["connectors"][:1]}]
    elif loc.get("evses") is not None:
        loc["evses"] = [_canon_evse(e) for e in loc["evses"]]
    return loc


def _canon_periods(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in periods:
        dims = [d for d in p["dimensions"] if d["type"] != "FLAT"]
        if dims:
            out.append({**p, "dimensions": dims})
    return out


@st.composite
def _light(draw: st.DrawFn, model: type[BaseModel], fixed: dict[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    """Like `objects(model)` but with some fields given and some optional ones left out (speed)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in fixed:
            out[name] = fixed[name]
            continue
        if name in skip or (not info.is_required() and draw(st.booleans())):
            continue
        bare, found, _ = _field(info)
        value = draw(value_of(bare, found))
        if value is not None:
            out[name] = value
    return out


_HEAVY = frozenset({"images", "related_locations", "energy_mix", "directions", "status_schedule", "tariffs"})
_HEAVY |= {"operator", "suboperator", "owner", "opening_times", "evses", "connectors", "location", "cdr_location"}


@st.composite
def _embedded_location(draw: st.DrawFn, edition: str) -> dict[str, Any]:
    """A Location as embedded in a 2.1.1 Session/CDR: one EVSE (with evse_id) and one Connector."""
    connector = draw(objects(l211.Connector if edition == "2.1.1" else l221.Connector))
    evse_model = l211.EVSE if edition == "2.1.1" else l221.EVSE
    evse = draw(_light(evse_model, {"connectors": [connector], "evse_id": "NL*ABC*E1"}, _HEAVY))
    loc_model = l211.Location if edition == "2.1.1" else l221.Location
    return draw(_light(loc_model, {"evses": [evse]}, _HEAVY))


def _draw(data: st.DataObject, model: type[BaseModel], kind: ObjectKind, edition: str) -> dict[str, Any]:
    if kind in (K.SESSION, K.CDR):
        fixed: dict[str, Any] = {}
        if edition == "2.1.1":
            fixed["location"] = data.draw(_embedded_location(edition))
        else:
            key = "cdr_location" if kind is K.CDR else "location_id"
            fixed[key] = data.draw(objects(c221.CdrLocation)) if kind is K.CDR else "L1"
        return data.draw(_light(model, fixed, _HEAVY))
    return data.draw(objects(model))


def _canon211(kind: ObjectKind, obj: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    obj = deepcopy(obj)
    if kind is K.LOCATION:
        return _canon_location(obj)
    if kind is K.EVSE:
        return _canon_evse(obj)
    if kind in (K.SESSION, K.CDR):
        obj["location"] = _canon_location(obj["location"], one=True)
        if obj.get("charging_periods") is not None:
            obj["charging_periods"] = _canon_periods(obj["charging_periods"])
        if kind is K.CDR:
            obj["id"] = obj["id"][:36]
            if not obj["charging_periods"]:
                obj["charging_periods"] = [
                    {"start_date_time": obj["start_date_time"], "dimensions": [{"type": "ENERGY", "volume": 1.0}]}
                ]
    if kind in (K.LOCATION_REFERENCES, K.AUTHORIZATION_INFO):
        refs = obj if kind is K.LOCATION_REFERENCES else obj.get("location")
        if refs is not None:
            refs.pop("connector_ids", None)
            refs["location_id"] = refs["location_id"][:36]
            if refs.get("evse_uids") is not None:
                refs["evse_uids"] = [u[:36] for u in refs["evse_uids"]]
    if kind in (K.START_SESSION, K.RESERVE_NOW, K.UNLOCK_CONNECTOR):
        for key in ("location_id", "evse_uid"):
            if obj.get(key) is not None:
                obj[key] = obj[key][:36]
    if kind is K.COMMAND_RESPONSE and obj["result"] == "TIMEOUT":
        obj["result"] = "REJECTED"
    if kind is K.COMMAND_RESULT and obj["result"] == "UNKNOWN_SESSION":
        obj["result"] = "REJECTED"
    return obj


def _context_up(kind: ObjectKind, src: dict[str, Any]) -> dict[str, Any]:
    ctx: dict[str, Any] = {**OWNER}
    if kind in (K.SESSION, K.CDR):
        ctx["cdr_token"] = {**OWNER, "uid": "U1", "type": "RFID", "contract_id": src["auth_id"]}
    if kind is K.AUTHORIZATION_INFO:
        ctx["token"] = {
            **OWNER,
            "uid": "U1",
            "type": "RFID",
            "contract_id": "NL-ABC-C1",
            "issuer": "ABC",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": "2024-01-01T00:00:00Z",
        }
    if kind is K.CREDENTIALS:
        ctx = {"role": "CPO"}
    if kind is K.LOCATION:
        ctx["time_zone"] = TZ
    return ctx


def _context_down(kind: ObjectKind, src: dict[str, Any]) -> dict[str, Any]:
    if kind in (K.SESSION, K.CDR):
        return {"location": to_v221(K.LOCATION, src["location"], **OWNER)}
    return {}


@pytest.mark.parametrize("kind", KINDS)
@FAST
@given(data=st.data())
def test_211_round_trip_keeps_every_field(kind: ObjectKind, data: st.DataObject) -> None:
    old, new = MODELS[kind]
    src = _canon211(kind, _draw(data, old, kind, "2.1.1"), data)
    old.model_validate(src)
    there = to_v221(kind, src, **_context_up(kind, src))
    new.model_validate(there)
    back = from_v221(kind, there, **_context_down(kind, src))
    old.model_validate(back)
    assert back == src


# --- 2.2.1 -> 2.1.1 -> 2.2.1: what 2.1.1 has is kept, what it lacks raises or is dropped by rule ----

COMMON: dict[ObjectKind, tuple[str, ...]] = {
    K.LOCATION: ("id", "name", "address", "city", "country", "time_zone", "directions", "owner", "last_updated"),
    K.EVSE: ("uid", "evse_id", "status", "status_schedule", "floor_level", "physical_reference", "last_updated"),
    K.CONNECTOR: ("id", "standard", "format", "power_type", "max_voltage", "max_amperage", "tariff_ids"),
    K.SESSION: ("id", "start_date_time", "end_date_time", "kwh", "cdr_token", "location_id", "evse_uid", "currency"),
    K.CDR: ("id", "start_date_time", "end_date_time", "cdr_token", "currency", "total_energy", "total_time"),
    K.TARIFF: ("id", "currency", "tariff_alt_text", "tariff_alt_url", "last_updated"),
    K.TOKEN: ("uid", "contract_id", "visual_number", "issuer", "valid", "whitelist", "language", "last_updated"),
    K.AUTHORIZATION_INFO: ("allowed", "token", "location", "info"),
    K.LOCATION_REFERENCES: ("location_id", "evse_uids"),
    K.START_SESSION: ("response_url", "location_id", "evse_uid"),
    K.STOP_SESSION: ("response_url", "session_id"),
    K.RESERVE_NOW: ("response_url", "expiry_date", "reservation_id", "location_id", "evse_uid"),
    K.UNLOCK_CONNECTOR: ("response_url", "location_id", "evse_uid", "connector_id"),
    K.COMMAND_RESPONSE: ("result", "timeout"),
    K.COMMAND_RESULT: (),
    K.CREDENTIALS: ("token", "url", "roles"),
}


def _location_for(data: st.DataObject, ref: dict[str, Any]) -> dict[str, Any]:
    """A public 2.2.1 Location holding the EVSE/Connector a Session or CDR names."""
    loc = _asciify(data.draw(objects(l221.Location)))
    evse = _asciify(data.draw(objects(l221.EVSE)))
    connector = {**evse["connectors"][0], "id": ref["connector_id"], "standard": "IEC_62196_T2"}
    connector.update(power_type="AC_3_PHASE", tariff_ids=None)
    evse = {
        **evse,
        "uid": ref["evse_uid"],
        "evse_id": ref.get("evse_id", "NL*ABC*E1"),
        "connectors": [{k: v for k, v in connector.items() if v is not None}],
    }
    return {**loc, "id": ref["location_id"], "publish": True, "evses": [evse]}


def _mostly_translatable(kind: ObjectKind, src: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Leave out what the rules refuse, so that the other half of the cases crosses."""
    if kind is K.TARIFF:
        src = {k: v for k, v in src.items() if k not in ("min_price", "max_price", "start_date_time", "end_date_time")}
        src.pop("type", None)
        for element in src["elements"]:
            for key in ("min_current", "max_current", "reservation"):
                (element.get("restrictions") or {}).pop(key, None)
    if kind is K.RESERVE_NOW:
        src["reservation_id"] = str(data.draw(st.integers(min_value=0, max_value=10**6)))
    if kind is K.CDR:
        src["charging_periods"] = [
            {**p, "dimensions": [{"type": "TIME", "volume": 1.0}]} for p in src["charging_periods"]
        ]
        src.pop("credit", None)
        src.pop("home_charging_compensation", None)
    return src


@pytest.mark.parametrize("kind", KINDS)
@FAST
@given(data=st.data())
def test_221_round_trip_keeps_common_fields(kind: ObjectKind, data: st.DataObject) -> None:
    old, new = MODELS[kind]
    src = _asciify(_draw(data, new, kind, "2.2.1"))
    if data.draw(st.booleans()):
        src = _mostly_translatable(kind, src, data)
    down: dict[str, Any] = {}
    if kind is K.SESSION:
        down["location"] = _location_for(data, src)
    if kind is K.CDR:
        flat = src["cdr_location"]
        down["location"] = _location_for(data, {**flat, "location_id": flat["id"]})
    try:
        there = from_v221(kind, src, **down)
    except Untranslatable as err:
        event(f"untranslatable {err.field}")
        assert err.field and str(err).startswith(err.field)
        assert err.target == "2.1.1"
        return
    old.model_validate(there)
    up: dict[str, Any] = {**OWNER}
    if kind is K.TOKEN:
        up = {k: src[k] for k in ("country_code", "party_id")}
    if kind in (K.SESSION, K.CDR):
        up["cdr_token"] = src["cdr_token"]
    if kind is K.AUTHORIZATION_INFO:
        up["token"] = src["token"]
    if kind is K.CREDENTIALS:
        up = {"role": src["roles"][0]["role"]}
    if kind is K.COMMAND_RESPONSE:
        up["timeout"] = src["timeout"]
    if kind is K.LOCATION:
        up["time_zone"] = TZ
    try:
        back = to_v221(kind, there, **up)
    except Untranslatable as err:  # e.g. a 2.2.1 id of 37-39 characters in a CDR's location
        event(f"back: untranslatable {err.field}")
        assert err.target == "2.2.1" and err.field
        return
    new.model_validate(back)
    for key in COMMON[kind]:
        assert back.get(key) == (src.get(key) or None if key == "tariff_ids" else src.get(key)), key


# --- the official examples -------------------------------------------------------------------------

UP_KINDS = {"Location": K.LOCATION, "EVSE": K.EVSE, "Connector": K.CONNECTOR, "Session": K.SESSION}
UP_KINDS |= {"CDR": K.CDR, "Tariff": K.TARIFF, "Token": K.TOKEN, "Credentials": K.CREDENTIALS}


def _examples(edition: str) -> list[tuple[str, ObjectKind, Any]]:
    found = []
    for path in example_files(edition):
        spec = model_for(edition, path.name)
        if spec is None or spec[1] is not None:
            continue
        model = spec[0]
        kind = UP_KINDS.get(getattr(model, "__name__", ""))
        if kind is None:
            continue
        data = json.loads(path.read_text())
        try:
            model.model_validate(data)
        except Exception:  # noqa: BLE001 - defective examples are the spec_examples tests' business
            continue
        found.append((path.name, kind, data))
    return found


needs_spec = pytest.mark.skipif(not SPEC_ROOT.is_dir(), reason=f"OCPI spec folder {SPEC_ROOT} is absent")


@needs_spec
def test_211_examples_translate_to_valid_221() -> None:
    examples = _examples("2.1.1")
    assert examples, "no 2.1.1 example found"
    for name, kind, data in examples:
        ctx = _context_up(kind, data)
        there = to_v221(kind, data, **ctx)
        assert MODELS[kind][1].model_validate(there) is not None, name
        back = from_v221(kind, there, **_context_down(kind, data))
        MODELS[kind][0].model_validate(back)


def _cdr_location_as_location(flat: dict[str, Any], last_updated: str) -> dict[str, Any]:
    connector = {
        "id": flat["connector_id"],
        "standard": flat["connector_standard"],
        "format": flat["connector_format"],
        "power_type": flat["connector_power_type"],
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": last_updated,
    }
    evse = {
        "uid": flat["evse_uid"],
        "evse_id": flat["evse_id"],
        "status": "UNKNOWN",
        "connectors": [connector],
        "last_updated": last_updated,
    }
    keep = ("id", "name", "address", "city", "postal_code", "country", "coordinates")
    return {**OWNER, "publish": True, "time_zone": TZ, "evses": [evse], "last_updated": last_updated} | {
        k: flat[k] for k in keep if k in flat
    }


@needs_spec
def test_221_examples_translate_to_valid_211() -> None:
    examples = _examples("2.2.1")
    assert examples, "no 2.2.1 example found"
    done = 0
    for name, kind, data in examples:
        ctx: dict[str, Any] = {}
        if kind is K.CDR:
            ctx["location"] = _cdr_location_as_location(data["cdr_location"], data["last_updated"])
        if kind is K.SESSION:
            ref = {"connector_id": data["connector_id"], "evse_uid": data["evse_uid"], "evse_id": "X*Y*1"}
            ref |= {"connector_standard": "IEC_62196_T2", "connector_format": "SOCKET"}
            ref |= {"connector_power_type": "AC_3_PHASE", "id": data["location_id"], "address": "Street 1"}
            ref |= {"city": "Town", "country": "NLD", "coordinates": {"latitude": "52.0", "longitude": "4.0"}}
            ref["coordinates"] = {"latitude": "52.000000", "longitude": "4.000000"}
            ctx["location"] = _cdr_location_as_location(ref, data["last_updated"])
        try:
            there = from_v221(kind, _asciify(data), **ctx)
        except Untranslatable as err:
            assert err.field, name
            continue
        MODELS[kind][0].model_validate(there)
        done += 1
    assert done >= len(examples) // 2


# --- Untranslatable cases --------------------------------------------------------------------------


def _token221() -> dict[str, Any]:
    token: dict[str, Any] = _context_up(K.AUTHORIZATION_INFO, {})["token"]
    return token


def _tariff221(**extra: Any) -> dict[str, Any]:
    element = {"price_components": [{"type": "ENERGY", "price": 0.3, "vat": 21.0, "step_size": 1}]}
    tariff = {**OWNER, "id": "T1", "currency": "EUR", "elements": [element], "last_updated": "2024-01-01T00:00:00Z"}
    return tariff | extra


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("type", {"type": "AD_HOC_PAYMENT"}),
        ("min_price", {"min_price": {"excl_vat": 1.0}}),
        ("max_price", {"max_price": {"excl_vat": 9.0}}),
        ("start_date_time", {"start_date_time": "2030-01-01T00:00:00Z"}),
        ("end_date_time", {"end_date_time": "2030-01-01T00:00:00Z"}),
    ],
)
def test_tariff_fields_that_change_the_price(field: str, extra: dict[str, Any]) -> None:
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.TARIFF, _tariff221(**extra))
    assert caught.value.field == field
    assert caught.value.target == "2.1.1"
    assert str(caught.value).startswith(f"{field}: cannot be sent to an OCPI 2.1.1 party")


def test_tariff_current_restriction_and_reservation_elements() -> None:
    tariff = _tariff221()
    energy = tariff["elements"][0]
    reservation = {**energy, "restrictions": {"reservation": "RESERVATION"}}
    current = {**energy, "restrictions": {"min_current": 16.0}}
    down = from_v221(K.TARIFF, {**tariff, "elements": [energy, reservation]})
    assert down["elements"] == [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}]
    t211.Tariff.model_validate(down)
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.TARIFF, {**tariff, "elements": [reservation]})
    assert caught.value.field == "elements"
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.TARIFF, {**tariff, "elements": [energy, current]})
    assert caught.value.field == "elements[1].restrictions.min_current"


def test_unpublished_location_is_not_sent() -> None:
    loc = {**OWNER, "id": "L1", "publish": False, "address": "A", "city": "B", "country": "NLD"}
    loc |= {"coordinates": {"latitude": "52.12345", "longitude": "4.1234567"}, "time_zone": TZ}
    loc["last_updated"] = "2024-01-01T00:00:00Z"
    assert not publishable_to_v211(loc)
    with pytest.raises(Untranslatable, match="publish: .*not public"):
        from_v221(K.LOCATION, loc)
    down = from_v221(K.LOCATION, {**loc, "publish": True, "parking_type": "ALONG_MOTORWAY"})
    assert down["coordinates"] == {"latitude": "52.123450", "longitude": "4.123457"}
    assert down["type"] == "OTHER" and down["postal_code"] == ""
    l211.Location.model_validate(down)


def test_cancel_reservation_does_not_exist_in_211() -> None:
    with pytest.raises(Untranslatable, match="CancelReservation"):
        from_v221(K.CANCEL_RESERVATION, {"response_url": "https://x/y", "reservation_id": "1"})
    with pytest.raises(Untranslatable):
        to_v221(K.CANCEL_RESERVATION, {})


def test_reserve_now_needs_an_integer_reservation_id() -> None:
    cmd = {"response_url": "https://x/y", "token": _token221(), "expiry_date": "2030-01-01T00:00:00Z"}
    cmd |= {"reservation_id": "R-12", "location_id": "L1"}
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.RESERVE_NOW, cmd)
    assert caught.value.field == "reservation_id"
    assert from_v221(K.RESERVE_NOW, {**cmd, "reservation_id": "12"})["reservation_id"] == 12


def test_credit_and_compensation_cdrs() -> None:
    for field in ("credit", "home_charging_compensation"):
        with pytest.raises(Untranslatable) as caught:
            from_v221(K.CDR, {"id": "C1", field: True})
        assert caught.value.field == field


def test_missing_context_is_named() -> None:
    token = {"uid": "U", "type": "RFID", "auth_id": "C1", "issuer": "I", "valid": True, "whitelist": "ALWAYS"}
    token["last_updated"] = "2024-01-01T00:00:00Z"
    with pytest.raises(Untranslatable, match="country_code: .*pass country_code="):
        to_v221(K.TOKEN, token)
    with pytest.raises(Untranslatable, match="token: .*pass token="):
        to_v221(K.AUTHORIZATION_INFO, {"allowed": "ALLOWED"})
    with pytest.raises(Untranslatable, match="role: "):
        to_v221(K.CREDENTIALS, {"token": "t", "url": "u", "business_details": {}, "party_id": "A", "country_code": "B"})
    with pytest.raises(Untranslatable) as caught:
        to_v221(K.LOCATION_REFERENCES, {"location_id": "L", "connector_ids": ["1"]})
    assert caught.value.field == "connector_ids"


def test_several_roles_and_tariff_ids() -> None:
    role = {"role": "CPO", "business_details": {"name": "X"}, **OWNER}
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.CREDENTIALS, {"token": "t", "url": "https://x", "roles": [role, {**role, "role": "EMSP"}]})
    assert caught.value.field == "roles"
    connector: dict[str, Any] = {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}
    connector |= {"max_voltage": 230, "max_amperage": 16, "last_updated": "2024-01-01T00:00:00Z"}
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.CONNECTOR, {**connector, "tariff_ids": ["A", "B"]})
    assert caught.value.field == "tariff_ids"
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.CONNECTOR, {**connector, "standard": "GBT_DC"})
    assert caught.value.field == "standard"
    evse: dict[str, Any] = {"uid": "E1", "status": "AVAILABLE", "last_updated": "2024-01-01T00:00:00Z"}
    evse["connectors"] = [{**connector, "standard": "GBT_DC"}, connector]
    down = from_v221(K.EVSE, evse)
    assert [c["standard"] for c in down["connectors"]] == ["IEC_62196_T2"]
    with pytest.raises(Untranslatable) as caught:
        from_v221(K.EVSE, {**evse, "connectors": evse["connectors"][:1]})
    assert caught.value.field == "connectors"
