"""Delivery's pure rules, without a database: download links signed over grant, file and
expiry (a changed one refused 403, an expired one 410), the buyer's sign-in link and cookie
kept apart by purpose, refusals for revoked and used-up grants, settings, and license keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.delivery import (
    LinkRefused,
    buyer_token,
    check_email,
    check_setting,
    download_refusal,
    download_token,
    hash_address,
    link_expiry,
    read_buyer_token,
    read_download_token,
)
from evergreen.commerce.rules.licenses import (
    activation_refusal,
    check_instance,
    check_key,
    format_key,
)

SECRET = "s" * 40
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_a_download_link_names_its_grant_and_file_until_it_expires() -> None:
    expires = link_expiry(NOW, None)
    assert expires == NOW + timedelta(hours=24)
    assert link_expiry(NOW, 2) == NOW + timedelta(hours=2)
    token = download_token(SECRET, 7, 12, expires)
    claim = read_download_token(SECRET, token, NOW)
    assert (claim.grant_id, claim.file_id, claim.expires) == (7, 12, expires)
    with pytest.raises(LinkRefused) as expired:
        read_download_token(SECRET, token, expires)
    assert expired.value.status == 410
    assert "expired" in expired.value.message


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("7.12.", "8.12.", 1),  # another grant
        lambda t: t.replace("7.12.", "7.13.", 1),  # another file
        lambda t: (
            t.split(".")[0] + ".12." + str(int(t.split(".")[2]) + 3600) + "." + t.split(".")[3]
        ),
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: "",
        lambda t: "x" * 300,
    ],
)
def test_a_changed_download_link_is_refused_403(change: object) -> None:
    token = download_token(SECRET, 7, 12, NOW + timedelta(hours=1))
    changed = change(token)  # type: ignore[operator]
    with pytest.raises(LinkRefused) as refused:
        read_download_token(SECRET, changed, NOW)
    assert refused.value.status == 403
    with pytest.raises(LinkRefused):
        read_download_token("another secret entirely", token, NOW)


def test_a_download_is_refused_when_revoked_or_used_up() -> None:
    assert download_refusal("active", "", 0, None) is None
    assert download_refusal("active", "", 2, 3) is None
    assert "3 downloads are used up" in (download_refusal("active", "", 3, 3) or "")
    assert "revoked (refunded)" in (download_refusal("revoked", "refunded", 0, None) or "")


def test_sign_in_links_and_buyer_cookies_cannot_stand_for_each_other() -> None:
    later = NOW + timedelta(minutes=30)
    link = buyer_token(SECRET, "sign-in", "ann@example.com", later)
    assert read_buyer_token(SECRET, "sign-in", link, NOW) == "ann@example.com"
    with pytest.raises(LinkRefused):
        read_buyer_token(SECRET, "buyer-session", link, NOW)
    with pytest.raises(LinkRefused) as expired:
        read_buyer_token(SECRET, "sign-in", link, later)
    assert expired.value.status == 410
    other = buyer_token(SECRET, "sign-in", "bob@example.com", later)
    forged = other.split(".")[0] + "." + ".".join(link.split(".")[1:])
    with pytest.raises(LinkRefused):
        read_buyer_token(SECRET, "sign-in", forged, NOW)
    with pytest.raises(ValueError, match="download"):
        buyer_token(SECRET, "download", "ann@example.com", later)


def test_emails_settings_and_addresses() -> None:
    assert check_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("", "ann", "ann@", "a b@example.com", "ann@example"):
        with pytest.raises(CommerceInputError) as refused:
            check_email(bad)
        assert refused.value.field == "email"
    assert check_setting("download_limit", "") is None
    assert check_setting("link_hours", " 48 ") == 48
    for bad in ("0", "-1", "1.5", "ten", "99999999"):
        with pytest.raises(CommerceInputError) as refused:
            check_setting("license_activations", bad)
        assert refused.value.field == "license_activations"
    assert hash_address(SECRET, "203.0.113.9") != hash_address(SECRET, "203.0.113.8")
    assert "203" not in hash_address(SECRET, "203.0.113.9")


def test_license_keys_are_four_groups_of_five_and_read_as_typed() -> None:
    key = format_key(bytes(range(13)))
    assert len(key) == 23
    assert [len(group) for group in key.split("-")] == [5, 5, 5, 5]
    assert set(key.replace("-", "")) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert format_key(bytes(range(13))) == key
    assert format_key(bytes(range(1, 14))) != key
    assert check_key(key.lower().replace("-", " ")) == key
    for bad in ("", "ABCDE-FGHIJ", key + "A", key.replace(key[0], "1")):
        with pytest.raises(CommerceInputError) as refused:
            check_key(bad)
        assert refused.value.field == "license_key"
    with pytest.raises(ValueError, match="13 random bytes"):
        format_key(b"short")


def test_activations_stop_at_the_limit_and_when_disabled() -> None:
    assert activation_refusal("active", 2, 3) is None
    assert "3 of 3 instances" in (activation_refusal("active", 3, 3) or "")
    assert "1 of 1 instance;" in (activation_refusal("active", 1, 1) or "")
    assert "disabled" in (activation_refusal("disabled", 0, 3) or "")
    assert check_instance("instance_name", "  Laptop\x00 ") == "Laptop"
    for field, bad in (("instance_name", ""), ("instance_name", "x" * 201), ("instance_id", "a")):
        with pytest.raises(CommerceInputError) as refused:
            check_instance(field, bad)
        assert refused.value.field == field
