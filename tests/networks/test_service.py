"""Affiliate income through the real services on SQLite and PostgreSQL: postbacks, matching to
clicks, report imports and the earnings figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service as networks
from evergreen.networks.models import EarningEvent, Network, NetworkEarning
from evergreen.networks.queries import earnings
from evergreen.networks.rules import NetworkRuleError

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CLICK = "a" * 32


def _network(session: Session) -> Network:
    network, secret = networks.create_network(session, "Impact")
    assert len(secret) >= 32
    links.create_link(
        session,
        LinkDraft(destination="https://shop.example/", slug="amz", kind="affiliate",
                  channel="blog"),
    )  # fmt: skip
    networks.assign_link(session, network, "amz")
    return network


def _click(session: Session, click_id: str, sub1: str, visitor: str) -> None:
    link = links.get_link(session, "amz")
    record = {"id": click_id, "l": link.id, "t": T0.timestamp(), "v": visitor, "ua": UA,
              "q": {"sub1": sub1}}  # fmt: skip
    assert ingest_records(session, [record], ClickPolicy()) == 1


def _pb(
    order: str, status: str = "pending", click: str = CLICK, payout: str = "12.50"
) -> dict[str, str]:
    return {"oid": order, "subid": click, "amount": "100", "payout": payout, "status": status}


def test_a_replayed_postback_is_one_earning(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        ids = {networks.receive_postback(session, network, _pb("o1"), T0).earning.id  # type: ignore[union-attr]
               for _ in range(100)}  # fmt: skip
        assert len(ids) == 1
        assert session.scalar(select(func.count()).select_from(NetworkEarning)) == 1
        assert session.scalar(select(func.count()).select_from(EarningEvent)) == 1


def test_statuses_move_by_postback_and_reversed_is_final(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        for status in ("pending", "approved", "pending", "reversed", "approved"):
            networks.receive_postback(session, network, _pb("o1", status), T0)
        earning = session.scalars(select(NetworkEarning)).one()
        assert earning.status == "reversed"
        assert "final" in earning.note
        moves = session.scalars(select(EarningEvent.to_status).order_by(EarningEvent.id)).all()
        assert moves == ["pending", "approved", "reversed"]


def test_a_matched_sale_shows_by_sub_id_and_link_with_epc(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        _click(session, CLICK, "post-42", "v1")
        _click(session, "b" * 32, "post-42", "v2")
        got = networks.receive_postback(session, network, _pb("o1", "approved"), T0)
        assert got.matched
        assert got.earning is not None
        assert got.earning.sub == {"sub1": "post-42"}
        assert got.earning.link_id is not None
        networks.receive_postback(session, network, _pb("o2", click="b" * 32), T0)
        day = T0.date()
        (by_sub,) = [r.to_dict() for r in earnings(session, "sub1", day, day)]
        assert by_sub["key"] == "post-42"
        assert by_sub["clicks"] == 2
        assert by_sub["approved"] == "12.50"
        assert by_sub["pending"] == "12.50"
        assert by_sub["epc"] == "12.50"
        assert by_sub["conversion_rate"] == "100.00"
        (by_link,) = [r.to_dict() for r in earnings(session, "link", day, day)]
        assert by_link["key"] == "amz"
        assert by_link["earnings"] == "25.00"
        (by_channel,) = [r.to_dict() for r in earnings(session, "channel")]
        assert by_channel["key"] == "blog"
        assert earnings(session, "link", day + timedelta(days=1)) == []
        with pytest.raises(NetworkRuleError):
            earnings(session, "colour")


def test_clicks_without_the_sub_id_count_under_none_by_sub_id(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        _click(session, CLICK, "post-42", "v1")
        link = links.get_link(session, "amz")
        for n in range(3):  # no sub1: only the link's "all" rollup counts them
            record = {"id": f"{n}" * 32, "l": link.id, "t": T0.timestamp(), "v": f"w{n}", "ua": UA}
            assert ingest_records(session, [record], ClickPolicy()) == 1
        networks.receive_postback(session, network, _pb("o1", "approved", click="0" * 32), T0)
        day = T0.date()
        by_sub = {r.key: r.to_dict() for r in earnings(session, "sub1", day, day)}
        assert set(by_sub) == {"(none)", "post-42"}
        assert (by_sub["(none)"]["clicks"], by_sub["(none)"]["epc"]) == (3, "4.17")
        assert (by_sub["post-42"]["clicks"], by_sub["post-42"]["earnings"]) == (1, "0.00")
        (by_link,) = [r.to_dict() for r in earnings(session, "link", day, day)]
        assert by_link["clicks"] == sum(row["clicks"] for row in by_sub.values()) == 4


def test_unmatched_and_unreadable_postbacks_are_kept(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        got = networks.receive_postback(session, network, _pb("o1", click="nope"), T0)
        assert got.stored
        assert not got.matched
        assert got.earning is not None
        assert "matches no click" in got.earning.note
        bad = networks.receive_postback(session, network, _pb("o2", payout="-3"), T0)
        assert bad.stored
        assert bad.earning is not None
        assert not bad.earning.valid
        assert bad.earning.raw["payout"] == "-3"
        assert "commission" in bad.earning.note
        again = networks.receive_postback(session, network, {"junk": "1"}, T0)
        twice = networks.receive_postback(session, network, {"junk": "1"}, T0)
        assert again.earning is not None
        assert twice.earning is not None
        assert again.earning.id == twice.earning.id
        fixed = networks.receive_postback(session, network, _pb("o2"), T0)
        assert fixed.earning is not None
        assert fixed.earning.id == bad.earning.id
        assert fixed.earning.valid
        assert fixed.earning.commission == Decimal("12.50")
        (row,) = earnings(session, "link")
        assert row.key == "(unmatched)"
        assert row.conversions == 2
        assert not networks.receive_postback(session, network, {}, T0).stored


def test_report_import_is_idempotent_and_names_bad_lines(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        _click(session, CLICK, "mail", "v1")
        networks.save_report_mapping(
            session, network,
            {"order_id": "Order", "commission": "Earned", "status": "State", "date": "Day",
             "click_id": "SubId", "currency": "Cur"},
        )  # fmt: skip
        report = (
            "Order,Earned,State,Day,SubId,Cur\n"
            f"r1,5.00,pending,2026-03-10,{CLICK},USD\n"
            "r2,7.00,pending,2026-02-01,,USD\n"
            "r3,oops,pending,2026-03-10,,USD\n"
        )
        first = networks.import_report(session, network, report, T0)
        assert (first.created, first.updated) == (2, 0)
        assert first.errors == [(4, "commission", "'oops' is not a number like 12.50")]
        approved = report.replace("r1,5.00,pending", "r1,5.00,approved")
        second = networks.import_report(session, network, approved, T0)
        assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
        assert session.scalar(select(func.count()).select_from(NetworkEarning)) == 2
        months = {r.key: r for r in earnings(session, "month")}
        assert months["2026-03"].approved == Decimal("5.00")
        assert months["2026-03"].clicks == 1
        assert months["2026-02"].pending == Decimal("7.00")
        missing = networks.import_report(session, network, "a,b\n1,2\n", T0)
        assert missing.errors
        assert missing.errors[0][0] == 1


def test_a_report_the_csv_reader_refuses_is_named_not_a_crash(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        huge = "x" * 200_000  # past the csv module's field limit (131,072 characters)
        report = f"order_id,commission\nr1,5.00\nr2,{huge}\nr3,6.00\n"
        result = networks.import_report(session, network, report, T0)
        assert result.created == 1
        assert result.errors[0][:2] == (3, "file")
        assert "not valid CSV" in result.errors[0][2]
        header = networks.import_report(session, network, f"{huge},b\n1,2\n", T0)
        assert header.errors[0][:2] == (1, "file")
        assert session.scalar(select(func.count()).select_from(NetworkEarning)) == 1


def test_networks_and_links_are_checked(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        with pytest.raises(networks.NetworkNameTaken, match="already exists"):
            networks.create_network(session, "Impact")
        links.create_link(session, LinkDraft(destination="https://me.example/", slug="mine"))
        with pytest.raises(NetworkRuleError, match="affiliate"):
            networks.assign_link(session, network, "mine")
        with pytest.raises(NetworkRuleError, match="no link"):
            networks.assign_link(session, network, "ghost")


@pytest.mark.parametrize(
    ("payout", "why"),
    [("1,234", "ambiguous"), ("12.34567", "decimal places"), ("1" * 16, "15 digits")],
)
def test_postbacks_whose_amount_is_not_exact_are_kept_for_review(
    db: Database, payout: str, why: str
) -> None:
    with db.session() as session:
        network = _network(session)
        got = networks.receive_postback(session, network, _pb("o1", payout=payout), T0)
        assert got.stored
        assert got.earning is not None
        assert not got.earning.valid  # left out of every figure, shown for review
        assert got.earning.commission == 0
        assert got.earning.raw["payout"] == payout
        assert why in got.earning.note
        assert earnings(session, "link") == []


def test_separated_postback_amounts_are_stored_in_full(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        got = networks.receive_postback(session, network, _pb("o1", payout="1.234,50"), T0)
        assert got.earning is not None
        assert got.earning.valid
        assert got.earning.commission == Decimal("1234.50")


def test_an_unreadable_update_of_a_stored_sale_is_noted_on_it(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        first = networks.receive_postback(session, network, _pb("o1"), T0)
        update = networks.receive_postback(
            session, network, _pb("o1", status="approved", payout="1,234"), T0
        )
        assert not update.stored
        assert first.earning is not None
        assert first.earning.commission == Decimal("12.50")  # not overwritten by a guess
        assert first.earning.status == "pending"
        assert "could not be read" in first.earning.note
        assert "ambiguous" in first.earning.note
