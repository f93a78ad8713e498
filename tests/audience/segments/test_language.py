"""The segment language without a database: parsing, canonical printing, errors and limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import segments as lang
from evergreen.audience.rules.segments import (
    Activity,
    AllOf,
    AnyOf,
    Created,
    Duration,
    Field,
    InList,
    Not,
    Tag,
    parse,
    show,
)
from tests.audience.segments.strategies import trees


def test_the_issues_example_parses_into_its_three_terms() -> None:
    tree = parse('tag:buyer and not clicked:30d and field.country = "DE"')
    assert tree == AllOf(
        (Tag("buyer"), Not(Activity("clicked", Duration(30, "d"))), Field("country", "=", "DE"))
    )


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ('list:"Weekly tips"', InList("Weekly tips")),
        ("list:news:unconfirmed", InList("news", "unconfirmed")),
        ('list:"Weekly tips":ANY', InList("Weekly tips", "any")),
        ("field.age > 30", Field("age", ">", Decimal(30))),
        ("field.age <= -2.5", Field("age", "<=", Decimal("-2.5"))),
        ('field.zip = "01234"', Field("zip", "=", "01234")),
        ("field.country = DE", Field("country", "=", "DE")),
        ("field.vip = True", Field("vip", "=", True)),
        ('field."First name" contains "an"', Field("First name", "contains", "an")),
        ("field.phone exists", Field("phone", "exists")),
        ("created:<30d", Created("<", Duration(30, "d"))),
        ("created:>2026-01-01", Created(">", date(2026, 1, 1))),
        ("opened:any", Activity("opened", None)),
        ("TAG:Buyer", Tag("Buyer")),
        ('tag:"say \\"hi\\"\\n\\u00e9"', Tag('say "hi"\né')),
    ],
)
def test_terms(query: str, tree: lang.Node) -> None:
    assert parse(query) == tree


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    a, b, c = Tag("a"), Tag("b"), Tag("c")
    assert parse("tag:a or tag:b and tag:c") == AnyOf((a, AllOf((b, c))))
    assert parse("not tag:a and tag:b") == AllOf((Not(a), b))
    assert parse("(tag:a or tag:b) and not (tag:c)") == AllOf((AnyOf((a, b)), Not(c)))
    assert parse("tag:a OR NOT tag:b") == AnyOf((a, Not(b)))


def test_canonical_text_is_lower_case_and_quotes_only_what_needs_it() -> None:
    query = 'TAG:Buyer AND (List:"news" or list:"Weekly tips":Unconfirmed) and Field.age >= 030'
    assert show(parse(query)) == (
        'tag:Buyer and (list:news or list:"Weekly tips":unconfirmed) and field.age >= 30'
    )
    assert show(parse('field."a b" = x')) == 'field."a b" = "x"'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "at character 1: the query is empty"),
        ("tag:", "at character 5: expected a tag (a word, or a quoted text), found the end"),
        ("tag:x and", "at character 10: expected a term such as tag:NAME"),
        ("tag:x tag:y", 'at character 7: expected "and", "or", ")" or the end'),
        ("(tag:x", 'at character 7: expected ")" to close the parenthesis at character 1'),
        ("tag:x)", "at character 6: this ) closes no open parenthesis"),
        ("colour:red", 'at character 1: "colour" is not a term'),
        ("status:happy", "at character 8: expected a status: subscribed, unconfirmed"),
        ("source:fax", "at character 8: expected a source: form, import"),
        ("list:news:gone", "at character 11: expected a list status"),
        ("clicked:30", "at character 9: expected a span after clicked: such as 30d"),
        ("clicked:0d", "at character 9: a span of 1 to 36,525d, not 0d"),
        ("created:=30d", 'at character 9: expected "<" or ">" after created:'),
        ("created:>2026-02-30", "at character 10: 2026-02-30 is not a date"),
        ("field.age > true", "at character 11: true and false compare only with = and !="),
        ("field.age contains 3", 'at character 20: contains needs a text, e.g. "gmail"'),
        ("field.age", "at character 10: expected =, !=, <, <=, >, >=, contains or exists"),
        ("field. = 1", 'at character 1: expected a field name after "field."'),
        ('tag:"open', 'at character 5: this text has no closing quote (")'),
        ('tag:"a\\qb"', "at character 7: unknown escape \\q"),
        ('tag:"\\u0000"', "at character 6: \\u0000 is not a character a text may hold"),
        ('tag:"\\ud800"', "at character 6: \\ud800 is not a character a text may hold"),
        ("tag:x; drop table subscribers", "at character 6: ';' has no meaning here"),
        ("tag:x ! tag:y", "at character 7: '!' has no meaning here"),
    ],
)
def test_errors_name_the_position_and_what_was_expected(query: str, message: str) -> None:
    with pytest.raises(AudienceInputError) as refused:
        parse(query)
    assert refused.value.field == "query"
    assert refused.value.message.startswith(message), refused.value.message


def test_limits_on_length_depth_and_terms() -> None:
    with pytest.raises(AudienceInputError, match="2,001 characters long; at most 2,000"):
        parse("tag:" + "x" * 1997)
    parse("(" * 20 + "tag:x" + ")" * 20)
    with pytest.raises(AudienceInputError, match="at character 21: nested more than 20 deep"):
        parse("(" * 21 + "tag:x" + ")" * 21)
    with pytest.raises(AudienceInputError, match="nested more than 20 deep"):
        parse("not " * 21 + "tag:x")
    parse(" or ".join(["tag:x"] * 100))
    with pytest.raises(AudienceInputError, match="more than 100 terms"):
        parse(" or ".join(["tag:x"] * 101))
    with pytest.raises(AudienceInputError, match="a tag is longer than 200 characters"):
        parse("tag:" + "x" * 201)


@given(trees())
def test_random_trees_print_and_parse_back_to_the_same_tree(tree: lang.Node) -> None:
    assert parse(show(tree)) == tree


_ALPHABET = st.sampled_from(
    [*"()\":!=<>. \\", "tag", "list", "field", "clicked", "created", "and", "or", "not", "x",
     "30d", "2026-01-01", "any", "contains", "exists", "1.5", "status", "subscribed", "é"]
)  # fmt: skip


@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_any_text_parses_to_a_tree_that_round_trips_or_is_refused_in_words(text: str) -> None:
    try:
        tree = parse(text)
    except AudienceInputError as refused:
        error = refused
    else:
        assert parse(show(tree)) == tree
        assert show(parse(show(tree))) == show(tree)
        return
    assert error.field == "query"
    assert error.message.startswith("at character ") or "characters long" in error.message


def test_every_example_in_the_documentation_parses_and_is_canonical_or_close() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[3] / "docs" / "SEGMENTS.md").read_text(encoding="utf-8")
    examples = doc.split("```segment\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(examples) >= 8
    for example in examples:
        assert show(parse(example)) == example  # the documentation shows the canonical form
    from evergreen.audience.views.segments import EXAMPLES

    for query, _what in EXAMPLES:
        assert show(parse(query)) == query
