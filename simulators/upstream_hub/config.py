"""The knobs of the simulated upstream hub (upstream-ocpi-hub.md §4.1).

Two profiles: `gireve` imitates Gireve's IOP as its public guides describe it (TO = the hub on
every request, no PUT credentials, ids rewritten, quality gate, no HubClientInfo); `spec`
follows OCPI 2.2.1 for chains of hubs (end-to-end TO/FROM, HubClientInfo pushes). Every
behaviour that differs between them is a field here; `None` means "the profile's default".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from hub.types import PartyKey, Role

__all__ = [
    "DEFAULT_PAGE_CAPS",
    "CpoSpec",
    "EmspSpec",
    "HubConfig",
    "IdRewrite",
    "Operator",
    "Profile",
    "Rejection",
]

Profile = Literal["gireve", "spec"]
IdRewrite = Literal["none", "gireve_2_2_1"]

# Gireve's production pulling limits for 2.2.1 (upstream-ocpi-hub.md §1.5)
DEFAULT_PAGE_CAPS: Mapping[str, int] = {
    "locations": 100,
    "tokens": 1000,
    "cdrs": 20,
    "tariffs": 100,
    "sessions": 100,
    "hubclientinfo": 100,
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """How the hub refuses something: OCPI status code and HTTP status."""

    status_code: int
    http_status: int = 200


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator a connected platform may speak for (FROM), with the roles the hub
    configured for it and the eMI3 operator ids of its CPO operations."""

    country_code: str
    party_id: str
    roles: frozenset[Role] = frozenset({Role.CPO, Role.EMSP})
    emi3_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, country_code: str, party_id: str, *roles: str, emi3_ids: tuple[str, ...] = ()) -> Operator:
        chosen = frozenset(Role(r.upper()) for r in roles) or frozenset({Role.CPO, Role.EMSP})
        return cls(country_code.upper(), party_id.upper(), chosen, tuple(i.upper() for i in emi3_ids))

    @property
    def key(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)

    @property
    def operator_ids(self) -> tuple[str, ...]:
        """eMI3 ids an EVSE of this operator may start with (default `CC*PID`)."""
        return self.emi3_ids or (f"{self.country_code}*{self.party_id}",)


@dataclass(frozen=True, slots=True)
class CpoSpec:
    """A CPO behind the hub: `locations` sites of `evses_per_location` EVSEs each."""

    country_code: str
    party_id: str
    name: str | None = None
    locations: int = 3
    evses_per_location: int = 2

    @property
    def key(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)


@dataclass(frozen=True, slots=True)
class EmspSpec:
    """An eMSP behind the hub with `tokens` RFID tokens."""

    country_code: str
    party_id: str
    name: str | None = None
    tokens: int = 5

    @property
    def key(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Everything the simulated upstream hub can be told. See the module docstring."""

    profile: Profile = "gireve"
    country_code: str = "FR"
    party_id: str = "007"
    # platform name -> the operators (FROM parties) that platform may use
    platforms: Mapping[str, tuple[Operator, ...]] = field(default_factory=dict)
    cpos: tuple[CpoSpec, ...] = (CpoSpec("FR", "CP1"), CpoSpec("FR", "CP2"))
    emsps: tuple[EmspSpec, ...] = (EmspSpec("FR", "MS1"), EmspSpec("FR", "MS2"))
    # (CPO, eMSP) pairs allowed to roam, either side behind the hub or on a platform; None: all
    agreements: frozenset[tuple[PartyKey, PartyKey]] | None = None
    page_caps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PAGE_CAPS))
    id_rewrite: IdRewrite | None = None  # gireve: gireve_2_2_1, spec: none
    quality_gate: bool | None = None  # gireve: on, spec: off
    hubclientinfo_push: bool | None = None  # spec: on, gireve: off (not implemented there)
    session_patch: bool | None = None  # accept PATCH sessions (gireve: no)
    to_must_be_hub: Literal["reject", "accept"] = "reject"  # gireve profile, TO != the hub
    # the eMSP sees the hub's authorization_reference in Sessions/CDRs ("gireve") or its own
    auth_ref_to_emsp: Literal["gireve", "original"] = "gireve"
    put_credentials: Rejection = Rejection(2000, 405)  # gireve profile: PUT credentials refused
    missing_header: Rejection = Rejection(2001, 400)  # X-Request-ID, X-Correlation-ID, routing
    forbidden_operator: Rejection = Rejection(2000, 403)  # FROM not configured / role not allowed
    to_not_hub: Rejection = Rejection(2001, 400)
    integration_delay: float = 0.0  # seconds before a Location PUT (static data) reaches the eMSPs
    list_parties_in_roles: bool = False  # 2.3.0 style: credentials roles list the parties behind
    command_result_delay: float = 0.05  # seconds before a CommandResult is POSTed
    client_info_delay: float = 0.05  # after a platform registers, before the first ClientInfo push
    timeout: float = 5.0  # outbound requests to the platforms

    @property
    def hub(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)

    @property
    def gireve(self) -> bool:
        return self.profile == "gireve"

    @property
    def rewrite(self) -> IdRewrite:
        return self.id_rewrite or ("gireve_2_2_1" if self.gireve else "none")

    @property
    def gate(self) -> bool:
        return self.gireve if self.quality_gate is None else self.quality_gate

    @property
    def push_client_info(self) -> bool:
        return (not self.gireve) if self.hubclientinfo_push is None else self.hubclientinfo_push

    @property
    def accepts_session_patch(self) -> bool:
        return (not self.gireve) if self.session_patch is None else self.session_patch

    def cap(self, module: str) -> int:
        return self.page_caps.get(module, DEFAULT_PAGE_CAPS.get(module, 100))

    def in_agreement(self, cpo: PartyKey, emsp: PartyKey) -> bool:
        return self.agreements is None or (cpo, emsp) in self.agreements
