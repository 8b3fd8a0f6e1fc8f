"""One error tree, shaped like OCPI's status codes, rendered in one place (`hub.ocpi.envelope`).

    OcpiError                      (status_code, http_status, message)
    ├── AuthError                  HTTP 401, missing/unknown token (transport_and_format:41)
    ├── ClientError        2000    generic client error
    │   ├── InvalidParameters 2001 invalid or missing parameters, bad JSON (HTTP 400)
    │   ├── NotEnoughInformation 2002
    │   ├── UnknownLocation  2003
    │   └── UnknownToken     2004
    ├── ServerError        3000    generic server error
    │   ├── HubBusy          3000  HTTP 503 + Retry-After: the hub itself is short of a resource
    │   ├── ClientApiError   3001  unable to use the client's API
    │   ├── UnsupportedVersion 3002
    │   └── MissingEndpoints 3003  no matching endpoints
    └── HubError           4000    generic hub error
        ├── UnknownReceiver  4001
        ├── ReceiverTimeout  4002
        └── ReceiverUnreachable 4003

Messages are shown to the caller: they must help, and must never contain a token, a
stack trace or anything internal.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ClientApiError",
    "ClientError",
    "HubBusy",
    "HubError",
    "InvalidParameters",
    "MethodNotAllowed",
    "MissingEndpoints",
    "NotEnoughInformation",
    "NotFound",
    "OcpiError",
    "ReceiverTimeout",
    "ReceiverUnreachable",
    "ServerError",
    "UnknownLocation",
    "UnknownReceiver",
    "UnknownToken",
    "UnsupportedVersion",
]


class OcpiError(Exception):
    """Base of every error the hub answers with an OCPI envelope."""

    status_code: int = 3000
    http_status: int = 500
    default_message: str = "Generic server error"
    headers: dict[str, str] = {}  # extra response headers (Retry-After): never mutated, replaced per instance

    def __init__(self, message: str | None = None, *, http_status: int | None = None) -> None:
        self.message = message or self.default_message
        if http_status is not None:
            self.http_status = http_status
        super().__init__(self.message)


class AuthError(OcpiError):
    status_code = 2000
    http_status = 401
    default_message = "Unauthorized"


class ClientError(OcpiError):
    status_code = 2000
    http_status = 400
    default_message = "Generic client error"


class NotFound(ClientError):
    http_status = 404
    default_message = "Not found"


class MethodNotAllowed(ClientError):
    http_status = 405
    default_message = "Method not allowed"


class InvalidParameters(ClientError):
    status_code = 2001
    default_message = "Invalid or missing parameters"


class NotEnoughInformation(ClientError):
    status_code = 2002
    default_message = "Not enough information"


class UnknownLocation(ClientError):
    status_code = 2003
    default_message = "Unknown location"


class UnknownToken(ClientError):
    status_code = 2004
    http_status = 404
    default_message = "Unknown token"


class ServerError(OcpiError):
    status_code = 3000
    http_status = 500
    default_message = "Generic server error"


class HubBusy(ServerError):
    """The hub itself is short of a resource (file descriptors, an outbound connection slot in
    time): nothing reached the receiver and nothing is said about it. Never counted against the
    receiver's circuit breaker nor its reachability; the caller may try again after Retry-After."""

    http_status = 503
    default_message = "Hub busy: try again shortly"

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class ClientApiError(ServerError):
    """3001: the hub could not use the client's API (e.g. during registration)."""

    status_code = 3001
    http_status = 200
    default_message = "Unable to use the client's API"


class UnsupportedVersion(ServerError):
    status_code = 3002
    http_status = 200
    default_message = "Unsupported version"


class MissingEndpoints(ServerError):
    status_code = 3003
    http_status = 200
    default_message = "No matching endpoints or expected endpoints missing"


class HubError(OcpiError):
    """4xxx. Our policy: HTTP 200, the request reached the OCPI layer (requirements §1.6)."""

    status_code = 4000
    http_status = 200
    default_message = "Generic hub error"


class UnknownReceiver(HubError):
    status_code = 4001
    default_message = "Unknown receiver"


class ReceiverTimeout(HubError):
    status_code = 4002
    default_message = "Timeout on forwarded request"


class ReceiverUnreachable(HubError):
    status_code = 4003
    default_message = "Connection problem: receiving party is not connected"
