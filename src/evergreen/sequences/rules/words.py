"""Steps, conditions, triggers and preview outcomes in words, so pages read like a timeline.

"Wait 2 days", "Send 'Welcome'", "If tag buyer → step s5": the owner reads the program without
knowing its JSON, and the same words serve the list, the sequence page, the API and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from evergreen.sequences.rules import conditions as c
from evergreen.sequences.rules import steps as s
from evergreen.sequences.rules import triggers as t
from evergreen.sequences.rules.advance import Do, Next

__all__ = ["condition_words", "duration_words", "outcome_words", "step_words", "trigger_words"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_words(duration: timedelta) -> str:
    """A duration in its two largest units: "2 days", "1 day 4 hours", "30 minutes"."""
    left = abs(int(duration.total_seconds()))
    parts: list[str] = []
    for name, size in _UNITS:
        number, left = divmod(left, size)
        if number:
            parts.append(f"{number} {name}{'s' if number != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def condition_words(condition: c.Condition) -> str:
    """A condition as a short phrase: "tag buyer", "not (clicked any link)"."""
    match condition:
        case c.HasTag(name):
            return f"tag {name}"
        case c.FieldIs(name, equals):
            return f"field {name} is {equals!r}" if equals is not None else f"field {name} is set"
        case c.Clicked(link):
            return f"clicked link {link}" if link else "clicked any link"
        case c.Purchased(product):
            return f"bought {product}" if product else "bought anything"
        case c.WebinarIs(status, webinar):
            return f"{status.value} webinar {webinar}" if webinar else f"{status.value} a webinar"
        case c.Opened(message):
            return f"opened '{message}'" if message else "opened any message"
        case c.AllOf(inner) | c.AnyOf(inner):
            joiner = " and " if isinstance(condition, c.AllOf) else " or "
            return "(" + joiner.join(condition_words(each) for each in inner) + ")"
        case c.Not(inner_one):
            return f"not {condition_words(inner_one)}"


def _target(step_id: str | None) -> str:
    return f"step {step_id}" if step_id else "the end"


def _hour(hour: int, minute: int = 0) -> str:
    return f"{hour:02d}:{minute:02d}"


def _weekdays(days: frozenset[int]) -> str:
    return "any day" if days == s.WEEKDAYS else ", ".join(_DAYS[d] for d in sorted(days))


def step_words(step: s.Step, subjects: Mapping[str, str] | None = None) -> str:
    """One step as a line of the timeline; Send names the message's subject when known."""
    match step:
        case s.Send(ref):
            return f"Send '{(subjects or {}).get(ref, ref)}'"
        case s.Wait(duration):
            return f"Wait {duration_words(duration)}"
        case s.WaitUntil(days, hour, minute, window):
            when = f" at {_hour(hour, minute)}" if hour is not None else ""
            inside = f" between {_hour(window.start)} and {_hour(window.end)}" if window else ""
            return f"Wait until {_weekdays(days)}{when}{inside} (their time)"
        case s.WaitRelative(event, offset, _stale):
            side = "before" if offset < timedelta(0) else "after"
            if not offset:
                return f"Wait until {event}"
            return f"Wait until {duration_words(offset)} {side} {event}"
        case s.Branch(condition, then_step, else_step):
            return (
                f"If {condition_words(condition)} → {_target(then_step)}, "
                f"else → {_target(else_step)}"
            )
        case s.Goal(condition):
            return f"Goal: {condition_words(condition)} (leaves the sequence when reached)"
        case s.Tag(name):
            return f"Add tag {name}"
        case s.Untag(name):
            return f"Remove tag {name}"
        case s.MoveTo(ref):
            return f"Move to sequence {ref}"
        case s.Notify(text):
            return f"Notify the owner: {text}"
        case s.Webhook(url):
            return f"Call the webhook {url}"


def trigger_words(trigger: t.Trigger) -> str:
    """What enrols people, as a phrase: "joins the list News"."""
    match trigger:
        case t.JoinedList(ref):
            return f"joins the list {ref}"
        case t.GotTag(name):
            return f"gets the tag {name}"
        case t.WebinarTrigger(status, webinar):
            return f"{status.value} webinar {webinar}" if webinar else f"{status.value} a webinar"
        case t.ClickedLink(link):
            return f"clicks the link {link}"
        case t.BoughtProduct(product):
            return f"buys {product}" if product else "buys anything"
        case t.DateField(name, hour, minute):
            return f"reaches the date in field {name} (at {_hour(hour, minute)} their time)"
        case t.ApiEvent(name):
            return f"is sent the API event {name}"


def outcome_words(outcome: Next, subjects: Mapping[str, str] | None = None) -> str:
    """What a preview outcome means for the subscriber."""
    step = outcome.step
    if outcome.do is Do.SEND and step is not None:
        return step_words(step, subjects)
    if outcome.do is Do.SKIP_STALE and step is not None:
        return f"Skip {step_words(step, subjects)[5:]} (too late: {outcome.reason})"
    if outcome.do is Do.WAIT:
        if outcome.position.due is None:
            return f"Wait: {outcome.reason}"
        return step_words(step) if step is not None else "Wait"
    if outcome.do is Do.EXIT_GOAL:
        return "Leaves the sequence: goal reached"
    if outcome.do is Do.COMPLETE:
        return f"Finishes the sequence ({outcome.reason or 'end'})"
    return step_words(step, subjects) if step is not None else outcome.do.value
