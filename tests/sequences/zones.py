"""Zones from UTC-12 to UTC+14 and instants around their daylight-saving changes, for properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

ZONES = (
    "Etc/GMT+12",  # UTC-12, no DST
    "Pacific/Kiritimati",  # UTC+14, no DST
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",  # UTC+05:30
    "Australia/Lord_Howe",  # a 30-minute DST change
    "America/Santiago",  # DST in the southern hemisphere, changing around midnight
    "Asia/Kathmandu",  # UTC+05:45
)


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """The UTC instants in 2025-2027 where the zone's offset changes (30-minute resolution)."""
    zone = ZoneInfo(name)
    out: list[datetime] = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        moment += timedelta(minutes=30)
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            out.append(moment)
            previous = offset
    return tuple(out)


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and an instant: anywhere in 2025-2027, or within three days of a DST change."""
    name = draw(st.sampled_from(ZONES))
    near = transitions(name)
    if near and draw(st.booleans()):
        centre = draw(st.sampled_from(near))
        seconds = draw(st.integers(-3 * 86400, 3 * 86400))
        return name, centre + timedelta(seconds=seconds)
    naive = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)))
    return name, naive.replace(tzinfo=UTC)
