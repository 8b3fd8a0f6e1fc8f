"""Pagination of list GETs (transport_and_format.asciidoc 98-213).

Request: `date_from` (inclusive), `date_to` (exclusive), `offset`, `limit` (server may cap).
Response: `X-Total-Count`, `X-Limit` (the server maximum, also on a short last page), and
`Link: <url>; rel="next"` repeating every filter, only when another page exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from hub.errors import InvalidParameters
from hub.types import as_utc

__all__ = ["Page", "PageRequest", "parse_datetime"]


def parse_datetime(value: str, name: str) -> datetime:
    """An OCPI DateTime; no zone designator means UTC (types.asciidoc 12-32)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        return as_utc(moment)  # year 9999 at -14:00 (or year 1 at +14:00) is past datetime's range in UTC
    except (ValueError, OverflowError) as exc:
        raise InvalidParameters(f"{name} is not an RFC 3339 DateTime within years 1-9999 UTC") from exc


def _int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidParameters(f"{name} must be a non-negative integer")
    return int(raw)


@dataclass(frozen=True, slots=True)
class PageRequest:
    date_from: datetime | None
    date_to: datetime | None
    offset: int
    limit: int
    max_limit: int

    @classmethod
    def parse(cls, params: QueryParams, *, max_limit: int) -> PageRequest:
        date_from = params.get("date_from")
        date_to = params.get("date_to")
        limit = _int(params, "limit", max_limit)
        return cls(
            date_from=parse_datetime(date_from, "date_from") if date_from else None,
            date_to=parse_datetime(date_to, "date_to") if date_to else None,
            offset=_int(params, "offset", 0),
            limit=min(limit, max_limit) if limit > 0 else max_limit,
            max_limit=max_limit,
        )

    def admits(self, moment: datetime) -> bool:
        moment = as_utc(moment)
        if self.date_from is not None and moment < self.date_from:
            return False
        return not (self.date_to is not None and moment >= self.date_to)


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    request: PageRequest

    def headers(self, base_url: str, params: QueryParams) -> dict[str, str]:
        headers = {"X-Total-Count": str(self.total), "X-Limit": str(self.request.max_limit)}
        following = self.request.offset + self.request.limit
        if following < self.total:
            kept = [(k, v) for k, v in params.multi_items() if k not in ("offset", "limit")]
            query = urlencode([*kept, ("offset", str(following)), ("limit", str(self.request.limit))])
            headers["Link"] = f'<{base_url}?{query}>; rel="next"'
        return headers
