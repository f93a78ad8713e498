"""Pure rules the engine's triggers and actions use: left early implies attended, which events
fire which triggers, API event names and purchases, action keys, signatures, backoff, and the
staleness bound of a reminder before an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import (
    Attendance,
    BoughtProduct,
    ClickedLink,
    Facts,
    Happened,
    WaitRelative,
    WebinarIs,
    WebinarTrigger,
    dump_trigger,
    fires,
    holds,
    parse_condition,
    parse_trigger,
    stale_at,
)
from evergreen.sequences.rules.actions import (
    action_key,
    check_event_name,
    purchase_of,
    retry_delay,
    sign,
    verify,
    webhook_body,
)

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("actual", "wanted", "expected"),
    [
        (Attendance.LEFT_EARLY, Attendance.REGISTERED, True),
        (Attendance.LEFT_EARLY, Attendance.ATTENDED, True),
        (Attendance.LEFT_EARLY, Attendance.LEFT_EARLY, True),
        (Attendance.LEFT_EARLY, Attendance.MISSED, False),
        (Attendance.ATTENDED, Attendance.LEFT_EARLY, False),
        (Attendance.MISSED, Attendance.ATTENDED, False),
        (Attendance.REGISTERED, Attendance.ATTENDED, False),
    ],
)
def test_left_early_implies_attended_and_registered(
    actual: Attendance, wanted: Attendance, expected: bool
) -> None:
    facts = Facts(webinars={"demo": actual})
    assert holds(WebinarIs(wanted, "demo"), facts) is expected
    assert holds(WebinarIs(wanted), facts) is expected


def test_webinar_triggers_fire_on_their_status_and_left_early_on_attended() -> None:
    attended = WebinarTrigger(Attendance.ATTENDED, "demo")
    assert fires(attended, Happened("webinar_attended", "demo"))
    assert fires(attended, Happened("webinar_left_early", "demo"))
    assert not fires(attended, Happened("webinar_registered", "demo"))
    assert not fires(attended, Happened("webinar_left_early", "other"))
    registered = WebinarTrigger(Attendance.REGISTERED)
    assert fires(registered, Happened("webinar_registered", "anything"))
    assert not fires(registered, Happened("webinar_attended", "anything"))  # enrolled already
    left = WebinarTrigger(Attendance.LEFT_EARLY, "demo")
    assert fires(left, Happened("webinar_left_early", "demo"))
    assert not fires(left, Happened("webinar_attended", "demo"))
    assert not fires(WebinarTrigger(Attendance.MISSED), Happened("webinar_bogus", "demo"))
    assert fires(ClickedLink("sale"), Happened("clicked", "sale"))
    assert fires(BoughtProduct(), Happened("bought", ""))
    assert not fires(BoughtProduct("course"), Happened("bought", ""))


def test_left_early_is_stored_and_read_back() -> None:
    stored = {"kind": "webinar", "status": "left_early", "webinar": "demo"}
    assert dump_trigger(parse_trigger(stored)) == stored
    condition = parse_condition({"kind": "webinar", "status": "left_early"})
    assert condition == WebinarIs(Attendance.LEFT_EARLY)
    with pytest.raises(SequenceInputError) as refused:
        parse_trigger({"kind": "webinar", "status": "dozed"})
    assert refused.value.field == "trigger.status"
    assert "left_early" in refused.value.message


def test_event_names_and_purchases() -> None:
    assert check_event_name(" purchase:course ") == "purchase:course"
    for bad in ("", " ", "-x", "a b", "x" * 101, "é", 7):
        with pytest.raises(SequenceInputError) as refused:
            check_event_name(bad)
        assert refused.value.field == "name"
    assert purchase_of("purchase") == ""
    assert purchase_of("purchase:course") == "course"
    assert purchase_of("purchase:") is None
    assert purchase_of("purchased") is None
    assert purchase_of("trial_ended") is None


def test_action_keys_differ_by_enrolment_step_and_run() -> None:
    key = action_key(7, "s3", T0)
    assert key == action_key(7, "s3", T0.astimezone())
    assert len({key, action_key(8, "s3", T0), action_key(7, "s4", T0)}) == 3
    assert key != action_key(7, "s3", T0 + timedelta(days=365))  # a yearly run's new key


def test_webhook_bodies_are_signed_verifiably_and_retries_back_off() -> None:
    body = webhook_body("k1", "welcome", "s2", {"email": "a@example.com"}, T0)
    assert b'"idempotency_key":"k1"' in body
    assert b'"at":"2027-03-01T12:00:00Z"' in body
    header = sign("secret", int(T0.timestamp()), body)
    assert verify("secret", header, body, T0 + timedelta(minutes=4))
    assert not verify("secret", header, body + b" ", T0)
    assert not verify("other", header, body, T0)
    assert not verify("secret", header, body, T0 + timedelta(minutes=6))
    assert not verify("secret", "nonsense", body, T0)
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(2) == timedelta(minutes=5)
    assert retry_delay(7) == timedelta(days=1)
    assert retry_delay(8) is None


@pytest.mark.parametrize(
    ("lead_minutes", "bound_minutes"),
    [(24 * 60, 6 * 60), (60, 15), (15, 15), (5, 5), (120, 30)],
)
def test_a_reminder_goes_stale_after_a_quarter_of_its_lead_at_least_15_minutes(
    lead_minutes: int, bound_minutes: int
) -> None:
    start = T0 + timedelta(days=2)
    step = WaitRelative("webinar", -timedelta(minutes=lead_minutes))
    moment = start - timedelta(minutes=lead_minutes)
    assert stale_at(step, T0, {"webinar": start}) == moment + timedelta(minutes=bound_minutes)


@given(st.integers(1, 14 * 24 * 60))
def test_property_a_reminder_is_never_stale_on_time_and_always_stale_at_the_start(
    lead: int,
) -> None:
    start = T0 + timedelta(days=30)
    step = WaitRelative("webinar", -timedelta(minutes=lead))
    stale = stale_at(step, T0, {"webinar": start})
    assert stale is not None
    assert start - timedelta(minutes=lead) < stale <= start
