"""Pure rules of outgoing webhooks: how a payload is signed and verified, when to retry, and
which addresses a delivery may go to."""

from __future__ import annotations

from datetime import timedelta

from evergreen.addresses import Addresses
from evergreen.outbound import refusal
from evergreen.partners.rules.errors import PartnerRuleError
from evergreen.signatures import sign, verify
from evergreen.urls import MAX_URL, check_http_url

__all__ = [
    "ALLOW_SETTING",
    "MAX_ATTEMPTS",
    "MAX_URL",
    "SIGNATURE_HEADER",
    "address_refusal",
    "check_url",
    "retry_delay",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Evergreen-Signature"
MAX_ATTEMPTS = 8
_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds after attempt 1, 2, …


def check_url(url: str) -> str:
    """A receiver is an absolute http(s) URL with a host, no credentials and no whitespace."""
    return check_http_url("url", url, PartnerRuleError)


ALLOW_SETTING = "EVERGREEN_WEBHOOK_ALLOW"


def address_refusal(host: str, address: str, allow: Addresses) -> str | None:
    """Why a webhook for `host` may not be sent to `address` (one it resolved to), or None.

    Only public addresses receive webhooks, so an endpoint cannot make the server reach its
    own loopback, private network or cloud metadata service; the owner can allow named hosts
    or networks with EVERGREEN_WEBHOOK_ALLOW (a receiver on the same machine, a test).
    """
    return refusal(host, address, allow, "webhooks", ALLOW_SETTING)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=_DELAYS[min(attempts, len(_DELAYS)) - 1])
