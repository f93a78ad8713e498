"""Payee rules without a database: checks, which rule wins, and the import key of a row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.import_rules import (
    Matcher,
    RowKeys,
    RuleSpec,
    check_pattern,
    check_priority,
    check_rule_account,
    kind_of,
    row_content,
    row_key,
)


def test_words_match_anywhere_in_any_case_and_regexes_search() -> None:
    matcher = Matcher(
        [RuleSpec(1, "amazon web", False, 1, "Expenses:Hosting"),
         RuleSpec(2, r"^kdp\b|royalt", True, 2, "Income:Royalties")]
    )  # fmt: skip
    assert matcher.match("", "Payment AMAZON WEB SERVICES EU") is not None
    assert matcher.match("", "Payment AMAZON WEB SERVICES EU").id == 1  # type: ignore[union-attr]
    assert matcher.match("KDP", "March").id == 2  # type: ignore[union-attr]
    assert matcher.match("", "Royalty statement").id == 2  # type: ignore[union-attr]
    assert matcher.match("", "Coffee") is None


def test_the_highest_priority_wins_then_the_oldest_rule() -> None:
    rules = [RuleSpec(1, "stripe", False, 1, "Income:Sales", 0),
             RuleSpec(2, "stripe fee", False, 1, "Expenses:Fees", 10),
             RuleSpec(3, "stripe", False, 2, "Income:Other", 0)]  # fmt: skip
    matcher = Matcher(rules)
    assert matcher.match("", "STRIPE FEE March").id == 2  # type: ignore[union-attr]
    assert matcher.match("", "Stripe payout").id == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pattern", "regex", "message"),
    [
        ("", False, "is empty"),
        ("x" * 201, False, "limit is 200"),
        ("(unclosed", True, "not a regular"),
    ],
)
def test_bad_patterns_are_refused(pattern: str, regex: bool, message: str) -> None:
    with pytest.raises(LedgerInputError) as refused:
        check_pattern(pattern, regex)
    assert refused.value.field == "pattern"
    assert message in refused.value.message


def test_a_regex_like_pattern_is_plain_words_unless_marked() -> None:
    assert check_pattern("  (unclosed ", False) == "(unclosed"
    assert Matcher([RuleSpec(1, "(unclosed", False, 1, "Expenses:X")]).match("", "a (unclosed b")


def test_priority_and_account_checks() -> None:
    assert check_priority(" 5 ") == 5
    with pytest.raises(LedgerInputError, match="whole number"):
        check_priority("high")
    with pytest.raises(LedgerInputError, match="between"):
        check_priority(10**7)
    assert check_rule_account("Expenses:Hosting") == "Expenses:Hosting"
    with pytest.raises(LedgerInputError):
        check_rule_account("Hosting")
    with pytest.raises(LedgerInputError, match="bank account"):
        check_rule_account("Assets:Bank", "Assets:Bank")


def test_kinds_in_the_owners_words() -> None:
    accounts = ("Income:Sales", "Expenses:Fees", "Equity:Capital", "Assets:Savings")
    assert [kind_of(a) for a in accounts] == ["income", "cost", "capital", "transfer"]


def test_a_rows_key_depends_on_what_it_says_and_its_occurrence_only() -> None:
    one = row_content("Assets:Bank", date(2026, 1, 5), Decimal("-3.00"), None, "", "Coffee")
    same = row_content("Assets:Bank", date(2026, 1, 5), Decimal("-3"), None, "", "Coffee")
    other = row_content("Assets:Card", date(2026, 1, 5), Decimal("-3"), None, "", "Coffee")
    assert row_key(one, 1) == row_key(same, 1)
    assert row_key(one, 1) != row_key(one, 2)
    assert row_key(one, 1) != row_key(other, 1)
    assert len(row_key(one, 1)) <= 200
    assert row_key(one, 1).startswith("bank:")


def test_row_keys_count_equal_rows_and_keep_the_keys_of_earlier_imports() -> None:
    coffee = row_content("Assets:Bank", date(2026, 1, 5), Decimal("-3"), None, "", "Coffee")
    tea = row_content("Assets:Bank", date(2026, 1, 5), Decimal("-2"), None, "", "Tea")
    keys = RowKeys()
    got = [keys.key(content) for content in (coffee, tea, coffee, coffee, tea)]
    # the same keys row_key gives (and so files imported before RowKeys existed post nothing new)
    assert got == [row_key(coffee, 1), row_key(tea, 1), row_key(coffee, 2), row_key(coffee, 3),
                   row_key(tea, 2)]  # fmt: skip
    assert len(set(got)) == 5
    assert RowKeys().key(coffee) == got[0]  # a fresh count, as the next import of the file
