"""The audience's services on SQLite and PostgreSQL: lists, consent, import, export, erase."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from evergreen.audience import queries, service
from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import ConsentEvent, ErasedAddress, Subscriber
from evergreen.audience.rules import Source
from evergreen.audience.service import Consent
from evergreen.audience.service.subscribers import erased_hash
from evergreen.db import Database
from evergreen.errors import Conflict

SECRET = "test-secret-for-audience-0123456789"
FORM = Consent(
    Source.FORM, form="Footer form", wording="Send me the weekly letter.", ip="203.0.113.7"
)


def _list(db: Database, name: str = "News", double_opt_in: bool = True) -> int:
    with db.session() as session:
        return service.create_list(session, name, double_opt_in=double_opt_in).id


def _card(db: Database, email: str) -> queries.SubscriberCard:
    with db.session(writer=False) as session:
        card = queries.find_by_email(session, email)
    assert card is not None
    return card


def test_lists_are_created_renamed_and_deleted(db: Database) -> None:
    news = _list(db)
    with db.session() as session:
        with pytest.raises(Conflict):
            service.create_list(session, "News")
        service.update_list(session, news, name="Weekly", double_opt_in=False)
    with db.session(writer=False) as session:
        (only,) = queries.list_counts(session)
    assert (only.name, only.double_opt_in) == ("Weekly", False)
    with db.session() as session:
        service.delete_list(session, news)
    with db.session(writer=False) as session:
        assert queries.list_counts(session) == []


def test_double_opt_in_with_the_consent_ledger(db: Database) -> None:
    news = _list(db)
    with db.session() as session:
        joined = service.subscribe(
            session,
            SECRET,
            "Jane@Example.com",
            news,
            FORM,
            name="Jane",
            fields={"country": "DE"},
            tags=["Lead"],
            time_zone="Europe/Berlin",
        )
    assert joined.status == "unconfirmed"
    assert joined.token is not None
    assert _card(db, "jane@example.com").lists == {"News": "unconfirmed"}
    with db.session() as session:
        service.confirm(session, SECRET, joined.token)
    card = _card(db, "JANE@example.com")
    assert (card.email, card.status, card.fields, card.tags) == (
        "Jane@example.com",
        "subscribed",
        {"country": "DE"},
        ["lead"],
    )
    with db.session(writer=False) as session:
        events = session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
        assert [(e.action, e.form, e.wording) for e in events] == [
            ("opt_in", "Footer form", "Send me the weekly letter."),
            ("confirm", "", ""),
        ]
        assert events[0].ip_hash is not None
        assert "203.0.113.7" not in events[0].ip_hash
        assert len(events[0].ip_hash) == 32


def test_unsubscribe_one_list_or_all_and_confirm_no_longer_works(db: Database) -> None:
    news, offers = _list(db), _list(db, "Offers", double_opt_in=False)
    with db.session() as session:
        first = service.subscribe(session, SECRET, "a@example.com", news, FORM)
        service.subscribe(session, SECRET, "a@example.com", offers, FORM)
        person = first.subscriber.id
    with db.session() as session:
        assert service.unsubscribe(session, SECRET, person, offers) == [offers]
    assert _card(db, "a@example.com").lists == {"News": "unconfirmed", "Offers": "unsubscribed"}
    with db.session() as session:
        service.unsubscribe(session, SECRET, person)
    assert _card(db, "a@example.com").status == "unsubscribed"
    assert first.token is not None
    with db.session() as session, pytest.raises(AudienceInputError, match="no longer valid"):
        service.confirm(session, SECRET, first.token)


def test_a_suppressed_address_is_refused_except_by_its_own_confirmed_sign_up(db: Database) -> None:
    offers = _list(db, "Offers", double_opt_in=False)
    with db.session() as session:
        person = service.subscribe(session, SECRET, "b@example.com", offers, FORM).subscriber.id
        service.suppress(session, SECRET, person, "complained", "ARF report")
    assert _card(db, "b@example.com").status == "complained"
    with db.session() as session, pytest.raises(AudienceInputError, match="suppressed"):
        service.subscribe(session, SECRET, "b@example.com", offers, Consent(Source.API))
    with db.session() as session:
        again = service.subscribe(session, SECRET, "b@example.com", offers, FORM)
    assert again.status == "unconfirmed"
    assert again.token is not None
    with db.session() as session:
        service.confirm(session, SECRET, again.token)
    assert _card(db, "b@example.com").status == "subscribed"


def test_time_zone_and_fields_are_checked(db: Database) -> None:
    news = _list(db)
    with db.session() as session:
        person = service.subscribe(session, SECRET, "c@example.com", news, FORM).subscriber.id
    with db.session() as session, pytest.raises(AudienceInputError) as caught:
        service.update_subscriber(session, person, time_zone="Nowhere/Here")
    assert caught.value.field == "time_zone"
    with db.session() as session:
        service.update_subscriber(session, person, fields={"plan": "pro"}, time_zone="Asia/Tokyo")
        service.add_tags(session, person, ["Buyer"])
        assert service.remove_tags(session, person, ["buyer"]) == []
    card = _card(db, "c@example.com")
    assert (card.fields, card.time_zone) == ({"plan": "pro"}, "Asia/Tokyo")


MAILCHIMP = (
    "Email Address,First Name,Last Name,Company,OPTIN_TIME,OPTIN_IP,TIMEZONE,TAGS\n"
    'ann@example.com,Ann,Lee,Acme,2024-01-02 03:04:05,198.51.100.4,Europe/Paris,"""vip"""\n'
    "not-an-address,Bad,Row,,,,,\n"
    "bob@example.com,Bob,,,,,,\n"
)
UNSUBSCRIBED = "Email Address,First Name,UNSUB_TIME\nann@example.com,Ann,2024-06-01 00:00:00\n"


def _import(db: Database, text: str, list_id: int) -> service.ImportResult:
    with db.session() as session:
        return service.run_import(session, SECRET, io.BytesIO(text.encode()), list_id)


def test_import_preview_then_import_is_idempotent_and_never_resubscribes(db: Database) -> None:
    news = _list(db)
    preview = service.preview_import(io.BytesIO(MAILCHIMP.encode()))
    assert (preview.plan.format, preview.rows, preview.valid) == ("mailchimp", 3, 2)
    assert [(e.line, e.field) for e in preview.errors] == [(3, "Email Address")]
    first = _import(db, MAILCHIMP, news)
    assert (first.created, first.subscribed, first.error_count) == (2, 2, 1)
    ann = _card(db, "ann@example.com")
    assert (ann.name, ann.status, ann.fields, ann.tags, ann.time_zone) == (
        "Ann Lee",
        "subscribed",
        {"company": "Acme"},
        ["vip"],
        "Europe/Paris",
    )
    again = _import(db, MAILCHIMP.replace("Acme", "Acme GmbH"), news)
    assert (again.created, again.updated, again.subscribed) == (0, 1, 0)
    left = _import(db, UNSUBSCRIBED, news)
    assert left.unsubscribed == 1
    assert _card(db, "ann@example.com").status == "unsubscribed"
    back = _import(db, MAILCHIMP, news)
    assert back.subscribed == 0
    assert _card(db, "ann@example.com").status == "unsubscribed"
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 2


def test_a_fatal_error_stores_nothing(db: Database) -> None:
    news = _list(db)
    good = "".join(f"p{i}@example.com,P,,,,,,\n" for i in range(3000))
    broken = (MAILCHIMP + good).encode() + b"carl@example.com,\xff\xfe,,,,,,\n"
    with pytest.raises(AudienceInputError, match="UTF-8"), db.session() as session:
        service.run_import(session, SECRET, io.BytesIO(broken), news)
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_export_round_trips_through_import(db: Database) -> None:
    news, other = _list(db), _list(db, "Other", double_opt_in=False)
    _import(db, MAILCHIMP, news)
    with db.session() as session:
        person = service.subscribe(session, SECRET, "=cmd@example.com", news, FORM, name="=1+2")
        service.update_subscriber(session, person.subscriber.id, fields={"note": "-x"})
    out = io.StringIO()
    with db.session(writer=False) as session:
        assert service.export_csv(session, out, news) == 3
    text = out.getvalue()
    assert text.splitlines()[0] == "email,name,status,time_zone,tags,fields,created_at"
    assert "'=1+2" in text
    result = _import(db, text, other)
    assert (result.format, result.rows, result.error_count) == ("evergreen", 3, 0)
    assert _card(db, "=cmd@example.com").lists == {"News": "unconfirmed", "Other": "unconfirmed"}
    assert _card(db, "ann@example.com").lists == {"News": "subscribed", "Other": "subscribed"}


def test_gdpr_export_and_erase_keeps_only_a_hash(db: Database) -> None:
    news = _list(db, double_opt_in=False)
    with db.session() as session:
        person = service.subscribe(session, SECRET, "d@example.com", news, FORM).subscriber.id
        service.record_activity(session, person, "clicked", "broadcast:1")
    with db.session(writer=False) as session:
        data = service.personal_data(session, person)
    assert json.loads(json.dumps(data))["lists"][0]["status"] == "subscribed"
    assert [e["action"] for e in data["consent"]] == ["opt_in"]
    assert data["activity"][0]["kind"] == "clicked"
    with db.session() as session:
        service.erase(session, SECRET, person)
    with db.session(writer=False) as session:
        assert queries.find_by_email(session, "d@example.com") is None
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
    result = _import(db, "email,name\nd@example.com,D\n", news)
    assert (result.created, result.erased_skipped) == (0, 1)
    with db.session() as session, pytest.raises(AudienceInputError, match="erased"):
        service.subscribe(session, SECRET, "d@example.com", news, Consent(Source.API))


def test_an_address_erased_before_0064_stays_erased_for_every_door(db: Database) -> None:
    """An erasure hashed before migration 0064 holds the case-folded key: a sign-up by hand, the
    buyer or registrant path and an import all look under both keys; a form may add them back."""
    news = _list(db, double_opt_in=False)
    with db.session() as session:
        session.add(ErasedAddress(key_hash=erased_hash(SECRET, "masse@example.com")))
    with db.session() as session, pytest.raises(AudienceInputError, match="erased"):
        service.subscribe(session, SECRET, "Maße@example.com", news, Consent(Source.API))
    with db.session() as session, pytest.raises(AudienceInputError, match="erased"):
        service.find_or_add(session, SECRET, "MAßE@example.com", Source.PURCHASE)
    result = _import(db, "email,name\nmaße@example.com,M\n", news)
    assert (result.created, result.erased_skipped) == (0, 1)
    with db.session() as session:
        assert service.find_or_add(session, SECRET, "maße@example.com", Source.FORM).id


@pytest.mark.parametrize(
    ("how", "kept"),
    [
        ({}, ("Given", "America/Chicago")),  # the owner's API replaces
        ({"name_if_none": True}, ("Carol", "America/Chicago")),  # a card's billing name
        ({"fill_only": True}, ("Carol", "Europe/Paris")),  # a public page
    ],
)
def test_find_or_add_replaces_or_only_fills_as_its_caller_asks(
    db: Database, how: dict[str, bool], kept: tuple[str, str]
) -> None:
    """Each caller's rule for a known person's name and zone; a blank person is filled by all,
    nothing given changes nothing, and custom fields are never touched."""
    with db.session() as session:
        carol = service.find_or_add(
            session, SECRET, "carol@example.com", Source.API, name="Carol", time_zone="Europe/Paris"
        ).id
        service.update_subscriber(session, carol, fields={"plan": "pro"})
        blank = service.find_or_add(session, SECRET, "blank@example.com", Source.API).id
        for email in ("Carol@example.com", "blank@example.com"):
            service.find_or_add(
                session, SECRET, email, Source.FORM, name="Given", time_zone="America/Chicago",
                **how,
            )  # fmt: skip
        service.find_or_add(session, SECRET, "carol@example.com", Source.FORM, **how)
    with db.session(writer=False) as session:
        people = {
            row.id: (row.name, row.time_zone, row.fields)
            for row in session.scalars(select(Subscriber))
        }
    assert people == {
        carol: (*kept, {"plan": "pro"}),
        blank: ("Given", "America/Chicago", {}),
    }


def test_members_stream_in_id_order_and_skip_suppressed(db: Database) -> None:
    news = _list(db, double_opt_in=False)
    rows = "".join(f"p{i}@example.com,P{i}\n" for i in range(25))
    _import(db, "email,name\n" + rows, news)
    with db.session() as session:
        card = queries.find_by_email(session, "p3@example.com")
        assert card is not None
        service.suppress(session, SECRET, card.id, "bounced")
    with db.session(writer=False) as session:
        chunks = list(queries.members(session, news, chunk=10))
    ids = [m.id for chunk in chunks for m in chunk]
    assert [len(c) for c in chunks] == [10, 10, 4]
    assert ids == sorted(ids)
    assert card.id not in ids


def _big_csv(rows: int) -> Iterator[bytes]:
    yield b"email,name,city\n"
    for start in range(0, rows, 1000):
        yield "".join(
            f"user{i}@example.com,User {i},{'x' * 60}\n" for i in range(start, start + 1000)
        ).encode()


class _Stream(io.RawIOBase):
    """A large upload produced as it is read, so the test itself holds none of it."""

    def __init__(self, rows: int) -> None:
        self.parts, self.buffer = _big_csv(rows), b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray) -> int:  # type: ignore[override]
        while len(self.buffer) < len(target):
            part = next(self.parts, b"")
            if not part:
                break
            self.buffer += part
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


def test_a_large_file_is_previewed_in_bounded_memory() -> None:
    # 1.86 MB streamed under a 1 MB bound (the preview peaks at ~0.42 MB whatever the size): a
    # preview that read the whole file, even as bytes, fails. Tracing every allocation costs
    # ~0.3 ms a row, so the file is no larger than the bound needs (50,000 rows took ~14 s).
    tracemalloc.start()
    preview = service.preview_import(_Stream(20_000))
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (preview.rows, preview.valid) == (20_000, 20_000)
    assert peak < 1_000_000


def test_search_takes_wildcards_literally_and_finds_non_ascii_names(db: Database) -> None:
    news = _list(db, double_opt_in=False)
    people = {
        "emile@example.com": "Émile Zola",
        "pct@example.com": "100% Sure",
        "under@example.com": "snake_case",
        "slash@example.com": "back\\slash",
        "plain@example.com": "Plain Person",
    }
    with db.session() as session:
        for email, name in people.items():
            service.subscribe(session, SECRET, email, news, Consent(Source.API), name=name)

    def found(text: str) -> set[str]:
        with db.session(writer=False) as session:
            return {card.name for card in queries.search(session, text=text).rows}

    assert found("%") == {"100% Sure"}
    assert found("_") == {"snake_case"}
    assert found("\\") == {"back\\slash"}
    assert found("pl_in") == found("pl%n") == set()
    assert found("Émile") == found("éMILE".replace("é", "É")) == {"Émile Zola"}
    assert found("zOLA") == {"Émile Zola"}
    assert found("EMILE@") == {"Émile Zola"}


def test_tags_with_quotes_come_back_from_the_export_as_they_were(db: Database) -> None:
    news = _list(db, double_opt_in=False)
    tags = ['tag "q"', 'say "hi"', '"boxed"', "plain"]
    with db.session() as session:
        service.subscribe(session, SECRET, "q@example.com", news, FORM, tags=tags)
    out = io.StringIO()
    with db.session(writer=False) as session:
        service.export_csv(session, out, news)
    result = _import(db, out.getvalue().replace("q@example.com", "copy@example.com"), news)
    assert (result.format, result.created, result.error_count) == ("evergreen", 1, 0)
    assert _card(db, "copy@example.com").tags == _card(db, "q@example.com").tags == sorted(tags)
