"""Forms on SQLite and PostgreSQL: a post subscribes with the form's wording, bots and
over-rate clients store nothing, and the preference centre records its changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from evergreen.audience import service
from evergreen.audience.models import ConsentEvent, Form, FormAttempt, Membership, Subscriber
from evergreen.audience.rules.forms import FormPolicy, Verdict, render_token
from evergreen.audience.service import forms, preferences
from evergreen.db import Database, utcnow
from evergreen.errors import Conflict

SECRET = "s" * 40


def _form(db: Database, *, double: bool = True, **extra: object) -> tuple[int, int]:
    with db.session() as session:
        news = service.create_list(session, "News", double_opt_in=double).id
        row = forms.create_form(
            session,
            forms.FormInput(
                name="Newsletter",
                slug="news",
                list_ids=[news],
                wording="Yes, mail me.",
                field_names=["country"],
                **extra,  # type: ignore[arg-type]
            ),
        )
        return row.id, news


def _post(
    email: str, *, age: float = 5, honeypot: str = "", client: str = "1.2.3.4"
) -> forms.Submission:
    token = render_token(SECRET, "news", utcnow() - timedelta(seconds=age))
    return forms.Submission(
        email=email,
        token=token,
        client=client,
        name="Jane",
        fields={"country": "DE", "other": "x"},
        honeypot=honeypot,
    )


def test_a_post_subscribes_with_the_forms_wording_and_asks_for_confirmation(db: Database) -> None:
    form_id, news = _form(db)
    with db.session() as session:
        signup = forms.submit(session, SECRET, "news", _post("Jane@Example.com"))
    assert signup.verdict is Verdict.ACCEPT
    assert signup.error is None
    assert [name for name, _ in signup.confirmations] == ["News"]
    with db.session() as session:
        person = session.scalar(select(Subscriber))
        assert person is not None
        assert (person.email, person.name, person.fields) == (
            "Jane@example.com",
            "Jane",
            {"country": "DE"},
        )
        event = session.scalar(select(ConsentEvent))
        assert event is not None
        assert (event.action, event.source, event.wording) == ("opt_in", "form", "Yes, mail me.")
        assert event.form == "Newsletter (/f/news)"
        assert event.ip_hash
        assert "1.2.3.4" not in event.ip_hash
        assert session.get(Form, form_id).submissions == 1  # type: ignore[union-attr]
        service.confirm(session, SECRET, signup.confirmations[0][1])
    with db.session() as session:
        member = session.scalar(select(Membership))
        assert member is not None
        assert (member.list_id, member.status) == (news, "subscribed")
    # The same person again: the same answer, no second confirmation to tell them apart by.
    with db.session() as session:
        again = forms.submit(session, SECRET, "news", _post("jane@example.com"))
    assert again.verdict is Verdict.ACCEPT
    assert again.error is None
    assert again.confirmations == []


@pytest.mark.parametrize(
    ("trap", "verdict"),
    [({"honeypot": "http://x"}, Verdict.BOT), ({"age": 0.5}, Verdict.BOT)],
    ids=["honeypot", "too-fast"],
)
def test_bots_store_nothing(db: Database, trap: dict[str, object], verdict: Verdict) -> None:
    _form(db)
    post = _post("bot@example.com", **trap)  # type: ignore[arg-type]
    with db.session() as session:
        assert forms.submit(session, SECRET, "news", post).verdict is verdict
    with db.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0
        assert session.scalar(select(func.count(FormAttempt.id))) == 1  # it still counts


def test_over_the_rate_a_client_is_told_to_wait(db: Database) -> None:
    _form(db)
    policy = FormPolicy(rate_limit=2)
    for i in range(2):
        with db.session() as session:
            assert (
                forms.submit(
                    session, SECRET, "news", _post(f"p{i}@example.com"), policy=policy
                ).retry_after
                is None
            )
    with db.session() as session:
        late = forms.submit(session, SECRET, "news", _post("p3@example.com"), policy=policy)
        other = forms.submit(
            session, SECRET, "news", _post("p4@example.com", client="5.6.7.8"), policy=policy
        )
    assert late.retry_after is not None
    assert 500 < late.retry_after <= 600
    assert other.retry_after is None
    with db.session() as session:
        emails = set(session.scalars(select(Subscriber.email_key)))
    assert emails == {"p0@example.com", "p1@example.com", "p4@example.com"}


def test_a_bad_address_is_an_error_on_the_form_and_nothing_is_stored(db: Database) -> None:
    _form(db)
    with db.session() as session:
        signup = forms.submit(session, SECRET, "news", _post("not an address"))
    assert signup.error is not None
    assert signup.error.field == "email"
    with db.session() as session:
        assert session.scalar(select(func.count(Subscriber.id))) == 0


def test_slugs_are_unique_and_disabled_forms_are_absent(db: Database) -> None:
    form_id, news = _form(db)
    with db.session() as session, pytest.raises(Conflict):
        forms.create_form(
            session, forms.FormInput(name="B", slug="news", list_ids=[news], wording="w")
        )
    with db.session() as session:
        row = forms.get_form(session, form_id)
        data = forms.FormInput(
            name=row.name, slug="news", list_ids=[news], wording="w", enabled=False
        )
        forms.update_form(session, form_id, data)
    with db.session() as session, pytest.raises(Exception, match="no sign-up form"):
        forms.public_form(session, "news")


def test_preference_centre_leaves_and_rejoins_with_consent_events(db: Database) -> None:
    _form(db, double=False)
    with db.session() as session:
        offers = service.create_list(session, "Offers", double_opt_in=True).id
        person = forms.submit(session, SECRET, "news", _post("jane@example.com"))
        subscriber = session.scalar(select(Subscriber))
        assert subscriber is not None
        assert person.error is None
        service.subscribe(session, SECRET, "jane@example.com", offers, service.Consent())
        token = preferences.preference_url(
            "https://x.test", SECRET, subscriber.id, subscriber.email
        ).rsplit("/", 1)[1]
    with db.session() as session:
        shown = preferences.preferences(session, SECRET, token)
        assert [(c.name, c.checked) for c in shown.lists] == [("News", True), ("Offers", True)]
        saved = preferences.save_preferences(session, SECRET, token, [shown.lists[1].id], "weekly")
    assert saved.left == ["News"]
    with db.session() as session:
        shown = preferences.preferences(session, SECRET, token)
        assert [(c.name, c.status) for c in shown.lists] == [
            ("News", "unsubscribed"),
            ("Offers", "unconfirmed"),
        ]
        assert shown.frequency == "weekly"
        assert preferences.leave_everything(session, SECRET, token) == [offers]
    with db.session() as session:
        wordings = session.scalars(
            select(ConsentEvent.wording).where(ConsentEvent.action == "opt_out")
        ).all()
        assert wordings == ["preference centre", "preference centre"]
    with db.session() as session, pytest.raises(Exception, match="not valid"):
        preferences.preferences(session, SECRET, token.replace(".", ".A", 1)[:-1])
