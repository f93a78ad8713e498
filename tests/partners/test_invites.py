"""The invitation token rule: signed, URL-safe, expiring, and refused when touched."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from evergreen.errors import InputError
from evergreen.partners.rules import PartnerRuleError
from evergreen.partners.rules.invite_token import (
    INVITE_DAYS,
    Invite,
    InviteError,
    invite_expiry,
    invite_token,
    invite_url,
    read_invite,
)

SECRET = "invite-test-secret-Qm4Zt8Rk2Lp6"
NOW = datetime(2025, 3, 1, 12, 0, 0, 500, tzinfo=UTC)
EXPIRES = invite_expiry(NOW)


def _token(**changes: object) -> str:
    fields: dict[str, object] = {
        "secret": SECRET,
        "partner_id": 7,
        "email": "ana@blog.example",
        "expires_at": EXPIRES,
    }
    fields.update(changes)
    return invite_token(**fields)  # type: ignore[arg-type]


def test_a_fresh_token_reads_back_and_is_url_safe() -> None:
    token = _token()
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert read_invite(SECRET, token, NOW) == Invite(7, "ana@blog.example", EXPIRES)
    assert datetime(2025, 3, 8, 12, 0, 0, tzinfo=UTC) == EXPIRES
    assert EXPIRES - NOW.replace(microsecond=0) == timedelta(days=INVITE_DAYS)


def test_the_link_points_at_the_public_invitation_page() -> None:
    token = _token()
    url = invite_url("http://127.0.0.1:8000/", token)
    assert url == f"http://127.0.0.1:8000/portal/invite?token={token}"


def test_it_works_until_the_second_it_expires() -> None:
    token = _token()
    assert read_invite(SECRET, token, EXPIRES - timedelta(seconds=1)).partner_id == 7
    for late in (EXPIRES, EXPIRES + timedelta(days=30)):
        with pytest.raises(InviteError, match="has expired; ask the program owner for a new one"):
            read_invite(SECRET, token, late)


def test_any_changed_character_is_refused() -> None:
    token = _token()
    for index in range(len(token)):
        if token[index] == ".":
            continue
        swapped = "A" if token[index] != "A" else "B"
        altered = token[:index] + swapped + token[index + 1 :]
        with pytest.raises(InviteError, match="this link is not valid"):
            read_invite(SECRET, altered, NOW)


def test_a_forged_payload_with_an_old_signature_is_refused() -> None:
    mine = _token(partner_id=7)
    theirs = _token(partner_id=8, email="eve@evil.example")
    forged = theirs.split(".")[0] + "." + mine.split(".")[1]
    with pytest.raises(InviteError, match="not valid"):
        read_invite(SECRET, forged, NOW)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InviteError, match="not valid"):
        read_invite("another-installation-secret", _token(), NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "no-dot-at-all", ".", "abc.", ".abc", "ab c.def", "é.é", "x" * 2000],
)
def test_wrong_shapes_are_refused_with_the_same_message(token: str) -> None:
    with pytest.raises(InviteError, match="this link is not valid") as caught:
        read_invite(SECRET, token, NOW)
    assert caught.value.field == "token"
    assert isinstance(caught.value, PartnerRuleError)


def test_bad_inputs_to_the_rule_say_what_is_wrong() -> None:
    with pytest.raises(InputError, match="partner_id"):
        _token(partner_id=0)
    with pytest.raises(InputError, match="email"):
        _token(email=" ")
    with pytest.raises(InputError, match="naive datetime"):
        _token(expires_at=datetime(2025, 3, 8))
    with pytest.raises(InputError, match="secret"):
        _token(secret="")
    with pytest.raises(InputError, match="naive datetime"):
        read_invite(SECRET, _token(), datetime(2025, 3, 1))


def test_a_link_with_a_nonce_reads_back_with_it_and_cannot_be_stripped_of_it() -> None:
    token = _token(nonce="n0nce-A_1")
    assert read_invite(SECRET, token, NOW) == Invite(7, "ana@blog.example", EXPIRES, "n0nce-A_1")
    # The nonce is signed: the v1 signature of the same payload without it does not fit.
    plain = _token()
    forged = token.split(".")[0] + "." + plain.split(".")[1]
    with pytest.raises(InviteError, match="not valid"):
        read_invite(SECRET, forged, NOW)
    with pytest.raises(InputError, match="nonce"):
        _token(nonce="has:colon")
