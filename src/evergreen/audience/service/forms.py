"""Sign-up forms: the owner's forms, a public post turned into consented subscriptions (bot
traps and the per-client rate limit first), and the confirmation mail it asks for."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ParamSpec, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import AudienceList, Form, FormAttempt
from evergreen.audience.rules import Source, check_email, check_fields, check_name
from evergreen.audience.rules.forms import (
    FormPolicy,
    Verdict,
    browser_zone,
    check_form_fields,
    check_origins,
    check_slug,
    judge_post,
    rate_wait,
    render_token,
    rendered_at,
)
from evergreen.audience.service.subscribers import Consent, confirm_url, subscribe
from evergreen.config import Settings
from evergreen.db import serialize_on, utcnow, write_unless_taken
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.hashing import derive_key, keyed_hash
from evergreen.mail.transactional import Transactional, send_now_async
from evergreen.urls import check_http_url

__all__ = [
    "FormInput",
    "Guarded",
    "Signup",
    "Submission",
    "confirmation_mail",
    "create_form",
    "delete_form",
    "deliver",
    "form_input",
    "form_lists",
    "get_form",
    "guard_post",
    "list_forms",
    "post_token",
    "public_form",
    "schedule_confirmation",
    "submit",
    "update_form",
]

log = logging.getLogger(__name__)
_P = ParamSpec("_P")


@dataclass(frozen=True)
class FormInput:
    """A form as the owner writes it."""

    name: str
    slug: str
    list_ids: Sequence[int]
    wording: str
    heading: str = ""
    intro: str = ""
    ask_name: bool = True
    field_names: Sequence[str] = ()
    button: str = "Subscribe"
    thank_you: str = ""
    redirect_url: str = ""
    allowed_origins: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Submission:
    """A public post: what the person typed, the hidden trap fields, and who sent it."""

    email: str
    token: str
    client: str
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    honeypot: str = ""
    time_zone: str = ""  # the browser's, for sequences that wait until an hour in their zone


@dataclass(frozen=True)
class Signup:
    """A post's outcome. `verdict` BOT is answered like ACCEPT (nothing was stored); AGAIN
    shows the form again; `retry_after` set means the client is over its rate; `error` is a
    refused value to show on the form. `confirmations` are (list name, token) to mail."""

    verdict: Verdict
    email: str = ""
    name: str = ""
    confirmations: list[tuple[str, str]] = field(default_factory=list)
    retry_after: float | None = None
    error: AudienceInputError | None = None


def form_input(row: Form, **changes: Any) -> FormInput:
    """A stored form as input again, with some of it changed (a partial update)."""
    stored = FormInput(
        name=row.name, slug=row.slug, list_ids=list(row.list_ids or []), wording=row.wording,
        heading=row.heading, intro=row.intro, ask_name=row.ask_name,
        field_names=list(row.field_names or []), button=row.button, thank_you=row.thank_you,
        redirect_url=row.redirect_url or "", allowed_origins=row.allowed_origins,
        enabled=row.enabled,
    )  # fmt: skip
    return replace(stored, **changes)


def _text(field_name: str, value: str, limit: int, *, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise AudienceInputError(field_name, "is required")
    if len(text) > limit:
        raise AudienceInputError(field_name, f"is longer than {limit} characters")
    return text


def _checked(session: Session, data: FormInput) -> dict[str, Any]:
    name = _text("name", data.name, 100, required=True)
    wording = _text("wording", data.wording, 5000, required=True)
    list_ids = list(dict.fromkeys(int(i) for i in data.list_ids))
    if not list_ids:
        raise AudienceInputError("list_ids", "choose at least one list the form joins")
    found = set(session.scalars(select(AudienceList.id).where(AudienceList.id.in_(list_ids))))
    missing = [i for i in list_ids if i not in found]
    if missing:
        raise AudienceInputError("list_ids", f"no list {missing[0]}")
    redirect = data.redirect_url.strip()
    return {
        "name": name,
        "slug": check_slug(data.slug),
        "list_ids": list_ids,
        "wording": wording,
        "heading": _text("heading", data.heading, 200),
        "intro": _text("intro", data.intro, 5000),
        "ask_name": data.ask_name,
        "field_names": check_form_fields(data.field_names),
        "button": _text("button", data.button, 60) or "Subscribe",
        "thank_you": _text("thank_you", data.thank_you, 5000),
        "redirect_url": check_http_url("redirect_url", redirect, AudienceInputError)
        if redirect
        else None,
        "allowed_origins": "\n".join(check_origins(data.allowed_origins)),
        "enabled": data.enabled,
    }


def create_form(session: Session, data: FormInput) -> Form:
    """A new form; its slug is its public address, /f/<slug>, and is unique."""
    values = _checked(session, data)
    row = Form(**values, submissions=0)
    if not write_unless_taken(
        session, lambda: session.add(row), lambda: _slug_taken(session, values["slug"], 0)
    ):
        raise Conflict("slug", f"a form already answers at /f/{values['slug']}")
    return row


def get_form(session: Session, form_id: int) -> Form:
    """The form with this id."""
    found = session.get(Form, form_id)
    if found is None:
        raise NotFound("form_id", f"no form {form_id}")
    return found


def update_form(session: Session, form_id: int, data: FormInput) -> Form:
    """Change a form; opt-ins already made keep the wording they were made with."""
    row = session.get(Form, form_id, with_for_update=True, populate_existing=True)
    if row is None:  # a change racing the form's deletion finds it gone, not an update of none
        raise NotFound("form_id", f"no form {form_id}")
    values = _checked(session, data)

    def write() -> None:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()

    # Moved, perhaps, to a slug another request takes at this moment.
    if not write_unless_taken(session, write, lambda: _slug_taken(session, values["slug"], row.id)):
        raise Conflict("slug", f"a form already answers at /f/{values['slug']}")
    return row


def _slug_taken(session: Session, slug: str, but: int) -> bool:
    """Whether another form answers at this slug."""
    return session.scalar(select(Form.id).where(Form.slug == slug, Form.id != but)) is not None


def delete_form(session: Session, form_id: int) -> None:
    """Delete a form; the people it signed up and their consent records stay."""
    session.delete(get_form(session, form_id))
    session.flush()


def list_forms(session: Session) -> list[Form]:
    """Every form, by name."""
    return list(session.scalars(select(Form).order_by(Form.name, Form.id)))


def public_form(session: Session, slug: str) -> Form:
    """The enabled form at /f/<slug>; a disabled one is as absent as an unknown one."""
    found = session.scalar(select(Form).where(Form.slug == slug, Form.enabled.is_(True)))
    if found is None:
        raise NotFound("slug", "there is no sign-up form at this address")
    return found


def form_lists(session: Session, form: Form) -> list[AudienceList]:
    """The lists a form joins that still exist, in the form's order."""
    rows = {
        row.id: row
        for row in session.scalars(
            select(AudienceList).where(AudienceList.id.in_(list(form.list_ids or [])))
        )
    }
    return [rows[i] for i in form.list_ids or [] if i in rows]


