"""Subscriptions billed by Evergreen: subscribing, renewals and dunning, plan changes,
cancellation, and the MRR report."""

from __future__ import annotations

from evergreen.commerce.service.subscriptions.change import (
    Changed,
    ChangeQuote,
    cancel_change,
    change_plan,
    pending_plan,
    plan_choices,
    quote_change,
    set_plan_family,
)
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
    "ChangeQuote",
    "Changed",
    "Plan",
    "Renewed",
    "SubscribeInput",
    "Subscribed",
    "SubscriptionCard",
    "cancel",
    "cancel_change",
    "change_plan",
    "due_ids",
    "finish_card_change",
    "get_subscription",
    "list_subscriptions",
    "mrr_facts",
    "mrr_page",
    "mrr_report_of",
    "pay_period",
    "pending_plan",
    "plan_choices",
    "plan_of",
    "quote_change",
    "reactivate",
    "refresh_mrr",
    "reminder_mail",
    "renew_one",
    "set_plan_family",
    "start_card_change",
    "stream_persistence",
    "subscribe",
    "subscription_card",
    "subscriptions_of_email",
    "use_persistence",
]
