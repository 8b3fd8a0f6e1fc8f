"""hub.ocpi.urls: outbound URLs are built from the registered endpoint and checked parameters.

Property (hypothesis): whatever path a party sends, if ingress accepts it, the URL the hub builds
starts with the receiver's registered endpoint and its parameters read back to the same values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from hub.errors import OcpiError
from hub.ocpi.request import parse_path
from hub.ocpi.urls import assert_under, build_url, parse_segments

ENDPOINTS = [
    "https://cpo.example/ocpi/2.2.1/locations",
    "https://cpo.example/ocpi/2.2.1/locations/",
    "http://127.0.0.1:8080/api/ocpi/cpo/2.2.1/locations?tenant=7",
]

# raw segment text: anything a client can put in a request target, percent-escapes included
_ALPHABET = st.sampled_from([*"abcXYZ019.%/\\*?#&=+ ~-_", "%2e", "%2E", "%2f", "%5c", "%25", "%00", "%c0%ae", "%20"])
raw_segments = st.lists(st.lists(_ALPHABET, min_size=0, max_size=12).map("".join), min_size=0, max_size=4)
modules = st.sampled_from([("locations", "sender"), ("locations", "receiver"), ("tokens", "sender"), ("x-y", "sender")])


@settings(max_examples=400, deadline=None)
@given(endpoint=st.sampled_from(ENDPOINTS), module=modules, rest=raw_segments)
def test_every_outbound_url_stays_under_the_registered_endpoint(
    endpoint: str, module: tuple[str, str], rest: list[str]
) -> None:
    try:
        _, params = parse_path(module=module[0], interface_segment=module[1], rest=rest)
    except OcpiError:
        return  # refused at ingress: nothing leaves the hub
    url = build_url(endpoint, params.values)
    assert url.startswith(endpoint)
    base = endpoint.split("?")[0]
    tail = url.split("?")[0][len(base) :].lstrip("/") if "?" not in endpoint else ""
    if "?" not in endpoint:
        assert parse_segments(tail) == params.values
    # what the HTTP client will request: the same path, dot segments never resolved away
    sent = URL(url, encoded=True)
    assert sent.raw_path.startswith(URL(endpoint, encoded=True).raw_path)
    assert ".." not in sent.path.split("/") and "." not in sent.path.split("/")[1:]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=36)))
def test_checked_values_round_trip(values: list[str]) -> None:
    if any(v in (".", "..") or "/" in v or "\\" in v or "%" in v for v in values):
        return
    url = build_url("https://r.example/x/", values)
    assert parse_segments(url[len("https://r.example/x/") :]) == tuple(values)


def test_registered_url_is_kept_byte_for_byte() -> None:
    assert build_url("https://a/locations/", []) == "https://a/locations/"
    assert build_url("https://a/locations", []) == "https://a/locations"
    assert build_url("https://a/locations/", ["L 1", "E*1"]) == "https://a/locations/L%201/E*1"
    assert build_url("https://a/x", ["1"], [("date_from", "2026-01-01T00:00:00Z")]) == (
        "https://a/x/1?date_from=2026-01-01T00:00:00Z"
    )
    assert build_url("https://a/x?t=1", [], [("limit", "5")]) == "https://a/x?t=1&limit=5"


def test_a_url_outside_the_endpoint_is_refused() -> None:
    with pytest.raises(ValueError):
        assert_under("https://a/credentials", "https://a/locations")
