"""forwarding.rewrite: finding and replacing unreachable URLs."""

from __future__ import annotations

from hub.forwarding.rewrite import body_response_url, next_link, replace_next_link


def test_next_link_is_found_in_its_usual_shapes() -> None:
    assert next_link('<https://cpo/x?offset=5&limit=5>; rel="next"') == "https://cpo/x?offset=5&limit=5"
    assert next_link("<https://cpo/x>;rel=next") == "https://cpo/x"
    assert next_link('<https://cpo/p>; rel="prev", <https://cpo/n>; rel="next"') == "https://cpo/n"
    assert next_link('<https://cpo/p>; rel="prev"') is None
    assert next_link(None) is None


def test_replace_next_link_keeps_other_relations() -> None:
    header = '<https://cpo/p>; rel="prev", <https://cpo/n>; rel="next"'
    assert (
        replace_next_link(header, "https://hub/page/1")
        == '<https://cpo/p>; rel="prev", <https://hub/page/1>; rel="next"'
    )


def test_response_url_in_body() -> None:
    assert body_response_url({"response_url": "https://emsp/cb", "token": {}}) == "https://emsp/cb"
    assert body_response_url({"response_url": 5}) is None
    assert body_response_url(["response_url"]) is None
