"""What the simulated hub holds: EVSE data, EVSE status, pricing, authentication data (each with
the four ActionType semantics, all-or-nothing, every change kept with its time for delta pulls),
the sessions it created (SessionID GUIDs) and the CDRs it received."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from simulators.oicp_hub.validation import OicpError

__all__ = ["CdrEntry", "Change", "HubState", "Session", "VersionedStore"]

K = TypeVar("K", bound=Hashable)
DeltaType = Literal["insert", "update", "delete"]


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Change(Generic[K]):
    """One record's change by one push (`record` is None for a delete)."""

    at: datetime
    key: K
    delta: DeltaType
    owner: str
    record: dict[str, Any] | None


@dataclass
class VersionedStore(Generic[K]):
    """Records keyed by K, each owned by the partner key that pushed it; `version` counts pushes."""

    current: dict[K, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    changes: list[Change[K]] = field(default_factory=list)
    version: int = 0

    def apply(
        self, action: str, owner: str, incoming: Mapping[K, dict[str, Any]], owns: Callable[[K], bool] | None = None
    ) -> list[Change[K]]:
        """Apply one push all-or-nothing. `owns(key)` limits what a fullLoad replaces (default:
        the records of `owner`)."""
        mine = owns or (lambda key: self.current.get(key, ("", {}))[0] == owner)
        at = now()
        changes: list[Change[K]] = []
        if action == "insert":
            clash = [_label(k, r) for k, r in incoming.items() if k in self.current]
            if clash:
                raise OicpError("022", "Data error", f"insert of existing record(s): {', '.join(clash)}"[:1000])
            changes = [Change(at, k, "insert", owner, r) for k, r in incoming.items()]
        elif action == "update":
            unknown = [_label(k, r) for k, r in incoming.items() if k not in self.current]
            if unknown:
                raise OicpError("022", "Data error", f"update of unknown record(s): {', '.join(unknown)}"[:1000])
            changes = [Change(at, k, "update", owner, r) for k, r in incoming.items()]
        elif action == "delete":
            changes = [Change(at, k, "delete", owner, None) for k in incoming if k in self.current]
        elif action == "fullLoad":
            changes = [Change(at, k, "delete", owner, None) for k in self.current if mine(k) and k not in incoming]
            changes += [
                Change(at, k, "update" if k in self.current else "insert", owner, r) for k, r in incoming.items()
            ]
        else:
            raise OicpError("022", "Data error", f"ActionType {action!r} is not one of fullLoad/update/insert/delete")
        for change in changes:
            if change.record is None:
                self.current.pop(change.key, None)
            else:
                self.current[change.key] = (owner, copy.deepcopy(change.record))
        self.changes.extend(changes)
        self.version += 1
        return changes

    def put(self, owner: str, key: K, record: dict[str, Any]) -> None:
        """Store one record outside a push (the virtual parties' own data)."""
        self.apply("update" if key in self.current else "insert", owner, {key: record})

    def last_update(self, key: K) -> datetime | None:
        return next((c.at for c in reversed(self.changes) if c.key == key), None)

    def since(self, moment: datetime) -> list[tuple[K, DeltaType, dict[str, Any] | None, datetime]]:
        """Net change of each record after `moment`: (key, deltaType, record now, time)."""
        before: dict[K, bool] = {}
        latest: dict[K, Change[K]] = {}
        for change in self.changes:
            if change.at <= moment:
                before[change.key] = change.record is not None
            else:
                latest[change.key] = change
        out: list[tuple[K, DeltaType, dict[str, Any] | None, datetime]] = []
        for key, change in latest.items():
            existed, exists = before.get(key, False), change.record is not None
            if exists:
                out.append((key, "update" if existed else "insert", change.record, change.at))
            elif existed:
                out.append((key, "delete", None, change.at))
        return out


def _label(key: Hashable, record: dict[str, Any]) -> str:
    """How a record is named in an error: its EvseID or ProductID as sent, else its key."""
    return str(record.get("EvseID") or record.get("ProductID") or key)


@dataclass
class Session:
    """A process the hub gave a SessionID to."""

    session_id: str
    origin: Literal["authorize", "remote", "reservation"]
    operator_key: str
    provider_key: str
    evse_id: str | None
    token: str  # upper-cased UID or EvcoID
    identification: dict[str, Any]
    offline: bool = False  # authorized from uploaded data
    cpo_partner_session_id: str | None = None
    emp_partner_session_id: str | None = None
    stop_tokens: set[str] = field(default_factory=set)
    stopped: bool = False
    created: datetime = field(default_factory=now)
    progress_times: list[datetime] = field(default_factory=list)  # arrival of Progress notifications


@dataclass
class CdrEntry:
    received: datetime
    body: dict[str, Any]
    operator_key: str
    provider_key: str
    forwarded: bool = False


@dataclass
class HubState:
    """Everything stored. EVSE stores are keyed by canonical EvseID, pricing products by (operator,
    ProviderID or `*`) data set, EVSE pricing by (EvseID, ProviderID), auth data by token."""

    evse_data: VersionedStore[str] = field(default_factory=VersionedStore)
    evse_status: VersionedStore[str] = field(default_factory=VersionedStore)
    pricing_products: VersionedStore[tuple[str, str]] = field(default_factory=VersionedStore)
    evse_pricing: VersionedStore[tuple[str, str]] = field(default_factory=VersionedStore)
    pricing_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # "op|provider" -> data set header
    auth_data: VersionedStore[str] = field(default_factory=VersionedStore)
    sessions: dict[str, Session] = field(default_factory=dict)
    cdrs: list[CdrEntry] = field(default_factory=list)

    def evse(self, evse_key: str) -> dict[str, Any] | None:
        found = self.evse_data.current.get(evse_key)
        return found[1] if found else None

    def status_of(self, evse_key: str) -> str | None:
        found = self.evse_status.current.get(evse_key)
        return str(found[1]["EvseStatus"]) if found else None
