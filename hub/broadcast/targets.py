"""Who receives a Broadcast Push (transport_and_format.asciidoc 426-457). Pure.

CPO pushes go to every eMSP, NSP and OTHER party (plus roles the operator adds, such as NAP
or SCSP); eMSP and OTHER pushes go to every CPO. Only CONNECTED parties whose platform
implements the module's interface, never the pusher itself, and only where an agreement allows.
Every upstream hub (its HUB party) gets each push once, to fan out to the parties behind it,
except the hub the push came from (no loops).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from hub.routing.agreements import AgreementPolicy
from hub.routing.table import PlatformRoute
from hub.types import InterfaceRole, PartyKey, Role

__all__ = ["Candidate", "audience", "broadcast_targets"]

_CPO_AUDIENCE = frozenset({Role.EMSP, Role.NSP, Role.OTHER})


@dataclass(frozen=True, slots=True)
class Candidate:
    key: PartyKey
    role: Role
    platform: PlatformRoute


def audience(role: Role, extra_cpo_audience: Collection[Role]) -> frozenset[Role]:
    if role is Role.CPO:
        return _CPO_AUDIENCE | frozenset(extra_cpo_audience)
    return frozenset({Role.CPO})


def broadcast_targets(
    *,
    pusher: PartyKey,
    role: Role,
    module: str,
    interface: InterfaceRole,
    candidates: Iterable[Candidate],
    policy: AgreementPolicy,
    extra_cpo_audience: Collection[Role] = (),
    pusher_platform_id: int | None = None,
) -> list[Candidate]:
    wanted = audience(role, extra_cpo_audience)
    chosen: dict[PartyKey, Candidate] = {}
    for c in candidates:
        upstream = c.role is Role.HUB and c.platform.upstream and c.platform.platform_id != pusher_platform_id
        if c.key == pusher or not (c.role in wanted or upstream) or c.key in chosen:
            continue
        if not c.platform.usable:  # CONNECTED and able to authenticate (an OICP upstream needs no token)
            continue
        if c.platform.endpoint(module, interface) is None:
            continue
        if policy.allows(pusher, c.key, module):
            chosen[c.key] = c
    return list(chosen.values())
