"""Delivery's use cases: grant a buyer a product (once per source; a bundle's items too; a
license key when the product has activations), revoke every grant of a refunded source, sign
download links and open one, counted against the grant's limit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import BundleItem, Download, Grant, License, Product, ProductFile
from evergreen.commerce.rules.delivery import (
    DownloadClaim,
    LinkRefused,
    check_email,
    check_setting,
    download_refusal,
    download_token,
    hash_address,
    link_expiry,
    read_download_token,
)
from evergreen.commerce.rules.licenses import KEY_BYTES, format_key
from evergreen.commerce.service.products import get_product
from evergreen.db import serialize_on, utcnow
from evergreen.errors import NotFound

__all__ = [
    "MOVED_AWAY",
    "DownloadLink",
    "Opened",
    "download_links",
    "get_grant",
    "grant",
    "grants_of_email",
    "grants_of_product",
    "keep_only",
    "open_download",
    "restore",
    "revoke",
    "revoke_grant",
    "set_delivery",
]


@dataclass(frozen=True)
class DownloadLink:
    """A signed link to one file of a grant, until `expires`."""

    file_id: int
    name: str
    size_bytes: int
    url: str
    expires: datetime


@dataclass(frozen=True)
class Opened:
    """A download let through (and counted): the file on disk and its name for the buyer."""

    path: Path
    name: str


def _check_source(value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > 100 or not text.isprintable():
        raise CommerceInputError("source", "name where the grant comes from, like order:12")
    return text


def set_delivery(
    session: Session,
    product_id: int,
    download_limit: str | int | None,
    link_hours: str | int | None,
    license_activations: str | int | None,
) -> Product:
    """A product's delivery settings; grants made later take its download limit and keys."""
    product = get_product(session, product_id)
    product.download_limit = check_setting("download_limit", download_limit)
    product.link_hours = check_setting("link_hours", link_hours)
    product.license_activations = check_setting("license_activations", license_activations)
    session.flush()
    return product


def _new_license(session: Session, row: Grant, limit: int) -> None:
    session.add(
        License(
            grant_id=row.id, key=format_key(secrets.token_bytes(KEY_BYTES)), activation_limit=limit
        )
    )


def grant(
    session: Session, product_id: int, email: str, source: str, now: datetime | None = None
) -> list[Grant]:
    """Grant a buyer a product (and a bundle's items), once per (product, source): asked
    again, the grants already made are answered."""
    buyer, origin = check_email(email), _check_source(source)
    product = get_product(session, product_id)
    serialize_on(session, f"commerce-grant:{origin}")
    ids = [product.id]
    if product.kind == "bundle":
        items = select(BundleItem.product_id).where(BundleItem.bundle_id == product.id)
        ids += list(session.scalars(items.order_by(BundleItem.id)))
    made: list[Grant] = []
    for each in ids:
        row = session.scalar(select(Grant).where(Grant.product_id == each, Grant.source == origin))
        if row is None:
            item = session.get(Product, each)
            assert item is not None
            row = Grant(
                product_id=each,
                email=buyer,
                source=origin,
                granted_at=now or utcnow(),
                download_limit=item.download_limit,
            )
            session.add(row)
            session.flush()
            if item.license_activations:
                _new_license(session, row, item.license_activations)
        made.append(row)
    session.flush()
    return made


def _revoke_rows(session: Session, rows: list[Grant], reason: str, now: datetime) -> None:
    for row in rows:
        if row.status == "active":
            row.status, row.revoked_reason, row.revoked_at = "revoked", reason[:500], now
    ids = [row.id for row in rows]
    if ids:
        session.execute(update(License).where(License.grant_id.in_(ids)).values(status="disabled"))
    session.flush()


def revoke(session: Session, source: str, reason: str, now: datetime | None = None) -> list[Grant]:
    """Revoke every grant of a source (a refunded order) and disable its license keys."""
    origin = _check_source(source)
    serialize_on(session, f"commerce-grant:{origin}")
    rows = list(session.scalars(select(Grant).where(Grant.source == origin).order_by(Grant.id)))
    _revoke_rows(session, rows, reason.strip() or "refunded", now or utcnow())
    return rows


MOVED_AWAY = "moved to another plan"


def keep_only(
    session: Session, source: str, kept: list[Grant], reason: str, now: datetime | None = None
) -> list[Grant]:
    """A subscription's grants are its current plan's alone: revoke the source's others (a move
    to another product of the plan family stops the old plan's downloads and keys) and give
    back a kept one that such a move had revoked (a move back); the ones revoked."""
    origin = _check_source(source)
    ids = {grant.id for grant in kept}
    back = [row.id for row in kept if row.status == "revoked" and row.revoked_reason == reason]
    for row in kept:
        if row.id in back:
            row.status, row.revoked_reason, row.revoked_at = "active", "", None
    if back:
        session.execute(update(License).where(License.grant_id.in_(back)).values(status="active"))
    query = select(Grant).where(Grant.source == origin, Grant.status == "active")
    others = [row for row in session.scalars(query.order_by(Grant.id)) if row.id not in ids]
    _revoke_rows(session, others, reason, now or utcnow())
    return others


