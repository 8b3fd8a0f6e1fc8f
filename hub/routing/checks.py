"""Checks before forwarding (checklist C.43, H.73): a bad push is refused with 2001 and never
reaches the receiver. Pure functions over the parsed request."""

from __future__ import annotations

from typing import Any

from hub.errors import InvalidParameters
from hub.ocpi.paths import CLIENT_OWNED, object_path
from hub.types import InterfaceRole, PartyKey

__all__ = ["needs_body_check", "check_push"]


def needs_body_check(method: str, module: str, interface: InterfaceRole) -> bool:
    return method == "PATCH" or (method == "PUT" and interface is InterfaceRole.RECEIVER and module in CLIENT_OWNED)


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.upper() == b.upper()


def check_push(*, method: str, module: str, interface: InterfaceRole, rest: str, body: Any, sender: PartyKey) -> None:
    if not isinstance(body, dict):
        raise InvalidParameters(f"{method} body must be a JSON object")
    if method == "PATCH" and "last_updated" not in body:
        raise InvalidParameters("PATCH must contain last_updated")
    path = object_path(module, interface, rest)
    if path is None:
        return
    if path.owner != sender:
        raise InvalidParameters(f"URL country_code/party_id {path.owner} is not the sender {sender} (OCPI-from)")
    if "country_code" in body and not _same(body["country_code"], path.owner.country_code):
        raise InvalidParameters("Body country_code differs from the URL country_code")
    if "party_id" in body and not _same(body["party_id"], path.owner.party_id):
        raise InvalidParameters("Body party_id differs from the URL party_id")
    field = CLIENT_OWNED[module][len(path.ids) - 1]
    if field in body and not _same(body[field], path.ids[-1]):
        raise InvalidParameters(f"Body {field} differs from the object id in the URL")
