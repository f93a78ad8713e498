"""The audience's pure rules: addresses, consent, inputs, CSV formats and confirmation links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.rules import (
    Action,
    ImportFormat,
    ImportRecord,
    Profile,
    RowError,
    Source,
    Status,
    check_email,
    check_fields,
    check_tags,
    check_time_zone,
    confirm_token,
    consent_step,
    contains_patterns,
    detect_format,
    map_row,
    merged_profile,
    overall_status,
    plan_for,
    read_confirm_token,
    split_tags,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "stored", "key"),
    [
        ("Jane.Doe@Example.COM", "Jane.Doe@example.com", "jane.doe@example.com"),
        ("  bob@example.org ", "bob@example.org", "bob@example.org"),
        ("anna@Müller.DE", "anna@xn--mller-kva.de", "anna@xn--mller-kva.de"),
    ],
)
def test_the_domain_is_lowered_and_idna_the_local_part_kept(
    typed: str, stored: str, key: str
) -> None:
    checked = check_email(typed)
    assert (checked.email, checked.key) == (stored, key)


def test_two_spellings_of_one_address_share_a_key() -> None:
    assert check_email("JANE@example.com").key == check_email("jane@EXAMPLE.com").key


@pytest.mark.parametrize(
    ("one", "other"), [("straße@example.com", "strasse@example.com"), ("maße@x.org", "MASSE@x.org")]
)
def test_only_case_is_ignored_distinct_letters_are_two_people(one: str, other: str) -> None:
    assert check_email(one).key != check_email(other).key
    assert check_email(one.upper()).key == check_email(one).key.upper().lower()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "jane",
        "jane@",
        "@example.com",
        "a b@example.com",
        7,
        None,
        "x" * 330 + "@example.com",
        "jane@example..com",
    ],
)
def test_bad_addresses_are_refused_by_field(bad: object) -> None:
    with pytest.raises(AudienceInputError) as caught:
        check_email(bad, "Email Address")
    assert caught.value.field == "Email Address"


@pytest.mark.parametrize(
    ("statuses", "suppressed", "overall"),
    [
        (["subscribed", "unsubscribed"], None, Status.SUBSCRIBED),
        (["unconfirmed", "unsubscribed"], None, Status.UNCONFIRMED),
        (["unsubscribed"], None, Status.UNSUBSCRIBED),
        ([], None, Status.UNSUBSCRIBED),
        (["subscribed"], "bounced", Status.BOUNCED),
        (["subscribed", "complained"], None, Status.COMPLAINED),
        (["bounced", "subscribed"], None, Status.BOUNCED),
        (["subscribed"], "complained", Status.COMPLAINED),
    ],
)
def test_overall_status(statuses: list[str], suppressed: str | None, overall: Status) -> None:
    assert overall_status(statuses, suppressed) is overall


def test_double_opt_in_leaves_a_new_person_unconfirmed_until_they_confirm() -> None:
    step = consent_step(None, Action.SUBSCRIBE, double_opt_in=True, source=Source.FORM)
    assert (step.status, step.event) == (Status.UNCONFIRMED, "opt_in")
    step = consent_step(step.status, Action.CONFIRM, double_opt_in=True, source=Source.FORM)
    assert (step.status, step.event) == (Status.SUBSCRIBED, "confirm")


def test_single_opt_in_subscribes_at_once_and_again_is_no_event() -> None:
    step = consent_step(None, Action.SUBSCRIBE, double_opt_in=False, source=Source.API)
    assert (step.status, step.event) == (Status.SUBSCRIBED, "opt_in")
    again = consent_step(
        Status.SUBSCRIBED, Action.SUBSCRIBE, double_opt_in=False, source=Source.API
    )
    assert (again.status, again.event) == (Status.SUBSCRIBED, None)


def test_an_import_asserts_consent_but_never_brings_back_who_left() -> None:
    new = consent_step(None, Action.SUBSCRIBE, double_opt_in=True, source=Source.IMPORT)
    assert new.status is Status.SUBSCRIBED
    for current in (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED):
        kept = consent_step(current, Action.SUBSCRIBE, double_opt_in=False, source=Source.IMPORT)
        assert (kept.status, kept.event) == (current, None)
    kept = consent_step(
        None, Action.SUBSCRIBE, double_opt_in=False, source=Source.IMPORT, suppressed="bounced"
    )
    assert kept.status is None


def test_a_suppressed_address_returns_only_by_its_own_confirmed_opt_in() -> None:
    for source in (Source.API, Source.MANUAL, Source.PARTNER):
        with pytest.raises(AudienceInputError, match="suppressed"):
            consent_step(
                None, Action.SUBSCRIBE, double_opt_in=False, source=source, suppressed="complained"
            )
    step = consent_step(
        Status.BOUNCED,
        Action.SUBSCRIBE,
        double_opt_in=False,
        source=Source.FORM,
        suppressed="bounced",
    )
    assert step.status is Status.UNCONFIRMED  # even on a single opt-in list
    confirmed = consent_step(
        step.status, Action.CONFIRM, double_opt_in=False, source=Source.FORM, suppressed="bounced"
    )
    assert confirmed.status is Status.SUBSCRIBED
    assert confirmed.lift_suppression


def test_a_confirmation_after_unsubscribing_does_not_resubscribe() -> None:
    with pytest.raises(AudienceInputError) as caught:
        consent_step(Status.UNSUBSCRIBED, Action.CONFIRM, double_opt_in=True, source=Source.FORM)
    assert caught.value.field == "token"


def test_unsubscribe_bounce_and_complaint() -> None:
    out = consent_step(Status.SUBSCRIBED, Action.UNSUBSCRIBE, double_opt_in=True, source=Source.API)
    assert (out.status, out.event) == (Status.UNSUBSCRIBED, "opt_out")
    bounced = consent_step(Status.SUBSCRIBED, Action.BOUNCE, double_opt_in=True, source=Source.API)
    assert (bounced.status, bounced.event, bounced.suppress) == (
        Status.BOUNCED,
        "suppress",
        "bounced",
    )
    kept = consent_step(Status.COMPLAINED, Action.BOUNCE, double_opt_in=True, source=Source.API)
    assert kept.status is Status.COMPLAINED
    assert kept.event is None
    stays = consent_step(Status.BOUNCED, Action.UNSUBSCRIBE, double_opt_in=True, source=Source.API)
    assert stays.status is Status.BOUNCED


def test_inputs() -> None:
    assert check_tags(["Buyer", "buyer", " VIP "]) == ["buyer", "vip"]
    assert split_tags('"Customer","Big Spender"') == ["Customer", "Big Spender"]
    assert check_time_zone("Europe/Berlin") == "Europe/Berlin"
    assert check_time_zone("") is None
    with pytest.raises(AudienceInputError, match="Mars/Olympus"):
        check_time_zone("Mars/Olympus")
    for odd in ("x" * 3000, "Europe", "../../etc/passwd", "Europe/\x00Berlin", "/etc/localtime"):
        with pytest.raises(AudienceInputError, match="is not a time zone"):  # zoneinfo: OSError
            check_time_zone(odd)
    assert check_fields({"country": "DE", "age": 41, "vip": True}) == {
        "country": "DE",
        "age": 41,
        "vip": True,
    }
    with pytest.raises(AudienceInputError) as caught:
        check_fields({"1bad": "x"})
    assert caught.value.field == "fields"
    with pytest.raises(AudienceInputError):
        check_tags(["a,b"])


MAILCHIMP = [
    "Email Address",
    "First Name",
    "Last Name",
    "Company",
    "MEMBER_RATING",
    "OPTIN_TIME",
    "OPTIN_IP",
    "CONFIRM_TIME",
    "CONFIRM_IP",
    "LATITUDE",
    "LONGITUDE",
    "GMTOFF",
    "DSTOFF",
    "TIMEZONE",
    "CC",
    "REGION",
    "LAST_CHANGED",
    "LEID",
    "EUID",
    "NOTES",
    "TAGS",
]


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (MAILCHIMP, ImportFormat.MAILCHIMP),
        ([*MAILCHIMP, "UNSUB_TIME", "UNSUB_REASON"], ImportFormat.MAILCHIMP),
        (["email", "name", "attributes"], ImportFormat.LISTMONK),
        (
            ["uuid", "email", "name", "attributes", "status", "created_at", "updated_at"],
            ImportFormat.LISTMONK,
        ),
        (["first_name", "email", "created_at", "tags"], ImportFormat.KIT),
        (["email_address", "first_name", "state"], ImportFormat.KIT),
        (
            ["email", "name", "status", "time_zone", "tags", "fields", "created_at"],
            ImportFormat.EVERGREEN,
        ),
        (["\ufeffE-mail", "Company"], ImportFormat.PLAIN),
    ],
)
def test_formats_are_told_from_the_header(header: list[str], fmt: ImportFormat) -> None:
    assert detect_format(header) is fmt


@pytest.mark.parametrize("header", [[], ["name", "phone"], ["email", "Email"]])
def test_headers_without_one_email_column_are_refused(header: list[str]) -> None:
    with pytest.raises(AudienceInputError) as caught:
        plan_for(header)
    assert caught.value.field == "file"


def _row(header: list[str], **cells: str) -> list[str]:
    return [cells.get(column, "") for column in header]


def test_a_mailchimp_subscribed_row() -> None:
    plan = plan_for(MAILCHIMP)
    cells = _row(
        MAILCHIMP,
        **{
            "Email Address": "Jane@Example.com",
            "First Name": "Jane",
            "Last Name": "Doe",
            "Company": "Acme",
            "OPTIN_TIME": "2024-02-03 10:11:12",
            "OPTIN_IP": "203.0.113.9",
            "TIMEZONE": "America/New_York",
            "TAGS": '"Buyer","VIP"',
            "MEMBER_RATING": "4",
        },
    )
    record = map_row(plan, 2, cells)
    assert isinstance(record, ImportRecord)
    assert record.email.email == "Jane@example.com"
    assert record.name == "Jane Doe"
    assert record.status is Status.SUBSCRIBED
    assert record.fields == {"company": "Acme"}
    assert record.tags == ("buyer", "vip")
    assert record.time_zone == "America/New_York"
    assert record.opted_in_at == datetime(2024, 2, 3, 10, 11, 12, tzinfo=UTC)
    assert record.opt_in_ip == "203.0.113.9"


@pytest.mark.parametrize(
    ("extra", "status"), [("UNSUB_TIME", Status.UNSUBSCRIBED), ("CLEAN_TIME", Status.BOUNCED)]
)
def test_mailchimp_unsubscribed_and_cleaned_files_never_subscribe(
    extra: str, status: Status
) -> None:
    header = [*MAILCHIMP, extra]
    record = map_row(plan_for(header), 2, _row(header, **{"Email Address": "a@example.com"}))
    assert isinstance(record, ImportRecord)
    assert record.status is status


def test_listmonk_attributes_become_fields_and_blocklisted_is_unsubscribed() -> None:
    header = ["uuid", "email", "name", "attributes", "status", "created_at", "updated_at"]
    cells = [
        "u-1",
        "x@example.com",
        "Xi",
        '{"city": "Oslo", "plan": {"tier": 2}}',
        "blocklisted",
        "2023-05-01T08:00:00Z",
        "",
    ]
    record = map_row(plan_for(header), 7, cells)
    assert isinstance(record, ImportRecord)
    assert record.fields == {"city": "Oslo", "plan": '{"tier":2}'}
    assert record.status is Status.UNSUBSCRIBED
    assert record.opted_in_at == datetime(2023, 5, 1, 8, tzinfo=UTC)


def test_kit_states() -> None:
    header = ["email_address", "first_name", "state", "tags", "company"]
    plan = plan_for(header)
    rows = {
        state: map_row(plan, 2, ["k@example.com", "Kim", state, "a, b", "Acme"])
        for state in ("active", "cancelled", "bounced", "complained")
    }
    assert {state: r.status for state, r in rows.items() if isinstance(r, ImportRecord)} == {
        "active": Status.SUBSCRIBED,
        "cancelled": Status.UNSUBSCRIBED,
        "bounced": Status.BOUNCED,
        "complained": Status.COMPLAINED,
    }
    active = rows["active"]
    assert isinstance(active, ImportRecord)
    assert active.fields == {"company": "Acme"}


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (["not-an-address", "A", ""], "email"),
        (["a@example.com", "A", "maybe"], "status"),
        (["a@example.com", "A\nB", ""], "name"),
        (["a@example.com", "A", "", "extra"], "row"),
    ],
)
def test_row_errors_name_their_line_and_column(cells: list[str], field: str) -> None:
    error = map_row(plan_for(["email", "name", "status"]), 41, cells)
    assert isinstance(error, RowError)
    assert (error.line, error.field) == (41, field)


def test_a_column_can_be_mapped_by_hand() -> None:
    plan = plan_for(["E-mail", "Who", "Land"], {"Who": "name", "Land": "field:country"})
    record = map_row(plan, 2, ["p@example.com", "Pat", "DE"])
    assert isinstance(record, ImportRecord)
    assert (record.name, record.fields) == (
        "Pat",
        {"country": "DE"},
    )
    with pytest.raises(AudienceInputError):
        plan_for(["email"], {"email": "drop tables"})


def test_confirmation_tokens_are_signed_and_expire() -> None:
    token, expires = confirm_token("s3cret", 5, 9, NOW)
    assert read_confirm_token("s3cret", token, NOW).subscriber_id == 5
    assert expires == NOW + timedelta(days=7)
    for bad_secret, when in (("other", NOW), ("s3cret", expires)):
        with pytest.raises(AudienceInputError) as caught:
            read_confirm_token(bad_secret, token, when)
        assert caught.value.field == "token"
    payload, signature = token.split(".")
    changed = ("B" if payload[0] == "A" else "A") + payload[1:]
    with pytest.raises(AudienceInputError):
        read_confirm_token("s3cret", f"{changed}.{signature}", NOW)


def test_a_public_form_only_fills_blanks_an_owner_replaces() -> None:
    stored = Profile("Carol", {"plan": "pro", "city": ""}, "Europe/Paris")
    given = Profile("Not Carol", {"plan": "free", "city": "Oslo", "x": 1}, "America/Chicago")
    assert merged_profile(stored, given, fill_only=True) == Profile(
        "Carol", {"plan": "pro", "city": "Oslo", "x": 1}, "Europe/Paris"
    )
    assert merged_profile(stored, given, fill_only=False) == given
    assert merged_profile(Profile(), given, fill_only=True) == given
    assert merged_profile(stored, Profile(), fill_only=False) == stored


def test_keep_name_only_fills_a_blank_name_and_replaces_the_rest() -> None:
    """A card's billing name may be someone else's: it names no one anew, the zone still moves."""
    stored = Profile("Ana", {"plan": "pro"}, "Europe/Paris")
    given = Profile("Bob Cardholder", {"plan": "free"}, "America/Chicago")
    assert merged_profile(stored, given, fill_only=False, keep_name=True) == Profile(
        "Ana", {"plan": "free"}, "America/Chicago"
    )
    assert merged_profile(Profile(), given, fill_only=False, keep_name=True) == given
    assert merged_profile(stored, given, fill_only=True, keep_name=True) == merged_profile(
        stored, given, fill_only=True
    )


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31 23:59:59-12:00"])
def test_an_opt_in_time_out_of_range_in_utc_is_a_row_error(when: str) -> None:
    header = ["Email Address", "First Name", "OPTIN_TIME"]
    error = map_row(plan_for(header), 2, ["a@example.com", "A", when])
    assert isinstance(error, RowError)
    assert (error.line, error.field) == (2, "OPTIN_TIME")


def test_contains_patterns_escape_wildcards_and_lower_ascii_or_all() -> None:
    assert contains_patterns("50%_\\Émile") == ("%50\\%\\_\\\\Émile%", "%50\\%\\_\\\\émile%")


@pytest.mark.parametrize(
    ("cell", "quoted", "tags"),
    [
        ('tag "q", say "hi"', True, ['tag "q"', 'say "hi"']),
        ('"tag ""q""", "",, x', True, ['tag ""q""', "x"]),
        ('"boxed", tag "q"', False, ['"boxed"', 'tag "q"']),
    ],
)
def test_only_quotes_around_a_whole_tag_are_taken_off(
    cell: str, quoted: bool, tags: list[str]
) -> None:
    assert split_tags(cell, quoted=quoted) == tags
