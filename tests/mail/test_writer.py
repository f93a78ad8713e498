"""The writer's bytes are `build_message`'s bytes (but for the random MIME boundary), for any
person, subject, sender and list; and it refuses what `build_message` refuses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import Address, parse_address
from evergreen.mail.rules.message import BulkHeaders, build_message
from evergreen.mail.rules.render import Footer, Personal, Rendered, compile_message
from evergreen.mail.rules.writer import MessageWriter

NOW = datetime(2026, 3, 1, 12, 0, 5, 123, tzinfo=UTC)
_BOUNDARY = re.compile(rb"===============\d+==(?:\.\d+)?")
_NAMES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
    st.text(st.sampled_from(list("abcXYZ09 .,\"'()<>=?!#-_")), max_size=30),
    st.sampled_from(["Bob", "Bob Smith", "J. Smith", "Bøb, Jr.", "=?utf-8?q?x?=", "O'Neil"]),
)
_SUBJECTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=60),
    st.text(st.sampled_from(list('ab Z(=?)"')), max_size=60),
    st.just("x" * 1200),
)


def _same(fast: bytes, slow: bytes) -> None:
    """Equal once the random boundary of each is the same."""
    assert _BOUNDARY.sub(b"B", fast) == _BOUNDARY.sub(b"B", slow)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_NAMES,
    sender_name=_NAMES,
    subject=_SUBJECTS,
    text=st.text(max_size=300),
    email=st.sampled_from(["bob@example.org", "o'neil+x@example.org", "jürgen@bücher.de"]),
    bulk=st.booleans(),
    reply=st.booleans(),
    zone=st.sampled_from([UTC, timezone(timedelta(hours=2))]),
)
def test_the_same_bytes_as_build_message(
    name: str, sender_name: str, subject: str, text: str, email: str, bulk: bool,
    reply: bool, zone: timezone,
) -> None:  # fmt: skip
    subject = subject.replace("\r", "").replace("\n", "").replace("\x00", "")
    try:
        sender = parse_address("from", "news@example.com", sender_name)
        to = parse_address("to", email, name)
    except MailInputError:
        return
    rendered = Rendered(subject, f"<p>{text}</p>", text, True)
    headers = BulkHeaders(
        "https://example.com/u/a?b=c", "mailto:u@example.com?subject=x", "weekly.example.com",
        sender_name.replace("\r", "").replace("\n", "").replace("\x00", ""),
    )  # fmt: skip
    reply_to = parse_address("reply_to", "help@example.com", "Help") if reply else None
    arguments: dict[str, Any] = {
        "to": to, "rendered": rendered, "now": NOW.astimezone(zone),
        "bulk": headers if bulk else None, "return_path": "bounces+x@example.com",
        "message_id": "m1",
    }  # fmt: skip
    writer = MessageWriter(sender=sender, reply_to=reply_to)
    try:
        slow = build_message(sender=sender, reply_to=reply_to, **arguments)
    except MailInputError as refused:
        field = refused.field
    else:
        fast = writer.write(**arguments)
        _same(fast.as_bytes(), slow.as_bytes())
        assert (fast.envelope_from, fast.recipient) == (slow.envelope_from, slow.recipient)
        return
    with pytest.raises(MailInputError) as also:
        writer.write(**arguments)
    assert also.value.field == field


def test_a_rendered_newsletter_is_written_the_same() -> None:
    template = compile_message("Hi {{ subscriber.name }}", "# Hello\n\n" + "Word = é. " * 300)
    sender = parse_address("from", "news@example.com", "News")
    writer = MessageWriter(sender=sender)
    for i, name in enumerate(["Ann", "Zoë", "Bob, Jr."]):
        person = Personal(f"p{i}@example.org", name, unsubscribe_url=f"https://e.com/u/{i}")
        rendered = template.render(person, footer=Footer("1 Main St"))
        bulk = BulkHeaders(f"https://e.com/u/{i}", "mailto:u@e.com", "news.example.com")
        to = Address(person.email, name)
        common = {"to": to, "rendered": rendered, "now": NOW, "bulk": bulk, "message_id": f"m{i}"}
        _same(
            writer.write(**common).as_bytes(),  # type: ignore[arg-type]
            build_message(sender=sender, **common).as_bytes(),  # type: ignore[arg-type]
        )


_ONE_WRITER = MessageWriter(sender=parse_address("from", "news@example.com", "News"))


@settings(max_examples=200, deadline=None)
@given(
    moments=st.lists(
        st.tuples(
            st.sampled_from([NOW, NOW + timedelta(seconds=1), NOW + timedelta(days=40)]),
            st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_one_writer_over_many_moments_dates_each_message_by_its_own(
    moments: list[tuple[datetime, timezone]],
) -> None:
    # The writer keeps the last Date line: the same instant in another zone (an equal datetime)
    # must still print its own offset.
    rendered = Rendered("Hi", "<p>x</p>", "x", False)
    to = Address("bob@example.org", "Bob")
    for moment, zone in moments:
        common = {"to": to, "rendered": rendered, "now": moment.astimezone(zone), "message_id": "m"}
        _same(
            _ONE_WRITER.write(**common).as_bytes(),  # type: ignore[arg-type]
            build_message(sender=_ONE_WRITER.sender, **common).as_bytes(),  # type: ignore[arg-type]
        )


def test_refusals_name_the_same_fields() -> None:
    writer = MessageWriter(sender=parse_address("from", "news@example.com"))
    rendered = Rendered("Hi", "<p>x</p>", "x", False)
    to = Address("bob@example.org")
    bulk = BulkHeaders("https://e.com/u", "mailto:u@e.com", "l.example.com")
    for field, change in [
        ("now", {"now": datetime(2026, 1, 1)}),
        ("to", {"to": Address("not an address")}),
        ("subject", {"rendered": Rendered("a\r\nBcc: x@evil.test", "", "", False)}),
        ("footer", {"bulk": bulk}),
        ("message_id", {"message_id": "a@b"}),
        ("list_id", {"bulk": BulkHeaders("https://e.com/u", "mailto:u@e.com", "a list")}),
    ]:
        arguments = {"to": to, "rendered": rendered, "now": NOW, **change}
        with pytest.raises(MailInputError) as refused:
            writer.write(**arguments)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(MailInputError) as refused:
        MessageWriter(sender=Address("bad"))
    assert refused.value.field == "from"
