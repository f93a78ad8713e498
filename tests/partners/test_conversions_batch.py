"""The batch path against the single path, on SQLite and PostgreSQL: the same conversions,
customers, commissions, history and webhook deliveries for a random mix of events; replays,
refusals naming the event, and the batch route over HTTP."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.links.models import Click
from evergreen.models import metadata
from evergreen.partners import service
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
    Conversion,
    Customer,
    Partner,
    Program,
    TermsVersion,
    WebhookDelivery,
    WebhookEndpoint,
)
from evergreen.partners.rules import EventType, PartnerRuleError
from evergreen.partners.service import conversions_batch
from evergreen.partners.service.conversions import ConversionIn, Recorded, record_conversion
from evergreen.partners.service.conversions_batch import record_conversions
from evergreen.partners.service.webhooks import add_endpoint
from tests.http_helpers import token_for

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
HOURS = 400  # the mix's events happen an hour apart from T0
PARTNERS = {  # name: (email, group, status, coupon); rex recruited ana and vic
    "rex": ("rex@example.com", "", "active", "rex1"),
    "ana": ("ana@blog.example", "", "active", "ana10"),
    "vic": ("vic@gmail.com", "vip", "active", "vic5"),
    "sam": ("sam@example.com", "", "suspended", "sam1"),
    "pat": ("pat@example.com", "", "pending", "pat1"),
}
EMAILS = ["", "", "", "a@example.com", "b@example.com", "x@mailinator.com", "ana@blog.example",
          "V.I.C+a@gmail.com"]  # fmt: skip
COUPONS = ["", "", "", "ana10", " VIC5 ", "SAM1", "PAT1", "NOPE", "  "]


def _world(session: Session) -> None:
    """Terms with a recruiter share and a later version, a VIP group, partners of every status,
    their links and coupons, clicks of every kind, and a webhook subscriber."""
    program = service.default_program(session)
    draft = service.TermsDraft
    for terms in (
        draft("percent", Decimal("30"), "payments", 3, recruiter_rate=Decimal("10"),
              effective_from=T0 - timedelta(days=365)),
        draft("percent", Decimal("20"), "payments", 3, recruiter_rate=Decimal("10"),
              effective_from=T0 + timedelta(days=6)),
        draft("flat", Decimal("5"), "lifetime", lead_amount=Decimal("2"), group="vip",
              effective_from=T0 - timedelta(days=365)),
    ):  # fmt: skip
        service.add_terms(session, program, terms)
    ids: dict[str, int] = {}
    for name, (email, group, status, coupon) in PARTNERS.items():
        partner = service.create_partner(
            session, program, name=name, email=email, group=group, status=status,
            recruited_by_id=ids.get("rex") if name in ("ana", "vic") else None,
        )  # fmt: skip
        ids[name] = partner.id
        service.add_coupon(session, partner, coupon)
    session.get_one(Partner, ids["vic"]).visitors = ["vis-vic"]
    link_ids = {}
    for name in [*PARTNERS, "free"]:
        link = links.create_link(
            session, LinkDraft(destination=f"https://shop.example/{name}", slug=f"l-{name}")
        ).link
        link_ids[name] = link.id
        if name in PARTNERS:
            service.assign_link(session, session.get_one(Partner, ids[name]), link.slug)
    clicks = [
        (f"c-{name}-{i}", name, T0 - timedelta(days=2), "vis-vic" if i == 0 else f"vis-{i}",
         "human")
        for name in link_ids for i in range(4)
    ]  # fmt: skip
    clicks += [(f"old-{i}", "ana", T0 - timedelta(days=40), "vis-o", "human") for i in range(3)]
    clicks += [(f"flood-{i}", "vic", T0 - timedelta(days=1), "vis-f", "flood") for i in range(3)]
    for k in range(HOURS):
        moment = T0 + timedelta(hours=k)
        clicks.append((f"fast-{k}", "ana", moment - timedelta(seconds=4), "vis-q", "human"))
        clicks.append((f"late-{k}", "rex", moment + timedelta(minutes=1), "vis-l", "human"))
    for click_id, name, at, visitor, klass in clicks:
        session.add(
            Click(click_id=click_id, link_id=link_ids[name], at=at, visitor=visitor, klass=klass)
        )
    add_endpoint(session, program, "https://hooks.example/evergreen", ["commission.created"])
    add_endpoint(session, program, "https://other.example/hook", ["commission.paid"])


def _customer(rng: random.Random) -> str:
    """A few loyal customers buy again and again (and repeat within a batch), most once or twice."""
    return f"cus-{rng.randrange(8)}" if rng.random() < 0.2 else f"cus-{rng.randrange(8, 200)}"


def _mix(seed: int, count: int = 320) -> list[list[ConversionIn]]:
    """A reproducible mix, cut into batches, that never breaks a rule (so it can be replayed
    one by one): sales first, renewals after, refunds only of what is left of a sale."""
    rng = random.Random(seed)
    events: list[ConversionIn] = []
    payments: dict[str, int] = {}
    sales: dict[str, Decimal] = {}  # order ID -> amount of sales and renewals
    refunded: dict[str, Decimal] = {}
    leads: list[str] = ["k-missing"]  # orders that no sale has: refunds of them are kept aside
    for k in range(count):
        moment = T0 + timedelta(hours=k)
        roll = rng.random()
        if events and roll < 0.1:  # a replay, with other values even: it changes nothing
            events.append(replace(rng.choice(events), amount=Decimal("1.00")))
            continue
        key = f"k{k}"
        if roll < 0.22:
            open_orders = [o for o, amount in sales.items() if refunded.get(o, 0) < amount]
            order = rng.choice([*open_orders, *open_orders, rng.choice(leads)])
            left = sales.get(order, Decimal(100)) - refunded.get(order, Decimal(0))
            amount = rng.choice([left, (left / 2).quantize(Decimal("0.01")), Decimal("0.01")])
            refunded[order] = refunded.get(order, Decimal(0)) + amount
            undo = rng.choice([EventType.REFUND, EventType.CHARGEBACK])
            events.append(
                ConversionIn(key, undo, amount, "USD", _customer(rng), moment, order_id=order)
            )
            continue
        ancient = roll < 0.26  # before any terms: attributed by coupon, but nothing is owed
        customer = f"old-{rng.randrange(3)}" if ancient else _customer(rng)
        when = moment - timedelta(days=400) if ancient else moment
        if roll < 0.33:
            event = EventType.LEAD
            leads.append(key)
        else:
            event = EventType.RENEWAL if payments.get(customer) else EventType.SALE
            payments[customer] = payments.get(customer, 0) + 1
        amount = Decimal(rng.choice(["49.00", "19.99", "120.00", "0.50"]))
        click = rng.choice(
            ["", "", f"c-{rng.choice([*PARTNERS, 'free'])}-{rng.randrange(4)}", "nope",
             f"old-{rng.randrange(3)}", f"flood-{rng.randrange(3)}", f"fast-{k}", f"late-{k}"]
        )  # fmt: skip
        if event is not EventType.LEAD:
            sales[key] = amount
            if rng.random() < 0.1:  # a refund that arrives before its sale: kept for review
                refunded[key] = early = (amount / 4).quantize(Decimal("0.01"))
                events.append(
                    ConversionIn(f"{key}-early", EventType.REFUND, early, "USD", customer, when,
                                 order_id=key)
                )  # fmt: skip
        events.append(
            ConversionIn(
                key, event, amount, rng.choice(["USD", "usd"]), customer, when,
                customer_email=rng.choice(EMAILS), order_id=key, click_id=click,
                coupon="ana10" if ancient else rng.choice(COUPONS),
                customer_visitor=rng.choice(["", "", "", "vis-vic"]),
            )
        )  # fmt: skip
    cuts = [0, 40, 130, 140, 230, len(events)]
    return [events[a:b] for a, b in pairwise(cuts)]


def _pay_some(session: Session) -> None:
    """Mark some commissions paid (chosen by key), so later refunds claw back."""
    rows = session.scalars(
        select(Commission)
        .join(Conversion, Commission.conversion_id == Conversion.id)
        .where(
            Conversion.idempotency_key.regexp_match("[13579]$"),
            Commission.status.in_(["pending", "on_hold"]),
        )
    )
    for row in rows:
        row.status = "paid"


def _wipe(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


_INACTIVE = re.compile(r"^partner (\d+) is not active$")
_BONUS = re.compile(r"^recruiter bonus on commission \d+$")


def _note(note: str, partners: dict[int, str]) -> str:
    """A conversion's note with a partner id (which differs between databases) as its email."""
    return _INACTIVE.sub(lambda m: f"partner {partners[int(m[1])]} is not active", note)


