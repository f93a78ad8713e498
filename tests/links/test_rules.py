"""Pure link rules: slugs, destinations, targeting, forwarding, classification, uniqueness."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from evergreen.links.drafts import LinkDraft, check_draft
from evergreen.links.rules import (
    ClickClass,
    LinkRuleError,
    Targets,
    build_destination,
    choose_destination,
    classify,
    device_type,
    generate_slug,
    is_flood,
    is_unique,
    normalize_slug,
    preview_fetcher,
    referrer_host,
    validate_destination,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)


def test_slugs_are_case_insensitive_and_checked() -> None:
    assert normalize_slug("  Black-Friday_2026 ") == "black-friday_2026"
    for bad in ("", "-start", "end-", "has space", "x" * 65, "dot.s", "ümlaut", "a/b"):
        with pytest.raises(LinkRuleError) as info:
            normalize_slug(bad)
        assert info.value.field == "slug"
    with pytest.raises(LinkRuleError, match="reserved"):
        normalize_slug("API")


def test_generated_slugs_are_valid_and_varied() -> None:
    slugs = {generate_slug() for _ in range(200)}
    assert len(slugs) == 200
    assert all(normalize_slug(s) == s and len(s) == 7 for s in slugs)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://example.com/file", "http:// or https://"),
        ("https://", "host name"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https://exa mple.com/", "spaces"),
        # Nothing a Location header cannot carry: DEL, C0 and C1 controls, lone surrogates.
        ("https://example.com/a\x7fb", "U+007F"),
        ("https://example.com/a\x00b", "U+0000"),
        ("https://example.com/a\x9bb", "U+009B"),
        ("https://example.com/a\ud800b", "U+D800"),
        ("https://example.com/a\u2028b", "spaces"),
        ("https://example.com/" + "a" * 2100, "at most 2048"),
        ("https://example.com:99999/", "not a valid URL"),
        ("", "required"),
    ],
)
def test_bad_destinations_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(LinkRuleError) as info:
        validate_destination(url)
    assert info.value.field == "destination"
    assert fragment in info.value.message


def test_destination_gets_utm_forwarded_params_and_click_id() -> None:
    url = build_destination(
        "https://shop.example/p?ref=me&utm_source=old",
        utm={"utm_source": "blog", "utm_medium": "post"},
        incoming=[("sub1", "header"), ("color", "red"), ("ref", "them")],
        forward_query=True,
        forward_tracking=True,
        click_id="abc123",
        click_id_param="evg_id",
    )
    query = dict(parse_qsl(urlsplit(url).query))
    assert query == {
        "utm_source": "blog",
        "utm_medium": "post",
        "sub1": "header",
        "color": "red",
        "ref": "them",
        "evg_id": "abc123",
    }


def test_tracking_and_query_forwarding_can_be_stripped_separately() -> None:
    common = {
        "utm": {},
        "incoming": [("sub1", "x"), ("utm_source", "ig"), ("color", "red")],
        "click_id": None,
        "click_id_param": "evg_id",
    }
    no_tracking = build_destination(
        "https://a.example/", forward_query=True, forward_tracking=False, **common
    )
    assert dict(parse_qsl(urlsplit(no_tracking).query)) == {"color": "red"}
    only_tracking = build_destination(
        "https://a.example/", forward_query=False, forward_tracking=True, **common
    )
    assert dict(parse_qsl(urlsplit(only_tracking).query)) == {"sub1": "x", "utm_source": "ig"}
    untouched = build_destination(
        "https://a.example/x?y=1", forward_query=False, forward_tracking=False, **common
    )
    assert untouched == "https://a.example/x?y=1"


def test_targeting_prefers_os_then_device_then_country() -> None:
    targets = Targets(
        devices={"ios": "https://apps.apple.com/x", "mobile": "https://m.example/"},
        countries={"DE": "https://example.de/"},
    )
    pick = choose_destination
    assert pick("https://d/", targets, device_os="ios", device_type="mobile", country="DE") == (
        "https://apps.apple.com/x"
    )
    assert pick("https://d/", targets, device_os="android", device_type="mobile", country="DE") == (
        "https://m.example/"
    )
    assert pick("https://d/", targets, device_os=None, device_type="desktop", country="de") == (
        "https://example.de/"
    )
    assert pick("https://d/", targets, device_os=None, device_type="desktop", country="US") == (
        "https://d/"
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"method": "HEAD"}, ClickClass.HEAD),
        ({"purpose": "prefetch;prerender"}, ClickClass.PREFETCH),
        ({"internal": True}, ClickClass.INTERNAL),
        (
            {"user_agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
            ClickClass.PREVIEW,
        ),
        ({"user_agent": "facebookexternalhit/1.1"}, ClickClass.PREVIEW),
        ({"user_agent": "Googlebot/2.1", "crawler": True}, ClickClass.BOT),
        ({"user_agent": ""}, ClickClass.BOT),
        ({"flood": True}, ClickClass.FLOOD),
        ({}, ClickClass.HUMAN),
    ],
)
def test_classification_with_reasons(kwargs: dict[str, object], expected: ClickClass) -> None:
    arguments: dict[str, object] = {
        "method": "GET",
        "user_agent": CHROME,
        "purpose": "",
        "internal": False,
        "crawler": False,
        "flood": False,
    }
    arguments.update(kwargs)
    klass, reason = classify(**arguments)  # type: ignore[arg-type]
    assert klass is expected
    assert reason


def test_owner_can_mark_an_agent_human() -> None:
    agent = "Googlebot/2.1"
    assert classify(
        method="GET", user_agent=agent, purpose="", internal=False, crawler=True, flood=False,
        human_agents=frozenset({agent}),
    )[0] is ClickClass.HUMAN  # fmt: skip


def test_preview_fetchers_are_named() -> None:
    assert preview_fetcher("Mozilla/5.0 (compatible; Discordbot/2.0)") == "Discord"
    assert preview_fetcher("LinkedInBot/1.0") == "LinkedIn"
    assert preview_fetcher(CHROME) is None


def test_unique_within_window() -> None:
    now, hour = NOW.timestamp(), 3600.0
    assert is_unique(None, now, hour)
    assert not is_unique(now - 59 * 60, now, hour)
    assert is_unique(now - 60 * 60, now, hour)


def test_flood_counts_only_the_last_minute() -> None:
    now = NOW.timestamp()
    recent = [now - s for s in range(0, 60, 2)]  # 30 in the last minute
    assert is_flood(recent, now, 30)
    assert not is_flood(recent[:29], now, 30)
    old = [now - 61 - s for s in range(100)]
    assert not is_flood(old, now, 30)


def test_device_types_and_referrers() -> None:
    assert device_type("iOS", "iPhone") == "mobile"
    assert device_type("iOS", "iPad") == "tablet"
    assert device_type("Linux", "Other") == "desktop"
    assert device_type("Other", "Spider") == "bot"
    assert referrer_host("https://www.blog.example/post?x=1") == "blog.example"
    assert referrer_host("not a url") == ""


def test_draft_checks_every_field() -> None:
    values, warnings = check_draft(
        LinkDraft(
            destination="https://shop.example/",
            slug="Deal",
            tags=["Books", "books", " "],
            utm={"source": "blog"},
            targets={"countries": {"de": "https://shop.example/de"}},
            redirect_status=301,
        )
    )
    assert values["slug"] == "deal"
    assert values["tags"] == ["books"]
    assert values["utm"] == {"utm_source": "blog"}
    assert values["targets"] == {"countries": {"DE": "https://shop.example/de"}}
    assert "cached by browsers" in warnings[0]
    bad = [
        (LinkDraft(destination="https://a.example/", kind="other"), "kind"),
        (LinkDraft(destination="https://a.example/", redirect_status=303), "redirect_status"),
        (LinkDraft(destination="https://a.example/", utm={"bogus": "x"}), "utm"),
        (
            LinkDraft(destination="https://a.example/", targets={"devices": {"tv": "https://a/"}}),
            "targets",
        ),
        (LinkDraft(destination="https://a.example/", click_id_param="a b"), "click_id_param"),
    ]
    for draft, field in bad:
        with pytest.raises(LinkRuleError) as info:
            check_draft(draft)
        assert info.value.field == field


def test_destination_keeps_fragment_and_existing_encoding() -> None:
    url = build_destination(
        "https://shop.example/p?q=a%20b&ref=x#reviews",
        utm={},
        incoming=[("ref", "y z")],
        forward_query=True,
        forward_tracking=True,
        click_id=None,
        click_id_param="evg_id",
    )
    assert url == "https://shop.example/p?q=a%20b&ref=y+z#reviews"


def test_short_url_uses_the_link_domain_when_set() -> None:
    from evergreen.links.rules import short_url

    assert short_url("https://money.example", "/go", None, "book") == (
        "https://money.example/go/book"
    )
    assert short_url("https://money.example", "/go", "go.example", "book") == (
        "https://go.example/book"
    )
