"""Outbound URLs, built from a receiver's registered endpoint and checked parameters; never joined
from request text.

The endpoint URL is used byte for byte as the party registered it (a collection served at
`.../locations/` stays so); each path parameter is appended after exactly one `/`, percent-encoded
by the hub (every byte outside RFC 3986's unreserved set and `*`, so `?`, `#`, `%` and spaces in
CiString ids stay inside their segment); the query is encoded from checked pairs. The result always
starts with the endpoint URL (`assert_under`), and `parse_segments` reads such a path back.

Hand the result to the HTTP client as already encoded (`yarl.URL(url, encoded=True)`), or it may
re-encode or resolve it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlencode

from hub.ocpi.request import decode_segment

__all__ = ["assert_under", "build_url", "encode_path", "encode_query", "parse_segments"]

_SAFE = "-._~*"
_QUERY_SAFE = "-._~*:@/!$'(),"  # RFC 3986 query characters; never & = + ; # or %


def encode_path(values: Sequence[str]) -> str:
    """`a/b%20c` for ("a", "b c"): the hub's encoding of checked path parameters."""
    return "/".join(quote(v, safe=_SAFE) for v in values)


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """`a=1&b=x%20y` for checked query pairs: the hub's encoding of a query."""
    return urlencode(list(pairs), quote_via=quote, safe=_QUERY_SAFE)


def parse_segments(encoded: str) -> tuple[str, ...]:
    """The parameters of a path the hub encoded (stored outbox rows); checked again on the way out."""
    if not encoded:
        return ()
    return tuple(decode_segment(part) for part in encoded.split("/"))


def build_url(endpoint: str, values: Sequence[str], query: Iterable[tuple[str, str]] = ()) -> str:
    """The receiver's endpoint, then `/` and each encoded parameter, then the encoded query."""
    url = endpoint
    if values:
        url = endpoint + ("" if endpoint.endswith("/") else "/") + encode_path(values)
    encoded = encode_query(query)
    if encoded:
        url += ("&" if "?" in endpoint else "?") + encoded
    assert_under(url, endpoint)
    return url


def assert_under(url: str, endpoint: str) -> None:
    """No request leaves the hub for a URL outside the registered endpoint, whatever the input."""
    if not url.startswith(endpoint):
        raise ValueError("outbound URL outside the registered endpoint")