class _Names:
    """Row ids as names that are the same in both databases (ids are not)."""

    def __init__(self, session: Session) -> None:
        self.partner = {p.id: p.email for p in session.scalars(select(Partner))}
        self.terms = {t.id: (t.group, t.version) for t in session.scalars(select(TermsVersion))}
        self.customer = {c.id: c.external_id for c in session.scalars(select(Customer))}
        self.key = {c.id: c.idempotency_key for c in session.scalars(select(Conversion))}
        self.rows = {c.id: c for c in session.scalars(select(Commission))}

    def commission(self, commission_id: int | None) -> Any:
        if commission_id is None:
            return None
        row = self.rows[commission_id]
        return (self.key[row.conversion_id], row.kind, self.commission(row.parent_id))

    def of(self, row: Commission) -> tuple[Any, ...]:
        reason = row.reason
        if row.kind == "recruiter_bonus":
            assert reason == f"recruiter bonus on commission {row.parent_id}"
            reason = "recruiter bonus"
        return (
            self.partner[row.partner_id], self.customer.get(row.customer_id or 0),
            self.terms.get(row.terms_id or 0), row.amount, row.currency, row.status, reason,
            row.attribution_rule, tuple(row.hold_reasons),
        )  # fmt: skip


def _snapshot(session: Session) -> dict[str, Any]:
    """Every row the conversions wrote, keyed and described without ids or timestamps."""
    names = _Names(session)
    conversions = {
        c.idempotency_key: (
            c.event, c.amount, c.currency, names.customer.get(c.customer_id or 0), c.order_id,
            c.click_id, c.coupon, names.partner.get(c.partner_id or 0), c.status,
            _note(c.note, names.partner),
            c.occurred_at,
        )
        for c in session.scalars(select(Conversion))
    }  # fmt: skip
    customers = {
        c.external_id: (
            c.email, names.partner.get(c.partner_id or 0), names.terms.get(c.terms_id or 0),
            c.attributed_at, c.attribution_rule, c.payments,
        )
        for c in session.scalars(select(Customer))
    }  # fmt: skip
    commissions = {names.commission(i): names.of(row) for i, row in names.rows.items()}
    assert len(commissions) == len(names.rows)
    history: dict[Any, list[tuple[Any, ...]]] = {}
    for e in session.scalars(select(CommissionEvent).order_by(CommissionEvent.id)):
        history.setdefault(names.commission(e.commission_id), []).append(
            (e.actor, e.action, e.from_status, e.to_status, e.amount, e.note)
        )
    urls = {e.id: e.url for e in session.scalars(select(WebhookEndpoint))}
    deliveries = set()
    for d in session.scalars(select(WebhookDelivery)):
        commission_id = int(d.event_id.rsplit(":", 1)[1])
        assert d.payload["id"] == d.event_id
        assert d.payload["data"]["id"] == commission_id
        data = tuple(sorted((k, v) for k, v in d.payload["data"].items() if k != "id"))
        data = tuple((k, names.partner[v] if k == "partner_id" else v) for k, v in data)
        data = tuple((k, _BONUS.sub("recruiter bonus", v) if k == "reason" else v) for k, v in data)
        deliveries.add((urls[d.endpoint_id], d.event_type, names.commission(commission_id), data))
    return {
        "conversions": conversions,
        "customers": customers,
        "commissions": commissions,
        "history": history,
        "deliveries": deliveries,
    }


