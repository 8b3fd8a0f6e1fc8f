"""hub.ocpi.request: the request value parsed once, strictly (issue: one request pipeline)."""

from __future__ import annotations

import pytest

from hub.errors import InvalidParameters, NotFound
from hub.ocpi.request import decode_segment, parse_path, parse_query, parse_routing
from hub.types import InterfaceRole, PartyKey


def path(module: str, interface: str, rest: str) -> tuple[str, ...]:
    return parse_path(module=module, interface_segment=interface, rest=rest.split("/") if rest else [])[1].values


@pytest.mark.parametrize(
    ("module", "interface", "rest", "values"),
    [
        ("locations", "sender", "", ()),
        ("locations", "sender", "LOC1/EVSE%2A1/2", ("LOC1", "EVSE*1", "2")),
        ("locations", "receiver", "nl/CPA/L%201", ("nl", "CPA", "L 1")),
        ("tokens", "sender", "T1/authorize", ("T1", "authorize")),
        ("commands", "receiver", "START_SESSION", ("START_SESSION",)),
        ("cdrs", "receiver", "", ()),
        ("nltnm-custom", "sender", "a/b/c", ("a", "b", "c")),
    ],
)
def test_paths_of_the_module_grammar_parse_to_typed_values(
    module: str, interface: str, rest: str, values: tuple[str, ...]
) -> None:
    assert path(module, interface, rest) == values


def test_named_parameters_owner_and_object_ids() -> None:
    _, params = parse_path(module="locations", interface_segment="receiver", rest=["nl", "cpa", "L1", "E1"])
    assert params.owner == PartyKey.of("NL", "CPA")
    assert params.object_ids == ("L1", "E1")
    assert params.get("evse_uid") == "E1"
    _, authorize = parse_path(module="tokens", interface_segment="sender", rest=["T1", "authorize"])
    assert authorize.object_ids == ("T1",) and authorize.owner is None


BAD_SEGMENTS = [
    "..",
    ".",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%2e.",
    "%2e",
    "%252e%252e",  # decodes to %2e%2e, a dot segment once more
    "A%2FB",
    "A%2fB",
    "A%5CB",
    "A%255CB",
    "%c0%ae%c0%ae",  # overlong UTF-8 dot
    "%c0%af",
    "A%00B",
    "A%0aB",
    "A%7fB",
    "%e2%80%a8",
    "A%zzB",
    "A%4",
    "x" * 37,
]


@pytest.mark.parametrize("segment", BAD_SEGMENTS)
def test_bad_segments_are_2001_naming_the_parameter(segment: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        parse_path(module="locations", interface_segment="sender", rest=[segment])
    assert caught.value.status_code == 2001 and caught.value.http_status == 400
    assert "location_id" in caught.value.message


@pytest.mark.parametrize(
    ("module", "interface", "rest", "words"),
    [
        ("locations", "receiver", "NLD/CPA/L1", "country_code"),
        ("locations", "receiver", "NL/CP/L1", "party_id"),
        ("locations", "receiver", "N1/CPA/L1", "country_code"),
        ("locations", "receiver", "NL/CPA", "path parameters"),
        ("tokens", "sender", "T1/authorise", "authorize"),
        ("commands", "receiver", "START_CHARGING", "CommandType"),
        ("sessions", "receiver", "NL/CPA/" + "s" * 37, "session_id"),
        ("cdrs", "receiver", "NL/CPA/" + "c" * 40, "cdr_id"),
        ("nltnm-custom", "sender", "/".join("a" * 7), "path parameters"),
    ],
)
def test_paths_outside_the_grammar_are_2001(module: str, interface: str, rest: str, words: str) -> None:
    with pytest.raises(InvalidParameters, match=words):
        path(module, interface, rest)


def test_an_unknown_interface_or_malformed_module_is_404() -> None:
    with pytest.raises(NotFound):
        parse_path(module="locations", interface_segment="both", rest=[])
    with pytest.raises(NotFound):
        parse_path(module="Loc%61tions", interface_segment="sender", rest=[])
    with pytest.raises(NotFound):
        parse_path(module="hubclientinfo", interface_segment="receiver", rest=[])


def test_empty_segments_are_2001() -> None:
    for rest in (["", "L1"], ["L1", "", "E1"], ["L1", ""]):
        with pytest.raises(InvalidParameters, match="empty"):
            parse_path(module="locations", interface_segment="sender", rest=rest)


def test_a_trailing_slash_on_the_collection_is_the_collection() -> None:
    interface, params = parse_path(module="locations", interface_segment="sender", rest=[""])
    assert interface is InterfaceRole.SENDER and params.is_list


def test_decode_segment_decodes_once() -> None:
    assert decode_segment("P%25X") == "P%X"
    assert decode_segment("Q%3FX") == "Q?X"


@pytest.mark.parametrize(
    ("pairs", "module", "words"),
    [
        ([("limit", "-1")], "locations", "limit"),
        ([("offset", "1e3")], "locations", "offset"),
        ([("date_from", "yesterday")], "locations", "date_from"),
        ([("limit", "1"), ("limit", "2")], "locations", "repeated"),
        ([("evil", "1")], "locations", "Unknown query parameter"),
        ([("type", "BADGE")], "tokens", "TokenType"),
        ([("response_url", "file:///etc/passwd")], "chargingprofiles", "response_url"),
        ([("limit", "1\x00")], "locations", "printable"),
    ],
)
def test_bad_query_parameters_are_2001(pairs: list[tuple[str, str]], module: str, words: str) -> None:
    with pytest.raises(InvalidParameters, match=words):
        parse_query(pairs, module=module, known_module=True)


def test_good_query_parameters_are_kept_in_order() -> None:
    pairs = [("date_from", "2026-01-01T00:00:00Z"), ("offset", "10"), ("limit", "5")]
    assert parse_query(pairs, module="locations", known_module=True) == tuple(pairs)
    assert parse_query([("anything", "goes")], module="nltnm-custom", known_module=False) == (("anything", "goes"),)


@pytest.mark.parametrize(
    "headers",
    [
        {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AAA\xa0"},
        {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AAA\x85"},
        {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AA\x00A"},
        {"ocpi-to-country-code": "NLD", "ocpi-to-party-id": "AAA"},
        {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AAAA"},
        {"ocpi-to-country-code": "NL"},
        {"ocpi-to-country-code": "NL\n", "ocpi-to-party-id": "AAA"},
        {"ocpi-to-country-code": "NL", "ocpi-to-party-id": "AAA\n"},
    ],
)
def test_routing_headers_with_stray_bytes_or_wrong_lengths_are_2001(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidParameters, match="OCPI-to|pairs"):
        parse_routing(headers, "to")


def test_routing_headers_are_forwarded_as_checked() -> None:
    pair = parse_routing({"ocpi-to-country-code": " nl ", "ocpi-to-party-id": "\taaa"}, "to")
    assert pair is not None and (pair.country_code, pair.party_id) == ("nl", "aaa")
    assert pair.key == PartyKey.of("NL", "AAA")
    assert parse_routing({}, "to") is None
