"""Date-times across the bridge: OCPI speaks UTC (`…Z`), OICP wants the charge point's local
offset (oicp-bridge.md §1), and OICP addresses carry a fixed `UTC+hh:mm` instead of an IANA zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.oicp.errors import Unmappable
from hub.types import as_utc

__all__ = ["hours_between", "local_time", "ocpi_time", "parse_ocpi_time", "utc_offset_label"]


def parse_ocpi_time(value: object, field: str) -> datetime:
    """An OCPI DateTime as an aware UTC datetime (naive = UTC); raises Unmappable when absent or bad."""
    if not isinstance(value, str):
        raise Unmappable(field, "missing date-time")
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise Unmappable(field, f"{value!r} is not a date-time") from None


def ocpi_time(moment: datetime) -> str:
    """An OCPI DateTime string: UTC, seconds, `Z`."""
    return as_utc(moment).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unmappable("time_zone", f"{time_zone!r} is not an IANA time zone") from None


def local_time(moment: datetime, time_zone: str | None) -> datetime:
    """`moment` at the charge point's offset (IANA zone); UTC when the zone is unknown."""
    return as_utc(moment).astimezone(_zone(time_zone) if time_zone else UTC).replace(microsecond=0)


def utc_offset_label(time_zone: str, at: datetime) -> str:
    """OICP Address.TimeZone (`UTC+01:00`) of an IANA zone at one moment (DST changes are lost)."""
    offset = as_utc(at).astimezone(_zone(time_zone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def hours_between(start: datetime, end: datetime) -> float:
    """Duration in hours (OCPI volumes of TIME), never negative, rounded to 4 decimals."""
    return round(max((end - start).total_seconds(), 0.0) / 3600, 4)
