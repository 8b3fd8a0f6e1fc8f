"""The OICP upstream adapter: an OCPI 2.2.1 request toward a party behind an OICP 2.3 hub
(Hubject style, HBS) becomes one OICP call, and HBS's answer an OCPI reply (oicp-bridge.md).

What is carried (our party -> the party behind HBS), one module each:
- commands RECEIVER POST: START_SESSION, STOP_SESSION, RESERVE_NOW, CANCEL_RESERVATION
  (`commands`; UNLOCK_CONNECTOR answered NOT_SUPPORTED without a call);
- tokens SENDER POST {uid}/authorize: real-time authorization (`authorization`);
- locations RECEIVER PUT / PATCH: EVSE data and status pushes (`locations`);
- sessions RECEIVER PUT / PATCH: charging notifications (`sessions`);
- cdrs RECEIVER POST: charge detail records (`cdrs`);
- tariffs RECEIVER PUT: pricing products (`tariffs`).
Anything else (GETs, DELETEs, other modules) is answered 2001 without a call: OICP has no such
operation toward the party. A value with no faithful OICP form (`Unmappable`) is answered 2001
naming the field, nothing sent. The OICP URL is `options["base_url"]` + the operation's path; the
request's own URL (the routing table's placeholder `{base_url}/ocpi-bridge/...`) is ignored.

Replies are OCPI envelopes with HTTP 200 (see `replies` for HBS's HTTP-level failures); transport
failures raise ConnectFailed / ReplyTimeout / ReplyBroken (`transport`), so the send path's
breakers, failover and 4002 / 4003 apply as for any receiver. Pushes of one operation are sent one
at a time per upstream (`sequencing`). Outbound connections are bounded by the hub's aiohttp
connector only (not by the direct adapter's `OutboundSlots`): waiting for a pooled connection
counts in the request's time budget.

GAPs (see docs/upstreams.md): the CommandResult to the eMSP's response_url is not sent (`commands`);
the correlation state is in memory (`correlation`); nothing is pulled from HBS and nothing HBS sends
is served (the inbound OICP endpoints do not exist yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from pydantic import ValidationError

from adapters.oicp.errors import Unmappable
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.authorization import authorize
from adapters.oicp_upstream.cdrs import post_cdr
from adapters.oicp_upstream.commands import send_command
from adapters.oicp_upstream.correlation import Correlation
from adapters.oicp_upstream.directory import Directory
from adapters.oicp_upstream.job import Job
from adapters.oicp_upstream.locations import push_location
from adapters.oicp_upstream.sequencing import Sequencer
from adapters.oicp_upstream.sessions import push_session
from adapters.oicp_upstream.tariffs import push_tariff
from adapters.oicp_upstream.transport import HbsFailed, HbsRefused, OicpTransport, Throttled
from hub.errors import InvalidParameters
from hub.forwarding.contract import ConnectFailed, OutboundRequest, UpstreamResponse

__all__ = ["OicpUpstreamAdapter"]

Operation = Callable[[Job], Awaitable[UpstreamResponse]]
_OPERATIONS: dict[tuple[str, str, str], Operation] = {
    ("commands", "RECEIVER", "POST"): send_command,
    ("tokens", "SENDER", "POST"): authorize,
    ("locations", "RECEIVER", "PUT"): push_location,
    ("locations", "RECEIVER", "PATCH"): push_location,
    ("sessions", "RECEIVER", "PUT"): push_session,
    ("sessions", "RECEIVER", "PATCH"): push_session,
    ("cdrs", "RECEIVER", "POST"): post_cdr,
    ("tariffs", "RECEIVER", "PUT"): push_tariff,
}


class OicpUpstreamAdapter:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        directory: Directory,
        connect_timeout: float | None = None,
        correlation: Correlation | None = None,
    ) -> None:
        self._transport = OicpTransport(http, connect_timeout=connect_timeout)
        self._directory = directory
        self.correlation = correlation or Correlation()
        self._sequencer = Sequencer()

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        context = request.context
        if context is None:  # every request toward an upstream carries its route context
            raise ConnectFailed("an OICP upstream needs the request's route context")
        operation = _OPERATIONS.get((context.module, context.interface, request.method))
        if context.module == "tokens" and context.path[-1:] != ("authorize",):
            operation = None
        if operation is None:
            return replies.from_error(
                InvalidParameters(
                    f"{request.method} {context.module} ({context.interface}) is not carried to the OICP hub"
                )
            )
        job = Job(request, context, self._transport, self.correlation, self._directory, self._sequencer)
        try:
            return await operation(job)
        except Unmappable as exc:
            return replies.from_error(InvalidParameters(f"Cannot be carried to OICP: {exc}"))
        except ValidationError as exc:  # a value outside an OICP limit (length, range)
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else "value"
            return replies.from_error(InvalidParameters(f"Cannot be carried to OICP: {where}: outside OICP's limits"))
        except Throttled as exc:
            return replies.throttled(exc.retry_after)
        except HbsFailed as exc:
            return replies.hbs_failed(exc.status)
        except HbsRefused as exc:
            return replies.hbs_refused(exc.status)

    async def aclose(self) -> None:
        return None  # the HTTP session belongs to the hub
