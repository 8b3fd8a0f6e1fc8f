"""Functional modules of the fake platform: a small in-memory OCPI 2.2.1 implementation.

RECEIVER side (`fake.store[module][url key]`, the key being the URL segments after the module):
- Client Owned Objects (locations, sessions, tariffs, tokens, hubclientinfo):
  `PUT|PATCH|GET .../{cc}/{pid}/{id}[/{evse_uid}/{connector_id}]`; PUT answers HTTP 201 when new and
  200 when replaced, PATCH merges (404 when unknown), GET returns the object (404 when unknown);
- cdrs: `POST` stores the CDR under `{cc}/{pid}/{id}` and answers with a `Location` header to the
  fake's own URL for it, which GET serves;
- commands: `POST /{command}` answers CommandResponse (`fake.command_response`, timeout 30), then
  POSTs CommandResult {"result": fake.command_result} to the body's `response_url`;
- chargingprofiles: `PUT|GET|DELETE /{session_id}` answer ChargingProfileResponse and then POST the
  matching result to the `response_url` (body for PUT, query for GET/DELETE).
Results go out with the fake's token, TO = the requester (its OCPI-from) and FROM = the fake, the
request's X-Correlation-ID, and are recorded in `fake.callbacks`.

SENDER side (`fake.objects[module]`, filled with `add_object`): paginated list GET (date_from,
date_to, offset, limit; Link to the announced collection URL, X-Total-Count, X-Limit with
`fake.page_limit`), GET by id (locations:
also EVSE and connector), tokens `POST /{uid}/authorize` (known: 200 + AuthorizationInfo, unknown:
HTTP 404 + 2004); commands and chargingprofiles SENDER accept results at any sub-path
(`fake.results`).

Every answer echoes the ids and, except for hubclientinfo (a configuration module), carries
OCPI-to = the requester (its OCPI-from) and OCPI-from = the fake's party.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from tests.fakes.ocpi import ROLE_ENDPOINTS, RecordedRequest, SentCallback, envelope, new_id, paginate, reply, timestamp

if TYPE_CHECKING:
    from tests.fakes.party import FakePlatform

__all__ = ["add_object", "handle"]

_CLIENT_OWNED_RECEIVERS = ("locations", "sessions", "tariffs", "tokens", "hubclientinfo")
_LIST_SENDERS = ("locations", "sessions", "cdrs", "tariffs", "tokens")


def add_object(fake: FakePlatform, module: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Add an object the fake owns (SENDER side); fills country_code, party_id, last_updated."""
    cc, pid = _own_party(fake, module, "SENDER")
    stored = {"country_code": cc, "party_id": pid, "last_updated": timestamp(), **obj}
    fake.objects.setdefault(module, []).append(stored)
    return stored


async def handle(fake: FakePlatform, req: RecordedRequest, module: str, role: str, rest: list[str]) -> Response:
    headers = _answer_headers(fake, req, module, role)
    try:
        if role == "RECEIVER":
            return await _receiver(fake, req, module, rest, headers)
        return _sender(fake, req, module, rest, headers)
    except (ValueError, KeyError, TypeError) as exc:
        return _reply(envelope(status_code=2001, status_message=f"Invalid request: {exc}"), 400, headers)


# --- RECEIVER interfaces ----------------------------------------------------------------------


async def _receiver(
    fake: FakePlatform, req: RecordedRequest, module: str, rest: list[str], headers: dict[str, str]
) -> Response:
    store = fake.store.setdefault(module, {})
    key = tuple(rest)
    if module == "commands" and req.method == "POST" and len(rest) == 1:
        _schedule(fake, req, req.json["response_url"], {"result": fake.command_result})
        return _reply(envelope({"result": fake.command_response, "timeout": 30}), 200, headers)
    if module == "chargingprofiles" and len(rest) == 1:
        return _charging_profile(fake, req, store, key, headers)
    if module == "cdrs" and req.method == "POST" and not rest:
        cdr = req.json
        location_key = (cdr["country_code"], cdr["party_id"], cdr["id"])
        store[location_key] = cdr
        headers["Location"] = f"{fake.endpoint_url('cdrs', 'RECEIVER')}/{'/'.join(location_key)}"
        return _reply(envelope(), 201, headers)
    if module in (*_CLIENT_OWNED_RECEIVERS, "cdrs") and key:
        return _client_owned(req, store, key, headers)
    return _reply(envelope(status_code=2000, status_message="Not supported by the fake"), 404, headers)


def _client_owned(
    req: RecordedRequest, store: dict[tuple[str, ...], Any], key: tuple[str, ...], headers: dict[str, str]
) -> Response:
    if req.method == "GET":
        if key not in store:
            return _reply(envelope(status_code=2000, status_message="Unknown object"), 404, headers)
        return _reply(envelope(store[key]), 200, headers)
    if req.method == "PUT":
        created = key not in store
        store[key] = req.json
        return _reply(envelope(), 201 if created else 200, headers)
    if req.method == "PATCH":
        if key not in store:
            return _reply(envelope(status_code=2000, status_message="Unknown object"), 404, headers)
        store[key] = {**store[key], **req.json}
        return _reply(envelope(), 200, headers)
    return _reply(envelope(status_code=2000, status_message="Method not allowed"), 405, headers)


