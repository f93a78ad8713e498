"""The owner's own affiliate income: networks, their links, postbacks and report imports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import lock_for_writing, write_unless_taken
from evergreen.errors import Conflict, NotFound
from evergreen.links import queries as links_queries
from evergreen.links import service as links_service
from evergreen.networks.models import EarningEvent, Network, NetworkEarning, NetworkLink
from evergreen.networks.postings import check_stream, post_to_ledger, set_stream, to_ledger
from evergreen.networks.rules import (
    DEFAULT_POSTBACK_MAPPING,
    DEFAULT_REPORT_MAPPING,
    DEFAULT_STATUS_VALUES,
    FIELDS,
    KINDS,
    REPORT_FIELDS,
    NetworkRuleError,
    Reported,
    check_mapping,
    check_status_values,
    corrects,
    decide,
    hash_secret,
    parse_reported,
)

__all__ = [
    "ImportResult",
    "NetworkNameTaken",
    "NetworkNotFound",
    "Received",
    "assign_link",
    "create_network",
    "get_network",
    "import_report",
    "match_late_clicks",
    "new_postback_secret",
    "post_to_ledger",
    "receive_postback",
    "save_postback_mapping",
    "save_report_mapping",
    "set_stream",
]

_RAW_LIMIT = 50


class NetworkNotFound(NotFound):
    """No network with that ID."""

    def __init__(self, network_id: int) -> None:
        super().__init__("network_id", f"No network with ID {network_id}.")


class NetworkNameTaken(Conflict):
    """Names are unique: pages and reports tell networks apart by them."""

    def __init__(self, name: str) -> None:
        super().__init__("name", f"a network named {name!r} already exists")


@dataclass(frozen=True)
class Received:
    """What a postback did: the earning it is stored as, and whether it matched a click."""

    earning: NetworkEarning | None
    stored: bool
    matched: bool
    note: str = ""


@dataclass
class ImportResult:
    """Per-row outcome of a report import; errors carry the file's line number and the field."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0  # rows stored (whatever the outcome) whose earning matches no click
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def create_network(
    session: Session,
    name: str,
    *,
    kind: str = "network",
    postback_mapping: Mapping[str, str] | None = None,
    status_values: Mapping[str, str] | None = None,
    report_mapping: Mapping[str, str] | None = None,
    stream_id: int | None = None,
) -> tuple[Network, str]:
    """Add a network; returns it with its postback secret, which is never shown again."""
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise NetworkRuleError("name", "must be 1 to 100 characters")
    if kind not in KINDS:
        raise NetworkRuleError("kind", f"must be one of {', '.join(KINDS)}")
    check_stream(session, stream_id)
    secret = secrets.token_hex(24)
    network = Network(
        name=clean,
        kind=kind,
        postback_secret=hash_secret(secret),
        postback_mapping=check_mapping(postback_mapping or DEFAULT_POSTBACK_MAPPING, FIELDS),
        status_values=check_status_values(status_values or DEFAULT_STATUS_VALUES),
        report_mapping=check_mapping(report_mapping or DEFAULT_REPORT_MAPPING, REPORT_FIELDS),
        stream_id=stream_id,
    )
    # The same name may be added twice at the same moment.
    if not write_unless_taken(
        session, lambda: session.add(network), lambda: _name_taken(session, clean)
    ):
        raise NetworkNameTaken(clean)
    return network, secret


def _name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(Network.id).where(Network.name == name)) is not None


def get_network(session: Session, network_id: int) -> Network:
    """One network, or NetworkNotFound."""
    network = session.get(Network, network_id)
    if network is None:
        raise NetworkNotFound(network_id)
    return network


def assign_link(session: Session, network: Network, slug: str) -> NetworkLink:
    """Make an outbound affiliate link earn for this network (moving it from another one)."""
    try:
        link = links_service.get_link(session, slug)
    except links_service.LinkNotFound:
        raise NetworkRuleError("slug", f"no link with slug {slug!r}") from None
    if link.kind != "affiliate":
        raise NetworkRuleError(
            "slug", f"link {slug!r} points to your own pages; set its kind to 'affiliate' first"
        )
    new = NetworkLink(link_id=link.id, network_id=network.id)
    held: NetworkLink | None = None

    def assigned() -> bool:  # keeps the row it finds: that one moves instead
        nonlocal held
        held = _network_link(session, link.id)
        return held is not None

    # The same link may be assigned (to this network or another) at the same moment.
    if write_unless_taken(session, lambda: session.add(new), assigned):
        return new
    assert held is not None  # assigned() found it
    held.network_id = network.id
    session.flush()
    return held


def _network_link(session: Session, link_id: int) -> NetworkLink | None:
    """The link's assignment, locked: two moves of one link at once go one after the other."""
    query = select(NetworkLink).where(NetworkLink.link_id == link_id).with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def save_report_mapping(session: Session, network: Network, mapping: Mapping[str, str]) -> Network:
    """Replace the CSV column names this network's reports use."""
    network.report_mapping = check_mapping(mapping, REPORT_FIELDS)
    session.flush()
    return network


