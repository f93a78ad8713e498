"""Pure partner-program decisions on plain values: terms, attribution, lifecycle, fraud, payouts."""

from __future__ import annotations

from evergreen.partners.rules.attribution import (
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    Attribution,
    Touch,
    TouchKind,
    attribute,
    bound_partner,
)
from evergreen.partners.rules.errors import (
    CommissionNotFound,
    EndpointNotFound,
    PartnerConflict,
    PartnerNotFound,
    PartnerRuleError,
    PayoutNotFound,
)
from evergreen.partners.rules.fraud import (
    DEFAULT_DISPOSABLE,
    FraudRules,
    Signals,
    fraud_email_key,
    fraud_reasons,
)
from evergreen.partners.rules.lifecycle import (
    ACTIONS,
    OWED,
    Action,
    RefundEffect,
    Status,
    allowed_actions,
    approval_due,
    refund_effect,
    transition,
)
from evergreen.partners.rules.payouts import Payable, PayoutLine, period_of, plan_payouts
from evergreen.partners.rules.terms import (
    Due,
    Duration,
    EventType,
    Terms,
    Tier,
    commission_for,
    recruiter_bonus,
    terms_in_force,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_DISPOSABLE",
    "MAX_WINDOW_DAYS",
    "MIN_WINDOW_DAYS",
    "OWED",
    "Action",
    "Attribution",
    "CommissionNotFound",
    "Due",
    "Duration",
    "EndpointNotFound",
    "EventType",
    "FraudRules",
    "PartnerConflict",
    "PartnerNotFound",
    "PartnerRuleError",
    "Payable",
    "PayoutLine",
    "PayoutNotFound",
    "RefundEffect",
    "Signals",
    "Status",
    "Terms",
    "Tier",
    "Touch",
    "TouchKind",
    "allowed_actions",
    "approval_due",
    "attribute",
    "bound_partner",
    "commission_for",
    "fraud_email_key",
    "fraud_reasons",
    "period_of",
    "plan_payouts",
    "recruiter_bonus",
    "refund_effect",
    "terms_in_force",
    "transition",
]
