"""The HBS paths of the operations this adapter calls (oicp-bridge.md §3), relative to `base_url`.

The ID in a path is always the caller's own (hub) ID, sent raw (`DE*ABC`; HBS accepts `%2A` too).
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["OPERATIONS", "operation_path"]

OPERATIONS: dict[str, str] = {
    "eRoamingPushEvseData": "/evsepush/v23/operators/{operator}/data-records",
    "eRoamingPushEvseStatus": "/evsepush/v21/operators/{operator}/status-records",
    "eRoamingPushPricingProductData": "/dynamicpricing/v10/operators/{operator}/pricing-products",
    "eRoamingAuthorizeStart": "/charging/v21/operators/{operator}/authorize/start",
    "eRoamingAuthorizeRemoteStart": "/charging/v21/providers/{provider}/authorize-remote/start",
    "eRoamingAuthorizeRemoteStop": "/charging/v21/providers/{provider}/authorize-remote/stop",
    "eRoamingAuthorizeRemoteReservationStart": "/reservation/v11/providers/{provider}/reservation-start-request",
    "eRoamingAuthorizeRemoteReservationStop": "/reservation/v11/providers/{provider}/reservation-stop-request",
    "eRoamingChargingNotifications": "/notificationmgmt/v11/charging-notifications",
    "eRoamingChargeDetailRecord": "/cdrmgmt/v22/operators/{operator}/charge-detail-record",
}


def operation_path(operation: str, *, operator: str | None = None, provider: str | None = None) -> str:
    """`/evsepush/v23/operators/DE*HUB/data-records` for ("eRoamingPushEvseData", operator="DE*HUB")."""
    template = OPERATIONS[operation]
    if "{operator}" in template:
        if not operator:
            raise ValueError(f"{operation} needs the OperatorID")
        return template.replace("{operator}", quote(operator, safe="*-"))
    if "{provider}" in template:
        if not provider:
            raise ValueError(f"{operation} needs the ProviderID")
        return template.replace("{provider}", quote(provider, safe="*-"))
    return template
