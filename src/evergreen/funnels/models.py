"""Tables of the funnels area: funnels, their steps and A/B variants, daily traffic rollups
(counters, not a row per hit) and ad spend in whole cents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["AdSpend", "Funnel", "FunnelStep", "FunnelTraffic", "FunnelVariant"]


class Funnel(Base):
    """A funnel: its public address, whether it is live, and the owner's colours."""

    __tablename__ = "funnels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft or live
    primary_colour: Mapped[str] = mapped_column(String(7), default="#1f6f43")
    background_colour: Mapped[str] = mapped_column(String(7), default="#ffffff")
    text_colour: Mapped[str] = mapped_column(String(7), default="#1b1b1b")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FunnelStep(Base):
    """One page of a funnel, in order; what it offers depends on its kind."""

    __tablename__ = "funnel_steps"
    __table_args__ = (UniqueConstraint("funnel_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funnel_id: Mapped[int] = mapped_column(ForeignKey("funnels.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # optin, webinar, sales, order, upsell, downsell or thankyou
    kind: Mapped[str] = mapped_column(String(12))
    slug: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(12), default="classic")
    list_id: Mapped[int | None] = mapped_column(default=None)  # optin: the audience list
    # optin: the audience sign-up form (/f/<slug>) its button opens
    form_slug: Mapped[str | None] = mapped_column(String(60), default=None)
    webinar_slug: Mapped[str | None] = mapped_column(String(60), default=None)  # webinar
    product_id: Mapped[int | None] = mapped_column(default=None)  # order, upsell, downsell
    bump_product_id: Mapped[int | None] = mapped_column(default=None)  # order
    # upsell/downsell: where "yes" and "no" lead (a step id); none means the next step.
    yes_step_id: Mapped[int | None] = mapped_column(default=None)
    no_step_id: Mapped[int | None] = mapped_column(default=None)


class FunnelVariant(Base):
    """One version of a step's page (A, B, …), shown to a share of visitors by its weight."""

    __tablename__ = "funnel_variants"
    __table_args__ = (UniqueConstraint("step_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("funnel_steps.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(20))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    headline: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")  # Markdown
    button: Mapped[str] = mapped_column(String(60), default="Continue")


class FunnelTraffic(Base):
    """A day's counters of one step's variant: unique visitors, page views, conversions."""

    __tablename__ = "funnel_traffic"
    __table_args__ = (UniqueConstraint("variant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funnel_id: Mapped[int] = mapped_column(ForeignKey("funnels.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("funnel_steps.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("funnel_variants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    visitors: Mapped[int] = mapped_column(BigInteger, default=0)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(BigInteger, default=0)


class AdSpend(Base):
    """What one campaign on one source cost on one day; importing the day again replaces it."""

    __tablename__ = "ad_spend"
    __table_args__ = (UniqueConstraint("funnel_id", "day", "campaign", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    funnel_id: Mapped[int] = mapped_column(ForeignKey("funnels.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    campaign: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
