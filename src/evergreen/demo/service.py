"""Load the demo year by driving the real areas: links and their click pipeline, the network's
report import and postback endpoint, the partner program's conversions, approvals and payout, a
private loan serviced by lending (which posts it to the ledger), and the ledger's own entries.
Nothing writes an aggregate; every figure comes from events."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.demo.rules import LINKS, LOAN_MONTHS, LOAN_PRINCIPAL, DemoPlan, plan
from evergreen.errors import Conflict
from evergreen.ledger import service as ledger
from evergreen.ledger.rules import StreamKind
from evergreen.lending import service as lending
from evergreen.links import queries as link_queries
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service as networks
from evergreen.partners import service as partners

__all__ = ["Loaded", "is_empty", "load_demo"]

# Clicks of the last day go through the live redirect; the rest of the year, which no clock
# can replay, is written to a spool of its own in the redirect's format and ingested.
_LIVE_DAYS = 1
# Earnings of the last days arrive by postback through the API, older ones by report import.
_POSTBACK_DAYS = 3
DEMO_HOURLY_RATE = Decimal(40)
DEMO_REQUIRED_RETURN = Decimal("0.08")
_SLUGS = [slug for slug, _destination, _title in LINKS]
STREAMS = (
    ("Blog", StreamKind.AFFILIATE),
    ("Photo course", StreamKind.DIGITAL_PRODUCT),
    ("Book royalties", StreamKind.ROYALTIES),
)  # and the loan's own stream, which lending opens when it posts the loan ("Loan 1 (Sam)")
LOAN_HOURS = "Loan to Sam"  # the plan's name for the loan's hours


@dataclass(frozen=True)
class Loaded:
    """What the demo put in, to say so."""

    clicks: int
    earnings: int
    sales: int
    entries: int


def load_demo(db: Database, settings: Settings, today: date) -> Loaded:
    """Load the demo year ending `today` into an installation that has no streams or links."""
    year = plan(today)
    with db.session() as session:
        if not is_empty(session):
            raise Conflict(
                "demo", "this installation has streams already; the demo loads into an empty one"
            )
        streams = {
            name: ledger.add_stream(
                session, ledger.StreamDraft(name, kind, "USD", year.first_day), today
            ).id
            for name, kind in STREAMS
        }
        for slug, destination, title in LINKS:
            links.create_link(
                session, LinkDraft(destination=destination, slug=slug, title=title,
                                   kind="affiliate", channel="blog")
            )  # fmt: skip
        network, secret = networks.create_network(
            session, "Demo affiliate network", stream_id=streams["Blog"]
        )
        for slug, _destination, _title in LINKS:
            networks.assign_link(session, network, slug)
        saved = ledger.preferences(session)
        if saved.hourly_rate is None or saved.required_return is None:
            # The owner's own rates are theirs to set; the demo starts from plain ones so its
            # figures show at once (changed on the Ledger's settings page).
            ledger.set_preferences(
                session,
                hourly_rate=saved.hourly_rate or DEMO_HOURLY_RATE,
                required_return=saved.required_return or DEMO_REQUIRED_RETURN,
            )
        program = partners.default_program(session)
        partners.update_settings(
            session,
            program,
            replace(partners.settings_of(program), stream_id=streams["Photo course"]),
        )
        network_id = network.id
    click_ids = _clicks(db, settings, year)
    _earnings(db, settings, year, network_id, secret, click_ids)
    sales = _partner_program(db, year)
    streams[LOAN_HOURS] = _loan(db, year)
    entries = _ledger_entries(db, year, streams)
    return Loaded(len(click_ids), len(year.earnings), sales, entries)


def is_empty(session: Session) -> bool:
    """No streams and none of the demo's links: the demo may load."""
    return not ledger.all_streams(session) and not link_queries.link_ids_by_slug(session, _SLUGS)


