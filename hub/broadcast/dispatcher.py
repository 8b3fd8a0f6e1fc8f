"""The dispatcher: expands accepted broadcasts into per-party messages and delivers the outbox.

Guarantees: at-least-once delivery, FIFO per receiver (a receiver's next message waits until
the one before it is delivered or given up), retries with exponential backoff and full jitter,
a `dead` state after `outbox_max_attempts`, and a restart picks up where the last run stopped
(everything is in SQL). A message recorded as delivered is never sent again. Receivers that
are not CONNECTED are skipped (they resync with GET, mod_hub_client_info.asciidoc 26-40);
a receiver's 2xxx answer is final (`rejected`) and never reaches the pusher.

One process at a time holds the `dispatcher` lease; the others stand by.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import orjson
import structlog
from sqlalchemy import delete, func
from sqlmodel import col, select

from hub.broadcast.lease import acquire_lease, release_lease
from hub.broadcast.outbox import party_queue
from hub.broadcast.targets import Candidate, broadcast_targets
from hub.db.db import STORAGE_ERRORS, SessionFactory, session_scope
from hub.db.models import Broadcast, OutboxMessage, OutboxStatus, utcnow
from hub.db.repositories import RegistryRepository
from hub.editions.edges import Editions, edition_of
from hub.editions.kinds import TRANSLATED_MODULES
from hub.egress.policy import EgressRefused
from hub.errors import HubBusy, HubError, InvalidParameters, OcpiError
from hub.forwarding.contract import RouteContext
from hub.forwarding.outbound import outbound_request
from hub.forwarding.send import BreakerOpen, SendPath
from hub.ocpi.envelope import parse_envelope
from hub.ocpi.headers import routing_headers
from hub.ocpi.request import parse_path
from hub.ocpi.urls import build_url, parse_segments
from hub.ocpi.versions import PIVOT
from hub.privacy.personal import PersonalData
from hub.routing.agreement_book import PolicySource
from hub.routing.table import PlatformRoute, RoutingTable
from hub.settings import Settings
from hub.tasks import TaskGroup
from hub.translation import Untranslatable
from hub.types import InterfaceRole, PartyKey, Role

__all__ = ["Dispatcher"]

_log = structlog.get_logger("hub.dispatcher")
_LEASE = "dispatcher"
_RETRY = "retry"  # attempt failed: pending again after a backoff
_WAIT = "wait"  # no attempt made (breaker open): pending again after the breaker's cooldown


@dataclass(frozen=True, slots=True)
class _Result:
    message_id: int
    status: str  # an OutboxStatus when final, _RETRY or _WAIT otherwise
    error: str | None = None


class Dispatcher:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: SessionFactory,
        routing: RoutingTable,
        send: SendPath,
        policy: PolicySource,
        personal: PersonalData,
        editions: Editions | None = None,
    ) -> None:
        self._send = send
        self._editions = editions
        self._personal = personal
        self._settings = settings
        self._sessions = sessions
        self._routing = routing
        self._policy = policy
        self._wake = asyncio.Event()
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.is_leader = False
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._results: list[tuple[list[_Result], dict[int | None, OutboxMessage], asyncio.Future[None]]] = []
        self._flushing = False
        self._workers = TaskGroup()
        self.heartbeat = utcnow()
        self.delivered = 0

    async def release(self) -> None:
        """Give the lease up (clean shutdown) so another process can take over at once."""
        if self.is_leader:
            await release_lease(self._sessions, name=_LEASE, holder=self._holder)
            self.is_leader = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._loop()
        finally:
            await self._workers.aclose()

    async def _loop(self) -> None:
        while True:
            busy = False
            try:
                self.is_leader = await acquire_lease(
                    self._sessions,
                    name=_LEASE,
                    holder=self._holder,
                    ttl_seconds=10 * self._settings.dispatcher_poll_seconds + 5,
                )
                if self.is_leader:
                    busy = await self.step()
            except STORAGE_ERRORS as exc:  # keep going: the database may be away for a while
                _log.warning("dispatcher_step_failed", error=type(exc).__name__)
            self.heartbeat = utcnow()
            if not busy:
                self._wake.clear()
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                    # that arrives as the event is set, and shutdown would then wait forever.
                    async with asyncio.timeout(self._settings.dispatcher_poll_seconds):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def step(self) -> bool:
        """One round: expand new broadcasts, deliver what is due. True if there was work."""
        expanded = await self._expand()
        delivered = await self._deliver_due()
        return bool(expanded or delivered)

    # --- expansion ------------------------------------------------------------------------

    async def _candidates(self) -> list[Candidate]:
        async with self._sessions() as session:
            parties = await RegistryRepository(session).all_parties()
        found = []
        for party in parties:
            platform = await self._routing.platform(party.platform_id)
            if platform is not None:
                found.append(Candidate(PartyKey.of(party.country_code, party.party_id), Role(party.role), platform))
        return found

    async def _expand(self) -> int:
        async with self._sessions() as session:
            query = select(Broadcast).where(col(Broadcast.expanded).is_(False)).order_by(col(Broadcast.id)).limit(100)
            pending = list((await session.exec(query)).all())
        if not pending:
            return 0
        candidates = await self._candidates()
        policy = await self._policy.current()
        async with session_scope(self._sessions) as session:
            for broadcast in pending:
                pusher = PartyKey.of(broadcast.from_country_code, broadcast.from_party_id)
                interface = InterfaceRole(broadcast.interface_role)
                targets = broadcast_targets(
                    pusher=pusher,
                    role=Role(broadcast.from_role),
                    module=broadcast.module,
                    interface=interface,
                    candidates=candidates,
                    policy=policy,
                    extra_cpo_audience=self._settings.broadcast_extra_roles,
                    pusher_platform_id=broadcast.platform_id,
                )
                for target in targets:
                    session.add(_fan_out(broadcast, target, self._settings))
                broadcast.expanded = True
                session.add(broadcast)
                _log.info("broadcast_expanded", broadcast=broadcast.id, module=broadcast.module, receivers=len(targets))
        return len(pending)

    # --- delivery -------------------------------------------------------------------------

    async def _deliver_due(self) -> int:
        """Start a worker for each receiver whose first pending message is due and that has no
        worker yet. Receivers never wait for each other: each worker records its own results."""
        free = self._settings.dispatcher_concurrency - len(self._inflight)
        if free <= 0:
            return 0
        async with self._sessions() as session:
            heads = (
                select(func.min(OutboxMessage.id).label("head"))
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .group_by(col(OutboxMessage.receiver_key))
                .subquery()
            )
            due_query = (
                select(OutboxMessage)
                .join(heads, col(OutboxMessage.id) == heads.c.head)
                .where(col(OutboxMessage.next_attempt_at) <= utcnow())
                .order_by(col(OutboxMessage.id))
                .limit(free + len(self._inflight))
            )
            due = [r for r in (await session.exec(due_query)).all() if r.receiver_key not in self._inflight][:free]
        if not due:
            return 0
        keys = [head.receiver_key for head in due]
        async with self._sessions() as session:  # one query for every worker of this round
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.receiver_key).in_(keys))
                .order_by(col(OutboxMessage.id))
                .limit(len(keys) * 32)
            )
            queues: dict[str, list[OutboxMessage]] = {key: [] for key in keys}
            for row in (await session.exec(query)).all():
                if len(queues[row.receiver_key]) < 32:
                    queues[row.receiver_key].append(row)
        now = utcnow()
        for key, queue in queues.items():
            # the heads were read before this query: a worker that finished in between may have
            # put its head back with a backoff, which only this fresher read shows
            if queue and queue[0].next_attempt_at <= now:
                self._inflight[key] = self._workers.spawn(self._work(key, queue), name=f"outbox:{key}")
        return len(due)

    async def _work(self, key: str, rows: list[OutboxMessage]) -> None:
        """Deliver one receiver's next messages in order and record the outcomes."""
        try:
            results = await self._drain_queue(rows)
            await self._record(results, {row.id: row for row in rows})
        except STORAGE_ERRORS as exc:  # the database may be away; the messages stay pending
            _log.warning("outbox_worker_failed", receiver=key, error=type(exc).__name__)
        finally:
            self._inflight.pop(key, None)
            self.wake()

    async def _drain_queue(self, queue: list[OutboxMessage]) -> list[_Result]:
        """Deliver one receiver's messages in order, stopping at the first that must wait."""
        results = []
        for message in queue:
            result = await self._deliver(message)
            results.append(result)
            if result.status in (_RETRY, _WAIT):
                break
        return results

    async def _deliver(self, message: OutboxMessage) -> _Result:
        """One attempt through the same send path as routed requests (breakers, failover)."""
        assert message.id is not None
        platform = await self._routing.platform(message.receiver_platform_id)
        if platform is None or not platform.usable:
            return _Result(message.id, OutboxStatus.SKIPPED, "receiver not connected")
        endpoint = platform.endpoint(message.module, InterfaceRole(message.interface_role))
        if endpoint is None:
            return _Result(message.id, OutboxStatus.SKIPPED, "receiver has no such endpoint")
        try:
            rest, body = self._personal.open_outbound(message.rest, message.body)  # Tokens are sealed at rest
            segments = parse_segments(rest)
            url = build_url(endpoint, segments, parse_qsl(message.query, keep_blank_values=True))
        except (InvalidParameters, ValueError):
            return _Result(message.id, OutboxStatus.DEAD, "stored path is not a checked path")
        foreign = edition_of(platform.version) is not PIVOT
        if self._editions is not None and body is not None and foreign and message.module in TRANSLATED_MODULES:
            try:
                body = await self._in_edition(message, platform.version, rest, body)
            except Untranslatable as exc:  # e.g. a non-public Location for a 2.1.1 party: never sent
                return _Result(message.id, OutboxStatus.SKIPPED, exc.message[:200])
            except (OcpiError, ValueError) as exc:
                return _Result(message.id, OutboxStatus.DEAD, f"not translatable: {type(exc).__name__}")
        request = outbound_request(
            platform=platform,
            method=message.method,
            url=url,
            body=body,
            correlation_id=message.correlation_id,
            routing=_routing(message),
            default_timeout=self._settings.request_timeout_seconds,
            context=_route_context(message, platform, rest, body) if platform.upstream else None,
        )
        try:
            reply = await self._send.send(request, platform=platform, receiver=message.receiver_key)
        except BreakerOpen:
            return _Result(message.id, _WAIT, "circuit open")
        except HubBusy:  # the hub's own shortage: no attempt was made, nothing against the receiver
            return _Result(message.id, _WAIT, "hub busy")
        except EgressRefused:  # the outbound policy refuses this endpoint: retrying cannot help
            return _Result(message.id, OutboxStatus.DEAD, "endpoint refused by the outbound policy")
        except HubError as exc:
            return _Result(message.id, _RETRY, exc.message)
        envelope = parse_envelope(reply.body)
        status = envelope["status_code"] if envelope else None
        if reply.status >= 500 or reply.status in (401, 408, 429) or status is None or 3000 <= status < 4000:
            return _Result(message.id, _RETRY, f"HTTP {reply.status}, status_code {status}")
        if 1000 <= status < 2000 and reply.status < 300:
            return _Result(message.id, OutboxStatus.DELIVERED)
        return _Result(message.id, OutboxStatus.REJECTED, f"HTTP {reply.status}, status_code {status}")

    async def _in_edition(self, message: OutboxMessage, version: str | None, rest: str, body: bytes) -> bytes:
        """The stored 2.2.1 body in the receiver's edition (`hub.editions`). `rest` is the stored,
        still encoded path, which `parse_path` decodes once, as at ingress."""
        assert self._editions is not None
        interface = InterfaceRole(message.interface_role)
        raw = rest.split("/") if rest else []
        _, path = parse_path(module=message.module, interface_segment=interface.value.lower(), rest=raw)
        translated = await self._editions.to_receiver(
            version,
            module=message.module,
            interface=interface,
            method=message.method,
            path=path,
            body=orjson.loads(body),
        )
        return orjson.dumps(translated)

    async def _record(self, results: list[_Result], rows: dict[int | None, OutboxMessage]) -> None:
        """Record one worker's outcomes. Workers finishing together share one transaction (group
        commit): with SQLite's single writer, a transaction per receiver would queue up behind
        each other and in front of the pushes the hub is accepting."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._results.append((results, rows, done))
        if not self._flushing:
            self._flushing = True
            try:
                await asyncio.sleep(0.005)  # let the workers finishing now join this commit
                while self._results:
                    batch, self._results = self._results, []
                    try:
                        await self._write([(r, m) for r, m, _ in batch])
                    except STORAGE_ERRORS as exc:
                        for *_, future in batch:
                            if not future.done():
                                future.set_exception(exc)
                    else:
                        for *_, future in batch:
                            if not future.done():
                                future.set_result(None)
            finally:
                self._flushing = False
        await done

    async def _write(self, batch: list[tuple[list[_Result], dict[int | None, OutboxMessage]]]) -> None:
        now = utcnow()
        async with session_scope(self._sessions) as session:
            for results, rows in batch:
                for result in results:
                    self._apply(result, rows[result.message_id], now)
                    session.add(rows[result.message_id])

    def _apply(self, result: _Result, row: OutboxMessage, now: datetime) -> None:
        row.last_error = result.error[:255] if result.error else None
        if result.status == _WAIT:  # breaker open: no attempt was made, try after its cooldown
            row.next_attempt_at = now + timedelta(seconds=self._settings.breaker_reset_seconds)
        elif result.status == _RETRY:
            row.attempts += 1
            if row.attempts >= self._settings.outbox_max_attempts:
                row.status, row.finished_at = OutboxStatus.DEAD, now
                _log.warning("outbox_dead", message=row.id, receiver=row.receiver_key, error=row.last_error)
            else:
                row.next_attempt_at = now + timedelta(seconds=self._backoff(row.attempts))
        else:
            row.attempts += result.status != OutboxStatus.SKIPPED
            row.status, row.finished_at = result.status, now
            self.delivered += result.status == OutboxStatus.DELIVERED

    def _backoff(self, attempts: int) -> float:
        ceiling = min(
            self._settings.outbox_backoff_max_seconds, self._settings.outbox_backoff_seconds * 2 ** (attempts - 1)
        )
        return random.uniform(ceiling / 2, ceiling)

    async def purge(self) -> None:
        """Drop finished messages older than the retention period."""
        cutoff = utcnow() - timedelta(days=self._settings.outbox_retention_days)
        async with session_scope(self._sessions) as session:
            await session.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.status) != OutboxStatus.PENDING, col(OutboxMessage.finished_at) < cutoff
                )
            )


def _fan_out(broadcast: Broadcast, target: Candidate, settings: Settings) -> OutboxMessage:
    assert broadcast.id is not None
    return OutboxMessage(
        kind="broadcast",
        broadcast_id=broadcast.id,
        receiver_key=party_queue(target.key),
        receiver_platform_id=target.platform.platform_id,
        to_country_code=target.key.country_code,
        to_party_id=target.key.party_id,
        # an upstream hub fans the push out itself and must see whose it is: FROM = the pusher
        from_country_code=broadcast.from_country_code if target.role is Role.HUB else settings.country_code,
        from_party_id=broadcast.from_party_id if target.role is Role.HUB else settings.party_id,
        module=broadcast.module,
        interface_role=broadcast.interface_role,
        method=broadcast.method,
        rest=broadcast.rest,
        query=broadcast.query,
        body=broadcast.body,
        correlation_id=broadcast.correlation_id,
    )


def _route_context(message: OutboxMessage, platform: PlatformRoute, rest: str, body: bytes | None) -> RouteContext:
    """What an upstream adapter works from, as for a routed request: the `gireve` profile's
    headers and quality gate, the OICP bridge's translation (it has no OCPI endpoint to send to)."""
    return RouteContext(
        module=message.module,
        interface=message.interface_role,
        path=parse_segments(rest),
        query=tuple(parse_qsl(message.query, keep_blank_values=True)),
        parsed=orjson.loads(body) if body else None,
        sender=(message.from_country_code or "", message.from_party_id or ""),
        receiver=(message.to_country_code or "", message.to_party_id or ""),
        platform_id=platform.platform_id,
        profile=platform.profile,
        options=platform.options,
    )


def _routing(message: OutboxMessage) -> dict[str, str] | None:
    """Broadcast deliveries carry TO = receiving party, FROM = hub; ClientInfo PUTs none (a
    configuration module, transport_and_format.asciidoc 400-403)."""
    if message.to_country_code and message.to_party_id and message.from_country_code and message.from_party_id:
        return routing_headers(
            to=PartyKey(message.to_country_code, message.to_party_id),
            from_=PartyKey(message.from_country_code, message.from_party_id),
        )
    return None
