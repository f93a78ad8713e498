"""`evergreen partners …` and `evergreen networks import` as a person runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from tests.cli_helpers import evergreen


def test_payout_cycle_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        program = service.default_program(session)
        program.holding_days = 0
        program.payout_threshold = Decimal("10")
        start = datetime.now(UTC) - timedelta(days=1)
        service.add_terms(
            session,
            program,
            service.TermsDraft(kind="flat", rate=Decimal("15"), effective_from=start),
        )
        partner = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        service.add_coupon(session, partner, "ANA")
        sale = ConversionIn(
            idempotency_key="o1", event=EventType.SALE, amount=Decimal("50"), currency="USD",
            customer_id="c1", occurred_at=datetime.now(UTC), order_id="o1", coupon="ANA",
        )  # fmt: skip
        record_conversion(session, program, sale, actor="test")
        partner_id = partner.id
    db.dispose()

    def run(*args: str) -> tuple[int, str, str]:
        result = evergreen(*args, data_dir=tmp_path, database_url=database_url)
        assert "Traceback" not in result.stderr
        return result.returncode, result.stdout, result.stderr

    assert run("partners", "approve-due")[1].strip() == "Approved 1 commission."
    code, out, _ = run("partners", "payout", "create")
    assert code == 0
    assert "created" in out
    payout_id = out.split()[1]
    code, out, _ = run("partners", "payout", "export", payout_id, "--format", "wise")
    assert "ana@example.com" in out
    assert "15.00" in out
    assert run("partners", "payout", "paid", payout_id)[0] == 0
    code, out, _ = run("partners", "statement", str(partner_id))
    assert ",paid," in out
    code, _, err = run("partners", "payout", "export", "999")
    assert code == 2
    assert "no payout with id 999" in err
    code, _, err = run("networks", "import", "42", str(tmp_path / "missing.csv"))
    assert code == 2
    assert "cannot read" in err
