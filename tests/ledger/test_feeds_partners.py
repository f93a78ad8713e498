"""The partner program's commissions and payouts post themselves to the ledger, through the real
partners services on SQLite and PostgreSQL: an approved commission is a cost of the program's
stream owed to the partner, a hold or refund takes it back, a payout settles it from the bank;
replays (the same event, approvals run again, sync twice, two sessions at once) post nothing."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind
from evergreen.partners import service
from evergreen.partners.models import Commission, Program
from evergreen.partners.rules import EventType, PartnerConflict, ProgramSettings
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due, change_status
from evergreen.partners.service.payouts import create_payout, mark_paid
from tests.ledger.journal_view import costs, forget_ledger, journal, keys

D = Decimal

# Commissions are created on the real clock; their 30-day holding period ends after APPROVAL.
T0 = datetime.now(UTC).replace(microsecond=0)
APPROVAL = T0 + timedelta(days=31)
PAID = T0 + timedelta(days=45)
EXPENSE, OWED, BANK = "Expenses:Commissions", "Liabilities:Partners:Commissions", "Assets:Bank"
EVER = (date(2020, 1, 1), date(2099, 12, 31))
PROGRAM = "Affiliate program"


def _program(session: Session) -> Program:
    program = service.default_program(session)
    program.payout_threshold = D("10")
    terms = service.TermsDraft(kind="percent", rate=D("30"), effective_from=T0 - timedelta(days=9))
    service.add_terms(session, program, terms)
    for name, code in (("Ana", "ANA"), ("Ben", "BEN")):
        partner = service.create_partner(
            session, program, name=name, email=f"{name.lower()}@example.com", status="active"
        )
        service.add_coupon(session, partner, code)
    return program


def _event(session: Session, program: Program, key: str, event: EventType, amount: str,
           coupon: str = "ANA", order: str = "o1") -> None:  # fmt: skip
    record_conversion(
        session, program,
        ConversionIn(
            idempotency_key=key, event=event, amount=D(amount), currency="USD",
            customer_id=f"cus_{order}", occurred_at=T0, order_id=order, coupon=coupon,
        ),
        actor="test",
    )  # fmt: skip


def _legs(debit: str, credit: str, amount: str, stream: str = PROGRAM
          ) -> tuple[tuple[str, D, str, str], ...]:  # fmt: skip
    value = D(amount).normalize()
    return ((debit, value, "USD", stream), (credit, -value, "USD", stream))


def _commission(session: Session, kind: str = "commission", order: str = "o1") -> Commission:
    return session.scalars(
        select(Commission).where(Commission.kind == kind).order_by(Commission.id)
    ).all()[0 if order == "o1" else 1]


def test_a_commission_costs_the_program_once_approved_and_a_refund_takes_it_back(
    db: Database,
) -> None:
    with db.session() as session:
        program = _program(session)
        _event(session, program, "s1", EventType.SALE, "100")
        assert journal(session) == []  # pending: no cost yet
        assert program.stream_id is None
        assert approve_due(session, program, APPROVAL) == 1
        assert approve_due(session, program, APPROVAL) == 0
        commission = _commission(session)
        key = f"partners:commission:{commission.id}"
        stream = session.get(Stream, program.stream_id)
        assert stream is not None
        assert (stream.name, stream.kind) == (PROGRAM, "partner_program")
        assert journal(session) == [
            (f"{key}:approved:1", APPROVAL.date(), "*", _legs(EXPENSE, OWED, "30"))
        ]
        assert costs(session, *EVER) == {PROGRAM: D("30")}

        # Half the sale is refunded before payment: the commission is 15 from then on, dated
        # the day the refund is recorded but never before the entry it corrects.
        for _ in range(2):  # the same refund event twice
            _event(session, program, "r1", EventType.REFUND, "50")
        today = datetime.now(UTC).date()
        assert journal(session)[1:] == [
            (f"reversal:{key}:approved:1", APPROVAL.date(), "*", _legs(EXPENSE, OWED, "-30")),
            (f"{key}:approved:2", APPROVAL.date(), "*", _legs(EXPENSE, OWED, "15")),
        ]
        assert costs(session, *EVER) == {PROGRAM: D("15")}

        payout = create_payout(session, program, actor="owner", now=PAID)
        assert payout is not None
        for _ in range(2):
            mark_paid(session, program, payout.id, actor="owner", now=PAID)
        assert journal(session)[3] == (
            f"partners:payout:{payout.id}:paid:1",
            PAID.date(),
            "*",
            _legs(OWED, BANK, "15"),
        )
        assert costs(session, *EVER) == {PROGRAM: D("15")}  # paying a cost is not a new cost

        # The rest is refunded after payment: a clawback takes the cost and the debt back.
        _event(session, program, "r2", EventType.REFUND, "50")
        claw = _commission(session, "clawback")
        assert journal(session)[4:] == [
            (f"partners:commission:{claw.id}:approved:1", today, "*",
             _legs(EXPENSE, OWED, "-15")),
        ]  # fmt: skip
        assert costs(session, *EVER) == {PROGRAM: 0}
        assert len(journal(session)) == 5


def test_a_hold_takes_an_approved_commission_back_until_it_is_approved_again(
    db: Database,
) -> None:
    with db.session() as session:
        program = _program(session)
        own = ledger.add_stream(
            session, ledger.StreamDraft("Course", StreamKind.DIGITAL_PRODUCT), T0.date()
        )
        service.update_settings(
            session, program, ProgramSettings(D("10"), holding_days=30, stream_id=own.id)
        )
        _event(session, program, "s2", EventType.SALE, "40", coupon="BEN", order="o2")
        commission = _commission(session)
        for action in ("approve", "hold", "release", "approve"):
            change_status(session, program, commission.id, action, actor="owner")
        with pytest.raises(PartnerConflict, match="cannot approve"):
            change_status(session, program, commission.id, "approve", actor="owner")
        key = f"partners:commission:{commission.id}"
        assert keys(session) == [f"{key}:approved:1", f"reversal:{key}:approved:1",
                                 f"{key}:approved:2"]  # fmt: skip
        assert journal(session)[0][3] == _legs(EXPENSE, OWED, "12", "Course")
        assert costs(session, *EVER) == {"Course": D("12")}
        assert not session.scalars(select(Stream).where(Stream.name == PROGRAM)).all()


def test_approvals_run_in_two_sessions_at_once_post_once(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        program_id = program.id
        _event(session, program, "s1", EventType.SALE, "100")
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def approve() -> None:
        try:
            start.wait(30)
            with db.session() as session:
                program = session.get(Program, program_id)
                assert program is not None
                approve_due(session, program, APPROVAL)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with db.session() as session:
        assert len(journal(session)) == 1, failures
        assert costs(session, *EVER) == {PROGRAM: D("30")}


def test_sync_posts_what_predates_the_ledger_once(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        _event(session, program, "s1", EventType.SALE, "100")
        _event(session, program, "s2", EventType.SALE, "40", coupon="BEN", order="o2")
        approve_due(session, program, APPROVAL)
        _event(session, program, "r1", EventType.REFUND, "50")
        payout = create_payout(session, program, actor="owner", now=PAID)
        assert payout is not None
        mark_paid(session, program, payout.id, actor="owner", now=PAID)
        _event(session, program, "r2", EventType.REFUND, "50")
        _event(session, program, "s3", EventType.SALE, "10", coupon="BEN", order="o3")
        fed_live = journal(session)
        assert len(fed_live) == 6  # 2 approvals, a partial refund (2), a payout, a clawback
        forget_ledger(session)
        today = datetime.now(UTC).date()
        assert service.post_to_ledger(session, today) == len(fed_live)
        # Each commission's history is replayed: the same entries, days and keys as when live
        # (posted commission by commission, then the payouts, so in another order).
        assert sorted(journal(session), key=repr) == sorted(fed_live, key=repr)
        synced = journal(session)
        assert service.post_to_ledger(session, today) == 0
        assert journal(session) == synced
        assert costs(session, *EVER) == {PROGRAM: D("12")}