def _charging_profile(
    fake: FakePlatform,
    req: RecordedRequest,
    store: dict[tuple[str, ...], Any],
    key: tuple[str, ...],
    headers: dict[str, str],
) -> Response:
    if req.method == "PUT":
        store[key] = req.json["charging_profile"]
        _schedule(fake, req, req.json["response_url"], {"result": "ACCEPTED"})
    elif req.method == "GET":
        profile = {"start_date_time": timestamp(), "charging_profile": store.get(key, {"charging_rate_unit": "W"})}
        _schedule(fake, req, req.query_params["response_url"], {"result": "ACCEPTED", "profile": profile})
    elif req.method == "DELETE":
        store.pop(key, None)
        _schedule(fake, req, req.query_params["response_url"], {"result": "ACCEPTED"})
    else:
        return _reply(envelope(status_code=2000, status_message="Method not allowed"), 405, headers)
    return _reply(envelope({"result": "ACCEPTED", "timeout": 30}), 200, headers)


def _schedule(fake: FakePlatform, req: RecordedRequest, url: str, result: dict[str, Any]) -> None:
    """POST `result` to `url` shortly after answering, as the receiving party, to the requester."""
    to = (req.header("ocpi-from-country-code") or "", req.header("ocpi-from-party-id") or "")
    me = (req.header("ocpi-to-country-code") or "", req.header("ocpi-to-party-id") or "")
    from_ = me if me in fake.parties else fake.parties[0]
    correlation = req.header("x-correlation-id") or new_id()

    async def send() -> None:
        await asyncio.sleep(fake.callback_delay)
        try:
            answer = await fake.request_hub(
                "POST", url, json=result, to=to, from_=from_, headers={"X-Correlation-ID": correlation}
            )
        except Exception as exc:  # recorded for the test to see, never raised into the void
            fake.callbacks.append(SentCallback(url=url, body=result, status=0, reply=repr(exc)))
            return
        fake.callbacks.append(SentCallback(url=url, body=result, status=answer.status_code, reply=_json(answer)))

    fake.spawn(send(), name=f"callback:{url}")


# --- SENDER interfaces ------------------------------------------------------------------------


def _sender(
    fake: FakePlatform, req: RecordedRequest, module: str, rest: list[str], headers: dict[str, str]
) -> Response:
    if module in ("commands", "chargingprofiles"):
        fake.results.append(req)
        return _reply(envelope(), 200, headers)
    if module == "tokens" and req.method == "POST" and len(rest) == 2 and rest[1] == "authorize":
        return _authorize(fake, req, rest[0], headers)
    if module not in _LIST_SENDERS or req.method != "GET":
        return _reply(envelope(status_code=2000, status_message="Not supported by the fake"), 405, headers)
    objects = fake.objects.get(module, [])
    if not rest:
        url = fake.collection_url(module, "SENDER")  # where the collection is served (slashed or not)
        page, page_headers = paginate(objects, req.query_params, page_limit=fake.page_limit, url=url)
        return _reply(envelope(page), 200, {**headers, **page_headers})
    found = _find(objects, rest)
    if found is None:
        return _reply(envelope(status_code=2000, status_message="Unknown object"), 404, headers)
    return _reply(envelope(found), 200, headers)


def _find(objects: list[dict[str, Any]], ids: list[str]) -> Any:
    """Object by id (or uid); for locations also `{location}/{evse_uid}[/{connector_id}]`."""
    found: Any = next((o for o in objects if ids[0] in (o.get("id"), o.get("uid"))), None)
    for child, name in zip(ids[1:], ("evses", "connectors"), strict=False):
        if found is None:
            return None
        found = next((c for c in found.get(name, []) if child in (c.get("uid"), c.get("id"))), None)
    return found


def _authorize(fake: FakePlatform, req: RecordedRequest, uid: str, headers: dict[str, str]) -> Response:
    wanted_type = req.query_params.get("type", "RFID")
    token = next(
        (t for t in fake.objects.get("tokens", []) if t.get("uid") == uid and t.get("type", "RFID") == wanted_type),
        None,
    )
    if token is None:
        return _reply(envelope(status_code=2004, status_message="Unknown token"), 404, headers)
    info = {
        "allowed": "ALLOWED" if token.get("valid", True) else "BLOCKED",
        "token": token,
        "authorization_reference": new_id()[:36],
    }
    return _reply(envelope(info), 200, headers)


# --- helpers ----------------------------------------------------------------------------------


def _own_party(fake: FakePlatform, module: str, role: str) -> tuple[str, str]:
    for party_role, cc, pid in fake.roles:
        if (module, role) in ROLE_ENDPOINTS.get(party_role, ()):
            return cc, pid
    return fake.parties[0]


def _answer_headers(fake: FakePlatform, req: RecordedRequest, module: str, role: str) -> dict[str, str]:
    me = (req.header("ocpi-to-country-code") or "", req.header("ocpi-to-party-id") or "")
    me = next((p for p in fake.parties if (p[0].upper(), p[1].upper()) == (me[0].upper(), me[1].upper())), None) or (
        _own_party(fake, module, role)
    )
    headers = {
        "X-Request-ID": req.header("x-request-id") or new_id(),
        "X-Correlation-ID": req.header("x-correlation-id") or new_id(),
    }
    if module == "hubclientinfo":  # a configuration module: no routing headers (transport_and_format 400-403)
        return headers
    headers |= {"OCPI-from-country-code": me[0], "OCPI-from-party-id": me[1]}
    if req.header("ocpi-from-country-code") and req.header("ocpi-from-party-id"):
        headers["OCPI-to-country-code"] = req.header("ocpi-from-country-code") or ""
        headers["OCPI-to-party-id"] = req.header("ocpi-from-party-id") or ""
    return headers


def _reply(body: Any, status: int, headers: dict[str, str]) -> Response:
    return reply(body, status, headers)


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
