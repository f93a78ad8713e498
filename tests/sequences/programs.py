"""Hypothesis strategies for checked step programs (branches forward, or back over a Wait)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import reject
from hypothesis import strategies as st

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import (
    AllOf,
    AnyOf,
    Attendance,
    Branch,
    Clicked,
    Condition,
    FieldIs,
    Goal,
    HasTag,
    MoveTo,
    Not,
    Notify,
    Opened,
    Program,
    Purchased,
    Send,
    Step,
    Tag,
    Untag,
    Wait,
    WaitRelative,
    WaitUntil,
    Webhook,
    WebinarIs,
    Window,
    make_program,
)

names = st.sampled_from(["lead", "buyer", "vip", "cold"])

leaf_conditions: st.SearchStrategy[Condition] = st.one_of(
    st.builds(HasTag, names),
    st.builds(FieldIs, st.sampled_from(["plan", "city"]), st.one_of(st.none(), names)),
    st.builds(Clicked, st.one_of(st.none(), st.sampled_from(["l1", "l2"]))),
    st.builds(Purchased, st.one_of(st.none(), st.sampled_from(["ebook", "course"]))),
    st.builds(WebinarIs, st.sampled_from(list(Attendance)), st.one_of(st.none(), st.just("w1"))),
    st.builds(Opened, st.one_of(st.none(), st.sampled_from(["m1", "m2"]))),
)
conditions: st.SearchStrategy[Condition] = st.recursive(
    leaf_conditions,
    lambda inner: st.one_of(
        st.builds(AllOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(AnyOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=4,
)


@st.composite
def wait_untils(draw: st.DrawFn) -> WaitUntil:
    """A WaitUntil with an hour, a window, or an hour inside a window."""
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 23))
    window = Window(start, draw(st.integers(start + 1, 24)))
    shape = draw(st.sampled_from(["hour", "window", "both"]))
    if shape == "window":
        return WaitUntil(days, None, 0, window)
    hour = draw(st.integers(window.start, window.end - 1))
    minute = draw(st.integers(0, 59))
    return WaitUntil(days, hour, minute, window if shape == "both" else None)


def _plain_steps() -> st.SearchStrategy[Step]:
    """Every kind of step but Branch (whose targets depend on position)."""
    seconds = st.integers(60, 30 * 86400)
    return st.one_of(
        st.builds(Send, st.sampled_from(["m1", "m2", "m3", "m4"])),
        st.builds(Wait, seconds.map(lambda s: timedelta(seconds=s))),
        wait_untils(),
        st.builds(
            WaitRelative,
            st.just("session"),
            st.integers(-86400, 86400).map(lambda s: timedelta(seconds=s)),
            st.one_of(st.none(), seconds.map(lambda s: timedelta(seconds=s))),
        ),
        st.builds(Tag, names),
        st.builds(Untag, names),
        st.builds(Notify, st.just("a subscriber got here")),
        st.builds(Webhook, st.just("https://hooks.example.com/x")),
        st.builds(Goal, conditions),
        st.builds(MoveTo, st.just("next-sequence")),
    )


@st.composite
def programs(draw: st.DrawFn, max_size: int = 10) -> Program:
    """A checked program: branches mostly forward, sometimes back (kept when the loop waits)."""
    size = draw(st.integers(1, max_size))
    steps: list[Step] = []
    for index in range(size):
        if index < size - 1 and draw(st.integers(0, 4)) == 0:
            low = 0 if draw(st.integers(0, 3)) == 0 else index + 1
            targets = st.one_of(st.none(), st.integers(low, size - 1).map(lambda i: f"s{i + 1}"))
            steps.append(Branch(draw(conditions), draw(targets), draw(targets)))
        else:
            steps.append(draw(_plain_steps()))
    try:
        return make_program(steps)
    except SequenceInputError:
        reject()
