"""One OCPI request on its way to HBS: what the operation modules need to translate it and make
the one OICP call (time budget shared with the send path's `timeout_seconds`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import Acknowledgement, wire
from adapters.oicp_upstream.correlation import Correlation
from adapters.oicp_upstream.directory import Directory, evse_of
from adapters.oicp_upstream.partners import Partners
from adapters.oicp_upstream.paths import operation_path
from adapters.oicp_upstream.sequencing import Sequencer
from adapters.oicp_upstream.transport import OicpTransport
from hub.forwarding.contract import OutboundRequest, ReplyBroken, ReplyTimeout, RouteContext
from hub.types import PartyKey

__all__ = ["Action", "Job", "is_evse_id", "push_either_way"]

M = TypeVar("M", bound=BaseModel)
Json = dict[str, Any]


def is_evse_id(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ids.evse_id(value)
    except Unmappable:
        return False
    return True


@dataclass
class Job:
    request: OutboundRequest
    context: RouteContext
    transport: OicpTransport
    correlation: Correlation
    directory: Directory
    sequencer: Sequencer
    started: float = field(default_factory=time.monotonic)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed_ms: float = 0.0  # time spent waiting for HBS

    @property
    def partners(self) -> Partners:
        return Partners(self.context)

    @property
    def platform(self) -> int:
        return self.context.platform_id

    @property
    def body(self) -> Json:
        parsed = self.context.parsed
        if not isinstance(parsed, dict):
            raise Unmappable("body", "a JSON object is needed")
        return parsed

    def option(self, name: str, default: Any = None) -> Any:
        value = self.context.options.get(name)
        return default if value is None or value == "" else value

    async def call(
        self, operation: str, message: BaseModel, *, operator: str | None = None, provider: str | None = None
    ) -> Json:
        """POST `message` as `operation`; the answer's JSON object (transport errors propagate)."""
        remaining = self.request.timeout_seconds - (time.monotonic() - self.started)
        if remaining <= 0.01:
            raise ReplyTimeout("no time left for the OICP call")
        async with self.sequencer.turn(self.platform, operation, remaining):
            answer = await self.transport.post(
                platform_id=self.platform,
                options=self.context.options,
                path=operation_path(operation, operator=operator, provider=provider),
                body=wire(message),
                timeout=self.request.timeout_seconds - (time.monotonic() - self.started),
            )
        self.elapsed_ms += answer.elapsed_ms
        return answer.body

    @staticmethod
    def parse(model: type[M], answer: Json) -> M:
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            raise ReplyBroken(f"the OICP answer is no {model.__name__}") from exc

    async def location(self, owner: PartyKey, location_id: object) -> Json | None:
        if not isinstance(location_id, str) or not location_id:
            return None
        return await self.directory.get("locations", owner, location_id)

    async def evse_id(self, owner: PartyKey, location_id: object, evse_uid: object) -> tuple[str | None, Json | None]:
        """The EvseID of an OCPI EVSE and its Location (from the hub's store): the stored EVSE's
        `evse_id`, else `evse_uid` itself when it is an EvseID (what OICP-born EVSEs get as uid,
        oicp-bridge.md §7.1), else None."""
        location = await self.location(owner, location_id)
        evse = evse_of(location, evse_uid if isinstance(evse_uid, str) else None)
        if evse is not None and is_evse_id(evse.get("evse_id")):
            return str(evse["evse_id"]), location
        if is_evse_id(evse_uid):
            return ids.evse_id(str(evse_uid)), location
        return None, location


Action = Literal["insert", "update"]


async def push_either_way(
    job: Job, operation: str, build: Callable[[Action], BaseModel], first: Action, *, operator: str
) -> Acknowledgement:
    """A data push as insert or update: HBS refuses an insert of a record it has and an update of
    one it lacks (022), and the adapter's guess (`first`) can be wrong (its memory is per process;
    a broadcast is stored before its delivery). So on 022 the other ActionType is tried once; when
    both are refused, the first refusal is answered."""
    ack = job.parse(Acknowledgement, await job.call(operation, build(first), operator=operator))
    if ack.result or ack.status_code.code.strip() != "022":
        return ack
    second: Action = "update" if first == "insert" else "insert"
    retried = job.parse(Acknowledgement, await job.call(operation, build(second), operator=operator))
    return retried if retried.result else ack
