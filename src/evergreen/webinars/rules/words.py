"""A schedule said in words, for the pages: what a visitor would be offered, and in which zone."""

from __future__ import annotations

from evergreen.webinars.rules.schedule import ALL_DAY, VIEWER, Schedule, Spec

__all__ = ["describe"]

_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(weekdays: tuple[int, ...]) -> str:
    if weekdays == (0, 1, 2, 3, 4):
        return "Mondays to Fridays"
    return _and([_DAY_NAMES[d] for d in weekdays])


def _jit(spec: Spec) -> str:
    hours = (
        "" if spec.hours == ALL_DAY else f" from {_clock(spec.hours[0])} to {_clock(spec.hours[1])}"
    )
    days = f" on {_days(spec.weekdays)}" if spec.weekdays else ""
    return (
        f"Every {spec.every} minutes on the clock{hours}{days}, the first at least {spec.every} "
        "minutes after registering"
    )


def _dates(spec: Spec) -> str:
    moments = [m.strftime("%-d %B %Y at %H:%M") for m in spec.moments]
    if len(moments) <= 3:
        return f"On {_and(moments)} (past ones are not offered)"
    return (
        f"On {len(moments)} specific dates from {moments[0]} to {moments[-1]} "
        "(past ones are not offered)"
    )


def describe(schedule: Schedule) -> str:
    """One sentence: when sessions start, in whose time, and how many dates are blacked out."""
    spec = schedule.spec
    if spec.kind == "jit":
        when = _jit(spec)
    elif spec.kind == "dates":
        when = _dates(spec)
    else:
        times = _and([t.strftime("%H:%M") for t in spec.times])
        days = "Every day" if spec.kind == "daily" else _days(spec.weekdays)
        when = f"{days} at {times}"
    zone = "each viewer's own time" if schedule.zone == VIEWER else f"{schedule.zone} time"
    dark = len(schedule.blackouts)
    blackouts = f"; none on {dark} blacked-out date{'s' if dark != 1 else ''}" if dark else ""
    return f"{when}, in {zone}{blackouts}."
