"""License keys' use cases: activate a key on an instance (never past its limit, even under
many callers at once), validate it, deactivate an instance; a buyer's keys for their page."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, License, LicenseActivation, Product
from evergreen.commerce.rules.licenses import activation_refusal, check_instance, check_key
from evergreen.db import serialize_on, utcnow
from evergreen.errors import NotFound

__all__ = [
    "LicenseRefused",
    "LicenseState",
    "activate",
    "deactivate",
    "license_state",
    "licenses_of",
    "validate",
    "with_licenses",
]


class LicenseRefused(CommerceInputError):
    """A key that may not be activated now: disabled (403) or every activation used (409)."""

    def __init__(self, field: str, message: str, status: int) -> None:
        super().__init__(field, message)
        self.status = status


@dataclass(frozen=True)
class LicenseState:
    """A key as its API and the buyer's page show it."""

    license: License
    product_name: str
    activations: list[LicenseActivation]

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of the license API."""
        return {
            "license_key": self.license.key,
            "status": self.license.status,
            "product": self.product_name,
            "activation_limit": self.license.activation_limit,
            "activations_used": len(self.activations),
        }


def _license(session: Session, key: str, *, lock: bool = False) -> License:
    query = select(License).where(License.key == check_key(key))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound("license_key", "no such license key; check it against your receipt")
    return row


def license_state(session: Session, row: License) -> LicenseState:
    """A key with its product's name and its activations, oldest first."""
    name = session.scalar(
        select(Product.name)
        .join(Grant, Grant.product_id == Product.id)
        .where(Grant.id == row.grant_id)
    )
    query = select(LicenseActivation).where(LicenseActivation.license_id == row.id)
    return LicenseState(
        row, name or "", list(session.scalars(query.order_by(LicenseActivation.id)))
    )


def activate(
    session: Session, key: str, instance_name: str, now: datetime | None = None
) -> tuple[LicenseActivation, LicenseState]:
    """Activate a key on a named instance; the same name again answers its activation."""
    name = check_instance("instance_name", instance_name)
    serialize_on(session, f"commerce-license:{check_key(key)}")
    row = _license(session, key, lock=True)
    same = select(LicenseActivation).where(
        LicenseActivation.license_id == row.id, LicenseActivation.instance_name == name
    )
    found = session.scalar(same)
    if found is None:
        used = session.scalar(select(func.count()).where(LicenseActivation.license_id == row.id))
        refusal = activation_refusal(row.status, int(used or 0), row.activation_limit)
        if refusal is not None:
            raise LicenseRefused("license_key", refusal, 403 if row.status != "active" else 409)
        found = LicenseActivation(
            license_id=row.id,
            instance_id=secrets.token_urlsafe(16),
            instance_name=name,
            activated_at=now or utcnow(),
        )
        session.add(found)
        session.flush()
    elif row.status != "active":
        raise LicenseRefused("license_key", activation_refusal(row.status, 0, 1) or "", 403)
    return found, license_state(session, row)


def validate(
    session: Session, key: str, instance_id: str | None = None
) -> tuple[bool, str, LicenseState]:
    """Whether a key is good (and, given an instance, activated there), with the reason."""
    row = _license(session, key)
    state = license_state(session, row)
    if row.status != "active":
        return False, activation_refusal(row.status, 0, 1) or "", state
    if instance_id:
        wanted = check_instance("instance_id", instance_id)
        if not any(each.instance_id == wanted for each in state.activations):
            return False, "this key is not activated on that instance", state
    return True, "", state


def deactivate(
    session: Session, key: str, instance_id: str, *, email: str | None = None
) -> LicenseState:
    """Free one activation of a key (a machine retired, a site moved); with `email`, only a
    key of that buyer's."""
    wanted = check_instance("instance_id", instance_id)
    serialize_on(session, f"commerce-license:{check_key(key)}")
    row = _license(session, key, lock=True)
    if (
        email is not None
        and session.scalar(select(Grant.email).where(Grant.id == row.grant_id)) != email
    ):
        raise NotFound("license_key", "no such license key among your purchases")
    found = session.scalar(
        select(LicenseActivation).where(
            LicenseActivation.license_id == row.id, LicenseActivation.instance_id == wanted
        )
    )
    if found is None:
        raise NotFound("instance_id", "this key is not activated on that instance")
    session.delete(found)
    session.flush()
    return license_state(session, row)


def licenses_of(session: Session, grant_ids: Iterable[int]) -> dict[int, LicenseState]:
    """The keys of some grants, by grant id."""
    ids = list(grant_ids)
    if not ids:
        return {}
    rows = session.scalars(select(License).where(License.grant_id.in_(ids)))
    return {row.grant_id: license_state(session, row) for row in rows}


def with_licenses(
    session: Session, grants: Iterable[Grant]
) -> list[tuple[Grant, LicenseState | None]]:
    """Grants each with its license key (None when the product issues none), for pages."""
    rows = list(grants)
    keys = licenses_of(session, [row.id for row in rows])
    return [(row, keys.get(row.id)) for row in rows]
