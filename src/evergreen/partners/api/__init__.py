"""The program's JSON API: partners, terms, conversions, commissions, payouts, and webhooks."""

from evergreen.partners.api import partner_edits, payouts, program, settings, webhooks

__all__ = ["partner_edits", "payouts", "program", "settings", "webhooks"]
