"""A schedule said in words, for the pages: what a visitor would be offered, and in which zone."""

from __future__ import annotations

from evergreen.webinars.rules.schedule import VIEWER, Schedule

__all__ = ["describe"]

_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(schedule: Schedule) -> str:
    """One sentence: when sessions start, in whose time, and how many dates are blacked out."""
    spec = schedule.spec
    if spec.kind == "jit":
        when = (
            f"Every {spec.every} minutes on the clock, the first at least {spec.every} "
            "minutes after registering"
        )
    else:
        times = _and([t.strftime("%H:%M") for t in spec.times])
        days = "Every day" if spec.kind == "daily" else _and([_DAY_NAMES[d] for d in spec.weekdays])
        when = f"{days} at {times}"
    zone = "each viewer's own time" if schedule.zone == VIEWER else f"{schedule.zone} time"
    dark = len(schedule.blackouts)
    blackouts = f"; none on {dark} blacked-out date{'s' if dark != 1 else ''}" if dark else ""
    return f"{when}, in {zone}{blackouts}."