def save_postback_mapping(
    session: Session,
    network: Network,
    mapping: Mapping[str, str],
    status_values: Mapping[str, str],
) -> Network:
    """Replace the postback's parameter names and what the network's status words mean."""
    clean_mapping = check_mapping(mapping, FIELDS)
    clean_values = check_status_values(status_values)  # both checked before either is saved
    network.postback_mapping, network.status_values = clean_mapping, clean_values
    session.flush()
    return network


def new_postback_secret(session: Session, network: Network) -> str:
    """Replace a lost postback secret (only its digest is kept); the old URL stops working."""
    secret = secrets.token_hex(24)
    network.postback_secret = hash_secret(secret)
    session.flush()
    return secret


def _raw(params: Mapping[str, str]) -> dict[str, Any]:
    """The received fields, minus the secret, bounded so a hostile postback cannot bloat a row."""
    items = [(k, v) for k, v in params.items() if k != "secret"][:_RAW_LIMIT]
    return {str(k)[:100]: str(v)[:500] for k, v in items}


_Spool = links_queries.SpooledClicks | None


def _match(
    session: Session, click_id: str, spooled: _Spool = None
) -> tuple[links_queries.ClickFact | None, str]:
    if not click_id:
        return None, "no click ID in the report"
    click = links_queries.click_fact(session, click_id[:32], spooled)
    if click is None:
        return None, f"click ID {click_id!r} matches no click"
    return click, ""


def _event(
    session: Session, earning: NetworkEarning, before: str, source: str, now: datetime
) -> None:
    session.add(
        EarningEvent(
            earning_id=earning.id, at=now, from_status=before, to_status=earning.status,
            commission=earning.commission, source=source,
        )
    )  # fmt: skip


def _fill(
    session: Session, earning: NetworkEarning, reported: Reported, now: datetime, spooled: _Spool
) -> None:
    """Copy a good report onto an earning and match its click (stored or still spooled)."""
    click, why = _match(session, reported.click_id, spooled)
    earning.click_id = reported.click_id
    earning.amount = reported.amount
    earning.commission = reported.commission
    earning.currency = reported.currency
    earning.status = reported.status.value
    earning.occurred_at = reported.occurred_at or now
    earning.valid = True
    earning.matched = click is not None
    earning.link_id = click.link_id if click is not None else None
    earning.sub = (
        links_queries.click_tracking(session, click.click_id, spooled) if click is not None else {}
    )
    earning.note = why


