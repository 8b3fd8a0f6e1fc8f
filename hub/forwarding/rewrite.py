"""Finding and replacing the URLs a party cannot reach (requirements §3.9). Pure functions.

- `Link: <url>; rel="next"` of paginated replies (transport_and_format.asciidoc 149-163)
- `response_url` in Commands bodies and ChargingProfiles bodies or query strings
  (mod_commands 263-412, mod_charging_profiles 364-696)
- `Location` of a CDR POST reply (mod_cdrs 224-240)
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["CALLBACK_MODULES", "next_link", "query_response_url", "replace_next_link", "with_query_response_url"]

CALLBACK_MODULES = frozenset({"commands", "chargingprofiles"})
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel\s*=\s*"?next"?', re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    if not header:
        return None
    match = _LINK.search(header)
    return match.group(1) if match else None


def replace_next_link(header: str, new_url: str) -> str:
    return _LINK.sub(f'<{new_url}>; rel="next"', header, count=1)


def query_response_url(query: str) -> str | None:
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "response_url":
            return value
    return None


def with_query_response_url(query: str, new_url: str) -> str:
    pairs = [(k, new_url if k == "response_url" else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs)


def body_response_url(body: Any) -> str | None:
    if isinstance(body, dict):
        value = body.get("response_url")
        if isinstance(value, str):
            return value
    return None
