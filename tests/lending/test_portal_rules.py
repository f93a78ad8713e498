"""Pure rules of the borrower portal: payoff letter figures and days, wiring lines, which
uploads are images, and the signed invitation link (altered, foreign or expired: refused)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from evergreen.errors import InputError
from evergreen.lending.rules import PayoffQuote
from evergreen.lending.rules.invites import (
    BorrowerInvite,
    invite_expiry,
    invite_token,
    invite_url,
    read_invite,
)
from evergreen.lending.rules.letters import check_letter_day, payoff_letter, wire_lines
from evergreen.lending.rules.photos import MAX_PHOTOS, check_photo_count, photo_type

D = Decimal
TODAY = date(2026, 3, 10)
START = date(2026, 1, 15)


def test_a_letter_states_each_part_and_a_total_good_through_the_quote_day() -> None:
    quote = PayoffQuote(date(2026, 3, 20), D("100000"), D("1833.33"), D("0"), D("150"), D("33.33"))
    letter = payoff_letter(quote, loan_id=7, borrower="Rehab Co", collateral="3 Pine Rd",
                           currency="USD", issued=TODAY, wire="First Bank | ABA 123")  # fmt: skip
    assert letter.total == D("101983.33") == quote.total
    assert letter.good_through == date(2026, 3, 20)
    assert letter.lines() == [("Principal", D("100000")), ("Interest to 2026-03-20", D("1833.33")),
                              ("Fees", D("150"))]  # fmt: skip
    assert letter.wire == ("First Bank", "ABA 123")


def test_default_interest_gets_its_own_line_only_when_owed() -> None:
    quote = PayoffQuote(TODAY, D("1000"), D("10"), D("5"), D("0"), D("1"))
    letter = payoff_letter(quote, loan_id=1, borrower="B", collateral="", currency="USD",
                           issued=TODAY, wire="")  # fmt: skip
    assert ("Default interest", D("5")) in letter.lines()
    assert letter.total == D("1015")


@pytest.mark.parametrize(
    ("text", "lines"),
    [("Bank\nAcct 1\n\n", ("Bank", "Acct 1")), ("A | B|C", ("A", "B|C")),
     ("   ", ("Call or write to us for wiring instructions before you send funds.",))],
)  # fmt: skip
def test_wiring_text_splits_into_lines_and_never_is_empty(
    text: str, lines: tuple[str, ...]
) -> None:
    assert wire_lines(text) == lines


@pytest.mark.parametrize(
    ("day", "borrower", "field_message"),
    [(date(2026, 1, 14), False, "before the loan's start"),
     (date(2026, 3, 9), True, "today (2026-03-10) or later"),
     (TODAY + timedelta(days=91), True, "within 90 days")],
)  # fmt: skip
def test_a_letter_day_out_of_range_is_refused(
    day: date, borrower: bool, field_message: str
) -> None:
    with pytest.raises(InputError) as refused:
        check_letter_day(day, TODAY, START, borrower=borrower)
    assert refused.value.field == "as_of"
    assert field_message in refused.value.message


def test_the_owner_may_quote_a_past_day_and_a_borrower_up_to_90_days_ahead() -> None:
    assert check_letter_day(date(2026, 2, 1), TODAY, START, borrower=False) == date(2026, 2, 1)
    ahead = TODAY + timedelta(days=90)
    assert check_letter_day(ahead, TODAY, START, borrower=True) == ahead


@pytest.mark.parametrize(
    ("head", "media"),
    [(b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
     (b"GIF89a\x01\x00", "image/gif"), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp")],
)  # fmt: skip
def test_images_are_known_by_their_first_bytes(head: bytes, media: str) -> None:
    assert photo_type(head) == media


@pytest.mark.parametrize("head", [b"", b"%PDF-1.7", b"<svg xmlns=", b"RIFF\x10\x00\x00\x00WAVE"])
def test_anything_else_is_refused_whatever_its_name(head: bytes) -> None:
    with pytest.raises(InputError, match="must be images"):
        photo_type(head)


def test_at_most_six_photos_with_one_request() -> None:
    assert check_photo_count(MAX_PHOTOS) == MAX_PHOTOS
    with pytest.raises(InputError, match="at most 6 photos"):
        check_photo_count(MAX_PHOTOS + 1)


NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
SECRET = "s" * 40


def _token(**changes: object) -> str:
    fields: dict[str, object] = {"borrower_id": 4, "email": "Ann@Example.com", "nonce": "abc_1",
                                 "expires_at": invite_expiry(NOW)}  # fmt: skip
    fields.update(changes)
    return invite_token(SECRET, BorrowerInvite(**fields))  # type: ignore[arg-type]


def test_an_invitation_reads_back_for_a_week() -> None:
    invite = read_invite(SECRET, _token(), NOW + timedelta(days=6))
    assert (invite.borrower_id, invite.email, invite.nonce) == (4, "ann@example.com", "abc_1")
    assert invite.expires_at == NOW + timedelta(days=7)
    assert (
        invite_url("https://lend.example/", "t.k")
        == "https://lend.example/borrower/invite?token=t.k"
    )


def test_an_altered_foreign_or_expired_invitation_is_refused() -> None:
    token = _token()
    payload, mac = token.split(".")
    changed = ("A" if payload[0] != "A" else "B") + payload[1:]
    for bad in (f"{changed}.{mac}", f"{payload}.{mac[:-1]}x", "nonsense", ""):
        with pytest.raises(InputError, match="not valid"):
            read_invite(SECRET, bad, NOW)
    with pytest.raises(InputError, match="not valid"):
        read_invite("another secret", token, NOW)
    with pytest.raises(InputError, match="expired"):
        read_invite(SECRET, token, NOW + timedelta(days=7))


def test_a_borrower_without_email_cannot_be_invited() -> None:
    with pytest.raises(InputError) as refused:
        _token(email=" ")
    assert refused.value.field == "email"
