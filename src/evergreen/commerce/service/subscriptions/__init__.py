"""Subscriptions billed by Evergreen: subscribing, renewals and dunning, cancellation, and the
MRR report."""

from __future__ import annotations

from evergreen.commerce.service.subscriptions.mails import reminder_mail
from evergreen.commerce.service.subscriptions.manage import (
    SUBSCRIPTIONS_PAGE,
    SubscriptionCard,
    cancel,
    finish_card_change,
    get_subscription,
    list_subscriptions,
    pay_period,
    reactivate,
    start_card_change,
    subscription_card,
    subscriptions_of_email,
)
from evergreen.commerce.service.subscriptions.renew import Renewed, due_ids, renew_one
from evergreen.commerce.service.subscriptions.report import (
    MOVEMENTS,
    mrr_facts,
    mrr_page,
    mrr_report_of,
    refresh_mrr,
    stream_persistence,
    use_persistence,
)
from evergreen.commerce.service.subscriptions.start import (
    Plan,
    Subscribed,
    SubscribeInput,
    plan_of,
    subscribe,
)

__all__ = [
    "MOVEMENTS",
    "SUBSCRIPTIONS_PAGE",
    "Plan",
    "Renewed",
    "SubscribeInput",
    "Subscribed",
    "SubscriptionCard",
    "cancel",
    "due_ids",
    "finish_card_change",
    "get_subscription",
    "list_subscriptions",
    "mrr_facts",
    "mrr_page",
    "mrr_report_of",
    "pay_period",
    "plan_of",
    "reactivate",
    "refresh_mrr",
    "reminder_mail",
    "renew_one",
    "start_card_change",
    "stream_persistence",
    "subscribe",
    "subscription_card",
    "subscriptions_of_email",
    "use_persistence",
]
