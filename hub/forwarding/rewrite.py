"""Finding and replacing the URLs a party cannot reach (requirements §3.9). Pure functions.

- `Link: <url>; rel="next"` of paginated replies (transport_and_format.asciidoc 149-163)
- `response_url` in Commands bodies and ChargingProfiles bodies or query strings
  (mod_commands 263-412, mod_charging_profiles 364-696)
- `Location` of a CDR POST reply (mod_cdrs 224-240)
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CALLBACK_MODULES", "body_response_url", "next_link", "replace_next_link"]

CALLBACK_MODULES = frozenset({"commands", "chargingprofiles"})
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel\s*=\s*"?next"?', re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    if not header:
        return None
    match = _LINK.search(header)
    return match.group(1) if match else None


def replace_next_link(header: str, new_url: str) -> str:
    return _LINK.sub(f'<{new_url}>; rel="next"', header, count=1)


def body_response_url(body: Any) -> str | None:
    if isinstance(body, dict):
        value = body.get("response_url")
        if isinstance(value, str):
            return value
    return None
