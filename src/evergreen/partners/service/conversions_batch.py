"""Record many conversions in one transaction, exactly as recording them one by one would.

Events of different customers are independent: what a lead, sale or renewal earns depends only
on its own customer's payments and binding, and on clicks, coupons, partners and terms that no
conversion changes. So, once duplicates are set aside, an event goes through the single path
(`record_conversion`, in batch order) only when it can see another event of the batch: a refund
or chargeback, an event of a customer who appears more than once, or a sale of an order that a
refund in the batch points at. Every other event is looked up, decided and inserted in bulk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import lock_for_writing, utcnow
from evergreen.gc_pause import collector_paused
from evergreen.links.queries import SpooledClicks
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
    Conversion,
    Customer,
    Program,
    WebhookDelivery,
)
from evergreen.partners.rules import (
    CommissionDecision,
    ConversionIn,
    CustomerState,
    EventType,
    FraudRules,
    PartnerRuleError,
    check_event,
    decide_commission,
)
from evergreen.partners.service.commissioning import (
    attribution_of,
    bind,
    bonus_fields,
    commission_fields,
    conversion_fields,
    customer_state,
)
from evergreen.partners.service.conversions import Recorded, record_conversion
from evergreen.partners.service.conversions_lookup import Loaded, chunks, pairs, stored_conversions
from evergreen.partners.service.history import event_fields
from evergreen.partners.service.webhooks import commission_event, delivery_payload, subscribed

__all__ = ["record_conversions"]

_UNDO = (EventType.REFUND, EventType.CHARGEBACK)
_CREATED = "commission.created"


@dataclass
class _Plan:
    """Which events are replays, which go one by one, and which are decided in bulk."""

    stored: dict[int, Conversion] = field(default_factory=dict)  # replays of stored events
    repeats: dict[int, int] = field(default_factory=dict)  # repeat -> first index in the batch
    one_by_one: list[int] = field(default_factory=list)
    bulk: list[int] = field(default_factory=list)


def _plan(events: Sequence[ConversionIn], stored: dict[str, Conversion]) -> _Plan:
    """Set replays aside and split the new events into independent ones and the rest."""
    plan = _Plan()
    first: dict[str, int] = {}
    for index, data in enumerate(events):
        key = data.idempotency_key
        if key in stored:
            plan.stored[index] = stored[key]
        elif key in first:
            plan.repeats[index] = first[key]
        else:
            first[key] = index
    new = sorted(first.values())
    refunded = {events[i].order_id for i in new if events[i].event in _UNDO and events[i].order_id}
    customers = Counter(events[i].customer_id for i in new if events[i].event not in _UNDO)
    for index in new:
        data = events[index]
        shared = data.event in _UNDO or customers[data.customer_id] > 1
        (plan.one_by_one if shared or data.order_id in refunded else plan.bulk).append(index)
    return plan


@dataclass(slots=True)
class _NewCustomer:
    """A customer first seen in this batch: decided on first, inserted with the result."""

    external_id: str
    email: str
    id: int = 0
    state: CustomerState = field(default_factory=CustomerState)


def _customers(
    session: Session, program: Program, events: list[ConversionIn]
) -> tuple[dict[str, Customer | _NewCustomer], list[_NewCustomer]]:
    """Each event's customer by external ID, and which of them are new (not inserted yet)."""
    found: dict[str, Customer | _NewCustomer] = {}
    for chunk in chunks(sorted({e.customer_id for e in events})):  # locked in one order
        query = (
            select(Customer)
            .where(Customer.program_id == program.id, Customer.external_id.in_(chunk))
            .order_by(Customer.external_id)
            .with_for_update()  # as one by one: parallel events of a customer queue
            .execution_options(populate_existing=True)
        )
        found.update((row.external_id, row) for row in session.scalars(query))
    new = []
    for data in events:
        if data.customer_id not in found:
            customer = _NewCustomer(data.customer_id, data.customer_email.lower())
            found[data.customer_id] = customer
            new.append(customer)
    return found, new


def _state(customer: Customer | _NewCustomer) -> CustomerState:
    return customer.state if isinstance(customer, _NewCustomer) else customer_state(customer)


