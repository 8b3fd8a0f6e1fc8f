"""Which IDs a call carries (oicp-bridge.md §0, §6).

Our own IDs at HBS: the upstream's options `operator_id` / `provider_id` (the hub partner's IDs
`H_OP` / `H_PRV`, what the client certificate is issued for), else derived from the sending party's
key (`cc*pid` / `cc-pid`: then each of our parties must be a partner of its own at HBS).
The receiver's IDs: the route's `upstream_ids` (`--route CPO:DE:ABC=DE*ABC`), else derived from
the receiving party's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from hub.forwarding.contract import RouteContext
from hub.types import PartyKey

__all__ = ["Partners"]


@dataclass(frozen=True, slots=True)
class Partners:
    context: RouteContext

    @property
    def sender(self) -> PartyKey:
        return PartyKey.of(*self.context.sender)

    @property
    def receiver(self) -> PartyKey:
        return PartyKey.of(*self.context.receiver)

    def our_operator_id(self) -> str:
        configured = self.context.options.get("operator_id")
        if configured:
            return ids.operator_id(str(configured), "option operator_id")
        return ids.operator_id_of_party(self.sender)

    def our_provider_id(self) -> str:
        configured = self.context.options.get("provider_id")
        if configured:
            return ids.provider_id(str(configured), "option provider_id")
        return ids.provider_id_of_party(self.sender)

    def receiver_operator_ids(self) -> list[str]:
        """The OperatorIDs of the receiving CPO behind HBS (its EvseIDs start with one of them)."""
        found = [i for i in self.context.upstream_ids if _is(ids.operator_id, i)]
        return found or [ids.operator_id_of_party(self.receiver)]

    def check_receiver_evse(self, evse_id: str, field: str) -> None:
        """Unmappable when the EVSE is not the receiving CPO's: HBS would start it at another CPO."""
        owner = ids.canonical(ids.operator_id_of_evse_id(evse_id))
        operators = self.receiver_operator_ids()
        if owner not in {ids.canonical(o) for o in operators}:
            raise Unmappable(
                field, f"EVSE {evse_id} is not one of {self.receiver}'s at the OICP hub ({', '.join(operators)})"
            )


def _is(check: object, value: str) -> bool:
    try:
        check(value)  # type: ignore[operator]
    except Unmappable:
        return False
    return True
