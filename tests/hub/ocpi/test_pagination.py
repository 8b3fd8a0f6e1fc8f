"""ocpi.pagination: request parameters and the headers of a page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import QueryParams

from hub.errors import InvalidParameters
from hub.ocpi.pagination import Page, PageRequest, parse_datetime


@pytest.mark.parametrize(
    "text",
    ["2015-06-29T20:39:09Z", "2015-06-29T20:39:09", "2015-06-29T20:39:09.2Z", "2015-06-29T20:39:09.123"],
)
def test_ocpi_datetimes_are_utc(text: str) -> None:
    moment = parse_datetime(text, "date_from")
    assert moment.tzinfo is UTC
    assert (moment.year, moment.hour, moment.second) == (2015, 20, 9)


def test_bad_parameters_are_2001() -> None:
    for query in ("date_from=yesterday", "offset=-1", "limit=ten"):
        with pytest.raises(InvalidParameters):
            PageRequest.parse(QueryParams(query), max_limit=100)


def test_limit_is_capped_at_the_hub_maximum() -> None:
    page = PageRequest.parse(QueryParams("limit=2000"), max_limit=100)
    assert page.limit == 100
    headers = Page(total=250, request=page).headers("https://hub/x", QueryParams("limit=2000"))
    assert headers["X-Limit"] == "100"
    assert headers["Link"] == '<https://hub/x?offset=100&limit=100>; rel="next"'


def test_link_repeats_filters_and_is_absent_on_the_last_page() -> None:
    params = QueryParams("date_from=2020-01-01T00:00:00Z&offset=10&limit=10")
    page = PageRequest.parse(params, max_limit=100)
    headers = Page(total=30, request=page).headers("https://hub/x", params)
    assert "date_from=2020-01-01T00%3A00%3A00Z" in headers["Link"]
    assert "offset=20" in headers["Link"]
    last = PageRequest.parse(QueryParams("offset=20&limit=10"), max_limit=100)
    assert "Link" not in Page(total=30, request=last).headers("https://hub/x", QueryParams())


def test_date_window_is_inclusive_then_exclusive() -> None:
    page = PageRequest.parse(QueryParams("date_from=2020-01-01T00:00:00Z&date_to=2020-01-02T00:00:00Z"), max_limit=10)
    assert page.admits(datetime(2020, 1, 1, tzinfo=UTC))
    assert not page.admits(datetime(2020, 1, 2, tzinfo=UTC))
    assert page.admits(datetime(2020, 1, 1, 12))  # naive = UTC
