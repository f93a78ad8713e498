"""The program's JSON API: partners, terms, conversions, commissions, payouts, and webhooks."""

from evergreen.partners.api import program, webhooks

__all__ = ["program", "webhooks"]