def _describe(session: Session, result: Recorded) -> tuple[Any, ...]:
    partners = {p.id: p.email for p in session.scalars(select(Partner))}
    conversion = result.conversion
    return (
        conversion.idempotency_key, conversion.status, _note(conversion.note, partners),
        partners.get(conversion.partner_id or 0), result.duplicate,
        [
            (c.kind, c.amount, c.currency, c.status, c.attribution_rule, tuple(c.hold_reasons),
             partners[c.partner_id])
            for c in result.commissions
        ],
    )  # fmt: skip


Recorder = Callable[[Session, list[ConversionIn]], list[Recorded]]


def _batched(session: Session, events: list[ConversionIn]) -> list[Recorded]:
    return record_conversions(session, service.default_program(session), events, actor="api")


def _one_by_one(session: Session, events: list[ConversionIn]) -> list[Recorded]:
    program = service.default_program(session)
    return [record_conversion(session, program, e, actor="api") for e in events]


def _run(db: Database, batches: list[list[ConversionIn]], recorder: Recorder) -> Any:
    with db.session() as session:
        _world(session)
    seen = []
    for batch in batches:
        with db.session() as session:
            results = recorder(session, batch)
            seen.append([_describe(session, r) for r in results])
        with db.session() as session:
            _pay_some(session)
    with db.session() as session:
        return seen, _snapshot(session)


