"""Delivery's service on SQLite and PostgreSQL: a grant is made once per (product, source), a
bundle grants its items, a license key comes with a product that has activations; a refund
revokes every grant of its source and disables its keys; download links open, are counted,
and are refused once revoked, used up, changed or expired."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Download, License
from evergreen.commerce.rules.delivery import LinkRefused
from evergreen.db import Database, utcnow

SECRET = "delivery-test-secret-" + "x" * 20
BASE = "http://shop.example"


def _product(db: Database, data_dir: Path, name: str = "Ebook", **settings: int | None) -> int:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft(name, "digital"))
        service.store_file(session, data_dir, row.id, f"{name}.pdf", [b"%PDF-1.7 " + b"x" * 100])
        if settings:
            service.set_delivery(
                session, row.id, settings.get("download_limit"), settings.get("link_hours"),
                settings.get("license_activations"),
            )  # fmt: skip
        return row.id


def _token(url: str) -> str:
    return url.rsplit("/d/", 1)[1]


def test_a_grant_is_made_once_per_source_with_a_license_key(db: Database, tmp_path: Path) -> None:
    product = _product(db, tmp_path, license_activations=2, download_limit=3)
    with db.session() as session:
        first = service.grant(session, product, " Ann@Example.com", "order:12")
        again = service.grant(session, product, "ann@example.com", "order:12")
        other = service.grant(session, product, "ann@example.com", "order:13")
        assert [g.id for g in again] == [g.id for g in first]
        assert other[0].id != first[0].id
        assert (first[0].email, first[0].download_limit, first[0].status) == (
            "ann@example.com", 3, "active",
        )  # fmt: skip
        keys = service.licenses_of(session, [first[0].id, other[0].id])
        assert keys[first[0].id].license.activation_limit == 2
        assert keys[first[0].id].license.key != keys[other[0].id].license.key
        assert [g.id for g in service.grants_of_email(session, "ANN@example.com")] == [
            other[0].id, first[0].id,
        ]  # fmt: skip
        assert service.grants_of_email(session, "not an email") == []
        with pytest.raises(CommerceInputError) as refused:
            service.grant(session, product, "nobody", "order:14")
        assert refused.value.field == "email"
        with pytest.raises(CommerceInputError) as refused:
            service.grant(session, product, "ann@example.com", " ")
        assert refused.value.field == "source"


def test_a_bundle_grants_its_items_and_a_refund_revokes_them_all(
    db: Database, tmp_path: Path
) -> None:
    one = _product(db, tmp_path, "One", license_activations=1)
    two = _product(db, tmp_path, "Two")
    with db.session() as session:
        bundle = service.add_product(session, service.ProductDraft("Both", "bundle"))
        service.set_bundle_items(session, bundle.id, [one, two])
        made = service.grant(session, bundle.id, "bob@example.com", "order:7")
        assert sorted(g.product_id for g in made) == sorted([bundle.id, one, two])
        revoked = service.revoke(session, "order:7", "refunded in full")
        assert {g.status for g in revoked} == {"revoked"}
        assert {g.revoked_reason for g in revoked} == {"refunded in full"}
        assert [k.status for k in session.scalars(select(License))] == ["disabled"]
        assert service.revoke(session, "order:7", "again")[0].revoked_reason == "refunded in full"
        assert service.revoke(session, "order:404", "nothing") == []


def test_download_links_open_count_and_stop_at_the_limit(db: Database, tmp_path: Path) -> None:
    product = _product(db, tmp_path, download_limit=2, link_hours=1)
    now = utcnow()
    with db.session() as session:
        grant = service.grant(session, product, "ann@example.com", "order:1")[0]
        links = service.download_links(session, SECRET, BASE, grant.id, now)
        assert [link.name for link in links] == ["Ebook.pdf"]
        assert links[0].url.startswith(f"{BASE}/d/{grant.id}.")
        assert links[0].expires <= now + timedelta(hours=1)
    token = _token(links[0].url)
    for _ in range(2):
        with db.session() as session:
            opened = service.open_download(session, tmp_path, SECRET, token, now, "203.0.113.9")
            assert opened.path.read_bytes().startswith(b"%PDF")
            assert opened.name == "Ebook.pdf"
    with db.session() as session:
        with pytest.raises(LinkRefused, match="2 downloads are used up") as refused:
            service.open_download(session, tmp_path, SECRET, token, now)
        assert refused.value.status == 403
    with db.session() as session:
        assert service.get_grant(session, grant.id).downloads == 2
        rows = list(session.scalars(select(Download)))
        assert [(r.file_name, r.grant_id) for r in rows] == [("Ebook.pdf", grant.id)] * 2
        assert rows[0].ip_hash
        assert "203" not in rows[0].ip_hash
        with pytest.raises(LinkRefused) as expired:
            service.open_download(session, tmp_path, SECRET, token, now + timedelta(hours=2))
        assert expired.value.status == 410


def test_a_revoked_grant_downloads_nothing(db: Database, tmp_path: Path) -> None:
    product = _product(db, tmp_path)
    now = utcnow()
    with db.session() as session:
        grant = service.grant(session, product, "ann@example.com", "order:2")[0]
        token = _token(service.download_links(session, SECRET, BASE, grant.id, now)[0].url)
        service.open_download(session, tmp_path, SECRET, token, now)
        service.revoke_grant(session, grant.id, "chargeback")
    with db.session() as session:
        for count in (True, False):
            with pytest.raises(LinkRefused, match="revoked \\(chargeback\\)") as refused:
                service.open_download(session, tmp_path, SECRET, token, now, count=count)
            assert refused.value.status == 403
        assert service.get_grant(session, grant.id).downloads == 1


def test_delivery_settings_are_checked_by_field(db: Database, tmp_path: Path) -> None:
    product = _product(db, tmp_path)
    with db.session() as session:
        row = service.set_delivery(session, product, "5", "", "3")
        assert (row.download_limit, row.link_hours, row.license_activations) == (5, None, 3)
        with pytest.raises(CommerceInputError) as refused:
            service.set_delivery(session, product, "5", "0", "")
        assert refused.value.field == "link_hours"
