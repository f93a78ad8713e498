"""The partner program's refusals: a rule broken (422), a thing not found (404), a clash (409)."""

from __future__ import annotations

from evergreen.errors import Conflict, InputError, NotFound

__all__ = [
    "CommissionNotFound",
    "ConversionNotFound",
    "EndpointNotFound",
    "PartnerConflict",
    "PartnerNotFound",
    "PartnerRuleError",
    "PayoutNotFound",
]


class PartnerRuleError(InputError):
    """A partner-program value that breaks a rule, named so the caller can point at it."""


class PartnerNotFound(PartnerRuleError, NotFound):
    """No partner with this id in the program (another program's is not found either)."""


class CommissionNotFound(PartnerRuleError, NotFound):
    """No commission with this id in the program."""


class ConversionNotFound(PartnerRuleError, NotFound):
    """No conversion with this id in the program."""


class PayoutNotFound(PartnerRuleError, NotFound):
    """No payout with this id in the program."""


class EndpointNotFound(PartnerRuleError, NotFound):
    """No webhook endpoint with this id in the program."""


class PartnerConflict(PartnerRuleError, Conflict):
    """A well-formed request that the commission's stored state does not allow."""