def test_a_batch_stores_exactly_what_one_by_one_does(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _mix(seed=11)
    # Twice over: the second pass replays every event of the first.
    batches += [list(batch) for batch in batches]
    single_path = []

    def counted(*args: Any, **kwargs: Any) -> Recorded:
        single_path.append(args[2])
        return record_conversion(*args, **kwargs)

    monkeypatch.setattr(conversions_batch, "record_conversion", counted)
    batched = _run(db, batches, _batched)
    _wipe(db)
    reference = _run(db, batches, _one_by_one)
    assert batched[0] == reference[0]  # what each call returned
    for table, rows in reference[1].items():
        assert batched[1][table] == rows, table
    # The mix covers what it should, and most new events took the bulk path.
    snapshot = reference[1]
    statuses = {row[8] for row in snapshot["conversions"].values()}
    assert statuses == {"attributed", "unattributed", "applied"}
    kinds = {key[1] for key in snapshot["commissions"]}
    assert kinds == {"commission", "recruiter_bonus", "clawback"}
    notes = {row[9] for row in snapshot["conversions"].values()}
    assert "partner sam@example.com is not active" in notes
    assert "the partner's group has no commission terms" in notes
    assert "outside the commission duration of the customer's terms" in notes
    assert any(row[-1] for row in snapshot["commissions"].values())  # held for fraud
    assert any(row[4] for batch in batched[0] for row in batch)  # duplicates reported
    assert snapshot["deliveries"]
    assert len(snapshot["conversions"]) - len(single_path) >= 100  # decided in bulk


def _fresh(session: Session) -> tuple[Any, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Conversion, Customer, Commission, CommissionEvent, WebhookDelivery)
    )


def test_replaying_a_batch_creates_nothing_and_reports_every_event(db: Database) -> None:
    (batch, *_) = _mix(seed=3)
    with db.session() as session:
        _world(session)
    with db.session() as session:
        first = _batched(session, batch)
    with db.session() as session:
        before = _fresh(session)
        again = _batched(session, batch)
        assert _fresh(session) == before
    assert all(r.duplicate for r in again)
    assert [r.conversion.id for r in again] == [r.conversion.id for r in first]
    assert all(r.commissions == [] for r in again)


def _sale(index: int, **fields: Any) -> ConversionIn:
    values: dict[str, Any] = {
        "idempotency_key": f"o{index}", "event": EventType.SALE, "amount": Decimal("49.00"),
        "currency": "USD", "customer_id": f"cus-{index}", "occurred_at": T0,
        "coupon": "ANA10", "order_id": f"o{index}",
    }  # fmt: skip
    values.update(fields)
    return ConversionIn(**values)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"currency": "EUR"}, "events.3.currency"),
        ({"occurred_at": datetime(2026, 1, 1)}, "events.3.occurred_at"),
        ({"event": EventType.RENEWAL, "customer_id": "new"}, "events.3.payment_number"),
        ({"event": EventType.REFUND, "order_id": "o0", "amount": Decimal(0)}, "events.3.refunded"),
    ],
)
def test_a_bad_event_refuses_the_batch_by_its_index(
    db: Database, bad: dict[str, Any], field: str
) -> None:
    with db.session() as session:
        _world(session)
    with db.session() as session:
        program = service.default_program(session)
        events = [_sale(i, **(bad if i == 3 else {})) for i in range(6)]
        events.append(_sale(9, currency="EUR"))  # a later mistake is not the one named
        with pytest.raises(PartnerRuleError) as info:
            record_conversions(session, program, events, actor="api")
        assert info.value.field == field
        assert _fresh(session)[:3] == (0, 0, 0)  # nothing of the batch is kept
        assert record_conversions(session, program, events[:3], actor="api")[2].commissions


