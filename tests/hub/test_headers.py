"""hub.ocpi.headers: reading and writing `Authorization: Token ...` (checklist A.5, A.6)."""

from __future__ import annotations

import base64

import pytest

from hub.ocpi.headers import TokenCandidate, authorization_header, token_candidates
from hub.types import TokenEncoding


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_item_05_exact_base64_reading_comes_first() -> None:
    candidates = token_candidates(f"Token {b64('example-token')}")
    assert candidates[0] == TokenCandidate("example-token", raw=False)
    # the undecoded value stays a (raw-only) candidate, after the decoded one
    assert candidates[1:] == [TokenCandidate(b64("example-token"), raw=True)]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_item_05_trailing_newline_is_forgiven_after_the_exact_reading(ending: str) -> None:
    # the 2.2.1-d2 examples encode `example-token\n` (echo without -n)
    candidates = token_candidates(f"Token {b64('example-token' + ending)}")
    assert [c for c in candidates if not c.raw] == [
        TokenCandidate("example-token" + ending, raw=False),
        TokenCandidate("example-token", raw=False),
    ]


def test_item_05_spec_example_header_decodes_to_the_token() -> None:
    # ZXhhbXBsZS10b2tlbgo= is the d2 example; it decodes to "example-token\n"
    decoded = [c.token for c in token_candidates("Token ZXhhbXBsZS10b2tlbgo=") if not c.raw]
    assert "example-token" in decoded


def test_item_05_a_value_that_is_not_base64_is_only_a_raw_candidate() -> None:
    assert token_candidates("Token not-base64_token!") == [TokenCandidate("not-base64_token!", raw=True)]


def test_item_05_base64_of_unprintable_bytes_is_not_a_decoded_candidate() -> None:
    value = base64.b64encode(b"\x00\x01\x02bad").decode()
    assert token_candidates(f"Token {value}") == [TokenCandidate(value, raw=True)]


def test_item_05_base64_of_a_value_with_spaces_is_not_a_decoded_candidate() -> None:
    value = b64("two words")
    assert all(c.raw for c in token_candidates(f"Token {value}"))


@pytest.mark.parametrize(
    "header",
    [None, "", "Token", "Token ", "Bearer abc", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Token " + "A" * 600],
)
def test_item_01_headers_without_a_token_give_no_candidate(header: str | None) -> None:
    assert token_candidates(header) == []


def test_item_05_scheme_is_case_insensitive() -> None:
    assert token_candidates(f"token {b64('abc')}")[0] == TokenCandidate("abc", raw=False)


def test_item_06_outgoing_header_is_standard_base64_with_padding_and_one_space() -> None:
    header = authorization_header("example-token", TokenEncoding.BASE64)
    assert header == "Token ZXhhbXBsZS10b2tlbg=="
    assert "\n" not in base64.b64decode(header.split(" ", 1)[1]).decode()


def test_item_06_outgoing_header_uses_the_standard_alphabet() -> None:
    # bytes that give '+' and '/' in standard Base64 ('-' and '_' in the URL-safe one)
    token = "\u00fb\u00ff\u00fe>?"
    header = authorization_header(token, TokenEncoding.BASE64)
    assert header == "Token " + base64.b64encode(token.encode("utf-8")).decode()
    assert "+" in header and "-" not in header and "_" not in header


def test_item_06_raw_platforms_get_the_token_as_is() -> None:
    assert authorization_header("example-token", TokenEncoding.RAW) == "Token example-token"
