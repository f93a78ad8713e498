"""Migration 0059 on SQLite and PostgreSQL: a draw rejected before its day was kept on the draw
gets it from the loan's history; a draw never rejected keeps none."""

from __future__ import annotations

from datetime import date

from alembic import command

from evergreen import migrate
from evergreen.db import Database
from evergreen.lending import queries, service


def test_rejected_draws_get_their_day_from_the_history(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    db = Database(empty_database_url)
    try:
        with db.session() as session:
            draft = service.LoanDraft("Ann", "50000", "10%", 12, date(2026, 1, 1),
                                      commitment="20000")  # fmt: skip
            loan = service.add_loan(session, draft, new_borrower=True)
            refused = service.request_draw(session, loan.id, "3000", date(2026, 1, 10), "").draw
            service.draw_action(session, refused.id, "reject", date(2026, 1, 13))
            waiting = service.request_draw(session, loan.id, "2000", date(2026, 1, 11), "").draw
            ids = (refused.id, waiting.id)
    finally:
        db.dispose()
    command.downgrade(migrate.alembic_config(empty_database_url), "0058")  # the one before
    migrate.upgrade(empty_database_url)
    db = Database(empty_database_url)
    try:
        with db.session(writer=False) as session:
            days = [(queries.draw(session, i).status, queries.draw(session, i).rejected_on)
                    for i in ids]  # fmt: skip
    finally:
        db.dispose()
    assert days == [("rejected", date(2026, 1, 13)), ("requested", None)]