def _clicks(db: Database, settings: Settings, year: DemoPlan) -> list[str]:
    """Every click of the year stored by the click pipeline; returns their IDs in plan order."""
    from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending, spool_folder
    from evergreen.links.clicks.spool import ClickSpool, SpoolReader

    with db.session() as session:
        link_ids = link_queries.link_ids_by_slug(session, _SLUGS)
    cutoff = datetime.combine(year.today - timedelta(days=_LIVE_DAYS - 1), time(), tzinfo=UTC)
    ids: list[str] = []
    live: list[int] = []
    with tempfile.TemporaryDirectory(prefix="evergreen-demo-") as folder:
        spool = ClickSpool(Path(folder))
        for index, click in enumerate(year.clicks):
            if click.at >= cutoff:
                live.append(index)
                ids.append("")
                continue
            click_id = f"{int(click.at.timestamp() * 1000):012x}{secrets.token_hex(10)}"
            ids.append(click_id)
            spool.append(
                {"id": click_id, "l": link_ids[click.slug], "t": click.at.timestamp(), "m": "GET",
                 "v": click.visitor, "ua": click.user_agent, "r": click.referrer,
                 "c": click.country, "p": "", "i": False, "q": {"sub1": click.post}, "d": ""}
            )  # fmt: skip
        spool.close()
        ingest_pending(db, SpoolReader(Path(folder)), ClickPolicy.of(settings))
    answered = asyncio.run(_redirects(db, settings, [year.clicks[i] for i in live]))
    for index, click_id in zip(live, answered, strict=True):
        ids[index] = click_id
    ingest_pending(db, SpoolReader(spool_folder(settings)), ClickPolicy.of(settings))
    return ids


async def _redirects(db: Database, settings: Settings, clicks: list[Any]) -> list[str]:
    """Follow links through the app's redirect; the click ID each answer carries."""
    app = _app(db, settings)
    out = []
    for click in clicks:
        status, headers = await _call(
            app, "GET", f"{settings.link_prefix}/{click.slug}", {"sub1": click.post},
            user_agent=click.user_agent, referrer=click.referrer,
        )  # fmt: skip
        query = parse_qs(urlsplit(headers.get("location", "")).query)
        out.append(query.get("evg_id", [""])[0])
        if status >= 400:
            raise RuntimeError(f"the demo's redirect answered {status}")
    return out


def _app(db: Database, settings: Settings) -> Any:
    from evergreen.web import create_app

    return create_app(settings, database=db)


