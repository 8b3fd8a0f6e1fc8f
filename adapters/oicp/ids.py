"""OICP 2.3 identifiers and their OCPI 2.2.1 counterparts (oicp-bridge.md §6).

* IDs are compared in canonical form (upper case, ISO separators dropped) and emitted in ISO form
  with separators: OperatorID `DE*ABC`, ProviderID `DE-8EO`, EvseID `DE*ABC*E…`, EvcoID `DE-8EO-C…-3`.
* A CPO party (cc, pid) is operator `cc*pid`, an eMSP party is provider `cc-pid`, unless the hub's
  configuration says otherwise (`overrides`, keyed by any spelling of the OICP ID): a party may own
  several eMI3 prefixes, and DIN IDs (`+49*536`) have no OCPI form at all.
* An EvseID belongs to the operator named by its prefix, an EvcoID to the provider named by its prefix.
* OCPI keys the bridge has to invent (EVSE uid, Location id, Tariff id) are the OICP ID itself when it
  fits OCPI's 36 characters, else a stable hash of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from adapters.oicp.errors import InvalidId, Unmappable
from hub.types import PartyKey

__all__ = [
    "canonical",
    "evco_id",
    "evse_id",
    "evse_uid_of_evse_id",
    "location_id_of_pool",
    "operator_id",
    "operator_id_of_evse_id",
    "operator_id_of_party",
    "party_of_evco_id",
    "party_of_evse_id",
    "party_of_operator_id",
    "party_of_provider_id",
    "pool_id_of_location",
    "product_id",
    "provider_id",
    "provider_id_of_evco_id",
    "provider_id_of_party",
    "rfid_uid",
    "session_id",
    "stable_id",
    "tariff_id_of_product",
]

OCPI_ID_MAX = 36  # CiString(36): Location.id, EVSE.uid, Tariff.id, Session.id, authorization_reference

_OPERATOR_ISO = re.compile(r"^([A-Z]{2})\*?([A-Z0-9]{3})$")
_PROVIDER_ISO = re.compile(r"^([A-Z]{2})[*-]?([A-Z0-9]{3})$")
_DIN_OPERATOR = re.compile(r"^\+?([0-9]{1,3})\*([0-9]{3})$")
# the asciidoc allows upper case only, the OpenAPI file both (§4.12): input is upper-cased first
_EVSE_ISO = re.compile(r"^([A-Z]{2})\*?([A-Z0-9]{3})\*?(E[A-Z0-9*]{1,30})$")
_EVSE_DIN = re.compile(r"^\+?([0-9]{1,3})\*([0-9]{3})\*([0-9*]{1,32})$")
_EVCO_ISO = re.compile(r"^([A-Z]{2})-?([A-Z0-9]{3})-?(C[A-Z0-9]{8})-?([0-9A-Z])$")
_EVCO_DIN = re.compile(r"^([A-Z]{2})[*-]?([A-Z0-9]{3})[*-]?([A-Z0-9]{6})[*-]?([0-9X])$")
_POOL = re.compile(r"^[A-Z]{2}\*?[A-Z0-9]{3}\*?P[A-Z0-9*]{1,30}$")
_SESSION = re.compile(r"^[A-Za-z0-9]{8}(-[A-Za-z0-9]{4}){3}-[A-Za-z0-9]{12}$")
_UID = re.compile(r"^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PARTY = re.compile(r"^[A-Z0-9]{3}$")
_EVSE_ID_MAX = 38  # ISO EvseID; DIN is bounded by its pattern
PRODUCT_ID_MAX = 50


def canonical(identifier: str) -> str:
    """Comparison key of an Operator/Provider/EVSE/EVCO ID: upper case, `*` and `-` removed (ISO);
    DIN IDs keep their `+cc*ooo*…` shape because their parts have no fixed width."""
    upper = identifier.strip().upper()
    if upper.startswith("+") or upper[:1].isdigit():
        return "+" + upper.lstrip("+")
    return upper.replace("*", "").replace("-", "")


def operator_id(value: str, field: str = "OperatorID") -> str:
    """A valid OperatorID in emitted form (`DE*ABC`, DIN `+49*536`); raises InvalidId."""
    upper = value.strip().upper()
    if iso := _OPERATOR_ISO.match(upper):
        return f"{iso[1]}*{iso[2]}"
    if din := _DIN_OPERATOR.match(upper):
        return f"+{din[1]}*{din[2]}"
    raise InvalidId(field, value, "OperatorID")


def provider_id(value: str, field: str = "ProviderID") -> str:
    """A valid ProviderID in emitted form (`DE-8EO`; the DIN spelling `DE*8EO` is accepted)."""
    if iso := _PROVIDER_ISO.match(value.strip().upper()):
        return f"{iso[1]}-{iso[2]}"
    raise InvalidId(field, value, "ProviderID")


def evse_id(value: str, field: str = "EvseID") -> str:
    """A valid EvseID, upper case, ISO form with the `*` after country and operator restored."""
    upper = value.strip().upper()
    if (iso := _EVSE_ISO.match(upper)) and len(f"{iso[1]}*{iso[2]}*{iso[3]}") <= _EVSE_ID_MAX:
        return f"{iso[1]}*{iso[2]}*{iso[3]}"
    if din := _EVSE_DIN.match(upper):
        return f"+{din[1]}*{din[2]}*{din[3]}"
    raise InvalidId(field, value, "EvseID")


def evco_id(value: str, field: str = "EvcoID") -> str:
    """A valid EvcoID, upper case (HBS upper-cases them), with its separators restored:
    ISO `DE-8EO-CAET5E4XY-3`, DIN `DE*8EO*AET5E4*3`."""
    upper = value.strip().upper()
    if iso := _EVCO_ISO.match(upper):
        return "-".join(iso.groups())
    if din := _EVCO_DIN.match(upper):
        return "*".join(din.groups())
    raise InvalidId(field, value, "EvcoID")


def session_id(value: str, field: str = "SessionID") -> str:
    """A valid HBS SessionID (a GUID), unchanged."""
    if _SESSION.match(value):
        return value
    raise InvalidId(field, value, "SessionID")


def rfid_uid(value: str, field: str = "uid") -> str:
    """An OCPI RFID token uid as an OICP UID: hex of 8, 14 or 20 digits, upper-cased."""
    upper = value.strip().upper()
    if _UID.match(upper):
        return upper
    raise Unmappable(field, f"{value!r} is not an RFID UID OICP accepts (8, 14 or 20 hex digits)")


def product_id(value: str, field: str = "PartnerProductID") -> str:
    """An OICP ProductID (at most 50 characters)."""
    if 0 < len(value) <= PRODUCT_ID_MAX:
        return value
    raise Unmappable(field, f"{value!r} does not fit an OICP ProductID (1-{PRODUCT_ID_MAX} characters)")


def _party(country_code: str, party_id: str, field: str) -> PartyKey:
    party = PartyKey.of(country_code, party_id)
    if not (_COUNTRY.match(party.country_code) and _PARTY.match(party.party_id)):
        raise Unmappable(field, f"party {party} has no eMI3 form (2 letters + 3 alphanumerics); configure its ID")
    return party


def operator_id_of_party(party: PartyKey) -> str:
    """Default OperatorID of an OCPI CPO: `cc*pid`."""
    checked = _party(party.country_code, party.party_id, "party_id")
    return f"{checked.country_code}*{checked.party_id}"


def provider_id_of_party(party: PartyKey) -> str:
    """Default ProviderID of an OCPI eMSP: `cc-pid`."""
    checked = _party(party.country_code, party.party_id, "party_id")
    return f"{checked.country_code}-{checked.party_id}"


def _override(value: str, overrides: Mapping[str, PartyKey] | None) -> PartyKey | None:
    if not overrides:
        return None
    key = canonical(value)
    return next((party for known, party in overrides.items() if canonical(known) == key), None)


def party_of_operator_id(value: str, overrides: Mapping[str, PartyKey] | None = None) -> PartyKey:
    """The OCPI CPO behind an OperatorID; configured overrides win; a DIN ID needs one."""
    checked = operator_id(value)
    if party := _override(checked, overrides):
        return party
    if checked.startswith("+"):
        raise Unmappable("OperatorID", f"DIN operator {checked} has no OCPI party; configure one")
    return PartyKey.of(checked[:2], checked[3:])


def party_of_provider_id(value: str, overrides: Mapping[str, PartyKey] | None = None) -> PartyKey:
    """The OCPI eMSP behind a ProviderID; configured overrides win."""
    checked = provider_id(value)
    return _override(checked, overrides) or PartyKey.of(checked[:2], checked[3:])


def operator_id_of_evse_id(value: str) -> str:
    """The OperatorID an EvseID is issued under (its prefix)."""
    checked = evse_id(value)
    return "*".join(checked.split("*")[:2])


def provider_id_of_evco_id(value: str) -> str:
    """The ProviderID an EvcoID is issued under (its prefix)."""
    key = canonical(evco_id(value))
    return f"{key[:2]}-{key[2:5]}"


def party_of_evse_id(value: str, overrides: Mapping[str, PartyKey] | None = None) -> PartyKey:
    """The OCPI CPO owning an EVSE, found from the EvseID prefix."""
    return party_of_operator_id(operator_id_of_evse_id(value), overrides)


def party_of_evco_id(value: str, overrides: Mapping[str, PartyKey] | None = None) -> PartyKey:
    """The OCPI eMSP owning a contract, found from the EvcoID prefix."""
    return party_of_provider_id(provider_id_of_evco_id(value), overrides)


def stable_id(*parts: str) -> str:
    """A deterministic 32-character OCPI id for OICP data that has no key short enough."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32].upper()


def evse_uid_of_evse_id(value: str) -> str:
    """OCPI `EVSE.uid` for an OICP EVSE: its canonical EvseID, hashed when longer than 36."""
    key = canonical(evse_id(value))
    return key if len(key) <= OCPI_ID_MAX else stable_id(key)


def location_id_of_pool(pool_id: str) -> str:
    """OCPI `Location.id` for an OICP ChargingPoolID: the ID itself (upper case), hashed when too long."""
    upper = pool_id.strip().upper()
    return upper if len(upper) <= OCPI_ID_MAX else stable_id(upper)


def pool_id_of_location(party: PartyKey, location_id: str) -> str | None:
    """The ChargingPoolID `cc*pid*P<id>` for an OCPI Location, or None when that breaks the pattern."""
    candidate = f"{party.country_code}*{party.party_id}*P{location_id.upper()}"
    return candidate if _POOL.match(candidate) and len(location_id) <= 30 else None


def tariff_id_of_product(value: str) -> str:
    """OCPI `Tariff.id` for an OICP ProductID: the ProductID itself, hashed when longer than 36."""
    return value if len(value) <= OCPI_ID_MAX else stable_id(value)
