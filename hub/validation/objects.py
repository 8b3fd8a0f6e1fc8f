"""Which model stands for which OCPI object name, per edition.

The names are those of the spec (and of `hub.validation.mapping`); an edition without an object
(2.1.1 has no ChargingProfiles, no HubClientInfo, no CancelReservation) leaves it out, and the
combinations that would use it are then not validated.
"""

from __future__ import annotations

from typing import Any

from hub.ocpi.models.v211 import cdrs as cdrs211
from hub.ocpi.models.v211 import commands as commands211
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v211 import sessions as sessions211
from hub.ocpi.models.v211 import tariffs as tariffs211
from hub.ocpi.models.v211 import tokens as tokens211
from hub.ocpi.models.v221 import cdrs as cdrs221
from hub.ocpi.models.v221 import chargingprofiles as profiles221
from hub.ocpi.models.v221 import commands as commands221
from hub.ocpi.models.v221 import hubclientinfo as hci221
from hub.ocpi.models.v221 import locations as locations221
from hub.ocpi.models.v221 import sessions as sessions221
from hub.ocpi.models.v221 import tariffs as tariffs221
from hub.ocpi.models.v221 import tokens as tokens221
from hub.ocpi.models.v221.enums import ChargingPreferencesResponse
from hub.ocpi.models.v230 import cdrs as cdrs230
from hub.ocpi.models.v230 import commands as commands230
from hub.ocpi.models.v230 import hubclientinfo as hci230
from hub.ocpi.models.v230 import locations as locations230
from hub.ocpi.models.v230 import sessions as sessions230
from hub.ocpi.models.v230 import tariffs as tariffs230
from hub.ocpi.models.v230 import tokens as tokens230

__all__ = ["EDITION_OBJECTS"]

_PROFILES: dict[str, Any] = {
    "SetChargingProfile": profiles221.SetChargingProfile,
    "ChargingProfileResponse": profiles221.ChargingProfileResponse,
    "ActiveChargingProfile": profiles221.ActiveChargingProfile,
    # The Sender's POST carries one of three results; ActiveChargingProfileResult is the widest.
    "ChargingProfileResult": profiles221.ActiveChargingProfileResult,
}

_V221: dict[str, Any] = {
    "Location": locations221.Location,
    "LocationPatch": locations221.LocationPatch,
    "EVSE": locations221.EVSE,
    "EVSEPatch": locations221.EVSEPatch,
    "Connector": locations221.Connector,
    "ConnectorPatch": locations221.ConnectorPatch,
    "Session": sessions221.Session,
    "SessionPatch": sessions221.SessionPatch,
    "ChargingPreferences": sessions221.ChargingPreferences,
    "ChargingPreferencesResponse": ChargingPreferencesResponse,
    "CDR": cdrs221.CDR,
    "Tariff": tariffs221.Tariff,
    "Token": tokens221.Token,
    "TokenPatch": tokens221.TokenPatch,
    "LocationReferences": tokens221.LocationReferences,
    "AuthorizationInfo": tokens221.AuthorizationInfo,
    **{cls.__name__: cls for cls in commands221.COMMAND_OBJECTS.values()},
    "CommandResponse": commands221.CommandResponse,
    "CommandResult": commands221.CommandResult,
    **_PROFILES,
    "ClientInfo": hci221.ClientInfo,
}

_V230: dict[str, Any] = {
    **_V221,
    "Location": locations230.Location,
    "LocationPatch": locations230.LocationPatch,
    "EVSE": locations230.EVSE,
    "EVSEPatch": locations230.EVSEPatch,
    "Connector": locations230.Connector,
    "ConnectorPatch": locations230.ConnectorPatch,
    "Session": sessions230.Session,
    "SessionPatch": sessions230.SessionPatch,
    "CDR": cdrs230.CDR,
    "Tariff": tariffs230.Tariff,
    "Token": tokens230.Token,
    "TokenPatch": tokens230.TokenPatch,
    "AuthorizationInfo": tokens230.AuthorizationInfo,
    **{cls.__name__: cls for cls in commands230.COMMAND_OBJECTS.values()},
    "ClientInfo": hci230.ClientInfo,
}

_V211: dict[str, Any] = {
    "Location": locations211.Location,
    "LocationPatch": locations211.LocationPatch,
    "EVSE": locations211.EVSE,
    "EVSEPatch": locations211.EVSEPatch,
    "Connector": locations211.Connector,
    "ConnectorPatch": locations211.ConnectorPatch,
    "Session": sessions211.Session,
    "SessionPatch": sessions211.SessionPatch,
    "CDR": cdrs211.CDR,
    "Tariff": tariffs211.Tariff,
    "TariffPatch": tariffs211.TariffPatch,
    "Token": tokens211.Token,
    "TokenPatch": tokens211.TokenPatch,
    "LocationReferences": tokens211.LocationReferences,
    "AuthorizationInfo": tokens211.AuthorizationInfo,
    **{cls.__name__: cls for cls in commands211.COMMAND_OBJECTS.values()},
    "CommandResponse": commands211.CommandResponse,
    # 2.1.1 posts a CommandResponse to the response_url (mod_commands.md 2.2).
    "CommandResult": commands211.CommandResponse,
}

EDITION_OBJECTS: dict[str, dict[str, Any]] = {"2.1.1": _V211, "2.2.1": _V221, "2.3.0": _V230}
