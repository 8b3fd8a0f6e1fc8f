"""Locust: a realistic OCPI 2.2.1 mix against the hub, sent as the simulated parties.

Run it with `make loadtest` (or `python -m loadtests.run`), which starts the hub and the
simulated CPOs and eMSPs, registers them and writes the file this locustfile reads
(`OCPI_LOADTEST_CONFIG`): the hub's URL, each party's credentials token and samples of its
locations and tokens, the task weights and the wait between tasks.

Every request goes to the hub with a party's own token and OCPI-from/OCPI-to headers; the hub
routes it to the simulated receiver. A request counts as an error unless its HTTP status is the
expected one and its body is an OCPI envelope with status_code 1000.

Tasks (request names in the statistics; weights in the config, 0 disables a task):
    evse_status    CPO -> eMSP   PATCH locations/{cc}/{pid}/{location}/{evse}  {status, last_updated}
    authorize      CPO -> eMSP   POST tokens/{uid}/authorize (real-time authorization)
    location_page  eMSP -> CPO   GET locations?offset=&limit= (one page of a paginated pull)
    session        CPO -> eMSP   PUT sessions/{cc}/{pid}/{id}, then PATCH it with a charging period
    cdr            CPO -> eMSP   POST cdrs
    command        eMSP -> CPO   POST commands/START_SESSION (the CPO answers, then POSTs the result
                                 and runs the session through the hub: background traffic)
"""

from __future__ import annotations

import base64
import json
import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import FastHttpUser, between

CONFIG: dict[str, Any] = json.loads(open(os.environ["OCPI_LOADTEST_CONFIG"], encoding="utf-8").read())
VERSION_PATH = "/ocpi/2.2.1"
CPOS: list[dict[str, Any]] = CONFIG["cpos"]
EMSPS: list[dict[str, Any]] = CONFIG["emsps"]
for _party in CPOS + EMSPS:
    _party["authorization"] = "Token " + base64.b64encode(_party["token"].encode()).decode()


def _now(offset: timedelta = timedelta(0)) -> str:
    moment = datetime.now(UTC) + offset
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _send(
    user: OcpiMix,
    name: str,
    method: str,
    path: str,
    sender: dict[str, Any],
    receiver: dict[str, Any],
    body: Any = None,
    expect: tuple[int, ...] = (200,),
) -> dict[str, Any] | None:
    headers = {
        "Authorization": sender["authorization"],
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": str(uuid.uuid4()),
        "OCPI-from-country-code": sender["country_code"],
        "OCPI-from-party-id": sender["party_id"],
        "OCPI-to-country-code": receiver["country_code"],
        "OCPI-to-party-id": receiver["party_id"],
        "Accept-Encoding": "identity",
    }
    data = None
    if body is not None:
        data = json.dumps(body, separators=(",", ":"))
        headers["Content-Type"] = "application/json"
    with user.client.request(
        method, VERSION_PATH + path, name=name, data=data, headers=headers, catch_response=True
    ) as response:
        try:
            envelope = json.loads(response.content or b"null")
        except ValueError:
            envelope = None
        status = envelope.get("status_code") if isinstance(envelope, dict) else None
        if response.status_code not in expect or status != 1000:
            message = envelope.get("status_message") if isinstance(envelope, dict) else None
            response.failure(f"HTTP {response.status_code}, OCPI {status}: {message or (response.text or '')[:80]}")
            return None
        response.success()
        return envelope


