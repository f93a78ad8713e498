"""Household changes landing at the same moment. Two entries added at once no longer take a
total past the models' cap (before, each summed the others without the one being added beside
it, under READ COMMITTED both passed); two first saves of the settings both land as one row
(before, both found none and inserted it: an IntegrityError, a 500); a change racing the removal
of its row goes first and the removal after it (before, the change's UPDATE matched nothing:
StaleDataError, a 500).
The first unit of work is paused after it has read the totals it checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database, RowSession
from evergreen.household import service
from evergreen.household.errors import HouseholdInputError
from evergreen.household.models import HouseholdDebt, HouseholdExpense, HouseholdIncome
from evergreen.household.rules import DebtDraft, ExpenseDraft, IncomeDraft, ProfileDraft
from evergreen.household.rules.limits import MODEL_LIMIT
from tests.races import Work, race

HALF_AND_MORE = "600000000000"  # two of these are past the 1,000,000,000,000 cap

_ADD = {IncomeDraft: service.add_income, DebtDraft: service.add_debt,
        ExpenseDraft: service.add_expense}  # fmt: skip


def _adding(draft: Any) -> Work:
    def add(session: Session) -> int:
        return int(_ADD[type(draft)](session, draft).id)

    return add


def _sum(db: Database, *columns: Any) -> Decimal:
    with db.session(writer=False) as session:
        return sum((sum(session.scalars(select(c)), Decimal(0)) for c in columns), Decimal(0))


@pytest.mark.parametrize(
    ("first", "second", "field", "columns"),
    [
        (IncomeDraft.parse("A", "salary", HALF_AND_MORE, "none"),
         IncomeDraft.parse("B", "salary", HALF_AND_MORE, "none"),
         "amount", (HouseholdIncome.amount,)),
        (DebtDraft.parse("Car", HALF_AND_MORE, "0"), ExpenseDraft.parse("food", HALF_AND_MORE),
         "amount", (HouseholdDebt.payment, HouseholdExpense.amount)),
    ],
    ids=["two incomes", "a debt and an expense"],
)  # fmt: skip
def test_two_entries_added_at_once_never_pass_the_cap_together(
    db: Database, monkeypatch: pytest.MonkeyPatch, first: Any, second: Any, field: str,
    columns: tuple[Any, ...],
) -> None:  # fmt: skip
    (added, first_error), (_other, second_error) = race(
        db, monkeypatch, _adding(first), _adding(second), pause_at=(service, "check_total"),
    )  # fmt: skip
    assert first_error is None
    assert isinstance(added, int)
    assert isinstance(second_error, HouseholdInputError), second_error
    assert second_error.field == field
    assert "1,000,000,000,000" in second_error.message
    assert _sum(db, *columns) <= MODEL_LIMIT


def _saving(family_size: int) -> Work:
    def save(session: Session) -> int:
        draft = ProfileDraft(family_size, "OH", Decimal(1200), None, Decimal(0))
        return service.save_profile(session, draft).family_size

    return save


def test_two_first_saves_of_the_settings_at_once_both_land(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    (_first, first_error), (_second, second_error) = race(
        db, monkeypatch, _saving(3), _saving(4),
        pause_at=(RowSession, "get"), pause_after=True,
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        assert service.profile(session).family_size in (3, 4)


def test_a_change_racing_the_removal_of_its_row_goes_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        income_id = service.add_income(session, IncomeDraft.parse("A", "salary", "10", "none")).id

    def change(session: Session) -> object:
        draft = IncomeDraft.parse("A", "salary", "20", "none")
        return service.update_income(session, income_id, draft).amount

    def remove(session: Session) -> None:
        service.remove_income(session, income_id)

    (_changed, change_error), (_removed, remove_error) = race(
        db, monkeypatch, change, remove, pause_at=(service, "_total"), pause_after=True,
    )  # fmt: skip
    assert (change_error, remove_error) == (None, None)
    with db.session(writer=False) as session:
        assert service.incomes(session) == []
