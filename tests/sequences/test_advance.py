"""Advancing an enrolment: one outcome per call, goals, edits that never re-send, catch-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from evergreen.sequences.rules import (
    ENDS,
    Attendance,
    Branch,
    Clicked,
    Do,
    Facts,
    Goal,
    HasTag,
    MoveTo,
    Next,
    Notify,
    Position,
    Program,
    Purchased,
    Send,
    Tag,
    Wait,
    WaitRelative,
    WaitUntil,
    advance,
    apply_tags,
    make_program,
    revise,
    start,
    timeline,
)
from tests.sequences.programs import programs
from tests.sequences.zones import zone_and_instant

DAY = timedelta(days=1)
T0 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # Monday 10:00 in New York
NY = "America/New_York"


def drive(
    program: Program, position: Position, facts: Facts, now: datetime, zone: str | None = NY
) -> tuple[list[Next], Position, Facts]:
    """What the engine does at `now`: call advance until it waits or ends."""
    outcomes: list[Next] = []
    for _ in range(100):
        outcome = advance(program, position, facts, now, zone)
        outcomes.append(outcome)
        facts = apply_tags(facts, outcome)
        position = outcome.position
        if outcome.do in ENDS or outcome.do is Do.WAIT:
            break
    return outcomes, position, facts


def sends(outcomes: list[Next]) -> list[str]:
    return [o.step.message_ref for o in outcomes if o.do is Do.SEND and isinstance(o.step, Send)]


WELCOME = make_program(
    [
        Send("welcome"),
        Wait(DAY),
        Send("day-2"),
        WaitUntil(frozenset({1}), 9),  # Tuesday 09:00 in the subscriber's zone
        Tag("nurtured"),
        Send("tuesday-tip"),
    ]
)


def test_a_sequence_runs_step_by_step_in_the_subscribers_zone() -> None:
    outcomes, position, facts = drive(WELCOME, start(WELCOME, T0), Facts(), T0)
    assert [o.do for o in outcomes] == [Do.SEND, Do.WAIT]
    assert sends(outcomes) == ["welcome"]
    assert position == Position("s3", T0 + DAY, None, frozenset({"s1"}))
    # Not due yet: nothing happens, the position is kept.
    early, same, _ = drive(WELCOME, position, facts, T0 + timedelta(hours=23))
    assert [o.do for o in early] == [Do.WAIT]
    assert same == position
    outcomes, position, facts = drive(WELCOME, position, facts, T0 + DAY)
    assert sends(outcomes) == ["day-2"]
    # Tuesday 10:00 EST has passed 09:00: next Tuesday 09:00, which is EDT by then.
    assert position.due == datetime(2026, 3, 10, 13, tzinfo=UTC)
    outcomes, position, facts = drive(WELCOME, position, facts, position.due)
    assert [o.do for o in outcomes] == [Do.TAG, Do.SEND, Do.COMPLETE]
    assert "nurtured" in facts.tags
    assert position.step_id is None


def test_inserting_a_send_before_the_current_step_never_sends_it_or_resends() -> None:
    _, position, facts = drive(WELCOME, start(WELCOME, T0), Facts(), T0)
    assert position.step_id == "s3"
    edited = revise(WELCOME, [Send("new-intro"), Send("another"), *WELCOME.steps])
    assert edited.index_of("s3") == 4  # the index moved, the id did not
    outcomes, _, _ = drive(edited, position, facts, T0 + DAY)
    assert sends(outcomes) == ["day-2"]


def test_removing_the_step_an_enrolment_waits_at_goes_on_with_the_next() -> None:
    _, position, facts = drive(WELCOME, start(WELCOME, T0), Facts(), T0)
    steps = [s for s in WELCOME.steps if s.id != "s3"]  # drop "day-2"
    edited = revise(WELCOME, steps)
    outcomes, position, _ = drive(edited, position, facts, T0 + DAY)
    assert sends(outcomes) == []
    assert outcomes[-1].do is Do.WAIT
    assert isinstance(outcomes[-1].step, WaitUntil)


def test_a_goal_takes_the_subscriber_out_as_soon_as_reached_even_mid_wait() -> None:
    program = make_program(
        [Goal(Purchased("course")), Send("pitch-1"), Wait(3 * DAY), Send("pitch-2")]
    )
    _, position, facts = drive(program, start(program, T0), Facts(), T0)
    bought = replace(facts, purchased=frozenset({"course"}))
    outcomes, position, _ = drive(program, position, bought, T0 + timedelta(hours=1))
    assert [o.do for o in outcomes] == [Do.EXIT_GOAL]
    assert outcomes[0].reason == "goal reached"
    assert position.step_id is None


def test_branches_follow_the_facts() -> None:
    program = make_program(
        [Branch(HasTag("buyer"), "s3", None), Send("never"), Send("buyers-only"), Notify("done")]
    )
    outcomes, _, _ = drive(program, start(program, T0), Facts(tags=frozenset({"Buyer"})), T0)
    assert sends(outcomes) == ["buyers-only"]
    assert [o.do for o in outcomes] == [Do.SEND, Do.NOTIFY, Do.COMPLETE]
    outcomes, _, _ = drive(program, start(program, T0), Facts(), T0)
    assert [o.do for o in outcomes] == [Do.COMPLETE]
    assert outcomes[0].reason == "branch ends"


def test_a_loop_back_over_a_send_never_sends_it_twice() -> None:
    """Send once, then check daily until clicked; the Send inside the loop is not repeated."""
    program = make_program(
        [Send("offer"), Wait(DAY), Branch(Clicked("l1"), "s4", "s1"), Send("thanks")]
    )
    facts = Facts()
    out = timeline(program, facts, T0, NY, days=5)
    assert sends([p.next for p in out]) == ["offer"]
    assert [p.at for p in out if p.next.do is Do.WAIT][:3] == [T0, T0 + DAY, T0 + 2 * DAY]
    clicked = timeline(program, Facts(clicked=frozenset({"l1"})), T0, NY, days=5)
    assert sends([p.next for p in clicked]) == ["offer", "thanks"]


SESSION = datetime(2026, 5, 20, 18, tzinfo=UTC)
REMINDERS = make_program(
    [
        WaitRelative("session", timedelta(minutes=-15)),
        Send("15-min-reminder"),
        WaitRelative("session", timedelta(0), stale_after=timedelta(minutes=30)),
        Send("starting-now"),
        Wait(DAY),
        Send("replay"),
    ]
)


def test_after_downtime_stale_reminders_are_skipped_and_the_rest_caught_up() -> None:
    facts = Facts(events={"session": SESSION})
    _, position, _ = drive(REMINDERS, start(REMINDERS, SESSION - DAY), facts, SESSION - DAY)
    assert position.due == SESSION - timedelta(minutes=15)
    # The scheduler was down until 10 minutes into the session.
    back = SESSION + timedelta(minutes=10)
    outcomes, position, _ = drive(REMINDERS, position, facts, back)
    assert [o.do for o in outcomes] == [Do.SKIP_STALE, Do.SEND, Do.WAIT]
    assert outcomes[0].reason.startswith("stale:")
    assert sends(outcomes) == ["starting-now"]
    assert position.due == back + DAY


def test_an_unknown_event_waits_until_it_is_known() -> None:
    outcomes, position, _ = drive(REMINDERS, start(REMINDERS, T0), Facts(), T0)
    assert [o.do for o in outcomes] == [Do.WAIT]
    assert outcomes[0].reason == "waiting for 'session' to be known"
    assert position == Position("s1", None, None, frozenset())
    registered_late = SESSION - timedelta(minutes=5)
    facts = Facts(events={"session": SESSION})
    outcomes, _, _ = drive(REMINDERS, position, facts, registered_late)
    assert sends(outcomes) == ["15-min-reminder"]  # due now, not stale until the session starts


def test_move_to_ends_this_enrolment() -> None:
    program = make_program([Tag("moved"), MoveTo("after-webinar"), Send("never")])
    outcomes, position, _ = drive(program, start(program, T0), Facts(), T0)
    assert [o.do for o in outcomes] == [Do.TAG, Do.MOVE]
    assert isinstance(outcomes[1].step, MoveTo)
    assert position.step_id is None


def test_the_preview_lists_sixty_days_in_order() -> None:
    facts = Facts(webinars={"w1": Attendance.ATTENDED})
    out = timeline(WELCOME, facts, T0, NY)
    assert [p.next.do for p in out] == [
        Do.SEND,
        Do.WAIT,
        Do.SEND,
        Do.WAIT,
        Do.TAG,
        Do.SEND,
        Do.COMPLETE,
    ]
    assert [p.at for p in out] == sorted(p.at for p in out)


# Properties: random checked programs, facts, zones and clocks (instants near DST changes).

facts_strategy = st.builds(
    Facts,
    tags=st.frozensets(st.sampled_from(["lead", "buyer", "vip"])),
    clicked=st.frozensets(st.sampled_from(["l1", "l2"])),
    purchased=st.frozensets(st.sampled_from(["ebook", "course"])),
    events=st.just({"session": T0 + 2 * DAY}),
)


def _forward_only(program: Program) -> bool:
    return all(
        not isinstance(step, Branch)
        or all(
            t is None or (program.index_of(t) or 0) > i for t in (step.then_step, step.else_step)
        )
        for i, step in enumerate(program.steps)
    )


@given(programs(), facts_strategy, zone_and_instant(), st.lists(st.integers(0, 3 * 86400)))
def test_property_no_send_twice_no_send_backwards_due_never_before_now(
    program: Program, facts: Facts, zi: tuple[str, datetime], gaps: list[int]
) -> None:
    zone, now = zi
    facts = replace(facts, events={"session": now + 2 * DAY})
    position = start(program, now)
    sent: list[str] = []
    for gap in [0, *gaps]:
        now += timedelta(seconds=gap)  # the scheduler may wake late, or early
        outcomes, position, facts = drive(program, position, facts, now, zone)
        for outcome in outcomes:
            if outcome.do is Do.WAIT and outcome.position.due is not None:
                assert outcome.position.due >= now
            if outcome.do in (Do.SEND, Do.SKIP_STALE):
                assert outcome.step is not None
                sent.append(outcome.step.id)
        if position.step_id is None:
            break
        if position.due is not None and position.due > now:
            now = position.due
    assert len(sent) == len(set(sent))
    if _forward_only(program):
        indices = [program.index_of(step_id) for step_id in sent]
        assert indices == sorted(indices)  # type: ignore[type-var]


@given(programs(), facts_strategy, st.integers(0, 20), st.integers(1, 3))
def test_property_an_edit_before_the_position_is_never_sent(
    program: Program, facts: Facts, stop_after: int, inserted: int
) -> None:
    position = start(program, T0)
    now = T0
    for _ in range(stop_after):
        _, position, facts = drive(program, position, facts, now)
        if position.step_id is None or position.due is None:
            return
        now = max(now, position.due)
    index = program.index_of(position.step_id)
    assert index is not None
    new_steps = [Send(f"new-{n}") for n in range(inserted)]
    edited = revise(program, [*program.steps[:index], *new_steps, *program.steps[index:]])
    new_ids = {step.id for step in edited.steps} - {step.id for step in program.steps}
    out = timeline(edited, facts, now, NY, days=21, position=position)
    returned = {p.next.step.id for p in out if p.next.do is Do.SEND and p.next.step is not None}
    if _forward_only(program):
        assert not returned & new_ids
    assert not returned & position.sent
