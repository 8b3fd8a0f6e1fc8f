"""Credentials objects in each edition's shape (requirements §2.6).

- 2.1.1: `{token, url, business_details, party_id, country_code}`, no role: the connection is one
  party, whose role the hub operator declared (`platforms add --role CPO:NL:ABC`). The hub answers
  in the same shape, with its own party.
- 2.3.0: the hub's object carries `hub_party_id` (its country code + party id) and lists the
  parties reachable through it as `roles` (2.3.0 has no HUB role); no other party connected yet:
  the hub's own party with role OTHER, since `roles` may not be empty.
A platform's Credentials are read into the 2.2.1 form the registrar works with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.db.repositories import EndpointSpec
from hub.errors import InvalidParameters
from hub.ocpi.versions import V211, V230, Edition, v211_interface
from hub.registration.discovery import Discovery
from hub.translation import ObjectKind, v211, v230
from hub.translation.errors import Untranslatable
from hub.types import PartyKey, Role

__all__ = ["credentials_for", "pivot_credentials", "role_of_v211", "v211_discovery"]

_V211_FIELDS = ("token", "url", "business_details", "party_id", "country_code")


def role_of_v211(declared: Sequence[tuple[Role, PartyKey]], key: PartyKey | None = None) -> Role:
    """The one role of a 2.1.1 connection: what the operator declared (for `key`, if given)."""
    roles = {role for role, party in declared if key is None or party == key}
    if len(roles) != 1 or not roles <= {Role.CPO, Role.EMSP}:
        what = "no role" if not roles else "several roles" if len(roles) > 1 else f"role {next(iter(roles))}"
        raise InvalidParameters(
            f"An OCPI 2.1.1 connection is one CPO or eMSP party, and the hub has {what} declared for it: "
            "ask the hub operator",
            http_status=200,
        )
    return next(iter(roles))


def pivot_credentials(body: Any, edition: Edition, declared: Sequence[tuple[Role, PartyKey]]) -> Any:
    """A platform's Credentials object in the 2.2.1 form (still to be checked by `parse_credentials`)."""
    if edition is V211:
        if not isinstance(body, dict) or any(f not in body for f in _V211_FIELDS):
            raise InvalidParameters(
                "Invalid credentials object: OCPI 2.1.1 credentials have " + ", ".join(_V211_FIELDS), http_status=200
            )
        key = PartyKey.of(str(body["country_code"]), str(body["party_id"]))
        return v211.to_v221(ObjectKind.CREDENTIALS, body, role=role_of_v211(declared, key).value)
    if edition is V230 and isinstance(body, dict):
        hub_party, roles = body.get("hub_party_id"), body.get("roles")
        if not isinstance(roles, list):
            return body  # the 2.2.1 model says what is wrong with it
        details = None
        if isinstance(hub_party, str) and not any(
            isinstance(r, dict) and f"{r.get('country_code')}{r.get('party_id')}" == hub_party for r in roles
        ):
            details = {"name": hub_party}  # a hub that lists only the parties it reaches
        try:
            return v230.to_v221(ObjectKind.CREDENTIALS, body, hub_business_details=details)
        except Untranslatable as exc:
            raise InvalidParameters(exc.message, http_status=200) from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidParameters("Invalid credentials object: not OCPI 2.3.0 Credentials", http_status=200) from exc
    return body


def credentials_for(
    edition: Edition, hub_v221: dict[str, Any], reachable: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The hub's 2.2.1 Credentials object (one HUB role) in `edition`'s shape."""
    if edition is V211:
        return v211.from_v221(ObjectKind.CREDENTIALS, hub_v221)
    if edition is V230:
        roles = list(reachable)
        if not roles:
            own = hub_v221["roles"][0]
            roles = [{**own, "role": Role.OTHER.value}]
        return v230.from_v221(ObjectKind.CREDENTIALS, hub_v221, reachable_roles=roles)
    return hub_v221


def v211_discovery(discovery: Discovery, role: Role) -> Discovery:
    """A 2.1.1 platform's endpoints with the 2.2.1 interface each implements, by its role (§5.2);
    endpoints of modules its role does not implement are kept without an interface."""
    endpoints = []
    for e in discovery.endpoints:
        interface = v211_interface(e.module, role)
        endpoints.append(EndpointSpec(module=e.module, interface_role=interface.value if interface else "", url=e.url))
    return Discovery(edition=discovery.edition, endpoints=tuple(endpoints))
