"""What an operation handler gets (`Call`) and the checks every handler shares: the caller's own
ID in body fields (`017`), EvseIDs under the caller's operators (`018`), EvcoIDs under its
providers (`019`), paging parameters and the Spring-style page answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from simulators.oicp_hub.codes import status
from simulators.oicp_hub.ids import canonical, operator_of_evse, provider_of_evco
from simulators.oicp_hub.journal import Entry
from simulators.oicp_hub.parties import Partner
from simulators.oicp_hub.validation import OicpError

if TYPE_CHECKING:
    from simulators.oicp_hub.simulator import OicpHubSimulator

__all__ = ["Call", "page", "paging"]


@dataclass
class Call:
    """One inbound request, identified and parsed."""

    sim: OicpHubSimulator
    operation: str
    partner: Partner
    path_id: str | None
    body: dict[str, Any]
    query: Mapping[str, str]
    entry: Entry

    def own_id(self, role: Literal["operator", "provider"], value: Any, field: str) -> str:
        """`value` (a body field) must be the partner's own hub ID, as the path ID is; else `017`."""
        own = self.partner.operator_id if role == "operator" else self.partner.provider_id
        if not isinstance(value, str) or own is None or canonical(value) != canonical(own):
            raise OicpError("017", "Unauthorized access", f"{field} {value!r} is not the caller's {role} ID")
        return own

    @property
    def operator_key(self) -> str:
        return canonical(self.partner.operator_id or "")

    @property
    def provider_key(self) -> str:
        return canonical(self.partner.provider_id or "")

    def check_evses(self, evse_ids: Iterable[str]) -> None:
        foreign = sorted({e for e in evse_ids if operator_of_evse(e) not in self.partner.operator_keys})
        if foreign:
            raise OicpError("018", "Inconsistent EvseID", f"not under the caller's operator IDs: {', '.join(foreign)}")

    def check_evcos(self, evco_ids: Iterable[str]) -> None:
        foreign = sorted({e for e in evco_ids if provider_of_evco(e) not in self.partner.provider_keys})
        if foreign:
            raise OicpError("019", "Inconsistent EvcoID", f"not under the caller's provider IDs: {', '.join(foreign)}")


def paging(query: Mapping[str, str], *, default: int = 20, maximum: int | None = None) -> tuple[int, int]:
    """`?page=N&size=M` (page from 0)."""
    try:
        number = int(query.get("page", "0"))
        size = int(query.get("size", str(default)))
    except ValueError:
        raise OicpError("022", "Data error", "page and size must be integers") from None
    if number < 0 or size < 1:
        raise OicpError("022", "Data error", "page must be >= 0 and size >= 1")
    return number, min(size, maximum) if maximum else size


def page(items: list[Any], number: int, size: int, code: str = "000") -> dict[str, Any]:
    """A Spring-style page of `items` with the StatusCode."""
    total = len(items)
    content = items[number * size : (number + 1) * size]
    pages = (total + size - 1) // size
    return {
        "content": content,
        "number": number,
        "size": size,
        "totalElements": total,
        "totalPages": pages,
        "first": number == 0,
        "last": number >= pages - 1,
        "numberOfElements": len(content),
        "empty": not content,
        "pageable": {"pageNumber": number, "pageSize": size, "offset": number * size},
        "StatusCode": status(code),
    }