def restore(session: Session, source: str) -> list[Grant]:
    """Give back what a source's revoked grants allowed (a subscription revived), not what a
    move to another plan took back."""
    origin = _check_source(source)
    serialize_on(session, f"commerce-grant:{origin}")
    query = select(Grant).where(Grant.source == origin, Grant.revoked_reason != MOVED_AWAY)
    rows = list(session.scalars(query.order_by(Grant.id)))
    for row in rows:
        row.status, row.revoked_reason, row.revoked_at = "active", "", None
    ids = [row.id for row in rows]
    if ids:
        session.execute(update(License).where(License.grant_id.in_(ids)).values(status="active"))
    session.flush()
    return rows


def get_grant(session: Session, grant_id: int) -> Grant:
    """One grant, or NotFound."""
    row = session.get(Grant, grant_id)
    if row is None:
        raise NotFound("grant_id", f"no grant {grant_id}")
    return row


def revoke_grant(
    session: Session, grant_id: int, reason: str, now: datetime | None = None
) -> Grant:
    """Revoke one grant by hand (the owner's page or CLI), under its source's lock (as `revoke`
    and `grant` take it) and its own, read fresh: a revoke at the same time goes first or
    second, and the first's reason and time stand."""
    source = session.scalar(select(Grant.source).where(Grant.id == grant_id))
    if source is None:
        raise NotFound("grant_id", f"no grant {grant_id}")
    serialize_on(session, f"commerce-grant:{source}")  # a grant's source never changes
    row = session.scalar(
        select(Grant)
        .where(Grant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("grant_id", f"no grant {grant_id}")
    _revoke_rows(session, [row], reason.strip() or "revoked by the owner", now or utcnow())
    return row


def grants_of_product(session: Session, product_id: int) -> list[Grant]:
    """A product's grants, newest first."""
    query = select(Grant).where(Grant.product_id == product_id)
    return list(session.scalars(query.order_by(Grant.id.desc())))


def grants_of_email(session: Session, email: str) -> list[Grant]:
    """A buyer's grants, newest first (none for an address that is not one)."""
    try:
        buyer = check_email(email)
    except CommerceInputError:
        return []
    query = select(Grant).where(Grant.email == buyer)
    return list(session.scalars(query.order_by(Grant.id.desc())))


def download_links(
    session: Session, secret: str, base_url: str, grant_id: int, now: datetime
) -> list[DownloadLink]:
    """Signed links to each file of a grant's product, living the product's link hours."""
    row = get_grant(session, grant_id)
    product = get_product(session, row.product_id)
    expires = link_expiry(now, product.link_hours).replace(microsecond=0)
    files = select(ProductFile).where(ProductFile.product_id == row.product_id)
    return [
        DownloadLink(
            each.id,
            each.name,
            each.size_bytes,
            f"{base_url}/d/{download_token(secret, row.id, each.id, expires)}",
            expires,
        )
        for each in session.scalars(files.order_by(ProductFile.id))
    ]


def links_of_source(
    session: Session, secret: str, base_url: str, source: str, now: datetime
) -> list[DownloadLink]:
    """Signed links to every file an order (or another source) grants, while its grants stand."""
    rows = select(Grant.id).where(Grant.source == source, Grant.status == "active")
    return [
        link
        for grant_id in session.scalars(rows.order_by(Grant.id))
        for link in download_links(session, secret, base_url, grant_id, now)
    ]


def _refuse(message: str) -> LinkRefused:
    return LinkRefused("token", message)


def open_download(
    session: Session,
    data_dir: Path,
    secret: str,
    token: str,
    now: datetime,
    address: str = "",
    *,
    count: bool = True,
) -> Opened:
    """Let one download through a signed link and count it, or refuse it (changed, expired,
    revoked, over the limit, file gone) with words that say what to do. `count=False` (the
    rest of a download already counted) still checks the grant but counts nothing."""
    claim: DownloadClaim = read_download_token(secret, token, now)
    row = session.get(Grant, claim.grant_id)
    file = session.get(ProductFile, claim.file_id)
    if row is None or file is None or file.product_id != row.product_id:
        raise _refuse("this file is no longer available; open your purchases at /account")
    path = data_dir / file.path
    if not path.is_file():
        raise _refuse("this file is missing on the server; ask the seller")
    if not count:
        session.refresh(row)
        reason = download_refusal(row.status, row.revoked_reason, 0, None)
        if reason is not None:
            raise _refuse(reason)
        return Opened(path, file.name)
    counted = session.execute(
        update(Grant)
        .where(
            Grant.id == row.id,
            Grant.status == "active",
            or_(Grant.download_limit.is_(None), Grant.downloads < Grant.download_limit),
        )
        .values(downloads=Grant.downloads + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        reason = download_refusal(row.status, row.revoked_reason, row.downloads, row.download_limit)
        raise _refuse(reason or "this download link is not valid")
    session.add(
        Download(
            grant_id=row.id,
            file_id=file.id,
            file_name=file.name,
            at=now,
            ip_hash=hash_address(secret, address) if address else "",
        )
    )
    session.flush()
    session.refresh(row)
    return Opened(path, file.name)
