"""Hypothesis strategies shared by the segment tests: random trees and random populations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from evergreen.audience.rules import segments as lang

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
LISTS = ("Weekly tips", "news")
# Few values, so random trees and random people meet often; mixed case and non-ASCII on purpose.
TAGS = ("buyer", "Buyer", "VIP", "vip", "ÉTÉ", "été", "webinar-2026")
FIELD_NAMES = ("country", "age", "First name", "vip")
TEXTS = ("DE", "de", "FR", "", "Ann", "an", "Zoë", "10", 'a"b')
NUMBERS = (Decimal(-1), Decimal(0), Decimal("10"), Decimal("10.5"), Decimal(30), Decimal(100))
KINDS = ("sent", "opened", "opened_proxy", "clicked", "bounced", "purchased")

durations = st.builds(
    lang.Duration, st.sampled_from((1, 7, 30, 90)), st.sampled_from(("h", "d", "w"))
)
days = st.sampled_from((date(2026, 1, 1), date(2026, 6, 1), date(2026, 6, 15)))
literals = st.one_of(st.sampled_from(TEXTS), st.sampled_from(NUMBERS), st.booleans())


@st.composite
def fields(draw: st.DrawFn) -> lang.Field:
    """A field term with a literal that suits its operator."""
    name = draw(st.sampled_from(FIELD_NAMES))
    op = draw(st.sampled_from(lang.FIELD_OPERATORS))
    if op == "exists":
        return lang.Field(name, op)
    if op == "contains":
        return lang.Field(name, op, draw(st.sampled_from(TEXTS)))
    value = draw(literals)
    if isinstance(value, bool) and op not in ("=", "!="):
        op = "="
    return lang.Field(name, op, value)


terms = st.one_of(
    st.builds(lang.Tag, st.sampled_from(TAGS)),
    st.builds(
        lang.InList,
        st.sampled_from((*LISTS, "missing list")),
        st.sampled_from((*lang.LIST_STATUSES, "any")),
    ),
    st.builds(lang.Status, st.sampled_from(lang.STATUSES)),
    st.builds(lang.Source, st.sampled_from(("form", "import", "api"))),
    st.builds(lang.Created, st.sampled_from(("<", ">")), st.one_of(durations, days)),
    st.builds(lang.Activity, st.sampled_from(tuple(lang.ACTIVITY_KINDS)), st.none() | durations),
    st.builds(lang.Consent, st.sampled_from(tuple(lang.CONSENT_ACTIONS)), st.none() | durations),
    fields(),
)


def trees(max_leaves: int = 12) -> st.SearchStrategy[lang.Node]:
    """Random trees of terms under and, or, not."""
    return st.recursive(
        terms,
        lambda children: st.one_of(
            st.builds(lang.Not, children),
            st.lists(children, min_size=2, max_size=3).map(lambda p: lang.AllOf(tuple(p))),
            st.lists(children, min_size=2, max_size=3).map(lambda p: lang.AnyOf(tuple(p))),
        ),
        max_leaves=max_leaves,
    )


moments = st.sampled_from(
    (
        NOW - timedelta(days=400),
        NOW - timedelta(days=100),
        NOW - timedelta(days=30),  # exactly on a 30d edge
        NOW - timedelta(days=29, hours=23),
        NOW - timedelta(hours=5),
        datetime(2026, 1, 1, tzinfo=UTC),  # exactly on a date edge
        datetime(2026, 6, 1, 0, 0, 1, tzinfo=UTC),
        NOW + timedelta(hours=1),
    )
)
field_values: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(TEXTS), st.sampled_from((-1, 0, 10, 10.5, 30, 99.5, 100)),
    st.booleans(), st.none(), st.just(["DE"]), st.just({"a": 1}),
)  # fmt: skip


@st.composite
def people(draw: st.DrawFn) -> lang.SubscriberFacts:
    """One random subscriber's facts."""
    return lang.SubscriberFacts(
        created_at=draw(moments),
        source=draw(st.sampled_from(("form", "import", "api", "manual"))),
        suppressed=draw(st.sampled_from((None, None, None, "bounced", "complained"))),
        fields=draw(st.dictionaries(st.sampled_from(FIELD_NAMES), field_values, max_size=4)),
        # Stored as the audience stores them: case-folded.
        tags=frozenset(t.casefold() for t in draw(st.lists(st.sampled_from(TAGS), max_size=3))),
        lists=draw(
            st.dictionaries(st.sampled_from(LISTS), st.sampled_from(lang.LIST_STATUSES), max_size=2)
        ),
        activity=draw(st.lists(st.tuples(st.sampled_from(KINDS), moments), max_size=4)),
        consent=draw(
            st.lists(
                st.tuples(st.sampled_from(("opt_in", "confirm", "opt_out")), moments), max_size=2
            )
        ),
    )
