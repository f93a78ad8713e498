"""The dashboard's map: one entry per product area, in the order money flows."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AREAS", "Area"]


@dataclass(frozen=True)
class Area:
    """A navigation entry; `ready` is False until the area has its own pages."""

    slug: str
    title: str
    summary: str
    ready: bool = False


AREAS: tuple[Area, ...] = (
    Area("links", "Links", "Tracking links, redirects, clicks and QR codes.", ready=True),
    Area(
        "partners", "Partners", "Your affiliate program and your network commissions.", ready=True
    ),
    Area("audience", "Audience", "Forms, double opt-in, tags, segments and consent."),
    Area("mail", "Mail", "Compliant delivery, unsubscribes, bounces and quotas."),
    Area("sequences", "Sequences", "Autoresponders timed to each subscriber."),
    Area("webinars", "Webinars", "Evergreen webinars, sessions, reminders and replays."),
    Area("commerce", "Commerce", "Products, offers, checkout, orders and fulfilment."),
    Area("ledger", "Ledger", "Income, costs and hours per stream; residual income."),
    Area("lending", "Lending", "Private loans, draws, payments and payoff quotes."),
    Area("household", "Household", "Personal residual income and financial independence."),
    Area("finance", "Finance", "Valuation models: residual income, EVA, loans, simulations."),
)
