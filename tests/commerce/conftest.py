"""The commerce tests' Stripe: a provider and the SDK, both aimed at localstripe.

A module that imports `localstripe` (as the Stripe tests do) runs its own server, and these
fixtures use that one; elsewhere they use the one imported here.
"""

from __future__ import annotations

import pytest
import stripe
from stripe._base_address import BaseAddresses

from evergreen.commerce import service
from evergreen.commerce.payments import StripeProvider
from evergreen.config import Settings
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET

__all__ = ["localstripe", "provider", "sdk"]  # the session fixture, imported for pytest


@pytest.fixture
def provider(localstripe: str) -> StripeProvider:
    """Stripe as the app configures it from settings, signing webhooks with HOOK_SECRET."""
    settings = Settings(
        stripe_secret_key=STRIPE_TEST_KEY,
        stripe_webhook_secret=HOOK_SECRET,
        stripe_api_base=localstripe,
    )
    found = service.provider_for(settings)
    assert isinstance(found, StripeProvider)
    return found


@pytest.fixture
def sdk(localstripe: str) -> stripe.StripeClient:
    """The SDK used directly, as Stripe.js and the buyer's bank would act on their side."""
    bases: BaseAddresses = {"api": localstripe}
    return stripe.StripeClient(STRIPE_TEST_KEY, base_addresses=bases)
