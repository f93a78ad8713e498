"""The pure parts of sending: the token bucket, the retry schedule and the server settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiosmtplib.email import quote_address
from hypothesis import given
from hypothesis import strategies as st

from evergreen.config import Settings
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.ratelimit import Bucket, take
from evergreen.mail.rules.retry import SCHEDULE, next_attempt
from evergreen.mail.sending.sender import PLAIN_ADDRESS
from evergreen.mail.sending.servers import parse_servers, servers_from_settings


def test_bucket_spaces_messages_at_the_rate_after_the_burst() -> None:
    bucket = Bucket(tokens=2, at=0.0)
    waits = []
    for _ in range(5):
        bucket, wait = take(bucket, 0.0, rate=10, burst=2)
        waits.append(round(wait, 3))
    assert waits == [0.0, 0.0, 0.1, 0.2, 0.3]
    bucket, wait = take(bucket, 10.0, rate=10, burst=2)  # refilled, never above the burst
    assert wait == 0
    assert bucket.tokens == 1


def test_no_rate_means_no_wait() -> None:
    assert take(Bucket(0, 0), 0, rate=0, burst=1)[1] == 0


def test_retry_schedule_grows_then_gives_up() -> None:
    last = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt(1, last) == last + timedelta(minutes=1)
    assert next_attempt(2, last) == last + timedelta(minutes=5)
    assert next_attempt(len(SCHEDULE) + 1, last) is None
    assert list(SCHEDULE) == sorted(SCHEDULE)


def test_servers_come_from_the_settings_first_then_the_list() -> None:
    settings = Settings(
        smtp_host="mail.example.com", smtp_port=25, smtp_starttls=False, smtp_rate=5,
        smtp_servers="smtps://u:p%40ss@backup.example.com?rate=2&pool=2, smtp://relay.local:2525",
    )  # fmt: skip
    first, second, third = servers_from_settings(settings)
    assert (first.host, first.port, first.security, first.rate) == (
        "mail.example.com", 25, "never", 5
    )  # fmt: skip
    assert (second.port, second.security, second.password, second.pool) == (465, "tls", "p@ss", 2)
    assert (third.port, third.security) == (2525, "offered")


def test_a_login_always_needs_tls() -> None:
    (server,) = parse_servers("smtp://user:pw@relay.example.com:25")
    assert server.security == "starttls"
    with pytest.raises(MailInputError, match="TLS"):
        parse_servers("smtp://user:pw@relay.example.com:25?tls=never")


@pytest.mark.parametrize("bad", ["http://x", "smtp://", "smtp://h?rate=fast", "smtp://h:99999"])
def test_bad_server_urls_are_refused_with_the_reason(bad: str) -> None:
    with pytest.raises(MailInputError) as refused:
        servers_from_settings(Settings(smtp_servers=bad))
    assert refused.value.field.startswith("smtp_servers")


@given(st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_a_plain_address_goes_on_the_command_line_as_aiosmtplib_would_put_it(address: str) -> None:
    assert quote_address(address) == f"<{address}>"


def test_what_is_not_plain_is_left_to_aiosmtplib() -> None:
    for address in ("Ann <ann@example.com>", "a..b@example.com", "ann@", "änn@example.com",
                    "ann@example.com\r\nRCPT TO:<x@y>", '"a b"@example.com'):  # fmt: skip
        assert not PLAIN_ADDRESS.match(address)