async def _call(
    app: Any,
    method: str,
    path: str,
    query: dict[str, str],
    *,
    user_agent: str = "Evergreen demo",
    referrer: str = "",
) -> tuple[int, dict[str, str]]:
    """One request straight into the ASGI app (no socket): its status and headers."""
    headers = [(b"host", b"demo.invalid"), (b"user-agent", user_agent.encode())]
    if referrer:
        headers.append((b"referer", referrer.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": urlencode(query).encode(), "headers": headers,
        "client": ("203.0.113.7", 50_000), "server": ("demo.invalid", 80),
    }  # fmt: skip
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {
                k.decode().lower(): v.decode() for k, v in message.get("headers", [])
            }

    await app(scope, receive, send)
    return answer["status"], answer["headers"]


def _earnings(
    db: Database,
    settings: Settings,
    year: DemoPlan,
    network_id: int,
    secret: str,
    click_ids: list[str],
) -> None:
    """Older commissions by the network's report (CSV), the latest by postback."""
    recent = year.today - timedelta(days=_POSTBACK_DAYS)
    lines = ["sub_id,order_id,sale_amount,commission,currency,status,date"]
    by_postback = []
    for earning in year.earnings:
        click = year.clicks[earning.click]
        if click.at.date() >= recent:
            by_postback.append(earning)
            continue
        lines.append(
            f"{click_ids[earning.click]},{earning.order_id},{earning.sale},{earning.commission},"
            f"USD,{earning.status},{click.at.date().isoformat()}"
        )
    with db.session() as session:
        network = networks.get_network(session, network_id)
        networks.import_report(session, network, "\n".join(lines) + "\n", datetime.now(UTC))

    async def postbacks() -> None:
        app = _app(db, settings)
        for earning in by_postback:
            status, _headers = await _call(
                app, "GET", f"/api/v1/networks/{network_id}/postback",
                {"secret": secret, "subid": click_ids[earning.click], "oid": earning.order_id,
                 "amount": str(earning.sale), "payout": str(earning.commission),
                 "currency": "USD", "status": earning.status},
            )  # fmt: skip
            if status != 200:
                raise RuntimeError(f"the demo's postback answered {status}")

    asyncio.run(postbacks())


def _partner_program(db: Database, year: DemoPlan) -> int:
    """Three partners selling the course by coupon; commissions approved and paid out."""
    from evergreen.partners.rules.commissioning import ConversionIn
    from evergreen.partners.rules.terms import EventType

    with db.session() as session:
        program = partners.default_program(session)
        since = datetime.combine(year.first_day, time(), tzinfo=UTC)  # in force all year
        partners.add_terms(
            session, program, partners.TermsDraft(kind="percent", rate=Decimal(30),
                                                  effective_from=since)
        )  # fmt: skip
        codes = []
        for n, name in enumerate(("Ana Lima", "Ben Okafor", "Chloe Martin")):
            partner = partners.create_partner(
                session, program, name=name, email=f"partner{n + 1}@example.com",
                status="active",
            )  # fmt: skip
            codes.append(partners.add_coupon(session, partner, f"DEMO{n + 1}").code)
    now = datetime.combine(year.today, time(12), tzinfo=UTC)
    for sale in year.sales:
        with db.session() as session:
            program = partners.default_program(session)
            recorded = partners.record_conversion(
                session, program,
                ConversionIn(
                    idempotency_key=f"demo-{sale.order_id}", event=EventType.SALE,
                    amount=sale.amount, currency="USD", customer_id=f"cust-{sale.order_id}",
                    occurred_at=sale.at, order_id=sale.order_id, coupon=codes[sale.partner],
                ),
                actor="demo",
            )  # fmt: skip
            # Approved when the 30-day hold of that sale ended, as the hourly job would have.
            due = sale.at + timedelta(days=program.holding_days)
            for commission in recorded.commissions:
                if due <= now:
                    partners.move(
                        session, commission, "approve", "demo", note="holding period passed",
                        now=due,
                    )  # fmt: skip
    with db.session() as session:
        program = partners.default_program(session)
        payout = partners.create_payout(session, program, actor="demo", now=now)
        if payout is not None:
            partners.mark_paid(session, program, payout.id, actor="demo", now=now)
    return len(year.sales)


def _loan(db: Database, year: DemoPlan) -> int:
    """Sam's loan, lent on the first day and paid on time each month (the interest owed, and
    5,000 of the principal once), through lending; the id of the stream it posts to."""
    with db.session() as session:
        loan = lending.add_loan(
            session,
            lending.LoanDraft(borrower="Sam", principal=str(LOAN_PRINCIPAL), annual_rate="10%",
                              months=LOAN_MONTHS, start=year.first_day, interest_only=True),
            new_borrower=True,
        )  # fmt: skip
        for day, principal in year.loan_payments:
            owed = lending.quote(session, loan.id, day)
            lending.record_payment(session, loan.id, day, owed.interest + principal)
        assert loan.stream_id is not None  # its funding was posted, which opened the stream
        return loan.stream_id


def _ledger_entries(db: Database, year: DemoPlan, streams: dict[str, int]) -> int:
    """The owner's own entries: royalties, costs, capital and hours."""
    count = 0
    with db.session() as session:
        stream = {name: ledger.get_stream(session, sid) for name, sid in streams.items()}
        for name, day, amount in year.capital:
            ledger.add_capital(session, stream[name], day, amount)
            count += 1
        for day, amount in year.royalties:
            ledger.add_income(session, stream["Book royalties"], day, amount, "Royalties",
                              account="Income:Royalties")  # fmt: skip
            count += 1
        for sale in year.sales:  # the course's own sales, as the payment processor pays them
            ledger.add_income(session, stream["Photo course"], sale.at.date(), sale.amount,
                              f"Course sale {sale.order_id}", account="Income:Sales")  # fmt: skip
            count += 1
        for name, day, amount, what in year.costs:
            ledger.add_cost(session, stream[name], day, amount, what,
                            account=f"Expenses:{what}")  # fmt: skip
            count += 1
        for name, day, hours in year.hours:
            if day <= year.today:
                ledger.add_hours(session, stream[name], day, hours, "demo")
    return count
