"""The forms' pure decisions: bot traps, the rate limit, slugs and origins, preference links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules.forms import (
    FormPolicy,
    Verdict,
    browser_zone,
    check_origins,
    check_slug,
    judge_post,
    origin_allowed,
    preference_token,
    preference_token_matches,
    rate_wait,
    read_preference_token,
    render_token,
    rendered_at,
    wait_in_words,
)

SECRET = "s" * 40
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_person_who_took_a_few_seconds_is_accepted() -> None:
    token = render_token(SECRET, "news", NOW - timedelta(seconds=5))
    assert judge_post(SECRET, "news", token, "", NOW) is Verdict.ACCEPT


@pytest.mark.parametrize(
    ("token_for", "honeypot", "verdict"),
    [
        (
            lambda: render_token(SECRET, "news", NOW - timedelta(seconds=5)),
            "http://spam",
            Verdict.BOT,
        ),
        (lambda: render_token(SECRET, "news", NOW - timedelta(seconds=1)), "", Verdict.BOT),
        (lambda: render_token(SECRET, "other", NOW - timedelta(seconds=5)), "", Verdict.BOT),
        (lambda: render_token("x" * 40, "news", NOW - timedelta(seconds=5)), "", Verdict.BOT),
        (lambda: "1700000000.000.abc", "", Verdict.BOT),
        (lambda: "nonsense", "", Verdict.BOT),
        (lambda: "", "", Verdict.AGAIN),
        (lambda: render_token(SECRET, "news", NOW - timedelta(days=2)), "", Verdict.AGAIN),
    ],
    ids=[
        "honeypot",
        "too-fast",
        "other-form",
        "other-secret",
        "forged",
        "garbage",
        "missing",
        "old",
    ],
)
def test_traps(token_for, honeypot: str, verdict: Verdict) -> None:  # type: ignore[no-untyped-def]
    assert judge_post(SECRET, "news", token_for(), honeypot, NOW) is verdict


def test_the_render_time_is_read_back_only_from_a_token_signed_for_the_form() -> None:
    shown = NOW - timedelta(seconds=20)
    token = render_token(SECRET, "news", shown)
    assert rendered_at(SECRET, "news", token) == shown
    assert rendered_at(SECRET, "news", f" {token} ") == shown
    assert rendered_at(SECRET, "other", token) is None
    assert rendered_at("x" * 40, "news", token) is None
    stamp, signature = token.split(".", 1)[0], token.rsplit(".", 1)[1]
    assert rendered_at(SECRET, "news", f"{float(stamp) - 60:.3f}.{signature}") is None
    for garbage in ("", "nonsense", "nan.abc", "1e999.abc"):
        assert rendered_at(SECRET, "news", garbage) is None


def test_rate_limit_opens_when_the_oldest_counted_post_leaves_the_window() -> None:
    policy = FormPolicy(rate_limit=3, rate_window=timedelta(minutes=10))
    times = [NOW - timedelta(minutes=m) for m in (9, 5, 1)]
    assert rate_wait(times[1:], NOW, policy) is None
    assert rate_wait(times, NOW, policy) == timedelta(minutes=1)
    assert rate_wait([*times, NOW - timedelta(minutes=11)], NOW, policy) == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.2, "1 second"), (40, "40 seconds"), (60, "1 minute"), (61, "2 minutes")],
)
def test_wait_in_words(seconds: float, words: str) -> None:
    assert wait_in_words(timedelta(seconds=seconds)) == words


@pytest.mark.parametrize("slug", ["Newsletter", "-a", "a-", "a b", "", "x" * 61, "a/b"])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(AudienceInputError) as caught:
        check_slug(slug)
    assert caught.value.field == "slug"


def test_origins() -> None:
    assert check_origins("https://Blog.example.com/\n\nhttp://localhost:8000") == [
        "https://blog.example.com",
        "http://localhost:8000",
    ]
    with pytest.raises(AudienceInputError):
        check_origins("https://blog.example.com/page")
    assert origin_allowed("https://blog.example.com", ["https://blog.example.com"])
    assert not origin_allowed("https://evil.example", ["https://blog.example.com"])
    assert origin_allowed("https://anyone.example", [])


def test_preference_links_are_bound_to_the_address() -> None:
    token = preference_token(SECRET, 7, "jane@example.com")
    assert read_preference_token(token) == 7
    assert preference_token_matches(SECRET, token, 7, "jane@example.com")
    assert not preference_token_matches(SECRET, token, 7, "other@example.com")
    assert not preference_token_matches(SECRET, token.replace("7.", "8.", 1), 8, "jane@example.com")
    with pytest.raises(AudienceInputError):
        read_preference_token("7")


@pytest.mark.parametrize(
    ("reported", "kept"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        (" Asia/Kolkata ", "Asia/Kolkata"),
        ("UTC", "UTC"),
        ("", None),
        ("Mars/Olympus_Mons", None),
        ("../../etc/passwd", None),
        ("Europe/Berlin\x00", None),
        ("A" * 5000, None),
    ],
)
def test_a_browsers_zone_is_kept_only_when_known(reported: str, kept: str | None) -> None:
    assert browser_zone(reported) == kept
