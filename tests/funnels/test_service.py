"""The funnels' service on SQLite and PostgreSQL: funnels, steps in order with their variants,
refusals by field with nothing stored, page views counted into daily rollups (a visitor once per
step, a conversion when the next step is reached), ad spend replaced per day, campaign and
source, and the report with commerce's self-liquidating figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.audience import service as audience
from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.funnels import queries, service
from evergreen.funnels.models import AdSpend, FunnelStep, FunnelTraffic
from evergreen.funnels.rules import read_spend_csv
from tests.funnels.kit import build

SECRET = "x" * 40
DAY = date(2026, 12, 1)


def test_steps_keep_their_order_variants_and_refuse_bad_input(db: Database) -> None:
    built = build(db)
    with db.session() as session:
        card = queries.funnel_card(session, built.funnel_id)
        assert card is not None
        assert [(s.position, s.kind, s.slug, [v.name for v in vs]) for s, vs in card.steps] == [
            (1, "sales", "grow", ["A", "B"]), (2, "order", "order", ["A"]),
            (3, "thankyou", "thanks", ["A"]),
        ]  # fmt: skip
        service.move_step(session, built.funnel_id, built.thanks_id, "up")
        query = select(FunnelStep.id).where(FunnelStep.funnel_id == built.funnel_id)
        order = list(session.scalars(query.order_by(FunnelStep.position)))
        assert order == [built.sales_id, built.thanks_id, built.order_id]
        cases = [
            (lambda: service.add_funnel(session, service.FunnelDraft("X", "launch")), Conflict),
            (lambda: service.add_funnel(session, service.FunnelDraft("X", "a b")), InputError),
            (lambda: service.add_funnel(session, service.FunnelDraft("X", primary_colour="red")),
             InputError),
            (lambda: service.add_step(session, built.funnel_id,
                                      service.StepDraft("order", "O2", product_id=999)),
             InputError),
            (lambda: service.add_step(session, built.funnel_id,
                                      service.StepDraft("optin", "Join", list_id=999)), InputError),
            (lambda: service.add_step(session, built.funnel_id,
                                      service.StepDraft("sales", "Grow", "grow")), Conflict),
            (lambda: service.add_step(session, 999, service.StepDraft("sales", "S")), NotFound),
            (lambda: service.add_variant(session, built.funnel_id, built.sales_id,
                                         service.VariantDraft("B")), Conflict),
            (lambda: service.add_variant(session, built.funnel_id, built.sales_id,
                                         service.VariantDraft("C", weight=-1)), InputError),
        ]  # fmt: skip
        for call, kind in cases:
            with pytest.raises(kind), session.begin_nested():
                call()
        only = card.steps[1][1][0]
        with pytest.raises(InputError) as refused:
            service.remove_variant(session, built.funnel_id, only.id)
        assert refused.value.field == "variant_id"
        service.remove_step(session, built.funnel_id, built.thanks_id)
        left = session.scalars(
            select(FunnelStep.position).where(FunnelStep.funnel_id == built.funnel_id)
        )
        assert sorted(left) == [1, 2]


def _view(db: Database, step: str, cookies: dict[str, str], **extra: object) -> service.PageView:
    with db.session() as session:
        view = service.view_step(session, SECRET, "launch", step, cookies, day=DAY, **extra)  # type: ignore[arg-type]
        cookies[f"evergreen_funnel_{view.funnel.id}"] = view.cookie
        return view


def _counts(db: Database) -> dict[tuple[str, str], tuple[int, int, int]]:
    with db.session(writer=False) as session:
        found = queries.report(session, _funnel_id(db), DAY, DAY)
        assert found is not None
        return {(line.step.slug, line.variant.name): (line.visitors, line.views, line.conversions)
                for line in found.lines}  # fmt: skip


def _funnel_id(db: Database) -> int:
    with db.session(writer=False) as session:
        return service.find_funnel(session, "launch").id


def test_views_count_visitors_once_and_conversions_when_the_next_step_is_reached(
    db: Database,
) -> None:
    build(db)
    walker: dict[str, str] = {}
    first = _view(db, "grow", walker)
    again = _view(db, "grow", walker)
    assert again.variant.name == first.variant.name  # sticky
    _view(db, "order", walker)
    _view(db, "thanks", walker)
    straight: dict[str, str] = {}
    _view(db, "order", straight)  # came straight to the order page: no conversion of grow
    _view(db, "grow", {}, count=False)  # the owner's preview is not counted
    counts = _counts(db)
    seen = first.variant.name
    assert counts[("grow", seen)] == (1, 2, 1)
    assert counts[("order", "A")] == (2, 2, 1)
    assert counts[("thanks", "A")] == (1, 1, 0)
    with db.session(writer=False) as session:
        rows = session.scalar(select(func.count()).select_from(FunnelTraffic))
    assert rows == 3  # one rollup row per step variant and day


def test_drafts_and_odd_addresses_are_not_found(db: Database) -> None:
    build(db, status="draft")
    with db.session() as session:
        for funnel, step, owner in (("launch", "grow", False), ("nope", "grow", True),
                                    ("launch", "nope", True)):  # fmt: skip
            with pytest.raises(NotFound):
                service.view_step(session, SECRET, funnel, step, {}, day=DAY, owner=owner)
        shown = service.view_step(session, SECRET, "launch", "grow", {}, day=DAY, owner=True,
                                  count=False, variant_name="B")  # fmt: skip
        assert shown.variant.headline == "Grow faster"


def test_spend_is_replaced_per_day_campaign_and_source_and_the_report_measures_it(
    db: Database,
) -> None:
    built = build(db)
    csv = ["day,campaign,source,amount,currency\n", "2026-12-01,Cold,fb,100.00,USD\n",
           "2026-12-02,Cold,fb,50.00,USD\n"]  # fmt: skip
    with db.session() as session:
        assert service.import_spend(session, built.funnel_id, read_spend_csv(csv)) == 2
        again = read_spend_csv([csv[0], "2026-12-01,Cold,fb,80.00,USD\n"])
        assert service.import_spend(session, built.funnel_id, again) == 1
        bad = read_spend_csv([csv[0], "2026-12-03,Cold,fb,oops,USD\n", "2026-12-04,C,fb,1,USD\n"])
        with pytest.raises(service.SpendRefused) as refused:
            service.import_spend(session, built.funnel_id, bad)
        assert (refused.value.line, refused.value.field) == (2, "amount")
        with pytest.raises(InputError) as mixed:
            service.import_spend(
                session, built.funnel_id, read_spend_csv([csv[0], "2026-12-05,C,fb,1,EUR\n"])
            )
        assert mixed.value.field == "currency"
    _view(db, "grow", {})
    with db.session(writer=False) as session:
        found = queries.report(session, built.funnel_id, date(2026, 12, 1), date(2026, 12, 31))
        assert found is not None
        assert found.currency == "USD"
        assert found.total.ad_spend == Decimal("130.00")
        assert found.total.visitors == 1
        assert found.total.liquidation_ratio == Decimal("0.0000")
        assert [s.key for s in found.by_day] == ["2026-12-01", "2026-12-02"]
        assert any("not liquidated yet" in note for note in found.total.notes)
        empty = queries.report(session, built.funnel_id, date(2025, 1, 1), date(2025, 1, 2))
        assert empty is not None
        assert empty.total.liquidation_ratio is None
        assert any("no ad spend" in note for note in empty.total.notes)


def test_a_sale_through_the_order_step_moves_revenue_and_the_liquidation_ratio(
    db: Database,
) -> None:
    from datetime import UTC, datetime

    from evergreen.commerce import service as commerce
    from tests.conftest import TEST_SECRET

    built = build(db)
    today = datetime.now(UTC)
    with db.session() as session:
        commerce.add_price(session, built.product_id, commerce.PriceDraft("USD", "40.00"))
        commerce.set_status(session, built.product_id, "active")
        spend = read_spend_csv(
            ["day,campaign,source,amount,currency\n", f"{today.date()},Cold,fb,80.00,USD\n"]
        )
        service.import_spend(session, built.funnel_id, spend)
        for variant, nonce in (("A", "n" * 16), (None, "m" * 16)):  # the second: no funnel
            data = commerce.CheckoutInput(
                slug="course", currency="USD", email="bea@example.com", nonce=nonce,
                funnel_id=built.funnel_id if variant else None,
                step_id=built.order_id if variant else None, variant=variant,
            )  # fmt: skip
            order = commerce.start_checkout(session, None, data, today).order
            commerce.mark_manual_paid(session, order.id, TEST_SECRET, today)
    with db.session(writer=False) as session:
        found = queries.report(session, built.funnel_id, today.date(), today.date())
        assert found is not None
        revenue = {(line.step.id, line.variant.name): line.revenue for line in found.lines}
        assert revenue[(built.order_id, "A")] == Decimal("40.00")
        assert sum(revenue.values()) == Decimal("40.00")  # the sale outside the funnel: not here
        assert found.total.liquidation_ratio == Decimal("0.5000")


def test_an_edit_without_an_address_keeps_the_funnels_and_the_steps(db: Database) -> None:
    """A rename sent without `slug` (an API caller's PUT) made a new address from the new name,
    breaking every link to the live funnel; a new funnel still gets one from its name."""
    built = build(db)
    with db.session() as session:
        before = queries.funnel_card(session, built.funnel_id)
        assert before is not None
        address = before.funnel.slug
        service.update_funnel(session, built.funnel_id, service.FunnelDraft("Course launch"))
        service.update_step(
            session, built.funnel_id, built.sales_id, service.StepDraft("sales", "Grow faster")
        )
        after = queries.funnel_card(session, built.funnel_id)
        assert after is not None
        assert after.funnel.slug == address == "launch"
        assert after.funnel.name == "Course launch"
        assert after.steps[0][0].slug == "grow"
        assert service.add_funnel(session, service.FunnelDraft("Fresh start")).slug == "fresh-start"


def test_an_optin_step_may_name_only_its_sign_up_form(db: Database) -> None:
    """The form names the lists a sign-up joins: asking for a list as well was refused with a
    422 on list_id though the step's page only ever links to the form."""
    built = build(db)
    with db.session() as session:
        news = audience.create_list(session, "News", double_opt_in=False).id
        audience.forms.create_form(
            session, audience.forms.FormInput("News", "join", [news], "Yes, mail me.")
        )
        step = service.add_step(
            session, built.funnel_id, service.StepDraft("optin", "Join", form_slug="join")
        )
        assert (step.form_slug, step.list_id) == ("join", None)
        with pytest.raises(InputError) as refused:
            service.add_step(session, built.funnel_id, service.StepDraft("optin", "Empty"))
        assert refused.value.field == "list_id"


def test_spend_imported_again_in_another_letter_case_replaces_itself(db: Database) -> None:
    built = build(db)
    head = "day,campaign,source,amount,currency\n"
    with db.session() as session:
        first = read_spend_csv([head, "2026-11-20,Promo,facebook,40.00,USD\n"])
        service.import_spend(session, built.funnel_id, first)
        # Stored before matching ignored case: the same spend twice, in two spellings.
        session.add(AdSpend(funnel_id=built.funnel_id, day=date(2026, 11, 20), campaign="PROMO",
                            source="facebook", amount_cents=4000, currency="USD"))  # fmt: skip
        session.flush()
        lines = ["2026-11-20,promo,Facebook,40.00,USD\n", "2026-11-21,Été,FB,5.00,USD\n",
                 "2026-11-21,ÉTÉ,fb,6.00,USD\n"]  # fmt: skip
        again = read_spend_csv([head, *lines])
        assert service.import_spend(session, built.funnel_id, again) == 2
    with db.session(writer=False) as session:
        rows = session.scalars(select(AdSpend).order_by(AdSpend.day)).all()
        assert [(r.day.day, r.campaign, r.source, r.amount_cents) for r in rows] == [
            (20, "Promo", "facebook", 4000), (21, "Été", "FB", 600),
        ]  # fmt: skip
        found = queries.report(session, built.funnel_id, date(2026, 11, 1), date(2026, 11, 30))
        assert found is not None
        assert found.total.ad_spend == Decimal("46.00")
