"""2.3.0 -> 2.2.1 (rules: the table in `hub.translation.v230`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from hub.ocpi.models.types import Role
from hub.ocpi.models.v221.enums import (
    Capability,
    ConnectorType,
    EnvironmentalImpactCategory,
    Facility,
    ImageCategory,
    ParkingRestriction,
    ParkingType,
    TokenType,
)
from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v230._common import (
    LIMIT_FIELDS,
    V221,
    Obj,
    add,
    dec,
    each,
    keep_known,
    known,
    num,
    one,
    refuse_unknown,
    renamed,
    same,
)

__all__ = ["COSTS", "DOWN", "credentials_to"]

# --- 2.3.0 -> 2.2.1 ------------------------------------------------------------------------------


def _price_to(price: Obj, path: str) -> Obj:
    out = {k: v for k, v in price.items() if k not in ("before_taxes", "taxes")}
    if "before_taxes" in price:
        out["excl_vat"] = price["before_taxes"]
        taxes = price.get("taxes")
        if taxes is not None:
            amounts = [t.get("amount") if isinstance(t, dict) else None for t in taxes]
            for n, amount in enumerate(amounts):
                if not isinstance(amount, int | float) or isinstance(amount, bool):
                    raise Untranslatable(f"{path}taxes[{n}].amount", V221, "a tax without an amount has no incl_vat")
            out["incl_vat"] = add(price["before_taxes"], *amounts)
    return out


def _limit_to(limit: Obj, path: str) -> Obj:
    return renamed(limit, LIMIT_FIELDS)


def _image_to(image: Obj, path: str) -> Obj:
    if "category" in image and not known(ImageCategory, image["category"]):
        return {**image, "category": ImageCategory.OTHER.value}
    return image


def _business_to(details: Obj, path: str) -> Obj:
    out = dict(details)
    one(out, "logo", path, _image_to)
    return out


def _energy_mix_to(mix: Obj, path: str) -> Obj:
    out = dict(mix)
    if isinstance(out.get("environ_impact"), list):
        out["environ_impact"] = [
            e for e in out["environ_impact"] if known(EnvironmentalImpactCategory, e.get("category"))
        ]
    return out


def _token_type_to(obj: Obj, path: str) -> Obj:
    refuse_unknown(obj, "type", path, TokenType, "the token would not be recognised as the same token")
    return obj


def _publish_to(publish: Obj, path: str) -> Obj:
    refuse_unknown(publish, "type", path, TokenType, "the visibility rule would change")
    return publish


def _connector_to(connector: Obj, path: str) -> Obj:
    out = {k: v for k, v in connector.items() if k != "capabilities"}
    refuse_unknown(out, "standard", path, ConnectorType, "a 2.2.1 driver could not know which plug fits")
    return out


def _evse_to(evse: Obj, path: str) -> Obj:
    out = {k: v for k, v in evse.items() if k not in ("parking", "accepted_service_providers")}
    keep_known(out, "capabilities", Capability)
    for n, value in enumerate(out.get("parking_restrictions") or []):
        if not known(ParkingRestriction, value):
            raise Untranslatable(
                f"{path}parking_restrictions[{n}]",
                V221,
                f"{value!r} is no 2.2.1 ParkingRestriction value; dropping it would open the spot to anyone",
            )
    each(out, "images", path, _image_to)
    each(out, "connectors", path, _connector_to)
    return out


def _location_to(location: Obj, path: str) -> Obj:
    out = {k: v for k, v in location.items() if k not in ("parking_places", "help_phone")}
    each(out, "publish_allowed_to", path, _publish_to)
    if "parking_type" in out and out["parking_type"] is not None and not known(ParkingType, out["parking_type"]):
        del out["parking_type"]
    keep_known(out, "facilities", Facility)
    each(out, "images", path, _image_to)
    each(out, "evses", path, _evse_to)
    for key in ("operator", "suboperator", "owner"):
        one(out, key, path, _business_to)
    one(out, "energy_mix", path, _energy_mix_to)
    return out


def _excl_vat(component: Obj, at: str) -> Obj:
    price, vat = component.get("price"), component.get("vat")
    if price is None or price == 0:
        return component
    if vat is None:
        raise Untranslatable(
            "tax_included",
            V221,
            f"prices include taxes but {at} has no vat percentage to take them out (2.2.1 prices exclude VAT)",
        )
    if not isinstance(vat, int | float) or isinstance(vat, bool) or vat <= -100:
        raise Untranslatable(f"{at}.vat", V221, f"{vat!r} is no VAT percentage to take the taxes out of the price")
    with localcontext() as ctx:
        ctx.prec = 1000
        excl = (dec(price) / (1 + dec(vat) / 100)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    return {**component, "price": num(excl, price, vat)}


def _tariff_to(tariff: Obj, path: str) -> Obj:
    out = {k: v for k, v in tariff.items() if k not in ("tax_included", "preauthorize_amount")}
    for key in ("min_price", "max_price"):
        one(out, key, path, _limit_to)
    one(out, "energy_mix", path, _energy_mix_to)
    if tariff.get("tax_included") == "YES" and isinstance(out.get("elements"), list):
        out["elements"] = [
            {
                **element,
                "price_components": [
                    _excl_vat(c, f"{path}elements[{i}].price_components[{j}]")
                    for j, c in enumerate(element.get("price_components") or [])
                ],
            }
            for i, element in enumerate(out["elements"])
        ]
    return out


COSTS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


def _session_to(session: Obj, path: str) -> Obj:
    out = dict(session)
    one(out, "cdr_token", path, _token_type_to)
    one(out, "total_cost", path, _price_to)
    return out


def _cdr_location_to(location: Obj, path: str) -> Obj:
    refuse_unknown(location, "connector_standard", path, ConnectorType, "a 2.2.1 reader could not know the plug")
    return location


def _cdr_to(cdr: Obj, path: str) -> Obj:
    out = dict(cdr)
    one(out, "cdr_token", path, _token_type_to)
    one(out, "cdr_location", path, _cdr_location_to)
    each(out, "tariffs", path, _tariff_to)
    for key in COSTS:
        one(out, key, path, _price_to)
    return out


def _with_token_to(obj: Obj, path: str) -> Obj:
    out = dict(obj)
    one(out, "token", path, _token_type_to)
    return out


def credentials_to(credentials: Obj, hub_business_details: Mapping[str, Any] | None) -> Obj:
    out = {k: v for k, v in credentials.items() if k != "hub_party_id"}
    each(out, "roles", "", lambda role, p: {**role, **_logo(role)})
    hub = credentials.get("hub_party_id")
    if not isinstance(hub, str):  # present (even empty) means the sender is a hub
        return out
    country_code, party_id = hub[:2], hub[2:]
    details: Mapping[str, Any] | None = hub_business_details
    if details is None:
        same = [
            r for r in out.get("roles") or [] if r.get("country_code") == country_code and r.get("party_id") == party_id
        ]
        if not same:
            raise Untranslatable(
                "hub_party_id",
                V221,
                "2.2.1 wants a HUB role with business details: pass hub_business_details "
                "(no listed role belongs to the hub's own party)",
            )
        details = same[0]["business_details"]
    role = {
        "role": Role.HUB.value,
        "business_details": dict(details),
        "party_id": party_id,
        "country_code": country_code,
    }
    out["roles"] = [role]
    return out


def _logo(role: Obj) -> Obj:
    details = role.get("business_details")
    return {"business_details": _business_to(details, "")} if isinstance(details, dict) else {}


DOWN: dict[ObjectKind, Callable[[Obj, str], Obj]] = {
    ObjectKind.LOCATION: _location_to,
    ObjectKind.EVSE: _evse_to,
    ObjectKind.CONNECTOR: _connector_to,
    ObjectKind.SESSION: _session_to,
    ObjectKind.CDR: _cdr_to,
    ObjectKind.TARIFF: _tariff_to,
    ObjectKind.TOKEN: _token_type_to,
    ObjectKind.AUTHORIZATION_INFO: _with_token_to,
    ObjectKind.START_SESSION: _with_token_to,
    ObjectKind.RESERVE_NOW: _with_token_to,
    ObjectKind.LOCATION_REFERENCES: same,
    ObjectKind.STOP_SESSION: same,
    ObjectKind.CANCEL_RESERVATION: same,
    ObjectKind.UNLOCK_CONNECTOR: same,
    ObjectKind.COMMAND_RESPONSE: same,
    ObjectKind.COMMAND_RESULT: same,
}