def _insert_customers(
    session: Session, program: Program, new: list[_NewCustomer], now: datetime
) -> None:
    """Insert the new customers (their ids are filled in); stored ones are flushed as updates."""
    if new:
        rows = [
            {
                "program_id": program.id, "external_id": c.external_id, "email": c.email,
                "partner_id": c.state.partner_id, "terms_id": c.state.terms_id,
                "attributed_at": c.state.attributed_at,
                "attribution_rule": c.state.attribution_rule, "payments": c.state.payments,
                "created_at": now,
            }
            for c in new
        ]  # fmt: skip
        # RETURNING rows come in no promised order (SQLite batches only then): match by key.
        statement = insert(Customer).returning(Customer.external_id, Customer.id)
        ids: dict[str, int] = dict(session.execute(statement, rows).all())
        for customer in new:
            customer.id = ids[customer.external_id]
    session.flush()


def _announce(session: Session, program: Program, commissions: list[Commission]) -> None:
    """Queue commission.created for each subscribed endpoint, once per event ID, like `emit`."""
    endpoints = [e.id for e in subscribed(session, program.id, _CREATED)]
    if not endpoints or not commissions:
        return
    ids = {f"{_CREATED}:{c.id}": c for c in commissions}
    queued = set(
        pairs(
            session, WebhookDelivery.endpoint_id, WebhookDelivery.event_id,
            WebhookDelivery.event_id, ids, WebhookDelivery.endpoint_id.in_(endpoints),
        )
    )  # fmt: skip
    rows = [
        {
            "endpoint_id": endpoint, "event_id": event_id, "event_type": _CREATED,
            "payload": delivery_payload(_CREATED, event_id, commission_event(commission)),
        }
        for event_id, commission in ids.items()
        for endpoint in endpoints
        if (endpoint, event_id) not in queued
    ]  # fmt: skip
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def _insert_commissions(
    session: Session, rows: list[dict[str, Any]], key: str
) -> dict[int, Commission]:
    """Insert commissions in one statement, by the value of `key` (unique among the rows)."""
    if not rows:
        return {}
    statement = insert(Commission).returning(Commission)
    return {getattr(row, key): row for row in session.scalars(statement, rows)}


def _store(
    session: Session,
    program: Program,
    decided: list[tuple[ConversionIn, CommissionDecision]],
    customers: dict[str, Customer | _NewCustomer],
    new: list[_NewCustomer],
    actor: str,
) -> list[Recorded]:
    """Insert the decided events' conversions, commissions, history and webhook deliveries."""
    if not decided:
        return []
    now = utcnow()
    _insert_customers(session, program, new, now)
    rows = []
    for data, decision in decided:
        row = conversion_fields(program, data, now)
        row.update(
            customer_id=customers[data.customer_id].id, status=decision.status,
            note=decision.note,
            partner_id=decision.partner.id if decision.partner is not None else None,
        )  # fmt: skip
        rows.append(row)
    stored = {
        c.idempotency_key: c
        for c in session.scalars(insert(Conversion).returning(Conversion), rows)
    }
    conversions = [stored[data.idempotency_key] for data, _ in decided]
    owed: list[tuple[Conversion, CommissionDecision, dict[str, Any]]] = []
    for (data, decision), conversion in zip(decided, conversions, strict=True):
        if decision.due is not None:
            customer_id = customers[data.customer_id].id
            fields = commission_fields(program.id, conversion.id, customer_id, decision)
            owed.append((conversion, decision, fields))
    earned = _insert_commissions(session, [fields for *_, fields in owed], "conversion_id")
    created: dict[int, list[Commission]] = {}
    history: list[dict[str, Any]] = []
    bonuses: list[dict[str, Any]] = []
    for conversion, decision, fields in owed:
        commission = earned[conversion.id]
        created[conversion.id] = [commission]
        history.append(
            event_fields(
                commission.id, commission.status, "created", actor,
                amount=fields["amount"], note="; ".join(decision.hold_reasons),
            )
        )  # fmt: skip
        bonus = bonus_fields(decision, fields, commission.id)
        if bonus is not None:
            bonuses.append(bonus)
    extras = _insert_commissions(session, bonuses, "parent_id")
    for bonus in bonuses:
        extra = extras[bonus["parent_id"]]
        created[extra.conversion_id].append(extra)
        history.append(
            event_fields(extra.id, extra.status, "created", actor, amount=bonus["amount"])
        )
    if history:
        session.execute(insert(CommissionEvent), [{**row, "at": now} for row in history])
    made = [created.get(conversion.id, []) for conversion in conversions]
    _announce(session, program, [c for commissions in made for c in commissions])
    return [
        Recorded(conversion, commissions, duplicate=False)
        for conversion, commissions in zip(conversions, made, strict=True)
    ]


