"""Tables of delivery: what a buyer was granted (by an order, or by hand), each download of a
granted file, license keys and their activations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["Download", "Grant", "License", "LicenseActivation"]


class Grant(Base):
    """A buyer's right to a product, from one source ("order:12", "manual:…"); a refund of the
    source revokes it, with the reason kept."""

    __tablename__ = "commerce_grants"
    __table_args__ = (UniqueConstraint("product_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("commerce_products.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-case
    source: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active or revoked
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    downloads: Mapped[int] = mapped_column(default=0)
    download_limit: Mapped[int | None] = mapped_column(default=None)  # None: unlimited


class Download(Base):
    """One download of a granted file, for the owner to see (the address only as a hash)."""

    __tablename__ = "commerce_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_grants.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("commerce_files.id", ondelete="SET NULL"), default=None
    )
    file_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_hash: Mapped[str] = mapped_column(String(64), default="")


class License(Base):
    """A grant's license key; a refund disables it."""

    __tablename__ = "commerce_licenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_grants.id", ondelete="CASCADE"), unique=True
    )
    key: Mapped[str] = mapped_column(String(23), unique=True)  # XXXXX-XXXXX-XXXXX-XXXXX
    status: Mapped[str] = mapped_column(String(10), default="active")  # active or disabled
    activation_limit: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LicenseActivation(Base):
    """One instance (a machine, a site) a license key is activated on."""

    __tablename__ = "commerce_license_activations"
    __table_args__ = (UniqueConstraint("license_id", "instance_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(
        ForeignKey("commerce_licenses.id", ondelete="CASCADE"), index=True
    )
    instance_id: Mapped[str] = mapped_column(String(32), unique=True)
    instance_name: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime] = mapped_column(default=utcnow)