def _client_hash(secret: str, client: str) -> str:
    return keyed_hash(derive_key(secret, "audience-form-client"), client)


def _rate(session: Session, secret: str, client: str, now: datetime, policy: FormPolicy) -> float:
    """Record this post against its client; the seconds to wait (0 when it may go on)."""
    key = _client_hash(secret, client)
    serialize_on(session, f"form-client:{key}")
    since = now - policy.rate_window
    times = session.scalars(
        select(FormAttempt.at).where(FormAttempt.client_hash == key, FormAttempt.at > since)
    ).all()
    wait = rate_wait(times, now, policy)
    if wait is not None:
        return max(1.0, wait.total_seconds())
    session.execute(delete(FormAttempt).where(FormAttempt.at <= since))
    session.add(FormAttempt(client_hash=key, at=now))
    return 0.0


@dataclass(frozen=True)
class Guarded:
    """A public post judged by the forms' traps: `retry_after` set means over the client's rate;
    `rendered` is when the accepted post's form was shown."""

    verdict: Verdict
    retry_after: float = 0.0
    rendered: datetime | None = None


def post_token(secret: str, scope: str, now: datetime) -> str:
    """The signed render time another area's public form carries (e.g. "webinar:<slug>")."""
    return render_token(secret, scope, now)


def guard_post(
    session: Session,
    secret: str,
    scope: str,
    client: str,
    token: str,
    honeypot: str,
    *,
    now: datetime | None = None,
    policy: FormPolicy = FormPolicy(),
) -> Guarded:
    """The forms' per-client rate limit and bot traps for another area's public form, so every
    public form of the site shares one budget per client and one set of rules."""
    now = now or utcnow()
    wait = _rate(session, secret, client, now, policy)
    if wait:
        return Guarded(Verdict.ACCEPT, wait)
    verdict = judge_post(secret, scope, token, honeypot, now, policy)
    if verdict is not Verdict.ACCEPT:
        return Guarded(verdict)
    return Guarded(verdict, rendered=rendered_at(secret, scope, token))


