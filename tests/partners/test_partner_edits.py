"""Referral links, partner edits, removals, settings and hold reasons through the real services."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.partners import queries, service
from evergreen.partners.models import Commission, Conversion, Customer, Program
from evergreen.partners.rules import DEFAULT_HOLD_REASON, EventType, ProfileEdit, ProgramSettings
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due

NOW = datetime.now(UTC).replace(microsecond=0)
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
LANDING = "https://shop.example/welcome"


def _program(session: Session, landing: str = LANDING) -> Program:
    program = service.default_program(session)
    service.update_settings(
        session, program, ProgramSettings(Decimal("10"), landing_url=landing, holding_days=30)
    )
    terms = service.TermsDraft(
        kind="percent", rate=Decimal("30"), effective_from=NOW - timedelta(days=400)
    )
    service.add_terms(session, program, terms)
    return program


def _sale(session: Session, program: Program, key: str, customer: str, **extra: str) -> Conversion:
    data = ConversionIn(
        idempotency_key=key, event=EventType.SALE, amount=Decimal("100"), currency="USD",
        customer_id=customer, occurred_at=NOW - timedelta(hours=1), order_id=key,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip
    return record_conversion(session, program, data, actor="test").conversion


def _click(session: Session, slug: str, click_id: str) -> None:
    link = links.get_link(session, slug)
    at = (NOW - timedelta(days=1)).timestamp()
    record = {"id": click_id, "l": link.id, "t": at, "v": f"v-{click_id[:4]}", "ua": UA}
    assert ingest_records(session, [record], ClickPolicy()) == 1


def test_a_new_partner_gets_a_referral_link_to_the_landing_page(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(session, program, name="Ana López", email="ana@example.com")
        [link] = queries.links_of(session, ana.id)
        assert link.slug == "ana-lopez"
        stored = links.get_link(session, "ana-lopez")
        assert stored.destination == LANDING
        assert stored.append_click_id  # the shop gets evg_id to report with the sale
        assert stored.title == "Referral link of Ana López"
        # A second Ana gets a link of her own, never the first one's.
        other = service.create_partner(session, program, name="Ana Lopez", email="a2@example.com")
        [second] = queries.links_of(session, other.id)
        assert second.slug.startswith("ana-lopez-")
        assert len(second.slug) == len("ana-lopez-") + 4
        # A name that is no slug (reserved, or no Latin letters) gets a generated one.
        for name, email in (("Admin", "admin@example.com"), ("渡辺", "w@example.com")):
            partner = service.create_partner(session, program, name=name, email=email)
            [made] = queries.links_of(session, partner.id)
            assert made.slug not in ("admin", "")
            assert links.get_link(session, made.slug).destination == LANDING


def test_no_landing_page_no_link_and_an_applicant_gets_theirs_on_approval(db: Database) -> None:
    with db.session() as session:
        program = _program(session, landing="")
        bare = service.create_partner(session, program, name="Bo", email="bo@example.com")
        assert queries.links_of(session, bare.id) == []
        service.update_settings(
            session, program, ProgramSettings(Decimal("10"), landing_url=LANDING)
        )
        applicant = service.sign_up(
            session, program, name="Cy Applicant", email="cy@example.com",
            password="a long enough passphrase",
        )  # fmt: skip
        assert queries.links_of(session, applicant.id) == []  # public sign-ups wait for approval
        service.set_status(session, applicant, "active")
        assert [link.slug for link in queries.links_of(session, applicant.id)] == ["cy-applicant"]
        service.set_status(session, applicant, "suspended")
        service.set_status(session, applicant, "active")  # reinstated: still the one link
        assert len(queries.links_of(session, applicant.id)) == 1
        held = service.sign_up(
            session, program, name="Ed Held", email="ed@example.com",
            password="a long enough passphrase",
        )  # fmt: skip
        service.set_status(session, held, "suspended")  # refused before approval
        assert queries.links_of(session, held.id) == []
        service.set_status(session, held, "active")  # then let in: a partner needs a link
        assert [link.slug for link in queries.links_of(session, held.id)] == ["ed-held"]
        program.landing_url = "mailto:x@example.com"  # stored before links checked it so
        with pytest.raises(InputError) as unusable:
            service.create_partner(session, program, name="Di", email="di@example.com")
        assert unusable.value.field == "landing_url"
        assert "Settings" in unusable.value.message


def test_a_partner_is_edited_and_an_email_the_portal_uses_is_kept(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(session, program, name="Ana", email="ana@example.com")
        service.create_partner(session, program, name="Ben", email="ben@example.com")
        service.update_partner(
            session, ana,
            ProfileEdit(name=" Ana B ", email="Ana.B@Example.com", group="vip",
                        payout_method="wise", payout_email="pay@ana.example"),
        )  # fmt: skip
        assert (ana.name, ana.email, ana.group) == ("Ana B", "ana.b@example.com", "vip")
        assert (ana.payout_method, ana.payout_details) == ("wise", {"email": "pay@ana.example"})
        service.update_partner(session, ana, ProfileEdit(payout_email=""))
        assert ana.payout_details == {}  # blank: paid at their own email
        with pytest.raises(InputError) as taken:
            service.update_partner(session, ana, ProfileEdit(email="ben@example.com"))
        assert taken.value.field == "email"
        with pytest.raises(InputError) as bad:
            service.update_partner(session, ana, ProfileEdit(payout_email="not an email"))
        assert bad.value.field == "payout_email"
        accounts.create_user(session, "ana.b@example.com", "a long enough passphrase", Role.PARTNER)
        with pytest.raises(Conflict) as locked:
            service.update_partner(session, ana, ProfileEdit(email="new@example.com"))
        assert "signs in to the portal" in locked.value.message
        assert ana.email == "ana.b@example.com"
        service.update_partner(session, ana, ProfileEdit(name="Ana C"))  # the rest still edits
        assert ana.name == "Ana C"


def test_unassigning_a_link_keeps_what_it_earned(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        _click(session, "ana", "a" * 32)
        first = _sale(session, program, "o1", "cus_1", click_id="a" * 32)
        assert first.partner_id == ana.id
        service.unassign_link(session, ana, "ANA")
        assert queries.links_of(session, ana.id) == []
        assert links.get_link(session, "ana").destination == LANDING  # the link itself stays
        kept = session.scalars(select(Commission).where(Commission.partner_id == ana.id)).all()
        assert [c.amount for c in kept] == [Decimal("30.00")]
        customer = session.scalars(select(Customer).where(Customer.external_id == "cus_1")).one()
        assert customer.partner_id == ana.id
        # The bound customer's next purchase still earns Ana; a new visitor's earns nobody.
        assert _sale(session, program, "o2", "cus_1").partner_id == ana.id
        _click(session, "ana", "b" * 32)
        assert _sale(session, program, "o3", "cus_2", click_id="b" * 32).status == "unattributed"
        with pytest.raises(NotFound):
            service.unassign_link(session, ana, "ana")  # already unassigned
        with pytest.raises(NotFound):
            service.unassign_link(session, ana, "no-such-link")


def test_removing_a_coupon_keeps_its_sales_and_only_the_owner_can_lose_it(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        ben = service.create_partner(
            session, program, name="Ben", email="ben@example.com", status="active"
        )
        service.add_coupon(session, ana, "ANA10")
        assert _sale(session, program, "o1", "cus_1", coupon="ana10").partner_id == ana.id
        with pytest.raises(NotFound):
            service.remove_coupon(session, ben, "ANA10")  # not Ben's to remove
        service.remove_coupon(session, ana, " ana10 ")
        assert queries.coupons_of(session, ana.id) == []
        assert session.scalars(select(Commission.partner_id)).all() == [ana.id]
        assert _sale(session, program, "o2", "cus_2", coupon="ANA10").status == "unattributed"
        service.add_coupon(session, ben, "ANA10")  # the code is free again


def test_holds_record_a_reason_and_a_release_is_no_longer_held(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        service.add_coupon(session, ana, "ANA")
        _sale(session, program, "o1", "cus_1", coupon="ANA", customer_email="ana@example.com")
        _sale(session, program, "o2", "cus_2", coupon="ANA")
        _sale(session, program, "o3", "cus_3", coupon="ANA")
        fraud, plain, other = session.scalars(select(Commission).order_by(Commission.id)).all()
        assert fraud.status == "on_hold"
        assert fraud.hold_reasons

        service.change_status(session, program, plain.id, "hold", actor="o", note="check order")
        service.change_status(session, program, other.id, "hold", actor="o")
        assert plain.hold_reasons == ["check order"]
        assert other.hold_reasons == [DEFAULT_HOLD_REASON]
        notes = queries.status_notes(session, program, [fraud, plain, other], NOW)
        assert notes[fraud.id].startswith("On hold: Self-referral")
        assert notes[plain.id] == "On hold: check order."

        service.change_status(session, program, fraud.id, "release", actor="o")
        assert (fraud.status, fraud.hold_reasons) == ("pending", [])
        released = queries.status_notes(session, program, [fraud], NOW)[fraud.id]
        assert "hold" not in released.lower()
        assert "refund window" in released
        service.change_status(session, program, other.id, "reject", actor="o", note="fake order")
        assert queries.status_notes(session, program, [other], NOW)[other.id] == (
            "Rejected: fake order"
        )
        # Released, it is owed and approved like any other.
        assert approve_due(session, program, NOW + timedelta(days=31)) == 1
        assert fraud.status == "approved"


def test_the_threshold_setting_decides_the_payout(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        service.add_coupon(session, ana, "ANA")
        _sale(session, program, "o1", "cus_1", coupon="ANA")  # earns 30.00
        approve_due(session, program, NOW + timedelta(days=31))
        service.update_settings(session, program, ProgramSettings(Decimal("30.01")))
        assert service.create_payout(session, program, actor="o", now=NOW) is None
        service.update_settings(session, program, ProgramSettings(Decimal("30")))
        payout = service.create_payout(session, program, actor="o", now=NOW)
        assert payout is not None
        assert program.landing_url == ""  # every field is set: blank means no landing page


def test_a_payout_in_full_and_each_partners_own_part(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        ben = service.create_partner(
            session, program, name="=Ben", email="ben@example.com", status="active"
        )
        service.update_partner(
            session, ben, ProfileEdit(payout_method="wise", payout_email="p@b.example")
        )
        service.add_coupon(session, ana, "ANA")
        service.add_coupon(session, ben, "BEN")
        for key, code in (("o1", "ANA"), ("o2", "ANA"), ("o3", "BEN")):
            _sale(session, program, key, f"cus_{key}", coupon=code)
        approve_due(session, program, NOW + timedelta(days=31))
        payout = service.create_payout(session, program, actor="owner@example.com", now=NOW)
        assert payout is not None
        carol = service.create_partner(session, program, name="Carol", email="c@example.com")

        detail = service.payout_detail(session, program, payout.id)
        assert detail.totals == {"USD": Decimal("90.00")}
        assert [(r.name, r.method, r.pay_to, r.total) for r in detail.recipients] == [
            ("=Ben", "wise", "p@b.example", Decimal("30.00")),
            ("Ana", "paypal", "ana@example.com", Decimal("60.00")),
        ]
        assert detail.recipients[1].reference == f"evergreen-payout-{payout.id}-partner-{ana.id}"
        assert len(detail.items) == 3
        assert {i.status for i in detail.items} == {"payable"}

        own = service.partner_payout(session, ana, payout.id)
        assert [r.partner_id for r in own.recipients] == [ana.id]
        assert {i.partner_id for i in own.items} == {ana.id}
        assert own.totals == {"USD": Decimal("60.00")}
        with pytest.raises(NotFound):
            service.partner_payout(session, carol, payout.id)  # pays Carol nothing
        with pytest.raises(NotFound):
            service.payout_detail(session, program, payout.id + 1)

        out = io.StringIO()
        assert service.write_payout_commissions(detail, out) == 3
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert {row["partner"] for row in rows} == {"Ana", "'=Ben"}  # no formula runs
        assert sum(Decimal(row["amount"]) for row in rows) == Decimal("90.00")
        assert all(row["reference"].startswith(f"evergreen-payout-{payout.id}-") for row in rows)
        paypal = io.StringIO()
        service.export_payout(session, program, payout.id, "paypal", paypal)
        exported = {row["Reference ID"] for row in csv.DictReader(io.StringIO(paypal.getvalue()))}
        assert exported == {r.reference for r in detail.recipients}  # one reference, everywhere
