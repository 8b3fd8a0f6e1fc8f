"""locations RECEIVER PUT / PATCH from our CPO -> eRoamingPushEvseData / eRoamingPushEvseStatus
(oicp-bridge.md §7.1-§7.3).

The Location after the change is built first: the request itself for a Location PUT, else the
request applied to the stored Location (the hub's store holds the version before this request);
an EVSE or connector change of a Location the hub has not stored is refused with 2001 ("PUT the
whole Location first": OICP records repeat the Location's data). Then:
- a PATCH of an EVSE that only sets `status` (not PLANNED / REMOVED) -> PushEvseStatus with one
  record (`EvseID` from the body, the stored EVSE, or `evse_uid` when it is an EvseID); ActionType
  `insert` for an EVSE whose status this process has not pushed yet, else `update`;
- otherwise EvseDataRecords of the affected EVSEs (all of a Location, or the one EVSE) ->
  PushEvseData. ActionType (HBS: insert = must not exist, update = must exist): `update` for
  EVSEs HBS already has (acknowledged by this process, else live in the stored Location),
  `insert` for new ones, `delete` for known EVSEs that became PLANNED / REMOVED. Usually one call;
  a Location that gains an EVSE or withdraws one needs one call per ActionType (insert, update,
  delete - sequential, as OICP wants pushes of one operation; the first refusal is answered).
  Nothing to push (only PLANNED EVSEs) -> 1000 without a call.
  The insert / update guess can be wrong (memory per process; a Broadcast Push is stored before it
  is delivered): HBS's 022 for it makes `push_either_way` try the other ActionType once.
Values OCPI has no field for come from the upstream's options (EvseRecordConfig):
`hotline_phone_number` (required), `accessibility`, `calibration_law_data_availability`,
`language`, `postal_code_placeholder`, `house_number_placeholder`, `is_hubject_compatible`,
`dynamic_info_available`; `operator_name` names the OperatorEvseData (default "OCPI hub").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.mapping import EvseRecordConfig, evse_status_record, evse_to_evse_record
from adapters.oicp.models import (
    Acknowledgement,
    EvseDataRecord,
    OperatorEvseData,
    OperatorEvseStatus,
    PushEvseData,
    PushEvseStatus,
)
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.directory import evse_of
from adapters.oicp_upstream.job import Action, Job, is_evse_id, push_either_way
from hub.forwarding.contract import UpstreamResponse
from hub.types import PartyKey

__all__ = ["push_location", "record_config"]

Json = dict[str, Any]
_WITHHELD = ("PLANNED", "REMOVED")


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def record_config(job: Job) -> EvseRecordConfig:
    hotline = job.option("hotline_phone_number")
    if not hotline:
        raise Unmappable("HotlinePhoneNumber", "OCPI has no such field: set the upstream's option hotline_phone_number")
    dynamic = str(job.option("dynamic_info_available", "auto"))
    calibration = str(job.option("calibration_law_data_availability", "Not Available"))
    return EvseRecordConfig(
        hotline_phone_number=str(hotline),
        accessibility=str(job.option("accessibility", "Free publicly accessible")),
        calibration_law_data_availability=calibration,  # type: ignore[arg-type]  # checked by the model
        language=str(job.option("language", "en")),
        postal_code_placeholder=job.option("postal_code_placeholder"),
        house_number_placeholder=str(job.option("house_number_placeholder", "")),
        is_hubject_compatible=_flag(job.option("is_hubject_compatible"), True),
        dynamic_info_available=dynamic,  # type: ignore[arg-type]  # checked by the model
        hub_operator_id=job.partners.our_operator_id(),
    )


def _replace(items: Sequence[Json], key: str, value: str, new: Json) -> list[Json]:
    out = [new if item.get(key) == value else item for item in items]
    return out if any(item.get(key) == value for item in items) else [*out, new]


def _changed_location(method: str, path: tuple[str, ...], body: Json, previous: Json | None) -> Json:
    """The whole Location after this request."""
    if len(path) == 3 and method == "PUT":
        return body
    if previous is None:
        raise Unmappable(
            "location_id", f"the hub has no Location {path[2]} of {path[0]}*{path[1]}: PUT the whole Location first"
        )
    if len(path) == 3:
        return {**previous, **body}
    evses = list(previous.get("evses") or [])
    old = evse_of(previous, path[3])
    if len(path) == 4:
        evse = body if method == "PUT" else {**(old or {}), **body}
        if method == "PATCH" and old is None:
            raise Unmappable("evse_uid", f"the hub has no EVSE {path[3]} in Location {path[2]}: PUT it first")
        return {**previous, "evses": _replace(evses, "uid", path[3], {**evse, "uid": path[3]})}
    if old is None:
        raise Unmappable("evse_uid", f"the hub has no EVSE {path[3]} in Location {path[2]}: PUT it first")
    connectors = list(old.get("connectors") or [])
    current = next((c for c in connectors if c.get("id") == path[4]), None)
    if method == "PATCH" and current is None:
        raise Unmappable("connector_id", f"the hub has no connector {path[4]} of EVSE {path[3]}: PUT it first")
    connector = body if method == "PUT" else {**(current or {}), **body}
    evse = {**old, "connectors": _replace(connectors, "id", path[4], {**connector, "id": path[4]})}
    return {**previous, "evses": _replace(evses, "uid", path[3], evse)}


async def push_location(job: Job) -> UpstreamResponse:
    context, method = job.context, job.request.method
    path, body = context.path, job.body
    if len(path) < 3:
        raise Unmappable("location_id", "OICP takes Locations one by one")
    owner = PartyKey.of(path[0], path[1])
    previous = await job.location(owner, path[2])
    if method == "PATCH" and len(path) == 4 and set(body) <= {"status", "last_updated"} and "status" in body:
        if body["status"] not in _WITHHELD or previous is None:
            return await _push_status(job, path, str(body["status"]), previous)
    location = _changed_location(method, path, body, previous)
    location = {**location, "country_code": location.get("country_code") or path[0]}
    location = {**location, "party_id": location.get("party_id") or path[1], "id": location.get("id") or path[2]}
    if location.get("publish") is False:
        raise Unmappable(
            "publish", "OICP has no restricted visibility (publish_allowed_to); unpublished Locations stay"
        )
    config = record_config(job)
    scope = path[3] if len(path) >= 4 else None
    known = _Known(job, previous)
    live: list[EvseDataRecord] = []
    withdrawn: list[EvseDataRecord] = []
    for index, evse in enumerate(location.get("evses") or []):
        if scope is not None and evse.get("uid") != scope:
            continue
        if evse.get("status") in _WITHHELD:
            if is_evse_id(evse.get("evse_id")) and ids.canonical(str(evse["evse_id"])) in known:
                withdrawn.append(evse_to_evse_record(location, index, config, job.now))
            continue
        live.append(evse_to_evse_record(location, index, config, job.now))
    batches: list[tuple[Literal["insert", "update", "delete"], list[EvseDataRecord]]] = [
        ("insert", [r for r in live if ids.canonical(r.evse_id) not in known]),
        ("update", [r for r in live if ids.canonical(r.evse_id) in known]),
        ("delete", withdrawn),
    ]
    operator = job.partners.our_operator_id()
    name = str(job.option("operator_name", "OCPI hub"))[:100]
    for action, records in batches:
        if not records:
            continue

        def build(kind: Literal["insert", "update", "delete"], records: list[EvseDataRecord] = records) -> PushEvseData:
            data = OperatorEvseData(operator_id=operator, operator_name=name, evse_data_record=records)
            return PushEvseData(action_type=kind, operator_evse_data=data)

        if action == "delete":
            ack = job.parse(Acknowledgement, await job.call("eRoamingPushEvseData", build("delete"), operator=operator))
        else:
            ack = await push_either_way(job, "eRoamingPushEvseData", build, action, operator=operator)
        if not ack.result:
            return replies.from_status(ack.status_code, elapsed_ms=job.elapsed_ms)
        for record in records:
            job.correlation.published.put((job.platform, "evse", ids.canonical(record.evse_id)), action != "delete")
    return replies.ok(elapsed_ms=job.elapsed_ms)


class _Known:
    """Whether HBS has an EvseID: acknowledged by this process (pushed or deleted), else live in the
    stored previous Location (it was accepted before; the store is written only after 1000)."""

    def __init__(self, job: Job, previous: Json | None) -> None:
        self._job = job
        self._stored = {
            ids.canonical(str(e["evse_id"]))
            for e in (previous or {}).get("evses") or []
            if is_evse_id(e.get("evse_id")) and e.get("status") not in _WITHHELD
        }

    def __contains__(self, evse_id: object) -> bool:
        key = ids.canonical(str(evse_id))
        pushed = self._job.correlation.published.get((self._job.platform, "evse", key))
        return pushed if pushed is not None else key in self._stored


async def _push_status(job: Job, path: tuple[str, ...], status: str, previous: Json | None) -> UpstreamResponse:
    evse_id = job.body.get("evse_id")
    if not is_evse_id(evse_id):
        stored = evse_of(previous, path[3])
        evse_id = stored.get("evse_id") if stored else None
    if not is_evse_id(evse_id):
        evse_id = path[3] if is_evse_id(path[3]) else None
    if evse_id is None:
        raise Unmappable("evse_id", f"the hub does not know the EvseID of EVSE {path[3]}: PUT the Location first")
    operator = job.partners.our_operator_id()
    record = evse_status_record(str(evse_id), status)
    key = (job.platform, "status", ids.canonical(record.evse_id))
    name = str(job.option("operator_name", "OCPI hub"))[:100]

    def build(action: Action) -> PushEvseStatus:
        data = OperatorEvseStatus(operator_id=operator, operator_name=name, evse_status_record=[record])
        return PushEvseStatus(action_type=action, operator_evse_status=data)

    first: Action = "update" if job.correlation.published.get(key) else "insert"
    ack = await push_either_way(job, "eRoamingPushEvseStatus", build, first, operator=operator)
    if not ack.result:
        return replies.from_status(ack.status_code, elapsed_ms=job.elapsed_ms)
    job.correlation.published.put(key, True)
    return replies.ok(elapsed_ms=job.elapsed_ms)
