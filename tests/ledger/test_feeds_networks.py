"""Network earnings post themselves to the ledger, through the real networks service and API,
on SQLite and PostgreSQL: pending kept out of the figures, approved counted, reversed taken
back, a corrected amount reposted; every replay (postback, report, sync, two sessions at once)
posts nothing new."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service as networks
from evergreen.networks.models import Network, NetworkEarning
from tests.cli_helpers import evergreen
from tests.http_helpers import token_for
from tests.ledger.journal_view import forget_ledger, income, journal, keys

D = Decimal

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SOLD = T0.date()
APPROVED = T0 + timedelta(days=26)  # 5 April
REVERSED = T0 + timedelta(days=53)  # 2 May
MARCH, APRIL, MAY = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30)), (
    date(2026, 5, 1), date(2026, 5, 31))  # fmt: skip
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
CLICK = "a" * 32
RECEIVABLE, EARNED = "Assets:Receivable:Networks", "Income:Commissions"


def _network(session: Session, name: str = "Impact", stream_id: int | None = None) -> Network:
    network, _secret = networks.create_network(session, name, stream_id=stream_id)
    links.create_link(
        session, LinkDraft(destination="https://shop.example/", slug="amz", kind="affiliate")
    )
    networks.assign_link(session, network, "amz")
    return network


def _click(session: Session, click_id: str = CLICK) -> None:
    link = links.get_link(session, "amz")
    record = {"id": click_id, "l": link.id, "t": T0.timestamp(), "v": "v1", "ua": UA, "q": {}}
    assert ingest_records(session, [record], ClickPolicy()) == 1


def _pb(order: str, status: str = "pending", payout: str = "12.50", currency: str = "USD"
        ) -> dict[str, str]:  # fmt: skip
    return {"oid": order, "subid": CLICK, "amount": "100", "payout": payout, "status": status,
            "currency": currency}  # fmt: skip


def _legs(amount: str, stream: str = "Impact") -> tuple[tuple[str, D, str, str], ...]:
    value = D(amount).normalize()
    return ((RECEIVABLE, value, "USD", stream), (EARNED, -value, "USD", stream))


def _earning_id(session: Session, order: str) -> int:
    return session.scalars(select(NetworkEarning.id).where(NetworkEarning.order_id == order)).one()


def test_a_postback_is_pending_then_counted_then_taken_back(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        _click(session)
        networks.receive_postback(session, network, _pb("o1"), T0)
        key = f"networks:earning:{_earning_id(session, 'o1')}"
        # The network had no stream: one is made for it at its first earning, and remembered.
        stream = session.get(Stream, network.stream_id)
        assert stream is not None
        assert (stream.name, stream.kind, stream.currency) == ("Impact", "affiliate", "USD")
        assert journal(session) == [(f"{key}:pending:1", SOLD, "!", _legs("12.50"))]
        assert income(session, *MARCH) == {"Impact": 0}  # pending: out of the figures
        for _ in range(3):  # the same postback again
            networks.receive_postback(session, network, _pb("o1"), T0 + timedelta(hours=1))
        assert len(journal(session)) == 1

        networks.receive_postback(session, network, _pb("o1", "approved"), APPROVED)
        networks.receive_postback(session, network, _pb("o1", "approved"), APPROVED)
        assert journal(session)[1:] == [
            (f"reversal:{key}:pending:1", SOLD, "!", _legs("-12.50")),
            (f"{key}:approved:2", SOLD, "*", _legs("12.50")),
        ]
        assert income(session, *MARCH) == {"Impact": D("12.50")}  # earned on the sale's day
        assert income(session, *APRIL) == {"Impact": 0}

        networks.receive_postback(session, network, _pb("o1", "reversed"), REVERSED)
        networks.receive_postback(session, network, _pb("o1", "reversed"), REVERSED)
        networks.receive_postback(session, network, _pb("o1", "approved"), REVERSED)  # final
        assert journal(session)[3:] == [
            (f"reversal:{key}:approved:2", REVERSED.date(), "*", _legs("-12.50"))
        ]
        assert income(session, *MARCH) == {"Impact": D("12.50")}  # a closed month stays
        assert income(session, *MAY) == {"Impact": D("-12.50")}
        assert income(session, *YEAR) == {"Impact": 0}
        assert len(session.scalars(select(Stream)).all()) == 1


def test_report_imports_post_once_and_repost_a_corrected_amount(db: Database) -> None:
    with db.session() as session:
        network = _network(session)
        networks.save_report_mapping(
            session, network,
            {"order_id": "Order", "commission": "Earned", "status": "State", "date": "Day",
             "currency": "Cur"},
        )  # fmt: skip
        report = "Order,Earned,State,Day,Cur\nr1,5.00,pending,2026-03-10,USD\n"
        report += "r2,7.00,approved,2026-03-12,USD\nr3,9.00,approved,2026-03-14,EUR\n"
        for _ in range(2):  # the same report twice
            networks.import_report(session, network, report, T0)
        r1, r2 = _earning_id(session, "r1"), _earning_id(session, "r2")
        assert keys(session) == [f"networks:earning:{r1}:pending:1",
                                 f"networks:earning:{r2}:approved:1"]  # fmt: skip
        assert income(session, *MARCH) == {"Impact": D("7.00")}

        corrected = report.replace("r1,5.00,pending", "r1,5.50,approved").replace("7.00", "6.00")
        for _ in range(2):
            result = networks.import_report(session, network, corrected, APPROVED)
        assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
        assert keys(session)[2:] == [
            f"reversal:networks:earning:{r1}:pending:1", f"networks:earning:{r1}:approved:2",
            f"reversal:networks:earning:{r2}:approved:1", f"networks:earning:{r2}:approved:2",
        ]  # fmt: skip
        # A corrected amount is restated on the sale's day: March holds 5.50 + 6.00.
        assert journal(session)[5] == (
            f"networks:earning:{r2}:approved:2",
            date(2026, 3, 12),
            "*",
            _legs("6.00"),
        )
        assert income(session, *MARCH) == {"Impact": D("11.50")}
        assert income(session, *APRIL) == {"Impact": 0}

        # The euro sale is kept out of the dollar stream, with the reason shown for review.
        (skipped,) = ledger.unposted(session, "networks", network.id)
        assert skipped.origin == f"networks:earning:{_earning_id(session, 'r3')}"
        assert skipped.note.startswith("needs a price: EUR cannot be posted to the USD stream")


def test_a_sale_through_a_link_with_a_stream_counts_there(db: Database) -> None:
    with db.session() as session:
        blog = ledger.add_stream(session, ledger.StreamDraft("Blog", StreamKind.ARTICLES), SOLD)
        network = _network(session)
        links.update_link(
            session, "amz",
            LinkDraft(destination="https://shop.example/", kind="affiliate", stream_id=blog.id),
        )  # fmt: skip
        _click(session)
        networks.receive_postback(session, network, _pb("o1", "approved"), T0)
        assert journal(session)[0][3] == _legs("12.50", "Blog")
        assert network.stream_id is None  # nothing made: the sale had a stream
        assert income(session, *MARCH) == {"Blog": D("12.50")}


def _race(db: Database, network_id: int, params: dict[str, str], now: datetime) -> None:
    """The same postback in two sessions at the same moment."""
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(30)
            with db.session() as session:
                network = networks.get_network(session, network_id)
                networks.receive_postback(session, network, params, now)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures


def test_a_postback_delivered_twice_at_once_posts_once(db: Database) -> None:
    with db.session() as session:
        network_id = _network(session).id
    _race(db, network_id, _pb("o1"), T0)
    _race(db, network_id, _pb("o1", "approved"), APPROVED)
    with db.session() as session:
        key = f"networks:earning:{_earning_id(session, 'o1')}"
        assert keys(session) == [f"{key}:pending:1", f"reversal:{key}:pending:1",
                                 f"{key}:approved:2"]  # fmt: skip
        assert income(session, *MARCH) == {"Impact": D("12.50")}
        assert len(session.scalars(select(Stream)).all()) == 1


def test_postbacks_and_reports_over_http_post_once(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    with db.session() as session:
        stream_id = ledger.add_stream(
            session, ledger.StreamDraft("Deals", StreamKind.AFFILIATE), SOLD
        ).id
    created = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner).json()
    assert created["stream_id"] is None
    path = f"/api/v1/networks/{created['id']}"
    moved = client.put(f"{path}/stream", json={"stream_id": stream_id}, headers=owner)
    assert moved.status_code == 200
    assert moved.json()["stream_id"] == stream_id
    missing = client.put(f"{path}/stream", json={"stream_id": 999}, headers=owner)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "stream_id"
    sale = {
        "oid": "o1",
        "payout": "4.20",
        "status": "approved",
        "secret": created["postback_secret"],
    }
    for _ in range(2):
        assert client.get(f"{path}/postback", params=sale).json()["stored"] is True
    report = "order_id,commission,status\no2,3.00,approved\n"
    for _ in range(2):
        client.post(f"{path}/reports", content=report,
                    headers={**owner, "Content-Type": "text/csv"})  # fmt: skip
    with db.session() as session:
        assert len(journal(session)) == 2
        today = datetime.now(UTC).date()
        assert income(session, today, today) == {"Deals": D("7.20")}


def test_sync_posts_what_predates_the_ledger_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with db.session() as session:
        network = _network(session)
        _click(session)
        networks.receive_postback(session, network, _pb("o1"), T0)
        networks.receive_postback(session, network, _pb("o1", "approved"), APPROVED)
        networks.receive_postback(session, network, _pb("o1", "reversed"), REVERSED)
        networks.receive_postback(session, network, _pb("o2"), T0)
        networks.receive_postback(session, network, _pb("o2", "approved", "8.00"), APPROVED)
        networks.receive_postback(session, network, _pb("o3", "pending", "3.00"), T0)
        networks.receive_postback(session, network, _pb("o4", currency="EUR"), T0)
        fed_live = journal(session)
        forget_ledger(session)  # as if these had been stored before the ledger existed
        assert journal(session) == []
        assert networks.post_to_ledger(session, APPROVED.date()) == len(fed_live)
        # Each earning's history is replayed: the same entries, dates and keys as when live.
        assert journal(session) == fed_live
        assert networks.post_to_ledger(session, REVERSED.date()) == 0
        assert journal(session) == fed_live
        assert income(session, *MARCH) == {"Impact": D("20.50")}
        assert income(session, *MAY) == {"Impact": D("-12.50")}
        assert len(ledger.unposted(session, "networks", network.id)) == 1
        # Once the network counts in a euro stream, sync posts the euro sale there.
        euros = ledger.add_stream(
            session, ledger.StreamDraft("Impact EU", StreamKind.AFFILIATE, "EUR"), SOLD
        )
        networks.set_stream(session, network, euros.id)
        assert networks.post_to_ledger(session, REVERSED.date()) == 1
        assert income(session, *MARCH) == {"Impact": D("20.50"), "Impact EU": 0}
        assert ledger.unposted(session, "networks", network.id) == []
        total = len(journal(session))

    first = evergreen("ledger", "sync", data_dir=tmp_path, database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "Posted 0 transactions for network earnings" in first.stdout
    with db.session() as session:
        assert len(journal(session)) == total


def test_a_stream_made_for_a_network_takes_a_free_name(db: Database) -> None:
    with db.session() as session:
        ledger.add_stream(session, ledger.StreamDraft("Impact", StreamKind.ROYALTIES), SOLD)
        network = _network(session)
        networks.receive_postback(session, network, _pb("o1", "approved"), T0)
        made = session.get(Stream, network.stream_id)
        assert made is not None
        assert (made.name, made.kind) == ("Impact (2)", "affiliate")
        assert income(session, *MARCH) == {"Impact": 0, "Impact (2)": D("12.50")}
