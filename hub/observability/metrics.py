"""Prometheus metrics (issue 16 item 4), with the standard client library, one registry per app.

Counted as traffic passes (cheap: a labelled counter is one dict lookup and an add):

| metric | labels | where |
|---|---|---|
| `ocpi_hub_http_requests_total` | method, path (module level), status | every HTTP request (`RequestContext`) |
| `ocpi_hub_http_request_seconds` | method | every HTTP request |
| `ocpi_hub_routed_requests_total` | module, method, ocpi_status, from_party, to_party | routed requests |
| `ocpi_hub_receiver_seconds` | module, receiver (platform name) | time the receiver took |
| `ocpi_hub_commands_total` | command, result | CommandResponses relayed |
| `ocpi_hub_authorizations_total` | emsp, allowed | real-time authorizations relayed |
| `ocpi_hub_cdrs_total` | cpo, emsp | CDRs accepted by their receiver |
| `ocpi_hub_cdr_energy_kwh_total` | cpo | their `total_energy` |
| `ocpi_hub_cdr_cost_total` | cpo, currency | their `total_cost.excl_vat` |
| `ocpi_hub_session_pushes_total` | cpo, status | Session pushes accepted, by the status they carry |

Read at scrape time (`Snapshot`, filled by the endpoint from the database and the hub's parts):
platforms by status, outbox depth and age by kind, dead letters, breakers by state and origin,
requests refused by reason (validation 2001, rate limits 429, authentication...).

Party labels are `CC*PID` of registered parties (bounded by the registry; a caller cannot mint
new label values: unknown senders are refused before routing). Each worker process keeps its
own counters: with `--workers N` a scrape sees one worker (the database-backed gauges are
whole-hub values).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "HubMetrics", "Snapshot", "path_label"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Label values come from a closed set: anything a caller could vary freely becomes "other", so
# garbage paths or values cannot grow the series without bound.
_MODULES = "cdrs|chargingprofiles|commands|credentials|hubclientinfo|locations|sessions|tariffs|tokens"
_PATH = re.compile(
    rf"^/(?:ocpi/versions|ocpi/2\.[0-9]\.[0-9](?:/(?:credentials|proxy|(?:sender|receiver)/(?:{_MODULES})))?|health/live|health/ready|metrics)(?=/|$)"
)
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_COMMANDS = frozenset({"CANCEL_RESERVATION", "RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"})
_RESULTS = frozenset(
    {
        "ACCEPTED",
        "CANCELED_RESERVATION",
        "EVSE_OCCUPIED",
        "EVSE_INOPERATIVE",
        "FAILED",
        "NOT_SUPPORTED",
        "REJECTED",
        "TIMEOUT",
        "UNKNOWN_RESERVATION",
    }
)
_ALLOWED = frozenset({"ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"})
_SESSION_STATUS = frozenset({"ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"})
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def path_label(path: str) -> str:
    """The module-level path of a request, or "other"."""
    found = _PATH.match(path)
    return found.group(0) if found else "other"


def _one_of(value: object, allowed: frozenset[str]) -> str:
    return value if isinstance(value, str) and value in allowed else "other"


@dataclass(slots=True)
class Snapshot:
    """Whole-hub values read when Prometheus scrapes."""

    platforms: Mapping[str, int] = field(default_factory=dict)  # status -> count
    outbox_pending: Mapping[str, int] = field(default_factory=dict)  # kind -> pending messages
    outbox_oldest_seconds: Mapping[str, float] = field(default_factory=dict)  # kind -> age of the oldest
    outbox_dead: int = 0
    breakers: Mapping[str, str] = field(default_factory=dict)  # origin -> state
    refused: Mapping[str, int] = field(default_factory=dict)  # reason -> count (this process)


class _Scraped(Collector):
    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        platforms = GaugeMetricFamily("ocpi_hub_platforms", "Platforms by connection status", labels=["status"])
        for status, count in sorted(snap.platforms.items()):
            platforms.add_metric([status], count)
        yield platforms
        pending = GaugeMetricFamily("ocpi_hub_outbox_pending", "Deliveries the hub owes, by kind", labels=["kind"])
        oldest = GaugeMetricFamily(
            "ocpi_hub_outbox_oldest_seconds", "Age of the oldest pending delivery, by kind", labels=["kind"]
        )
        for kind, count in sorted(snap.outbox_pending.items()):
            pending.add_metric([kind], count)
            oldest.add_metric([kind], snap.outbox_oldest_seconds.get(kind, 0.0))
        yield pending
        yield oldest
        yield GaugeMetricFamily("ocpi_hub_outbox_dead", "Deliveries given up (dead letters)", value=snap.outbox_dead)
        breakers = GaugeMetricFamily(
            "ocpi_hub_breaker_open", "Circuit breakers per receiver origin: 1 open, 0.5 half-open", labels=["origin"]
        )
        for origin, state in sorted(snap.breakers.items()):
            breakers.add_metric([origin], {"open": 1.0, "half-open": 0.5}.get(state, 0.0))
        yield breakers
        refused = GaugeMetricFamily(
            "ocpi_hub_refused_requests", "Requests refused by this process, by OCPI status and kind", labels=["reason"]
        )
        for reason, count in sorted(snap.refused.items()):
            refused.add_metric([reason], count)
        yield refused


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "ocpi_hub_http_requests", "HTTP requests answered", ["method", "path", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "ocpi_hub_http_request_seconds", "Time to answer", ["method"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.routed = Counter(
            "ocpi_hub_routed_requests",
            "Requests routed to a receiver",
            ["module", "method", "ocpi_status", "from_party", "to_party"],
            registry=r,
        )
        self.receiver_seconds = Histogram(
            "ocpi_hub_receiver_seconds",
            "Time the receiver took to answer",
            ["module", "receiver"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.commands = Counter("ocpi_hub_commands", "CommandResponses relayed", ["command", "result"], registry=r)
        self.authorizations = Counter(
            "ocpi_hub_authorizations", "Real-time authorizations relayed", ["emsp", "allowed"], registry=r
        )
        self.cdrs = Counter("ocpi_hub_cdrs", "CDRs accepted by their receiver", ["cpo", "emsp"], registry=r)
        self.cdr_energy = Counter("ocpi_hub_cdr_energy_kwh", "Energy of accepted CDRs", ["cpo"], registry=r)
        self.cdr_cost = Counter(
            "ocpi_hub_cdr_cost", "total_cost.excl_vat of accepted CDRs", ["cpo", "currency"], registry=r
        )
        self.session_pushes = Counter(
            "ocpi_hub_session_pushes",
            "Session pushes accepted, by the status they carry",
            ["cpo", "status"],
            registry=r,
        )
        self._scraped = _Scraped()
        r.register(self._scraped)

    def http_request(self, *, method: str, path: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.http_requests.labels(method, path_label(path), str(status)).inc()
        self.http_seconds.labels(method).observe(seconds)

    def routed_request(
        self,
        *,
        module: str,
        method: str,
        ocpi_status: int | None,
        sender: str,
        receiver: str,
        receiver_name: str,
        receiver_ms: float | None,
    ) -> None:
        status = str(ocpi_status) if ocpi_status is not None else "none"
        self.routed.labels(module, method, status, sender, receiver).inc()
        if receiver_ms is not None:
            self.receiver_seconds.labels(module, receiver_name).observe(receiver_ms / 1000)

    def business(
        self, *, module: str, method: str, path: tuple[str, ...], body: Any, data: Any, sender: str, receiver: str
    ) -> None:
        """The business view of one request the receiver accepted (1xxx)."""
        if module == "commands" and method == "POST" and path and isinstance(data, dict):
            self.commands.labels(_one_of(path[0].upper(), _COMMANDS), _one_of(data.get("result"), _RESULTS)).inc()
        elif module == "tokens" and path[-1:] == ("authorize",) and isinstance(data, dict):
            self.authorizations.labels(receiver, _one_of(data.get("allowed"), _ALLOWED)).inc()
        elif module == "cdrs" and method == "POST" and isinstance(body, dict):
            self.cdrs.labels(sender, receiver).inc()
            energy = body.get("total_energy")
            if isinstance(energy, int | float) and energy >= 0:
                self.cdr_energy.labels(sender).inc(energy)
            cost = body.get("total_cost")
            amount = cost.get("excl_vat") if isinstance(cost, dict) else None
            if isinstance(amount, int | float) and amount >= 0:
                currency = body.get("currency")
                self.cdr_cost.labels(sender, currency if _CURRENCY.match(str(currency)) else "other").inc(amount)
        elif module == "sessions" and method in ("PUT", "PATCH") and isinstance(body, dict) and "status" in body:
            self.session_pushes.labels(sender, _one_of(body["status"], _SESSION_STATUS)).inc()

    def render(self, snapshot: Snapshot) -> bytes:
        self._scraped.snapshot = snapshot
        return generate_latest(self.registry)
