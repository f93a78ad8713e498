"""The public pages of the funnel's machine (sign-up form, webinar registration, checkout,
subscribe, funnel step) with a NUL in their address: not found, never a 500 (PostgreSQL refuses
to compare text holding a NUL, so the lookup must not ask it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

ADDRESSES = (
    "/f/a%00b",
    "/w/a%00b",
    "/buy/a%00b",
    "/subscribe/a%00b",
    "/p/a%00b/c",
)


@pytest.mark.both_databases
@pytest.mark.parametrize("address", ADDRESSES)
def test_a_nul_in_a_public_address_is_not_found(client: TestClient, address: str) -> None:
    answer = client.get(address, follow_redirects=False)
    assert answer.status_code == 404, answer.text[:300]
