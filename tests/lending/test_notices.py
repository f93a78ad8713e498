"""Late notices through a real SMTP server, on SQLite and PostgreSQL: the daily run mails the
borrower once per missed payment (with the fee it drew and a link to their portal); a borrower
without an address is charged the fee and mailed nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.lending import service, tasks
from evergreen.lending.models import Borrower
from tests.mail.smtp_server import smtp_server


def _loans(db: Database) -> None:
    """Two 12 % notes of 1,000 started 2026-01-15 (payments due the 15th, 10 days' grace,
    a 50 + 5 % late fee): one to a borrower with an address, one to a borrower without."""
    for name in ("Rehab Co", "Quiet LLC"):
        draft = service.LoanDraft(
            borrower=name, principal="1000", annual_rate="12", months=12,
            start=date(2026, 1, 15), late_fee="50", late_fee_pct="5",
        )  # fmt: skip
        with db.session() as session:
            service.add_loan(session, draft, new_borrower=True)
    with db.session() as session:
        row = session.scalars(select(Borrower).where(Borrower.name == "Rehab Co")).one()
        row.email = "rehab@example.com"


def test_each_missed_payment_is_noticed_once(db: Database, settings: Settings) -> None:
    _loans(db)
    with smtp_server() as (handler, port):
        mail = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                    "mail_from": "lender@example.com", "base_url": "https://lend.example"}
        )  # fmt: skip
        assert tasks.run_late_fees(db, date(2026, 2, 25), mail) == 0  # still in grace
        assert tasks.run_late_fees(db, date(2026, 2, 26), mail) == 2  # both loans' fees
        assert tasks.run_late_fees(db, date(2026, 2, 27), mail) == 0  # charged already
    [notice] = handler.received
    assert notice.rcpt_tos == ["rehab@example.com"]
    text = notice.content.decode()  # type: ignore[union-attr]
    assert "Late notice: loan 1, the payment due 2026-02-15" in text
    assert "A late fee of 50.50 USD" in text  # 50 + 5 % of the 10.00 interest due
    assert "https://lend.example/borrower/loans/1" in text
