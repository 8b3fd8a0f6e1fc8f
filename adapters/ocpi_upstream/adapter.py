"""The OCPI upstream adapter: OCPI to another hub, over the direct adapter's transport.

Per profile (upstream-ocpi-hub.md §2, §3.5):
- `spec`: routing headers end to end (TO = the final receiver, FROM = the original sender), as
  OCPI's rules for chains of hubs say; nothing else changes.
- `gireve`: every request is addressed to the upstream hub's own party (`OCPI-to` = its
  `hub_country_code` / `hub_party_id`, FR/007 by default) with FROM = the original party; data
  quality gates run before CPO data leaves (2001 naming the field, `quality.py`); only the
  commands it carries (START_SESSION, STOP_SESSION) and no Sessions PATCH unless
  `patch_sessions` is set; the rest is answered here as the upstream would (NOT_SUPPORTED) or
  refused with 2001.
Options come from the upstream platform's `options` (`ocpi-hub upstreams add --option`).
"""

from __future__ import annotations

import orjson

from adapters.ocpi_upstream.quality import quality_problems
from hub.errors import InvalidParameters
from hub.forwarding.contract import Adapter, OutboundRequest, RouteContext, UpstreamResponse
from hub.ocpi.envelope import ocpi_timestamp

__all__ = ["OcpiUpstreamAdapter"]

_GIREVE_COMMANDS = frozenset({"START_SESSION", "STOP_SESSION"})


class OcpiUpstreamAdapter:
    def __init__(self, transport: Adapter) -> None:
        self._transport = transport

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        context = request.context
        if context is None or context.profile != "gireve":
            return await self._transport.send(request)
        local = _gireve_local_answer(context)
        if local is not None:
            return local
        _gireve_check(request.method, context)
        headers = dict(request.headers)
        headers["OCPI-to-country-code"] = str(context.options.get("hub_country_code", "FR"))
        headers["OCPI-to-party-id"] = str(context.options.get("hub_party_id", "007"))
        return await self._transport.send(
            OutboundRequest(
                method=request.method,
                url=request.url,
                headers=headers,
                body=request.body,
                timeout_seconds=request.timeout_seconds,
                context=context,
            )
        )

    async def aclose(self) -> None:
        await self._transport.aclose()


def _gireve_local_answer(context: RouteContext) -> UpstreamResponse | None:
    """A command the upstream does not carry: the CommandResponse it would give, without a call."""
    if context.module == "commands" and context.path and context.path[0].upper() not in _GIREVE_COMMANDS:
        body = {
            "status_code": 1000,
            "timestamp": ocpi_timestamp(),
            "data": {"result": "NOT_SUPPORTED", "timeout": 0},
        }
        return UpstreamResponse(status=200, headers={}, body=orjson.dumps(body), elapsed_ms=0.0)
    return None


def _gireve_check(method: str, context: RouteContext) -> None:
    if context.module == "sessions" and method == "PATCH" and not context.options.get("patch_sessions"):
        raise InvalidParameters("This upstream hub does not take Sessions PATCH: send the whole session with PUT")
    if context.interface == "RECEIVER" and method in ("PUT", "PATCH"):
        problems = quality_problems(context.module, context.path, context.parsed, _sender_operator_ids(context))
        if problems:
            raise InvalidParameters("Refused before reaching the upstream hub: " + "; ".join(problems[:5]))


def _sender_operator_ids(context: RouteContext) -> list[str]:
    """The eMI3 operator ids the pushing CPO's EVSE ids must start with: the upstream's
    `operator_ids` option, else `CC*PID` of the object's owner (of the sender without an owner
    in the path). Not the route's `upstream_ids`: those are the receiver's ids, not the CPO's."""
    configured = context.options.get("operator_ids")
    if isinstance(configured, str):
        configured = [o.strip() for o in configured.split(",") if o.strip()]
    if configured:
        return [str(o) for o in configured]
    owner = context.path[:2] if len(context.path) >= 2 else context.sender
    return [f"{owner[0]}*{owner[1]}".upper()]
