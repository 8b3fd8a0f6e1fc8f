"""The OCPI versions the hub speaks, and what each one offers.

Each edition is one `Edition` value. 2.2.1 is the hub's own language (the pivot of
`hub.translation`); 2.1.1 and 2.3.0 parties are translated at the edges (`hub.editions`).

2.1.1 differs in its transport (requirements §5.1): raw tokens, no routing headers, no interface
roles in version details, and one connection per party and role. Its endpoints keep the hub's
`/ocpi/2.1.1/{sender|receiver}/{module}` shape, but version details list one URL per module,
chosen by the connecting party's role (§5.2): toward a CPO the hub is an eMSP, toward an eMSP a CPO.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.types import InterfaceRole, Role, TokenEncoding

__all__ = [
    "CONFIGURATION_MODULES",
    "EDITIONS",
    "Edition",
    "FUNCTIONAL_MODULES",
    "PIVOT",
    "V211",
    "V221",
    "V230",
    "hub_endpoints",
    "is_v211_path",
    "v211_interface",
]

FUNCTIONAL_MODULES: tuple[str, ...] = (
    "cdrs",
    "chargingprofiles",
    "commands",
    "locations",
    "sessions",
    "tariffs",
    "tokens",
)
V211_MODULES: tuple[str, ...] = ("cdrs", "commands", "locations", "sessions", "tariffs", "tokens")
CONFIGURATION_MODULES: tuple[str, ...] = ("credentials", "hubclientinfo", "versions")


@dataclass(frozen=True, slots=True)
class Edition:
    """One OCPI version as the hub implements it."""

    number: str
    functional_modules: tuple[str, ...]
    interface_roles: bool  # version details name SENDER / RECEIVER (2.2+)
    token_encoding: TokenEncoding  # what the spec says goes in the Authorization header
    routing_headers: bool  # OCPI-to/from-* exist (2.2+)


V211 = Edition(
    number="2.1.1",
    functional_modules=V211_MODULES,
    interface_roles=False,
    token_encoding=TokenEncoding.RAW,
    routing_headers=False,
)
V221 = Edition(
    number="2.2.1",
    functional_modules=FUNCTIONAL_MODULES,
    interface_roles=True,
    token_encoding=TokenEncoding.BASE64,
    routing_headers=True,
)
V230 = Edition(
    number="2.3.0",
    functional_modules=FUNCTIONAL_MODULES,
    interface_roles=True,
    token_encoding=TokenEncoding.BASE64,
    routing_headers=True,
)
PIVOT = V221

EDITIONS: dict[str, Edition] = {e.number: e for e in (V211, V221, V230)}

# What a 2.1.1 party's endpoint of each module is in 2.2.1 terms, by the party's role (§5.2).
_V211_CPO = {
    "locations": InterfaceRole.SENDER,
    "sessions": InterfaceRole.SENDER,
    "cdrs": InterfaceRole.SENDER,
    "tariffs": InterfaceRole.SENDER,
    "tokens": InterfaceRole.RECEIVER,
    "commands": InterfaceRole.RECEIVER,
}
_V211_EMSP = {
    "locations": InterfaceRole.RECEIVER,
    "sessions": InterfaceRole.RECEIVER,
    "cdrs": InterfaceRole.RECEIVER,
    "tariffs": InterfaceRole.RECEIVER,
    "tokens": InterfaceRole.SENDER,
}


def is_v211_path(path: str) -> bool:
    """A URL of the hub's OCPI 2.1.1 space (`/ocpi/2.1.1` and below): raw tokens, 2.1.1 status codes."""
    return path.startswith("/ocpi/2.1.1") and path[11:12] in ("", "/")


def v211_interface(module: str, role: Role) -> InterfaceRole | None:
    """The interface a 2.1.1 party of `role` implements for `module` (None: it has none; a 2.1.1
    eMSP takes command results at the response_url, not at an endpoint)."""
    if role is Role.CPO:
        return _V211_CPO.get(module)
    if role is Role.EMSP:
        return _V211_EMSP.get(module)
    return None


# The hub is the other side of every exchange: toward a 2.1.1 CPO it is an eMSP, toward an eMSP a CPO.
_V211_HUB_SIDE = {Role.CPO: _V211_EMSP, Role.EMSP: _V211_CPO}


def hub_endpoints(edition: Edition, base_url: str, role: Role | None = None) -> list[dict[str, str]]:
    """The hub's version-details endpoints.

    2.2.1 / 2.3.0: SENDER and RECEIVER for every functional module, SENDER for hubclientinfo (and
    RECEIVER, where an upstream hub tells which parties it reaches), and credentials once (role
    SENDER, advised by 2.2.1-d2).
    2.1.1: one URL per module without a role, the hub's side of each exchange with a party of
    `role` (no role known: credentials only)."""
    root = f"{base_url}/ocpi/{edition.number}"
    if not edition.interface_roles:
        endpoints = [{"identifier": "credentials", "url": f"{root}/credentials"}]
        for module, interface in _V211_HUB_SIDE.get(role, {}).items() if role is not None else ():
            endpoints.append({"identifier": module, "url": f"{root}/{interface.value.lower()}/{module}"})
        return endpoints
    endpoints = [{"identifier": "credentials", "role": InterfaceRole.SENDER.value, "url": f"{root}/credentials"}]
    for module in edition.functional_modules:
        for interface in (InterfaceRole.SENDER, InterfaceRole.RECEIVER):
            url = f"{root}/{interface.value.lower()}/{module}"
            endpoints.append({"identifier": module, "role": interface.value, "url": url})
    for interface in (InterfaceRole.SENDER, InterfaceRole.RECEIVER):
        url = f"{root}/{interface.value.lower()}/hubclientinfo"
        endpoints.append({"identifier": "hubclientinfo", "role": interface.value, "url": url})
    return endpoints
