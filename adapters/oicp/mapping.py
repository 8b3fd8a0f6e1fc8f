"""The OCPI 2.2.1 <-> OICP 2.3 translations in one place (oicp-bridge.md §7).

OCPI values are plain dicts as they travel in OCPI JSON; OICP values are the models of
`adapters.oicp.models`. Whatever has no faithful form on the other side raises `Unmappable`
naming the field; what the reference declares lost is listed in each function's docstring.
The functions live in modules per subject and are gathered here.
"""

from adapters.oicp.authorization import (
    authorization_info_from_authorize_start_response,
    authorization_start_from_authorization_info,
    authorization_start_refused,
    authorization_stop,
    authorize_start_from_ocpi,
    stop_identifications,
)
from adapters.oicp.cdrs import NO_PRICE_REMARK, cdr_from_oicp, cdr_to_oicp
from adapters.oicp.commands import (
    acknowledgement,
    acknowledgement_from_command,
    cancel_reservation_from_reservation_stop,
    command_response_from_ack,
    command_result_from_ack,
    ensure_command_supported,
    remote_start_from_command,
    remote_stop_from_command,
    reservation_start_from_command,
    reservation_stop_from_command,
    reserve_now_from_reservation_start,
    start_session_from_remote_start,
    stop_session_from_remote_stop,
)
from adapters.oicp.errors import InvalidId, Unmappable
from adapters.oicp.locations import (
    EvseRecordConfig,
    LocationBatch,
    cdr_location_from_evse_record,
    evse_records_to_locations,
    evse_status_record,
    evse_to_evse_record,
    location_to_evse_records,
    ocpi_evse_status,
    withdrawn_evse_ids,
)
from adapters.oicp.pricing import (
    cost_from_pricing,
    default_tariff,
    evse_pricing_from_location,
    pricing_to_tariff,
    tariff_to_pricing,
)
from adapters.oicp.sessions import (
    NotificationKind,
    charging_notification_from_session,
    notification_kind,
    session_from_charging_notification,
    session_patch_from_charging_notification,
)
from adapters.oicp.tokens import (
    auth_data_identification_from_token,
    cdr_token_from_identification,
    identification_evco_id,
    identification_from_token,
    identification_uid,
    token_from_identification,
)

__all__ = [
    "NO_PRICE_REMARK",
    "EvseRecordConfig",
    "InvalidId",
    "LocationBatch",
    "NotificationKind",
    "Unmappable",
    "acknowledgement",
    "acknowledgement_from_command",
    "auth_data_identification_from_token",
    "authorization_info_from_authorize_start_response",
    "authorization_start_from_authorization_info",
    "authorization_start_refused",
    "authorization_stop",
    "authorize_start_from_ocpi",
    "cancel_reservation_from_reservation_stop",
    "cdr_from_oicp",
    "cdr_location_from_evse_record",
    "cdr_to_oicp",
    "cdr_token_from_identification",
    "charging_notification_from_session",
    "command_response_from_ack",
    "command_result_from_ack",
    "cost_from_pricing",
    "default_tariff",
    "ensure_command_supported",
    "evse_pricing_from_location",
    "evse_records_to_locations",
    "evse_status_record",
    "evse_to_evse_record",
    "identification_evco_id",
    "identification_from_token",
    "identification_uid",
    "location_to_evse_records",
    "notification_kind",
    "ocpi_evse_status",
    "pricing_to_tariff",
    "remote_start_from_command",
    "remote_stop_from_command",
    "reservation_start_from_command",
    "reservation_stop_from_command",
    "reserve_now_from_reservation_start",
    "session_from_charging_notification",
    "session_patch_from_charging_notification",
    "start_session_from_remote_start",
    "stop_identifications",
    "stop_session_from_remote_stop",
    "tariff_to_pricing",
    "token_from_identification",
    "withdrawn_evse_ids",
]