def submit(
    session: Session,
    secret: str,
    slug: str,
    post: Submission,
    *,
    now: datetime | None = None,
    policy: FormPolicy = FormPolicy(),
) -> Signup:
    """A public post: rate-limited per client, judged for bots, then each of the form's lists
    subscribed with the form's wording; the answer never tells who was already subscribed."""
    form = public_form(session, slug)
    now = now or utcnow()
    wait = _rate(session, secret, post.client, now, policy)
    if wait:
        return Signup(Verdict.ACCEPT, retry_after=wait)
    verdict = judge_post(secret, form.slug, post.token, post.honeypot, now, policy)
    if verdict is not Verdict.ACCEPT:
        return Signup(verdict)
    try:
        checked = check_email(post.email)
        name = check_name(post.name) if form.ask_name else ""
        wanted = {k: v for k, v in post.fields.items() if k in (form.field_names or [])}
        values = check_fields({k: v.strip() for k, v in wanted.items() if v.strip()})
    except AudienceInputError as error:  # shown on the form; the post still counts
        return Signup(Verdict.ACCEPT, error=error)
    consent = Consent(
        Source.FORM, form=f"{form.name} (/f/{form.slug})", wording=form.wording, ip=post.client
    )
    confirmations: list[tuple[str, str]] = []
    for audience_list in form_lists(session, form):
        done = subscribe(
            session,
            secret,
            checked.email,
            audience_list.id,
            consent,
            name=name or None,
            fields=values or None,
            time_zone=browser_zone(post.time_zone),
            fill_only=True,
        )
        if done.token:
            confirmations.append((audience_list.name, done.token))
    session.execute(update(Form).where(Form.id == form.id).values(submissions=Form.submissions + 1))
    return Signup(Verdict.ACCEPT, checked.email, name, confirmations)


_CONFIRM_BODY = """<p>Hello{% if subscriber.name %} {{ subscriber.name }}{% endif %},</p>
<p>Please confirm that you want to receive email from us. Press the link below
{%- if subscriber.fields.links|length > 1 %} for each list{% endif %}:</p>
{% for link in subscriber.fields.links %}
<p><a href="{{ link.url }}">Confirm: {{ link.list }}</a></p>
{% endfor %}
<p>If you did not ask for this, ignore this message: nothing is sent to you unless you
confirm. The link works for 7 days.</p>
"""


def confirmation_mail(signup: Signup, base_url: str) -> Transactional | None:
    """The double opt-in message for a sign-up (None when nothing needs confirming); its links
    lead to /audience/confirm/<token>."""
    if not signup.confirmations:
        return None
    links = [
        {"list": name, "url": confirm_url(base_url, token)} for name, token in signup.confirmations
    ]
    return Transactional(
        to=signup.email,
        name=signup.name,
        subject="Please confirm your subscription",
        body=_CONFIRM_BODY,
        values={"links": links},
    )


class Later(Protocol):
    """Work run after the response is sent (FastAPI's BackgroundTasks), named without the web."""

    def add_task(self, func: Callable[_P, Any], *args: _P.args, **kwargs: _P.kwargs) -> None:
        """Run `func(*args, **kwargs)` once the response has gone."""
        ...


def schedule_confirmation(later: Later, settings: Settings, signup: Signup, base_url: str) -> None:
    """Mail the confirmation after the response (the sign-up is committed by then): the hosted
    form, the JSON endpoint and the preference centre all confirm the same way."""
    message = confirmation_mail(signup, base_url)
    if message is not None:
        later.add_task(deliver, settings, message)


async def deliver(settings: Settings, message: Transactional) -> None:
    """Send a confirmation after the sign-up was committed; a failure is logged (the person is
    kept unconfirmed and gets a new link by signing up again)."""
    try:
        delivery = await send_now_async(settings, message)
    except InputError as exc:  # mail not configured, or an address it refuses
        log.warning("confirmation mail to %s not sent: %s", message.to, exc.message)
        return
    if delivery.outcome != "sent":
        log.warning(
            "confirmation mail to %s %s: %s %s",
            message.to,
            delivery.outcome,
            delivery.code or "",
            delivery.text,
        )
