"""OCPI Token / CdrToken <-> OICP Identification (oicp-bridge.md §7.4).

RFID tokens travel by UID (hex, 8/14/20 digits); every other token by its contract_id as EvcoID.
OICP QR-code identification (EvcoID + PIN) has no OCPI token; Plug&Charge becomes type OTHER.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    EvcoIdentification,
    Identification,
    RFIDIdentification,
    RFIDMifareFamilyIdentification,
    RfidType,
)
from adapters.oicp.timefmt import ocpi_time
from hub.types import PartyKey

__all__ = [
    "auth_data_identification_from_token",
    "cdr_token_from_identification",
    "identification_evco_id",
    "identification_from_token",
    "identification_uid",
    "token_from_identification",
]

Json = dict[str, Any]


def identification_from_token(token: Json, field: str = "token") -> Identification:
    """The Identification for authorization, remote commands, notifications and CDRs.

    RFID -> RFIDMifareFamilyIdentification{UID}; other types -> RemoteIdentification{EvcoID =
    contract_id}. Raises Unmappable for an RFID uid that is not 8/14/20 hex digits (`<field>.uid`)
    and for a contract_id that is not an EvcoID (`<field>.contract_id`).
    Lost: contract_id of RFID tokens, visual_number, issuer, group_id, whitelist, language,
    default_profile_type, energy_contract.
    """
    if token.get("type") == "RFID":
        uid = ids.rfid_uid(str(token.get("uid", "")), f"{field}.uid")
        return Identification(rfid_mifare_family=RFIDMifareFamilyIdentification(uid=uid))
    evco = ids.evco_id(str(token.get("contract_id") or ""), f"{field}.contract_id")
    return Identification(remote=EvcoIdentification(evco_id=evco))


def auth_data_identification_from_token(token: Json, rfid: RfidType = "mifareCls") -> Identification:
    """An eMSP's RFID token for PushAuthenticationData (offline authorization by HBS).

    Only valid RFID tokens that may be used without an online check are uploaded: raises Unmappable
    for other types (`type`), `valid` false (`valid`: delete it instead) and whitelist NEVER
    (`whitelist`: they go through online AuthorizeStart). contract_id is sent as EvcoID only when it
    is one (else the card is known by UID alone); visual_number becomes PrintedNumber.
    """
    if token.get("type") != "RFID":
        raise Unmappable("type", f"only RFID tokens are uploaded as authentication data, not {token.get('type')}")
    if token.get("valid") is False:
        raise Unmappable("valid", "an invalid token is deleted from the authentication data, not uploaded")
    if token.get("whitelist") == "NEVER":
        raise Unmappable("whitelist", "a NEVER-whitelisted token needs online authorization")
    try:
        evco: str | None = ids.evco_id(str(token.get("contract_id") or ""))
    except Unmappable:
        evco = None
    visual = token.get("visual_number")
    return Identification(
        rfid=RFIDIdentification(
            uid=ids.rfid_uid(str(token.get("uid", ""))),
            rfid=rfid,
            evco_id=evco,
            printed_number=visual[:150] if isinstance(visual, str) else None,
        )
    )


def identification_uid(identification: Identification) -> str | None:
    """The RFID UID an Identification carries, if it is an RFID one."""
    card = identification.rfid_mifare_family or identification.rfid
    return card.uid.upper() if card is not None else None


def identification_evco_id(identification: Identification) -> str | None:
    """The EvcoID an Identification carries (QR code, Plug&Charge, remote, RFID with EvcoID)."""
    for option in (identification.remote, identification.plug_and_charge, identification.qr_code, identification.rfid):
        if option is not None and option.evco_id:
            return option.evco_id.upper()
    return None


def _uid_type_contract(identification: Identification) -> tuple[str, str, str]:
    if identification.qr_code is not None:
        raise Unmappable("QRCodeIdentification", "EvcoID + PIN identification has no OCPI token")
    if identification.remote is not None:
        evco = ids.evco_id(identification.remote.evco_id, "RemoteIdentification.EvcoID")
        return evco, "APP_USER", evco
    if identification.plug_and_charge is not None:
        evco = ids.evco_id(identification.plug_and_charge.evco_id, "PlugAndChargeIdentification.EvcoID")
        return evco, "OTHER", evco
    uid = identification_uid(identification)
    assert uid is not None  # the model guarantees exactly one option
    return uid, "RFID", identification_evco_id(identification) or uid


def _owner(
    identification: Identification, provider_id: str | None, overrides: Mapping[str, PartyKey] | None
) -> PartyKey:
    evco = identification_evco_id(identification)
    if evco is not None:
        return ids.party_of_evco_id(evco, overrides)
    if provider_id:
        return ids.party_of_provider_id(provider_id, overrides)
    raise Unmappable("ProviderID", "an RFID identification without ProviderID has no known owner")


def token_from_identification(
    identification: Identification,
    *,
    provider_id: str | None,
    last_updated: datetime,
    valid: bool = True,
    party_overrides: Mapping[str, PartyKey] | None = None,
) -> Json:
    """An OCPI Token synthesized from an OICP Identification (whitelist NEVER: HBS authorizes).

    Owner: the EvcoID prefix, else `provider_id`. uid/contract_id: the UID (RFID; contract_id = EvcoID
    when the card has one) or the EvcoID (remote -> APP_USER, Plug&Charge -> OTHER). issuer =
    provider_id (or the owner's ProviderID). Raises Unmappable for QR-code identification and for an
    RFID identification without provider_id.
    """
    uid, token_type, contract = _uid_type_contract(identification)
    owner = _owner(identification, provider_id, party_overrides)
    token: Json = {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "uid": uid,
        "type": token_type,
        "contract_id": contract,
        "issuer": provider_id or ids.provider_id_of_party(owner),
        "valid": valid,
        "whitelist": "NEVER",
        "last_updated": ocpi_time(last_updated),
    }
    if identification.rfid is not None and identification.rfid.printed_number:
        token["visual_number"] = identification.rfid.printed_number[:64]
    return token


def cdr_token_from_identification(identification: Identification, *, owner: PartyKey) -> Json:
    """An OCPI CdrToken (sessions, CDRs) from an Identification and the token's owner party.
    Raises Unmappable for QR-code identification."""
    uid, token_type, contract = _uid_type_contract(identification)
    return {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "uid": uid,
        "type": token_type,
        "contract_id": contract,
    }