def evse_status(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    location = random.choice(cpo["locations"])
    evse = random.choice(location["evses"])
    path = f"/receiver/locations/{cpo['country_code']}/{cpo['party_id']}/{location['id']}/{evse['uid']}"
    status = random.choice(("AVAILABLE", "AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"))
    _send(user, "PATCH locations EVSE status", "PATCH", path, cpo, emsp, {"status": status, "last_updated": _now()})


def authorize(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    token = random.choice(emsp["tokens"])
    location = random.choice(cpo["locations"])
    body = {"location_id": location["id"], "evse_uids": [location["evses"][0]["uid"]]}
    path = f"/sender/tokens/{token['uid']}/authorize?type={token['type']}"
    _send(user, "POST tokens authorize", "POST", path, cpo, emsp, body)


def location_page(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    limit = CONFIG["page_limit"]
    pages = max(1, (cpo["location_count"] + limit - 1) // limit)
    path = f"/sender/locations?offset={random.randrange(pages) * limit}&limit={limit}"
    _send(user, "GET locations page", "GET", path, emsp, cpo)


def _cdr_token(emsp: dict[str, Any]) -> dict[str, Any]:
    token = random.choice(emsp["tokens"])
    return {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}


def _period(start: str, kwh: float) -> dict[str, Any]:
    return {
        "start_date_time": start,
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": 0.25}],
        "tariff_id": "AC",
    }


def session(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    location = random.choice(cpo["locations"])
    evse = random.choice(location["evses"])
    session_id = f"LT-{uuid.uuid4().hex[:24]}"
    start = _now(timedelta(minutes=-15))
    body = {
        "country_code": cpo["country_code"],
        "party_id": cpo["party_id"],
        "id": session_id,
        "start_date_time": start,
        "kwh": 0.0,
        "cdr_token": _cdr_token(emsp),
        "auth_method": "AUTH_REQUEST",
        "location_id": location["id"],
        "evse_uid": evse["uid"],
        "connector_id": evse["connector"]["id"],
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": _now(),
    }
    path = f"/receiver/sessions/{cpo['country_code']}/{cpo['party_id']}/{session_id}"
    if _send(user, "PUT sessions", "PUT", path, cpo, emsp, body) is None:
        return
    patch = {
        "kwh": 2.75,
        "charging_periods": [_period(start, 2.75)],
        "total_cost": {"excl_vat": 1.69, "incl_vat": 2.04},
        "last_updated": _now(),
    }
    _send(user, "PATCH sessions", "PATCH", path, cpo, emsp, patch)


def cdr(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    location = random.choice(cpo["locations"])
    evse = random.choice(location["evses"])
    connector = evse["connector"]
    start, end = _now(timedelta(minutes=-30)), _now()
    body = {
        "country_code": cpo["country_code"],
        "party_id": cpo["party_id"],
        "id": f"LT-{uuid.uuid4().hex[:30]}",
        "start_date_time": start,
        "end_date_time": end,
        "cdr_token": _cdr_token(emsp),
        "auth_method": "AUTH_REQUEST",
        "cdr_location": {
            "id": location["id"],
            "address": location["address"],
            "city": location["city"],
            "country": location["country"],
            "coordinates": location["coordinates"],
            "evse_uid": evse["uid"],
            "evse_id": evse["evse_id"],
            "connector_id": connector["id"],
            "connector_standard": connector["standard"],
            "connector_format": connector["format"],
            "connector_power_type": connector["power_type"],
        },
        "currency": "EUR",
        "charging_periods": [_period(start, 5.5)],
        "total_cost": {"excl_vat": 2.875, "incl_vat": 3.4788},
        "total_energy": 5.5,
        "total_time": 0.5,
        "last_updated": end,
    }
    _send(user, "POST cdrs", "POST", "/receiver/cdrs", cpo, emsp, body, expect=(200, 201))


def command(user: OcpiMix) -> None:
    cpo, emsp = random.choice(CPOS), random.choice(EMSPS)
    location = random.choice(cpo["locations"])
    evse = random.choice(location["evses"])
    body = {
        "response_url": f"{emsp['commands_url']}/START_SESSION/{uuid.uuid4().hex}",
        "token": random.choice(emsp["tokens"]),
        "location_id": location["id"],
        "evse_uid": evse["uid"],
        "authorization_reference": uuid.uuid4().hex[:36],
    }
    _send(user, "POST commands START_SESSION", "POST", "/receiver/commands/START_SESSION", emsp, cpo, body)


TASKS: dict[str, Callable[[OcpiMix], None]] = {
    "evse_status": evse_status,
    "authorize": authorize,
    "location_page": location_page,
    "session": session,
    "cdr": cdr,
    "command": command,
}


class OcpiMix(FastHttpUser):
    """One simulated connection of some party; each task picks its sender and receiver at random."""

    host = CONFIG["hub"]
    wait_time = between(CONFIG["wait_min"], CONFIG["wait_max"])
    tasks = {TASKS[name]: weight for name, weight in CONFIG["weights"].items() if weight > 0}
    network_timeout = 30.0
    connection_timeout = 10.0