def _named(index: int, error: PartnerRuleError) -> PartnerRuleError:
    return PartnerRuleError(f"events.{index}.{error.field}", error.message)


def _first_invalid(
    program: Program, events: Sequence[ConversionIn]
) -> tuple[int, PartnerRuleError] | None:
    """The first event the program refuses whatever was stored before (time zone, currency)."""
    for index, data in enumerate(events):
        try:
            check_event(data, program.currency)
        except PartnerRuleError as exc:
            return index, exc
    return None


def _record(
    session: Session,
    program: Program,
    events: Sequence[ConversionIn],
    actor: str,
    rules: FraudRules,
    spooled: SpooledClicks | None,
) -> list[Recorded]:
    """Decide the independent events, record the others one by one, then insert in bulk."""
    failed = _first_invalid(program, events)
    if failed is not None:  # an event before it may still fail first, so those are tried
        events = events[: failed[0]]
    plan = _plan(events, stored_conversions(session, program, (e.idempotency_key for e in events)))
    bulk = [events[i] for i in plan.bulk]
    sources = Loaded(session, program, bulk, spooled)
    customers, new = _customers(session, program, bulk)
    sources.load_partners(session, (_state(c).partner_id for c in customers.values()))
    attribution = attribution_of(program)
    decided: list[tuple[ConversionIn, CommissionDecision]] = []
    for index, data in zip(plan.bulk, bulk, strict=True):
        customer = customers[data.customer_id]
        try:
            decision = decide_commission(
                data, _state(customer), sources.facts(data), attribution, rules
            )
        except PartnerRuleError as exc:
            failed = (index, exc)
            break
        if isinstance(customer, _NewCustomer):
            customer.state = decision.customer
        else:
            bind(customer, decision.customer)
        decided.append((data, decision))
    results: dict[int, Recorded] = {}
    for index in plan.one_by_one:
        if failed is not None and index > failed[0]:
            break
        try:
            results[index] = record_conversion(
                session, program, events[index], actor=actor, rules=rules, spooled=spooled
            )
        except PartnerRuleError as exc:
            failed = (index, exc)
    if failed is not None:
        raise _named(*failed)  # the first event, in order, that cannot be recorded
    results.update(
        zip(plan.bulk, _store(session, program, decided, customers, new, actor), strict=True)
    )
    results.update((i, Recorded(row, [], duplicate=True)) for i, row in plan.stored.items())
    for index, first in plan.repeats.items():
        results[index] = Recorded(results[first].conversion, [], duplicate=True)
    return [results[index] for index in range(len(events))]


def record_conversions(
    session: Session,
    program: Program,
    events: Sequence[ConversionIn],
    *,
    actor: str,
    rules: FraudRules | None = None,
    spooled: SpooledClicks | None = None,
) -> list[Recorded]:
    """Record a batch of events in one transaction, as `record_conversion` would one by one.

    A bad event refuses the whole batch, naming it (`events.<index>.<field>`); nothing is kept.
    """
    rules = rules or FraudRules()
    lock_for_writing(session)
    with collector_paused():
        try:
            with session.begin_nested():
                return _record(session, program, events, actor, rules, spooled)
        except IntegrityError:
            pass  # another writer stored one of these keys or customers meanwhile
        with session.begin_nested():  # the single path settles such races event by event
            return [
                _one(session, program, i, data, actor, rules, spooled)
                for i, data in enumerate(events)
            ]


def _one(
    session: Session,
    program: Program,
    index: int,
    data: ConversionIn,
    actor: str,
    rules: FraudRules,
    spooled: SpooledClicks | None,
) -> Recorded:
    try:
        return record_conversion(session, program, data, actor=actor, rules=rules, spooled=spooled)
    except PartnerRuleError as exc:
        raise _named(index, exc) from None
