"""What a simulated platform sent and received: one `Exchange` per HTTP request, with a short
human description ("status CHARGING", "ALLOWED", "8.25 kWh, 0.75 h, 3.06 EUR"), for the demo's
table and for counting failures of background traffic (command results, session pushes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Exchange", "Observer", "describe", "format_exchange", "table_header"]

Direction = Literal["sent", "received"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request a platform sent (to the hub) or received (from the hub), with its answer."""

    at: float  # time.time() when the request started
    platform: str  # the simulated platform's name
    direction: Direction
    sender: str  # "CPO NL*CPO", "HUB NL*HUB", ...
    receiver: str
    method: str
    module: str  # versions, credentials, locations, ... or "response_url"
    path: str  # after the module's endpoint ("" for the list / the endpoint itself)
    http_status: int  # 0: no HTTP answer (connection refused, timeout)
    ocpi_status: int | None
    elapsed_ms: float
    note: str = ""  # what the message says, in a few words
    error: str | None = None  # transport error or unreadable reply

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.ocpi_status == 1000


Observer = Callable[[Exchange], None]


def _num(value: Any, unit: str = "") -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}{unit}"
    return "?"


def _cost(price: Any, currency: Any) -> str:
    if isinstance(price, dict) and isinstance(price.get("excl_vat"), int | float):
        return f"cost {price['excl_vat']:.2f}{' ' + str(currency) if currency else ''} excl. VAT"
    return ""


def describe(module: str, method: str, path: str, body: Any, data: Any) -> str:
    """A few words saying what a message means (`body` = request JSON, `data` = reply data)."""
    b = body if isinstance(body, dict) else {}
    d = data if isinstance(data, dict) else {}
    if module == "credentials" and method in ("POST", "PUT"):
        return "token exchanged" if d.get("token") else "credentials"
    if module == "versions":
        return "version details" if path else "versions"
    if module == "locations":
        if method == "GET" and isinstance(data, list):
            return f"{len(data)} location(s)"
        if "status" in b:
            return f"status {b['status']}"
        if "evses" in b:
            return f"{len(b['evses'])} EVSE(s)"
    if module == "tokens":
        if path.endswith("authorize"):
            return str(d.get("allowed", "")) or "unknown token"
        if "valid" in b:
            return f"{b.get('type', '')} valid={b['valid']}".strip()
        if method == "GET" and isinstance(data, list):
            return f"{len(data)} token(s)"
    if module == "tariffs" and "elements" in b:
        return f"{len(b['elements'])} element(s), {b.get('currency', '')}"
    if module == "commands":
        if method == "POST" and "result" in b:
            return f"result {b['result']}"
        if "result" in d:
            return f"response {d['result']}"
    if module == "sessions" and method in ("PUT", "PATCH"):
        parts = [str(b["status"])] if "status" in b else []
        if "kwh" in b:
            parts.append(_num(b["kwh"], " kWh"))
        cost = _cost(b.get("total_cost"), b.get("currency"))
        return ", ".join(parts + ([cost] if cost else []))
    if module == "cdrs" and method == "POST":
        return ", ".join(
            p
            for p in (
                _num(b.get("total_energy"), " kWh"),
                _num(b.get("total_time"), " h"),
                _cost(b.get("total_cost"), b.get("currency")),
            )
            if p
        )
    if module == "hubclientinfo" and "status" in b:
        return f"{b.get('role', '')} {b.get('country_code', '')}*{b.get('party_id', '')} {b['status']}"
    if module == "chargingprofiles":
        if method == "POST" and "result" in b:
            return f"result {b['result']}"
        if "result" in d:
            return f"response {d['result']}"
    return ""


_WIDTH = 44
_COLUMNS = f"{'time':>8}  {'from':<12}   {'to':<12} {'message':<{_WIDTH}} {'HTTP':>4} {'OCPI':>4} {'ms':>5}  what"


def table_header() -> str:
    return _COLUMNS + "\n" + "-" * (len(_COLUMNS) + 30)


def format_exchange(exchange: Exchange, *, since: float | None = None) -> str:
    """One table row: time, who to whom, method and path, statuses, duration, meaning."""
    start = since if since is not None else time.time()
    moment = f"+{exchange.at - start:6.2f}s" if since is not None else time.strftime("%H:%M:%S")
    target = f"{exchange.module}/{exchange.path}" if exchange.path else exchange.module
    message = f"{exchange.method:<6} {target}"
    if len(message) > _WIDTH:
        message = message[: _WIDTH - 3] + "..."
    ocpi = "-" if exchange.ocpi_status is None else str(exchange.ocpi_status)
    http = str(exchange.http_status) if exchange.http_status else "---"
    note = exchange.error or exchange.note
    return (
        f"{moment:>8}  {exchange.sender:<12} → {exchange.receiver:<12} {message:<{_WIDTH}} "
        f"{http:>4} {ocpi:>4} {exchange.elapsed_ms:5.0f}  {note}"
    ).rstrip()