def test_a_writer_racing_the_batch_cannot_break_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        _world(session)
    events = [_sale(i) for i in range(5)]
    lead = replace(events[2], event=EventType.LEAD)
    lookup = conversions_batch.stored_conversions
    raced: list[str] = []

    def racing(session: Session, program: Program, keys: Any) -> dict[str, Conversion]:
        found = lookup(session, program, keys)
        if db.engine.dialect.name == "sqlite":  # the batch holds the write lock: others wait
            other = sqlite3.connect(db.engine.url.database or "", timeout=0.1)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO spool_offsets (name, \"offset\") VALUES ('s', 1)")
            other.close()
            raced.append("waited")
        else:  # another request stores o2 just after the lookup: the insert collides
            with db.session() as other_session:
                record_conversion(
                    other_session, service.default_program(other_session), lead, actor="other"
                )
            raced.append("stored o2")
        return found

    monkeypatch.setattr(conversions_batch, "stored_conversions", racing)
    with db.session() as session:
        results = _batched(session, events)
    assert raced
    expected = [False, False, raced == ["stored o2"], False, False]
    assert [r.duplicate for r in results] == expected
    assert all(r.commissions for r in results if not r.duplicate)


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_the_batch_route_records_in_order_and_names_bad_events(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff, owner = _headers(db, people["staff"]), _headers(db, people["owner"])
    terms = {"kind": "percent", "rate": "25", "effective_from": "2025-01-01T00:00:00Z"}
    assert client.post("/api/v1/partners/terms", json=terms, headers=owner).status_code == 201
    partner = client.post(
        "/api/v1/partners",
        json={"name": "Ana", "email": "ana@blog.example", "status": "active"},
        headers=staff,
    ).json()
    client.post(f"/api/v1/partners/{partner['id']}/coupons", json={"code": "ana10"}, headers=staff)
    sale = {
        "idempotency_key": "order-1", "event": "sale", "amount": "100.00", "currency": "USD",
        "customer_id": "cus_1", "order_id": "order-1", "coupon": "ANA10",
        "occurred_at": "2026-03-01T10:00:00Z",
    }  # fmt: skip
    stray = {**sale, "idempotency_key": "order-2", "customer_id": "cus_2", "coupon": ""}
    body = {"events": [sale, stray, sale]}
    url = "/api/v1/partners/conversions/batch"
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=_headers(db, people["partner"])).status_code == 403
    created = client.post(url, json=body, headers=owner)
    assert created.status_code == 201, created.text
    first, second, third = created.json()["results"]
    assert (first["status"], first["duplicate"], len(first["commission_ids"])) == (
        "attributed", False, 1,
    )  # fmt: skip
    assert first["partner_id"] == partner["id"]
    assert (second["status"], second["commission_ids"]) == ("unattributed", [])
    assert (third["id"], third["duplicate"], third["commission_ids"]) == (first["id"], True, [])
    assert (created.json()["recorded"], created.json()["duplicates"]) == (2, 1)
    listed = client.get("/api/v1/partners/commissions", headers=staff).json()
    assert [c["id"] for c in listed] == first["commission_ids"]
    replay = client.post(url, json=body, headers=staff)
    assert replay.status_code == 200
    assert all(r["duplicate"] for r in replay.json()["results"])
    negative = client.post(url, json={"events": [stray, {**sale, "amount": "-5"}]}, headers=staff)
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["field"] == "events.1.amount"
    euro = {**sale, "idempotency_key": "order-3", "currency": "EUR"}
    wrong = client.post(url, json={"events": [stray, stray, euro]}, headers=staff)
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "events.2.currency"
    assert client.post(url, json={"events": []}, headers=staff).status_code == 422
    too_many = {"events": [{**stray, "idempotency_key": f"k{i}"} for i in range(1001)]}
    assert client.post(url, json=too_many, headers=staff).status_code == 422
    assert len(client.get("/api/v1/partners/commissions", headers=staff).json()) == 1