def _store(
    session: Session,
    network: Network,
    reported: Reported,
    raw: dict[str, Any],
    source: str,
    now: datetime,
    spooled: _Spool = None,
) -> tuple[NetworkEarning, str]:
    """Create or move the earning for one order; returns it and what happened. The stored
    earning is locked and read afresh before deciding: two postbacks for one order at once
    (approved and reversed) would otherwise each move it from the status read before the other
    committed, and the later write could undo a final reversal."""
    query = (
        select(NetworkEarning)
        .where(
            NetworkEarning.network_id == network.id, NetworkEarning.order_id == reported.order_id
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    earning = session.scalar(query)
    if earning is None:
        earning = NetworkEarning(
            network_id=network.id, order_id=reported.order_id, source=source, raw=raw,
            created_at=now, updated_at=now,
        )  # fmt: skip
        _fill(session, earning, reported, now, spooled)
        try:
            with session.begin_nested():  # the same postback twice at the same moment
                session.add(earning)
                session.flush()
        except IntegrityError:
            earning = session.scalar(query)
            assert earning is not None
        else:
            _event(session, earning, "", source, now)
            return earning, "created"
    if not earning.valid:
        before = earning.status
        earning.source, earning.raw = source, raw
        _fill(session, earning, reported, now, spooled)
        _event(session, earning, before, source, now)
        return earning, "updated"
    decision = decide(earning.status, reported.status)
    if decision.action == "update":
        before = earning.status
        earning.status = reported.status.value
        if reported.commission > 0:
            earning.commission = reported.commission
        if reported.amount is not None:
            earning.amount = reported.amount
        earning.raw, earning.source, earning.updated_at = raw, source, now
        if not earning.matched and reported.click_id and not earning.click_id:
            click, _why = _match(session, reported.click_id, spooled)
            if click is not None:
                earning.click_id, earning.link_id = reported.click_id, click.link_id
                earning.sub = links_queries.click_tracking(session, click.click_id, spooled)
                earning.matched, earning.note = True, ""
        _event(session, earning, before, source, now)
        return earning, "updated"
    if decision.action == "noop" and corrects(earning.status, earning.commission, reported):
        earning.commission, earning.raw, earning.source, earning.updated_at = (
            reported.commission, raw, source, now,
        )  # fmt: skip
        if reported.amount is not None:
            earning.amount = reported.amount
        _event(session, earning, earning.status, source, now)  # the same status, a new amount
        return earning, "updated"
    if decision.action == "ignore":
        earning.note = decision.note[:300]
    return earning, "unchanged"


def _unreadable(
    session: Session, network: Network, raw: dict[str, Any], error: NetworkRuleError, now: datetime
) -> NetworkEarning | None:
    """Keep a postback that could not be read, for review; figures leave it out."""
    mapping = network.postback_mapping or DEFAULT_POSTBACK_MAPPING
    order_id = str(raw.get(mapping.get("order_id", ""), "")).strip()[:200]
    if not order_id:
        digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:24]
        order_id = f"unread-{digest}"  # a replay of the same bad postback lands on the same row
    query = select(NetworkEarning).where(
        NetworkEarning.network_id == network.id, NetworkEarning.order_id == order_id
    )
    earning = session.scalar(query)
    if earning is not None:
        if earning.valid:  # a stored sale keeps its figures; the unread update is shown on it
            earning.note = f"an update could not be read: {error}"[:300]
            return None
        return earning
    click_id = str(raw.get(mapping.get("click_id", ""), "")).strip()[:64]
    earning = NetworkEarning(
        network_id=network.id, order_id=order_id, click_id=click_id, commission=0,
        status="pending", occurred_at=now, source="postback", matched=False, valid=False,
        note=f"unreadable: {error}"[:300], raw=raw, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(earning)
            session.flush()
    except IntegrityError:
        return session.scalar(query)
    return earning


def receive_postback(
    session: Session,
    network: Network,
    params: Mapping[str, str],
    now: datetime,
    *,
    spooled: _Spool = None,
) -> Received:
    """Store a network's postback once per order; unmatched or unreadable ones are kept too.

    Given this machine's click spool, a click answered but not ingested yet matches too.
    """
    raw = _raw(params)
    if not raw:
        return Received(None, False, False, "the postback carried no parameters")
    try:
        reported = parse_reported(raw, network.postback_mapping, network.status_values)
    except NetworkRuleError as exc:
        kept = _unreadable(session, network, raw, exc, now)
        if kept is None:  # a bad update for an order that is already stored
            return Received(None, False, False, str(exc))
        return Received(kept, True, False, kept.note)
    earning, what = _store(session, network, reported, raw, "postback", now, spooled)
    if what != "unchanged":
        to_ledger(session, network, earning, now.date())
    return Received(earning, True, earning.matched, earning.note)


MATCH_WAIT = timedelta(days=7)  # how long an unmatched earning waits for its click to land


def match_late_clicks(session: Session, now: datetime, *, spooled: _Spool = None) -> int:
    """Match earnings reported before their click landed (a periodic task, as partners' late
    attribution: idempotent, whichever process or machine ingested the click); returns how many."""
    lock_for_writing(session)
    waiting = list(
        session.scalars(
            select(NetworkEarning)
            .where(
                NetworkEarning.matched.is_(False),
                NetworkEarning.valid.is_(True),
                NetworkEarning.created_at >= now - MATCH_WAIT,
                NetworkEarning.click_id != "",
            )
            .order_by(NetworkEarning.id)
            .with_for_update(skip_locked=True)
        )
    )
    if not waiting:
        return 0
    landed = links_queries.click_facts(session, (e.click_id[:32] for e in waiting), spooled)
    done = 0
    for earning in waiting:
        click = landed.get(earning.click_id[:32])
        if click is None:
            continue
        earning.link_id, earning.matched, earning.note = click.link_id, True, ""
        earning.sub = links_queries.click_tracking(session, click.click_id, spooled)
        done += 1
    return done


def import_report(session: Session, network: Network, csv_text: str, now: datetime) -> ImportResult:
    """Apply a network's CSV report with its saved column mapping; safe to import again."""
    result = ImportResult()
    mapping = network.report_mapping or DEFAULT_REPORT_MAPPING
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        columns = set(reader.fieldnames or [])
    except csv.Error as exc:
        result.errors.append((1, "file", f"is not valid CSV ({exc})"))
        return result
    missing = [f for f in ("order_id", "commission") if mapping.get(f) not in columns]
    if missing:
        for name in missing:
            result.errors.append(
                (1, name, f"column {mapping.get(name)!r} is not in the header; save a mapping")
            )
        return result
    try:
        for row in reader:
            _import_row(session, network, reader.line_num, row, mapping, result, now)
    except csv.Error as exc:
        result.errors.append(
            (reader.line_num + 1, "file", f"is not valid CSV from here on ({exc})")
        )
    return result


def _import_row(
    session: Session,
    network: Network,
    line: int,
    row: dict[str | Any, str | Any],
    mapping: dict[str, str],
    result: ImportResult,
    now: datetime,
) -> None:
    """Apply one report line, noting a bad one on the result instead of stopping."""
    values = {str(k): (v or "") for k, v in row.items() if k is not None}
    try:
        reported = parse_reported(values, mapping, network.status_values)
    except NetworkRuleError as exc:
        result.errors.append((line, exc.field, exc.message))
        return
    earning, what = _store(session, network, reported, _raw(values), "report", now)
    if what != "unchanged":
        to_ledger(session, network, earning, now.date())
    result.unmatched += 0 if earning.matched else 1
    if what == "created":
        result.created += 1
    elif what == "updated":
        result.updated += 1
    else:
        result.unchanged += 1
