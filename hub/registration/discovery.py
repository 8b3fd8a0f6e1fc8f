"""Reading a platform's versions and version details (version_information_endpoint.asciidoc).

Every URL the platform hands over is checked against the hub's outbound policy at that moment
(`hub.egress`): the versions URL, the version details URL and every endpoint URL. A URL the
policy refuses is 2001 naming which URL (never why: no address, no port); a URL that could not be
read is 3001 with a generic reason. What really happened goes to the operator's log (`hub.peer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from hub.db.repositories import EndpointSpec
from hub.egress.policy import EgressRefused
from hub.errors import ClientApiError, InvalidParameters, MissingEndpoints, UnsupportedVersion
from hub.liveness.peer import PeerClient, PeerError, PeerRefused
from hub.ocpi.credentials import Version, VersionDetails
from hub.ocpi.versions import EDITIONS, PIVOT, Edition
from hub.types import TokenEncoding

__all__ = ["Discovery", "discover", "missing_endpoints"]

_VERSIONS = TypeAdapter(list[Version])


@dataclass(frozen=True, slots=True)
class Discovery:
    edition: Edition
    endpoints: tuple[EndpointSpec, ...]

    def url_of(self, module: str) -> str | None:
        return next((e.url for e in self.endpoints if e.module == module), None)


def _version_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))


async def discover(
    peer: PeerClient,
    *,
    versions_url: str,
    token: str,
    encoding: TokenEncoding,
    wanted: Edition | None = None,
    prefer_pivot: bool = False,
) -> Discovery:
    """GET versions, pick `wanted` (or the newest version both sides speak; with `prefer_pivot`,
    2.2.1 when the platform offers it: an upstream hub, whose adapters and profiles are 2.2.1's,
    and between two hubs translating would only lose), GET its details.

    Unusable API -> 3001; a URL the outbound policy refuses -> 2001; no common version -> 3002.
    """
    try:
        offered = _VERSIONS.validate_python(await peer.data("GET", versions_url, token=token, encoding=encoding))
    except PeerRefused as exc:
        raise _refused("versions URL", exc) from exc
    except PeerError as exc:
        raise ClientApiError("Could not read your versions endpoint") from exc
    except ValidationError as exc:
        raise ClientApiError("Your versions endpoint did not return a list of {version, url}") from exc
    by_number = {v.version: v for v in offered}
    if wanted is not None:
        candidates = [wanted.number] if wanted.number in by_number else []
    else:
        candidates = sorted((n for n in by_number if n in EDITIONS), key=_version_key, reverse=True)
        if prefer_pivot and PIVOT.number in candidates:  # another hub: 2.2.1 needs no translation
            candidates = [PIVOT.number]
    if not candidates:
        shown = ", ".join(sorted(by_number))[:100] or "none"
        raise UnsupportedVersion(f"No common OCPI version (you offer: {shown})")
    edition = EDITIONS[candidates[0]]
    try:
        details = VersionDetails.model_validate(
            await peer.data("GET", by_number[edition.number].url, token=token, encoding=encoding)
        )
    except PeerRefused as exc:
        raise _refused("version details URL", exc) from exc
    except PeerError as exc:
        raise ClientApiError("Could not read your version details endpoint") from exc
    except ValidationError as exc:
        raise ClientApiError("Your version details are not a valid VersionDetails object") from exc
    endpoints = tuple(
        EndpointSpec(module=e.identifier, interface_role=(e.role.value if e.role else ""), url=e.url)
        for e in details.endpoints
    )
    checked: set[str] = set()
    for endpoint in endpoints:
        origin = urlsplit(endpoint.url)[:2]
        if str(origin) in checked:
            continue
        checked.add(str(origin))
        try:
            await peer.check(endpoint.url)
        except PeerRefused as exc:
            name = f"{endpoint.module} {endpoint.interface_role}".strip()
            raise _refused(f"endpoint URL of {name}", exc) from exc
    return Discovery(edition=edition, endpoints=endpoints)


def _refused(what: str, exc: PeerRefused) -> InvalidParameters:
    """2001 (HTTP 200: the request reached the OCPI layer) naming the URL, not the reason."""
    why = "" if exc.public == EgressRefused.default_message else f": {exc.public[:1].lower()}{exc.public[1:]}"
    return InvalidParameters(f"Your {what} is not allowed by the hub's outbound policy{why}", http_status=200)


def missing_endpoints(discovery: Discovery, required: Iterable[str]) -> list[str]:
    """Required entries are `module` or `module:ROLE`; returns those the platform lacks."""
    have = {(e.module, e.interface_role) for e in discovery.endpoints}
    modules = {e.module for e in discovery.endpoints}
    lacking = []
    for entry in required:
        module, _, role = entry.partition(":")
        if (role and (module, role.upper()) not in have) or (not role and module not in modules):
            lacking.append(entry)
    return lacking


def require_endpoints(discovery: Discovery, required: Iterable[str]) -> None:
    lacking = missing_endpoints(discovery, required)
    if lacking:
        raise MissingEndpoints("Expected endpoints missing: " + ", ".join(lacking))
