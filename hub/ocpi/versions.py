"""The OCPI versions the hub speaks, and what each one offers.

Each edition is one `Edition` value; 2.1.1 and 2.3.0 slot in as further values (their
credentials shape, token encoding and interface roles differ, requirements §2.6 and §5).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.types import InterfaceRole, TokenEncoding

__all__ = ["CONFIGURATION_MODULES", "EDITIONS", "Edition", "FUNCTIONAL_MODULES", "V221", "hub_endpoints"]

FUNCTIONAL_MODULES: tuple[str, ...] = (
    "cdrs",
    "chargingprofiles",
    "commands",
    "locations",
    "sessions",
    "tariffs",
    "tokens",
)
CONFIGURATION_MODULES: tuple[str, ...] = ("credentials", "hubclientinfo", "versions")


@dataclass(frozen=True, slots=True)
class Edition:
    """One OCPI version as the hub implements it."""

    number: str
    functional_modules: tuple[str, ...]
    interface_roles: bool
    token_encoding: TokenEncoding


V221 = Edition(
    number="2.2.1",
    functional_modules=FUNCTIONAL_MODULES,
    interface_roles=True,
    token_encoding=TokenEncoding.BASE64,
)

EDITIONS: dict[str, Edition] = {V221.number: V221}


def _role_segment(role: InterfaceRole) -> str:
    return role.value.lower()


def hub_endpoints(edition: Edition, base_url: str) -> list[dict[str, str]]:
    """The hub's version-details endpoints: SENDER and RECEIVER for every functional module,
    SENDER for hubclientinfo (and RECEIVER, where an upstream hub tells which parties it
    reaches), and credentials once (role SENDER, advised by 2.2.1-d2)."""
    root = f"{base_url}/ocpi/{edition.number}"
    endpoints = [{"identifier": "credentials", "role": InterfaceRole.SENDER.value, "url": f"{root}/credentials"}]
    for module in edition.functional_modules:
        for role in (InterfaceRole.SENDER, InterfaceRole.RECEIVER):
            endpoints.append(
                {"identifier": module, "role": role.value, "url": f"{root}/{_role_segment(role)}/{module}"}
            )
    for role in (InterfaceRole.SENDER, InterfaceRole.RECEIVER):
        url = f"{root}/{_role_segment(role)}/hubclientinfo"
        endpoints.append({"identifier": "hubclientinfo", "role": role.value, "url": url})
    return endpoints
