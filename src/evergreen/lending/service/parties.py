"""Borrowers and properties: who owes and what secures the loan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.errors import Conflict, NotFound
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Borrower, Property
from evergreen.lending.rules import read_money

__all__ = ["BorrowerDraft", "PropertyDraft", "add_borrower", "add_property", "borrower_named",
           "borrowers", "get_borrower", "get_property", "lock_borrower", "properties",
           "update_borrower", "update_property"]  # fmt: skip


@dataclass(frozen=True)
class BorrowerDraft:
    """A person or an LLC, and how to reach them."""

    name: str
    kind: str = "person"
    email: str = ""
    phone: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name or len(name) > 200:
            raise LendingInputError("name", "must be 1 to 200 characters")
        if self.kind not in ("person", "llc"):
            raise LendingInputError("kind", f"must be person or llc (got {self.kind!r})")
        if self.email and ("@" not in self.email or len(self.email) > 254):
            raise LendingInputError("email", f"{self.email!r} is not an email address")
        if len(self.phone) > 40 or len(self.notes) > 5000:
            raise LendingInputError("phone" if len(self.phone) > 40 else "notes", "is too long")
        object.__setattr__(self, "name", name)


@dataclass(frozen=True)
class PropertyDraft:
    """The collateral: address, and (as known) purchase price, rehab budget and ARV."""

    address: str
    purchase_price: str | None = None
    rehab_budget: str | None = None
    arv: str | None = None

    def amounts(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """The three amounts, read, None where not given."""
        return tuple(  # type: ignore[return-value]
            None if text in (None, "") else read_money(name, text, positive=False)
            for name, text in (("purchase_price", self.purchase_price),
                               ("rehab_budget", self.rehab_budget), ("arv", self.arv))
        )  # fmt: skip


def add_borrower(session: Session, draft: BorrowerDraft) -> Borrower:
    """A new borrower; a name already used is refused (names find borrowers at the CLI)."""
    if borrower_named(session, draft.name, required=False) is not None:
        raise Conflict("name", f"a borrower named {draft.name!r} exists already")
    row = Borrower(name=draft.name, kind=draft.kind, email=draft.email.strip(),
                   phone=draft.phone.strip(), notes=draft.notes)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def borrower_named(session: Session, name: str, *, required: bool = True) -> Borrower | None:
    """The borrower with this name (any case), or NotFound when `required`."""
    clean = " ".join(name.split())
    row = session.scalar(select(Borrower).where(func.lower(Borrower.name) == clean.lower()))
    if row is None and required:
        raise NotFound("borrower", f"there is no borrower named {clean!r}; add one first")
    return row


def borrowers(session: Session) -> list[Borrower]:
    """Every borrower, by name."""
    return list(session.scalars(select(Borrower).order_by(Borrower.name)))


def get_borrower(session: Session, borrower_id: int) -> Borrower:
    """One borrower, or NotFound."""
    row = session.get(Borrower, borrower_id)
    if row is None:
        raise NotFound("borrower_id", f"there is no borrower {borrower_id}")
    return row


def lock_borrower(session: Session, borrower_id: int) -> Borrower | None:
    """The borrower as stored now, locked until this unit of work ends, so an edit, a new
    invitation and an invitation's acceptance of one borrower run one after the other and each
    decides on what the other committed (PostgreSQL: the row; SQLite: a writer already holds the
    write lock)."""
    # FOR NO KEY UPDATE: loans and documents added meanwhile (rows naming the borrower) need
    # not wait.
    return session.get(
        Borrower, borrower_id, with_for_update={"key_share": True}, populate_existing=True
    )


def update_borrower(session: Session, borrower_id: int, draft: BorrowerDraft) -> Borrower:
    """Change a borrower's name or contacts; a name another borrower has is refused. A
    borrower who signs in to the portal signs in with the new address from then on.

    Under the borrower's lock: an invitation accepted meanwhile waits, then finds a changed
    address voids its link, and a change that waits for an acceptance moves the sign-in it made."""
    row = lock_borrower(session, borrower_id)
    if row is None:
        raise NotFound("borrower_id", f"there is no borrower {borrower_id}")
    other = borrower_named(session, draft.name, required=False)
    if other is not None and other.id != row.id:
        raise Conflict("name", f"a borrower named {draft.name!r} exists already")
    email = draft.email.strip()
    if row.user_id is not None and email.lower() != row.email.strip().lower():
        _move_sign_in(session, row.user_id, email)
    row.name, row.kind, row.email = draft.name, draft.kind, email
    row.phone, row.notes = draft.phone.strip(), draft.notes
    return row


def _move_sign_in(session: Session, user_id: int, email: str) -> None:
    """The borrower's portal sign-in follows their new address, so a later invitation to it
    is a reset of the one sign-in, never a second one."""
    if not email:
        address = accounts.get_user(session, user_id).email
        raise LendingInputError("email", f"the borrower signs in to the portal with {address}; "
                                "give their new address instead of none")  # fmt: skip
    accounts.move_email(session, user_id, email)


def properties(session: Session) -> list[Property]:
    """Every property, newest first."""
    return list(session.scalars(select(Property).order_by(Property.id.desc())))


def _address(text: str) -> str:
    address = " ".join(text.split())
    if not address or len(address) > 300:
        raise LendingInputError("address", "must be 1 to 300 characters")
    return address


def update_property(session: Session, property_id: int, draft: PropertyDraft) -> Property:
    """Change a property's address or amounts (loan-to-cost and -value follow at once)."""
    row = get_property(session, property_id)
    row.address = _address(draft.address)
    row.purchase_price, row.rehab_budget, row.arv = draft.amounts()
    return row


def add_property(session: Session, draft: PropertyDraft) -> Property:
    """A property to lend against."""
    purchase, rehab, arv = draft.amounts()
    row = Property(
        address=_address(draft.address), purchase_price=purchase, rehab_budget=rehab, arv=arv
    )
    session.add(row)
    session.flush()
    return row


def get_property(session: Session, property_id: int) -> Property:
    """One property, or NotFound."""
    row = session.get(Property, property_id)
    if row is None:
        raise NotFound("property_id", f"there is no property {property_id}")
    return row
