"""Program set-up use cases: the program, its partners, their links and coupons."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.db import serialize_on, write_unless_taken
from evergreen.errors import InputError
from evergreen.links import service as links
from evergreen.partners.models import Coupon, Partner, PartnerLink, Program
from evergreen.partners.rules import PartnerNotFound, PartnerRuleError
from evergreen.partners.service.partner_edits import lock_partner
from evergreen.partners.service.referral import give_referral_link, has_links

__all__ = [
    "add_coupon",
    "assign_link",
    "create_partner",
    "default_program",
    "get_partner",
    "list_partners",
    "partner_for_user",
    "program_of",
    "set_status",
    "sign_up",
]

_STATUSES = ("pending", "active", "suspended")


def default_program(session: Session, currency: str = "USD") -> Program:
    """The installation's affiliate program, created on first use (once, however many
    requests make that first use at the same moment)."""
    program = session.scalar(select(Program).order_by(Program.id))
    if program is None:
        serialize_on(session, "partners:default-program")
        program = session.scalar(select(Program).order_by(Program.id))  # made while we waited?
    if program is None:
        program = Program(name="Affiliate program", currency=currency)
        session.add(program)
        session.flush()
    return program


def program_of(session: Session, partner: Partner) -> Program:
    """The program a partner belongs to."""
    program = session.get(Program, partner.program_id)
    assert program is not None  # the foreign key cascades: a partner always has its program
    return program


def create_partner(
    session: Session,
    program: Program,
    *,
    name: str,
    email: str,
    group: str = "",
    status: str = "pending",
    recruited_by_id: int | None = None,
    referral_link: bool = True,
) -> Partner:
    """Add a partner (invited or signed up; pending until approved) with their referral link.

    The link goes to the program's landing page (none while it is not set). A public
    applicant (`referral_link=False`) gets theirs when approved instead.
    """
    _check_name(name)
    if status not in _STATUSES:
        raise PartnerRuleError("status", f"must be one of {', '.join(_STATUSES)}")
    if len(group.strip()) > 50:
        raise PartnerRuleError("group", "must be at most 50 characters")
    address = _address(email)
    partner = Partner(
        program_id=program.id,
        name=name.strip(),
        email=address,
        group=group.strip(),
        status=status,
        recruited_by_id=recruited_by_id,
    )
    # The same address may be added twice at the same moment.
    if not write_unless_taken(
        session, lambda: session.add(partner), lambda: _email_taken(session, program, address)
    ):
        raise PartnerRuleError("email", f"{address} is already a partner")
    if referral_link:
        give_referral_link(session, program, partner)
    return partner


def _email_taken(session: Session, program: Program, address: str) -> bool:
    taken = select(Partner.id).where(Partner.program_id == program.id, Partner.email == address)
    return session.scalar(taken) is not None


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > 200:
        raise PartnerRuleError("name", "must be 1 to 200 characters")


def _address(email: str) -> str:
    try:
        return accounts.normalize_email(email)
    except InputError as exc:  # the accounts area refused the address
        raise PartnerRuleError("email", exc.message) from None


def get_partner(session: Session, program: Program, partner_id: int) -> Partner:
    """A partner of this program (anything else is 'not found', never another program's)."""
    partner = session.get(Partner, partner_id)
    if partner is None or partner.program_id != program.id:
        raise PartnerNotFound("partner_id", f"no partner with id {partner_id}")
    return partner


def list_partners(
    session: Session, program: Program, *, order: Literal["id", "name"] = "id"
) -> list[Partner]:
    """Every partner of the program, oldest first or by name."""
    by = (Partner.name, Partner.id) if order == "name" else (Partner.id,)
    query = select(Partner).where(Partner.program_id == program.id).order_by(*by)
    return list(session.scalars(query))


def sign_up(
    session: Session, program: Program, *, name: str, email: str, password: str
) -> Partner | None:
    """A public application: a pending partner and its portal sign-in, both or neither.

    An email that is already a partner or an account gets None and nothing is stored, in the
    time a new application takes: the page answers the same either way, so the public form
    tells no one which addresses have an account. Bad input is refused for everyone alike.
    """
    _check_name(name)
    address = _address(email)
    accounts.check_password(address, password)
    partner_taken = select(Partner.id).where(
        Partner.program_id == program.id, Partner.email == address
    )
    if session.scalar(partner_taken) is not None or accounts.account_exists(session, address):
        accounts.hash_in_vain(password)
        return None
    try:
        with session.begin_nested():
            partner = create_partner(
                session, program, name=name, email=address, status="pending", referral_link=False
            )
            accounts.create_user(session, address, password, accounts.Role.PARTNER)
    except IntegrityError:  # the same address applied twice at once: the first one stands
        return None
    return partner


def partner_for_user(session: Session, user_email: str) -> Partner | None:
    """The partner record a signed-in partner account stands for (matched by email), if active."""
    return session.scalar(
        select(Partner).where(Partner.email == user_email.lower(), Partner.status == "active")
    )


def set_status(session: Session, partner: Partner, status: str) -> Partner:
    """Approve, suspend or reinstate a partner; one let in without a link gets one (an
    applicant approved, or one suspended before approval and then reinstated).

    Under the partner's lock, deciding on the partner as stored: an invitation accepted while
    a suspension is under way waits for it and is refused, as it is once they are suspended."""
    if status not in _STATUSES:
        raise PartnerRuleError("status", f"must be one of {', '.join(_STATUSES)}")
    if lock_partner(session, partner.id) is None:
        raise PartnerNotFound("partner_id", f"no partner with id {partner.id}")
    let_in = partner.status != "active" and status == "active"
    partner.status = status
    if let_in and not has_links(session, partner):
        give_referral_link(session, program_of(session, partner), partner)
    return partner


def _holder(session: Session, link_id: int) -> PartnerLink | None:
    return session.scalar(select(PartnerLink).where(PartnerLink.link_id == link_id))


def _held(existing: PartnerLink, partner: Partner, slug: str) -> PartnerLink:
    """A link already assigned: to this partner it stands, to another it is refused."""
    if existing.partner_id != partner.id:
        raise PartnerRuleError("slug", f"link {slug!r} already belongs to another partner")
    return existing


def assign_link(session: Session, partner: Partner, slug: str) -> PartnerLink:
    """Give a tracking link to a partner; its clicks then attribute sales to them."""
    if not slug.strip():
        raise PartnerRuleError("slug", "enter the slug of an existing link, e.g. spring")
    try:
        link = links.get_link(session, slug)
    except links.LinkNotFound as exc:
        raise PartnerRuleError("slug", str(exc)) from None
    row = PartnerLink(partner_id=partner.id, link_id=link.id)
    holder: PartnerLink | None = None

    def held() -> bool:  # keeps the holder it finds: the answer when the link is held
        nonlocal holder
        holder = _holder(session, link.id)
        return holder is not None

    # The same link may be assigned at the same moment.
    if write_unless_taken(session, lambda: session.add(row), held):
        return row
    assert holder is not None  # held() found it
    return _held(holder, partner, slug)


def _coupon_taken(session: Session, code: str) -> bool:
    return session.scalar(select(Coupon.id).where(Coupon.code == code)) is not None


def add_coupon(session: Session, partner: Partner, code: str) -> Coupon:
    """A coupon code that credits the partner with the sales it is used on."""
    value = code.strip().upper()
    if not value or len(value) > 50 or not value.replace("-", "").replace("_", "").isalnum():
        raise PartnerRuleError("code", "use 1-50 letters, digits, '-' or '_'")
    coupon = Coupon(partner_id=partner.id, code=value)
    # The same code may be added at the same moment.
    if not write_unless_taken(
        session, lambda: session.add(coupon), lambda: _coupon_taken(session, value)
    ):
        raise PartnerRuleError("code", f"coupon {value} is already used")
    return coupon
