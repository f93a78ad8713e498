"""What a funnel step may be: its kind and what each kind needs, names, colours, templates, and
where a visitor goes next (yes/no targets of an upsell or downsell, else the next step)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from evergreen.funnels.errors import FunnelInputError

__all__ = [
    "FUNNEL_STATUSES",
    "KINDS",
    "OFFER_KINDS",
    "OFF_SALE",
    "TEMPLATES",
    "StepPlan",
    "check_colour",
    "check_kind_needs",
    "check_name",
    "check_offer_product",
    "check_slug",
    "check_status",
    "check_template",
    "next_step",
    "on_sale",
    "slug_of",
    "targets_of",
]

KINDS = ("optin", "webinar", "sales", "order", "upsell", "downsell", "thankyou")
OFFER_KINDS = ("order", "upsell", "downsell")  # steps that sell their product at /buy/<slug>
OFF_SALE = "This step's product is no longer on sale."
TEMPLATES = ("classic", "centered", "bold")
FUNNEL_STATUSES = ("draft", "live")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class StepPlan:
    """A step as the rules see it: id, position, kind and its yes/no targets (step ids)."""

    id: int
    position: int
    kind: str
    yes_step_id: int | None = None
    no_step_id: int | None = None


def check_name(field: str, value: str, limit: int = 200) -> str:
    """A required one-line name, trimmed, at most `limit` characters, with nothing hidden in
    it (a control character printed by `funnels list` would drive the terminal)."""
    text = " ".join((value or "").split())
    if not text:
        raise FunnelInputError(field, "is required")
    if not text.isprintable() or any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                                     for c in text):  # fmt: skip
        raise FunnelInputError(field, "must not contain control characters or direction marks")
    if len(text) > limit:
        raise FunnelInputError(field, f"must be at most {limit} characters")
    return text


def slug_of(text: str) -> str:
    """An address part made from a name: lower-case letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return slug or "page"


def check_slug(field: str, value: str) -> str:
    """An address part the owner typed: lower-case letters, digits and dashes, 1 to 60."""
    text = (value or "").strip().lower()
    if not _SLUG.match(text):
        raise FunnelInputError(field, "use 1 to 60 lower-case letters, digits and dashes")
    return text


def check_colour(field: str, value: str) -> str:
    """A colour as #rrggbb, lower-cased."""
    text = (value or "").strip()
    if not _COLOUR.match(text):
        raise FunnelInputError(field, "must be a colour like #1f6f43")
    return text.lower()


def check_status(value: str) -> str:
    """draft or live."""
    if value not in FUNNEL_STATUSES:
        raise FunnelInputError("status", "must be draft or live")
    return value


def check_template(value: str) -> str:
    """One of the clean page templates."""
    if value not in TEMPLATES:
        raise FunnelInputError("template", f"must be one of {', '.join(TEMPLATES)}")
    return value


def check_kind_needs(
    kind: str,
    *,
    list_id: int | None = None,
    webinar_slug: str | None = None,
    product_id: int | None = None,
    bump_product_id: int | None = None,
    targets: bool = False,
    form_slug: str | None = None,
) -> None:
    """Refuse a kind that is unknown, lacks what it needs, or carries what it cannot use. An
    opt-in step needs a list or a sign-up form (the form names its own lists)."""
    if kind not in KINDS:
        raise FunnelInputError("kind", f"must be one of {', '.join(KINDS)}")
    needs = {
        "optin": ("list_id", list_id),
        "webinar": ("webinar_slug", webinar_slug),
        "order": ("product_id", product_id),
        "upsell": ("product_id", product_id),
        "downsell": ("product_id", product_id),
    }
    if kind == "optin":
        if not (list_id or form_slug):
            raise FunnelInputError("list_id", "an optin step needs a list or a sign-up form")
    elif kind in needs and not needs[kind][1]:
        raise FunnelInputError(needs[kind][0], f"an {kind} step needs it")
    given = {
        "list_id": list_id,
        "webinar_slug": webinar_slug,
        "product_id": product_id,
        "bump_product_id": bump_product_id,
    }
    allowed = {needs[kind][0]} if kind in needs else set()
    if kind == "order":
        allowed.add("bump_product_id")
    for name, value in given.items():
        if value and name not in allowed:
            raise FunnelInputError(name, f"a {kind} step does not use it")
    if targets and kind not in ("upsell", "downsell"):
        raise FunnelInputError("yes_step_id", "only upsell and downsell steps have yes/no targets")


def check_offer_product(kind: str, name: str, product_kind: str) -> None:
    """Refuse a product a selling step can never sell: a subscription is not sold at /buy (its
    page is /subscribe/<slug>, which a sales step can link to)."""
    if kind in OFFER_KINDS and product_kind == "subscription":
        raise FunnelInputError(
            "product_id",
            f"{name} is a subscription: {kind} steps sell one-off products; link its "
            "/subscribe page from a sales step",
        )


def on_sale(product_status: str, product_kind: str) -> bool:
    """Whether a selling step's product can be bought now (a draft or paused one may be later:
    the step then says it is not on sale instead of linking to a missing page)."""
    return product_status == "active" and product_kind != "subscription"


def targets_of(step: StepPlan, steps: Sequence[StepPlan]) -> tuple[int | None, int | None]:
    """Where "yes" (or the page's button) and "no" lead: its targets, else the next step."""
    ordered = sorted(steps, key=lambda s: (s.position, s.id))
    later = [s for s in ordered if (s.position, s.id) > (step.position, step.id)]
    following = later[0].id if later else None
    ids = {s.id for s in steps}
    yes = step.yes_step_id if step.yes_step_id in ids else following
    no = step.no_step_id if step.no_step_id in ids else following
    if step.kind not in ("upsell", "downsell"):
        return following, None
    return yes, no


def next_step(step: StepPlan, steps: Sequence[StepPlan], *, accepted: bool = True) -> int | None:
    """The step a visitor goes to after this one (None: the funnel ends here)."""
    yes, no = targets_of(step, steps)
    return yes if accepted or no is None else no
