"""Two changes of a funnel at once (its step order: moves, additions, a removal; its ad spend):
each waits for the other and starts from what it left, so the steps keep distinct positions
1..n and the spend one currency and one row per day and campaign. The first is paused after it
read: under READ COMMITTED it then wrote positions computed from the order it had read (two
steps shared a position, and a later move swapped the wrong pair), or stored spend checked
against none stored (a second currency, or a duplicate row refused by the unique key: a 500)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.funnels import service
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.models import AdSpend, FunnelStep
from evergreen.funnels.rules.spend import SpendRow
from evergreen.funnels.service import funnels, spend
from tests.races import Work, race


def _funnel(db: Database) -> tuple[int, dict[str, int]]:
    """A funnel of three sales pages a, b, c, in that order."""
    with db.session() as session:
        funnel = service.add_funnel(session, service.FunnelDraft("Launch", "launch"))
        steps = {
            name: service.add_step(session, funnel.id, service.StepDraft("sales", name, name)).id
            for name in ("a", "b", "c")
        }
        return funnel.id, steps


def _move(funnel_id: int, step_id: int, direction: str) -> Work:
    def move(session: Session) -> None:
        service.move_step(session, funnel_id, step_id, direction)

    return move


def _add(funnel_id: int, name: str) -> Work:
    def add(session: Session) -> object:
        return service.add_step(session, funnel_id, service.StepDraft("sales", name, name))

    return add


def _remove(funnel_id: int, step_id: int) -> Work:
    def remove(session: Session) -> None:
        service.remove_step(session, funnel_id, step_id)

    return remove


def _order(db: Database, funnel_id: int) -> list[tuple[int, str]]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(FunnelStep.position, FunnelStep.slug)
            .where(FunnelStep.funnel_id == funnel_id)
            .order_by(FunnelStep.position, FunnelStep.id)
        )
        return [(position, slug) for position, slug in rows]


@pytest.mark.parametrize(
    ("first", "second", "pause", "after", "orders"),
    [
        (("move", "c", "up"), ("move", "b", "up"), "_steps", True,
         [["a", "b", "c"], ["b", "c", "a"]]),
        (("add", "d"), ("add", "e"), "_apply", False,
         [["a", "b", "c", "d", "e"], ["a", "b", "c", "e", "d"]]),
        (("move", "c", "up"), ("remove", "a"), "_steps", True,
         [["c", "b"], ["b", "c"]]),
    ],
    ids=["move-move", "add-add", "move-remove"],
)  # fmt: skip
def test_two_changes_of_the_step_order_at_once_keep_distinct_positions(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    first: tuple[str, ...],
    second: tuple[str, ...],
    pause: str,
    after: bool,
    orders: list[list[str]],
) -> None:
    funnel_id, steps = _funnel(db)

    def work(change: tuple[str, ...]) -> Work:
        if change[0] == "move":
            return _move(funnel_id, steps[change[1]], change[2])
        if change[0] == "add":
            return _add(funnel_id, change[1])
        return _remove(funnel_id, steps[change[1]])

    (_, first_error), (_, second_error) = race(
        db, monkeypatch, work(first), work(second), pause_at=(funnels, pause), pause_after=after
    )
    assert (first_error, second_error) == (None, None)
    order = _order(db, funnel_id)
    assert [position for position, _ in order] == list(range(1, len(order) + 1)), order
    assert [slug for _, slug in order] in orders, order


def _spend(funnel_id: int, day: int, campaign: str, currency: str, cents: int) -> Work:
    def put(session: Session) -> int:
        row = SpendRow(date(2026, 3, day), campaign, "ads", cents, currency)
        return service.put_spend(session, funnel_id, [row])

    return put


@pytest.mark.parametrize(
    ("second_day", "second_currency"), [(2, "EUR"), (1, "USD")], ids=["currency", "same-day"]
)
def test_two_spend_imports_at_once_keep_one_currency_and_one_row_a_day(
    db: Database, monkeypatch: pytest.MonkeyPatch, second_day: int, second_currency: str
) -> None:
    """Spend in USD and, at the same moment, in EUR (refused: one currency a funnel) or the
    same day and campaign again (it replaces the first)."""
    funnel_id, _steps = _funnel(db)
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, _spend(funnel_id, 1, "launch", "USD", 1000),
        _spend(funnel_id, second_day, "launch", second_currency, 2000),
        pause_at=(spend, "_stored"), pause_after=True,
    )  # fmt: skip
    with db.session(writer=False) as session:
        stored = session.execute(
            select(AdSpend.day, AdSpend.currency, AdSpend.amount_cents).order_by(AdSpend.id)
        ).all()
    if second_currency == "EUR":
        assert first_error is None, first_error
        assert isinstance(second_error, FunnelInputError), second_error
        assert second_error.field == "currency"
        assert [tuple(row) for row in stored] == [(date(2026, 3, 1), "USD", 1000)]
    else:
        assert (first_error, second_error) == (None, None)
        assert [tuple(row) for row in stored] == [(date(2026, 3, 1), "USD", 2000)]
