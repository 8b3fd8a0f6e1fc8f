"""OCPI 2.1.1 <-> 2.2.1 translation (issue 15; requirements §5.4). Pure: no I/O, no clock.

`to_v221(kind, obj, **context)` turns a 2.1.1 object into its 2.2.1 form, `from_v221(kind, obj, **context)`
the reverse. What 2.1.1 cannot say is passed by the caller as keyword-only context (see each function).
`patch_to_v221(kind, obj, received_at=)` / `patch_from_v221(kind, obj)` do the same for PATCH bodies
(partial Location, EVSE, Connector, Session, Tariff, Token): only the fields present are translated, by
the rules below, plus the PATCH rules at the end. `merge_patch(stored, patch)` applies a PATCH the way an
OCPI receiver does (for the Tariff PATCH 2.2.1 lacks). `datetimes_to_v211(kind, obj)` puts every
DateTime of a 2.1.1 object in the form 2.1.1 parties expect; the translation functions themselves pass
DateTimes as they are, so the pipeline calls it last, on what it sends to a 2.1.1 party.
Strings are passed as they are: the ASCII policy for 2.1.1 receivers (requirements §5.1) is the
pipeline's business, as is the owner of a 2.1.1 object.

Rules (down = 2.2.1 -> 2.1.1, up = 2.1.1 -> 2.2.1; "error" = `Untranslatable` naming the field):

Each rule reads `field [direction]: rule`.

- country_code, party_id (objects) [up]: from context `country_code`/`party_id` (error if absent)
- country_code, party_id (objects) [down]: dropped (the 2.1.1 connection says who owns it)
- ids limited to 36 in 2.2.1 (Location.id, EVSE.uid, location_id, evse_uid) [up]: error if longer
- CDR.id (39 in 2.2.1, 36 in 2.1.1) [down]: error if longer
- Location.type <-> parking_type [both]: same names; ALONG_MOTORWAY/ON_DRIVEWAY -> OTHER; absent -> UNKNOWN;
    OTHER/UNKNOWN -> absent
- Location.publish [down]: false -> error (2.1.1 cannot restrict visibility; see `publishable_to_v211`); true:
    dropped with publish_allowed_to
- Location.publish [up]: true (2.1.1 locations are public)
- Location.state [down]: dropped (address detail)
- Location.postal_code [down]: absent -> "" (mandatory in 2.1.1)
- Location.time_zone [up]: mandatory in 2.2.1: from the object, else context `time_zone`, else error
- Location.facilities [down]: values 2.1.1 lacks dropped
- Hours.twentyfourseven [up]: absent -> false; not 24/7 without regular_hours -> error (mandatory in 2.2.1)
- Hours [down]: twentyfourseven true -> regular_hours dropped; false -> twentyfourseven omitted
- GeoLocation latitude/longitude [down]: 5-7 decimals -> exactly 6 (padded / rounded half-even, ~0.1 m)
- EnvironmentalImpact.source <-> category [both]: renamed
- EVSE.capabilities [down]: values 2.1.1 lacks dropped
- EVSE.connectors [down]: connectors whose standard/power_type 2.1.1 lacks are dropped; no connector left ->
    error (an EVSE without connector is dropped from a Location)
- Connector.standard / power_type [down]: a Connector alone with a value 2.1.1 lacks -> error
- Connector voltage/amperage <-> max_voltage/max_amperage [both]: renamed
- Connector.max_electric_power [down]: dropped (derivable from voltage/amperage)
- Connector tariff_id <-> tariff_ids [both]: one <-> list of one; empty list dropped; several tariff_ids -> error
- Session/CDR auth_id <-> cdr_token [up]: context `cdr_token` (2.2.1 CdrToken of the Token behind auth_id; its
    contract_id must be auth_id), else error
- Session/CDR cdr_token [down]: auth_id = contract_id
- Session/CDR enum values [down]: AuthMethod COMMAND -> AUTH_REQUEST; SessionStatus RESERVATION ->
    PENDING
- Session.location <-> location_id, evse_uid, connector_id [up]: the embedded Location must hold one EVSE with
    one Connector, else error
- Session.location, CDR.location [down]: context `location` (the 2.2.1 Location), reduced to the EVSE and
    Connector; else error
- CDR.location <-> cdr_location [up]: flattened; EVSE.evse_id is mandatory there (error if absent)
- start_datetime/end_datetime (Session), stop_date_time (CDR) [both]: renamed to start_date_time/end_date_time
- total_cost number <-> Price [both]: number = excl_vat; incl_vat dropped down
- CDR total_*_cost, signed_data, session_id, invoice_reference_id, authorization_reference [down]: dropped
    (breakdown / references; the totals stay)
- CDR.credit true, home_charging_compensation true [down]: error (2.1.1 has no credit or compensation CDR)
- ChargingPeriod.tariff_id [down]: dropped
- CdrDimension types one edition lacks [both]: dropped (FLAT up; CURRENT, POWER, ... down); a period left empty
    is dropped; a CDR left without period -> error
- Tariff.type [down]: REGULAR dropped; other types -> error (a 2.1.1 receiver would apply it to everybody)
- Tariff min_price, max_price, start_date_time, end_date_time [down]: error (they change the price or when it
    applies)
- PriceComponent.vat [down]: dropped (2.1.1 prices are excl. VAT)
- TariffRestrictions min_current, max_current [down]: error (the element would apply to other sessions)
- TariffElement with restrictions.reservation [down]: element dropped (else priced as charging); no element left
    -> error
- Token auth_id <-> contract_id [both]: renamed
- Token.type AD_HOC_USER, APP_USER [down]: OTHER
- Token group_id, default_profile_type, energy_contract [down]: dropped (no 2.1.1 feature uses them)
- AuthorizationInfo.token [up]: context `token` (2.2.1 Token), else error
- AuthorizationInfo token, authorization_reference [down]: dropped
- LocationReferences.connector_ids [up]: non-empty -> error (2.2.1 would widen the authorization)
- StartSession connector_id, authorization_reference; ReserveNow authorization_reference [down]: dropped (2.1.1
    starts on the EVSE)
- ReserveNow.reservation_id int <-> str [both]: decimal text; a non-integer id -> error
- CancelReservation [both]: error (2.1.1 has no such command)
- CommandResponse [up]: context `timeout` (seconds, default 30); TIMEOUT -> REJECTED
- CommandResponse timeout, message [down]: dropped
- CommandResult (async 2.1.1 CommandResponse) [up]: UNKNOWN_SESSION -> FAILED
- CommandResult [down]: EVSE_OCCUPIED, EVSE_INOPERATIVE, FAILED, UNKNOWN_RESERVATION, CANCELED_RESERVATION ->
    REJECTED; message dropped
- Credentials roles [up]: one role: context `role` (error if absent)
- Credentials roles [down]: exactly one role, else error

PATCH bodies (`patch_to_v221`, `patch_from_v221`): a field absent from the body is absent from the result;
a present field is translated by the rule above for its object, a nested object (opening_times, an EVSE
in `evses`, a ChargingPeriod, a TariffElement) by the whole-object rule (a list in a PATCH replaces the
list, so its elements are whole). Where a rule above fills in or checks a mandatory field (type UNKNOWN,
postal_code "", time_zone, publish, owner) it applies to whole objects only; a
PATCH leaves the field out. Then:

- null [both] (unless a rule below says otherwise; whole objects too): the key is renamed, the value stays
    null and is not converted (what null means is the receiver's business)
- last_updated [up]: mandatory in a 2.2.1 PATCH: kept, else context `received_at`, else error
- last_updated [down]: kept (optional in 2.1.1)
- country_code, party_id [up]: not added (the URL names the owner)
- Location.type OTHER/UNKNOWN [up]: dropped: a 2.2.1 PATCH cannot remove parking_type (the receiver keeps
    the one it has); parking_type null [down]: type UNKNOWN
- Connector tariff_id null [up]: tariff_ids [] ("no tariff"); tariff_ids [] or null [down]: tariff_id null
- Session auth_id, location [up]: error (their 2.2.1 forms need context a PATCH does not carry; send a PUT)
- Session location_id, evse_uid, connector_id [down]: error (2.1.1 embeds the Location; send a PUT)
- Session cdr_token [down]: auth_id = contract_id (no context needed)
- Session.charging_periods [both]: 2.1.1 PATCH replaces the list, 2.2.1 PATCH appends to it
    [221 SES:300-306]; translated element-wise as in a whole Session, reconciling with the stored Session
    is the pipeline's (send up only the periods the receiver lacks; down, the merged list). [] [up]: error
    (2.1.1 clears the periods, a 2.2.1 PATCH cannot); a list left empty by the dimension rule [up], or
    empty [down]: dropped (nothing to add; a 2.1.1 receiver would clear the list)
- Tariff [up]: translated like the others, but 2.2.1 has no Tariff PATCH: the pipeline merges the PATCH
    into its stored 2.1.1 Tariff (`merge_patch`) and sends `to_v221` of the result as a PUT
- Tariff type, min_price, max_price, start_date_time, end_date_time [down]: as above; null: dropped
- CDR, commands and the other objects: error (OCPI has no PATCH of them)

`merge_patch(stored, patch)`: fields the PATCH leaves out stay, fields it carries replace the stored ones
whole (lists and nested objects included: no element-wise merge), a null removes the field.

`datetimes_to_v211(kind, obj)`: every DateTime field of the 2.1.1 form of `kind` (nested: a Session's
Location, EVSEs, Connectors, ChargingPeriods, status_schedule and exceptional periods, a CDR's Tariffs, a
command's Token) becomes `YYYY-MM-DDTHH:MM:SSZ`: fraction truncated (not rounded), no designator read as
UTC, a numeric offset converted to UTC, a leap second (:60) kept; a value that is not a parseable
DateTime is left as it is. Other fields are not looked at, so a string that merely looks like a
DateTime stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v211._common import (
    _RESULT_DOWN,
    V211,
    V221,
    Obj,
    _need,
    _owner,
    _put,
)
from hub.translation.v211._datetimes import datetime_to_v211, datetimes_to_v211
from hub.translation.v211._locations import (
    _connector_down,
    _connector_up,
    _evse_down,
    _evse_up,
    _location_down,
    _location_up,
    publishable_to_v211,
)
from hub.translation.v211._money import (
    _cdr_down,
    _cdr_up,
    _session_down,
    _session_up,
    _tariff_down,
    _tariff_up,
)
from hub.translation.v211._patch import merge_patch, patch_from_v221, patch_to_v221
from hub.translation.v211._tokens import _command_down, _command_up, _references_up, _token_down, _token_up

__all__ = [
    "datetime_to_v211",
    "datetimes_to_v211",
    "from_v221",
    "merge_patch",
    "patch_from_v221",
    "patch_to_v221",
    "publishable_to_v211",
    "to_v221",
]

# --- the two entry points --------------------------------------------------------------------------


def to_v221(
    kind: ObjectKind,
    obj: Mapping[str, Any],
    *,
    country_code: str | None = None,
    party_id: str | None = None,
    time_zone: str | None = None,
    cdr_token: Mapping[str, Any] | None = None,
    token: Mapping[str, Any] | None = None,
    role: str | None = None,
    timeout: int = 30,
) -> Obj:
    """The 2.2.1 form of the 2.1.1 object `obj` of `kind`.

    country_code, party_id: owner of a Location, Session, CDR, Tariff or Token; for StartSession and
        ReserveNow the owner of the embedded Token (the eMSP).
    time_zone: for a Location that has none (mandatory in 2.2.1).
    cdr_token: the 2.2.1 CdrToken of the Token behind a Session's or CDR's auth_id.
    token: the complete 2.2.1 Token an AuthorizationInfo is about.
    role: the Role of the 2.1.1 party of a Credentials object.
    timeout: seconds put in a CommandResponse (2.1.1 has none).
    """

    def owner() -> Obj:
        return _owner(country_code, party_id)

    k = ObjectKind
    match kind:
        case k.LOCATION:
            return _location_up(obj, owner(), time_zone)
        case k.EVSE:
            return _evse_up(obj)
        case k.CONNECTOR:
            return _connector_up(obj)
        case k.SESSION:
            return _session_up(obj, owner(), cdr_token)
        case k.CDR:
            return _cdr_up(obj, owner(), cdr_token)
        case k.TARIFF:
            return _tariff_up(obj, owner())
        case k.TOKEN:
            return _token_up(obj, owner())
        case k.AUTHORIZATION_INFO:
            out: Obj = {
                "allowed": obj["allowed"],
                "token": dict(_need(token, "token", V221, "mandatory in 2.2.1; pass token= (the 2.2.1 Token)")),
            }
            if obj.get("location") is not None:
                out["location"] = _references_up(obj["location"], "location.")
            _put(out, "info", obj.get("info"))
            return out
        case k.LOCATION_REFERENCES:
            return _references_up(obj)
        case k.START_SESSION | k.STOP_SESSION | k.RESERVE_NOW | k.UNLOCK_CONNECTOR:
            return _command_up(kind, obj, owner)
        case k.COMMAND_RESPONSE:
            result = "REJECTED" if obj["result"] == "TIMEOUT" else obj["result"]
            return {"result": result, "timeout": timeout}
        case k.COMMAND_RESULT:
            result = "FAILED" if obj["result"] == "UNKNOWN_SESSION" else obj["result"]
            return {"result": result}
        case k.CREDENTIALS:
            why = "2.1.1 credentials name no role; pass role="
            credentials_role = {
                "role": _need(role, "role", V221, why),
                "business_details": obj["business_details"],
                "party_id": obj["party_id"],
                "country_code": obj["country_code"],
            }
            return {"token": obj["token"], "url": obj["url"], "roles": [credentials_role]}
        case _:
            raise Untranslatable(str(kind), V221, "OCPI 2.1.1 has no such object")


def from_v221(
    kind: ObjectKind,
    obj: Mapping[str, Any],
    *,
    location: Mapping[str, Any] | None = None,
) -> Obj:
    """The 2.1.1 form of the 2.2.1 object `obj` of `kind`.

    location: the 2.2.1 Location a Session or CDR refers to (2.1.1 embeds it, reduced to the EVSE
        and Connector concerned).
    """
    k = ObjectKind
    match kind:
        case k.LOCATION:
            return _location_down(obj)
        case k.EVSE:
            return _evse_down(obj)
        case k.CONNECTOR:
            return _connector_down(obj)
        case k.SESSION:
            return _session_down(obj, location)
        case k.CDR:
            return _cdr_down(obj, location)
        case k.TARIFF:
            return _tariff_down(obj)
        case k.TOKEN:
            return _token_down(obj)
        case k.AUTHORIZATION_INFO:
            out: Obj = {"allowed": obj["allowed"]}
            _put(out, "location", obj.get("location"))
            _put(out, "info", obj.get("info"))
            return out
        case k.LOCATION_REFERENCES:
            return dict(obj)
        case k.START_SESSION | k.STOP_SESSION | k.RESERVE_NOW | k.UNLOCK_CONNECTOR:
            return _command_down(kind, obj)
        case k.COMMAND_RESPONSE:
            return {"result": obj["result"]}
        case k.COMMAND_RESULT:
            return {"result": _RESULT_DOWN.get(obj["result"], "REJECTED")}
        case k.CREDENTIALS:
            roles = obj["roles"]
            if len(roles) != 1:
                raise Untranslatable("roles", V211, f"{len(roles)} roles; a 2.1.1 connection is one party")
            one = roles[0]
            return {
                "token": obj["token"],
                "url": obj["url"],
                "business_details": one["business_details"],
                "party_id": one["party_id"],
                "country_code": one["country_code"],
            }
        case _:
            raise Untranslatable(str(kind), V211, "OCPI 2.1.1 has no such object (no CANCEL_RESERVATION)")
