"""The webinars' pure rules: schedule specs, time zones, blackout dates and session times."""

from evergreen.webinars.rules.schedule import (
    MAX_BLACKOUTS,
    MAX_COUNT,
    MAX_TIMES_A_DAY,
    SEARCH_DAYS,
    VIEWER,
    Schedule,
    check_blackouts,
    check_count,
    check_registered_at,
    check_zone,
    iso_utc,
    next_sessions,
    parse_schedule,
    parse_spec,
)
from evergreen.webinars.rules.webinar import (
    MAX_DURATION,
    MAX_REPLAY_HOURS,
    check_duration,
    check_name,
    check_replay_hours,
    check_text,
)
from evergreen.webinars.rules.words import describe

__all__ = [
    "MAX_BLACKOUTS",
    "MAX_COUNT",
    "MAX_DURATION",
    "MAX_REPLAY_HOURS",
    "MAX_TIMES_A_DAY",
    "SEARCH_DAYS",
    "VIEWER",
    "Schedule",
    "check_blackouts",
    "check_count",
    "check_duration",
    "check_name",
    "check_registered_at",
    "check_replay_hours",
    "check_text",
    "check_zone",
    "describe",
    "iso_utc",
    "next_sessions",
    "parse_schedule",
    "parse_spec",
]
