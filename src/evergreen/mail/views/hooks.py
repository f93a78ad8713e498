"""Bounce and complaint webhooks of mail providers: POST /mail/hooks/{ses,postmark,sendgrid,
mailgun}.

Public routes (the provider holds no account); each request proves itself as its provider
requires, else 401 (Postmark's basic auth) or 403 (a signature, a stale timestamp, a reused
Mailgun token, a foreign SNS topic), said in words. A route whose setting is unset answers 404
saying which to set. Anything unreadable is a 4xx naming the field; every answer is JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from evergreen.db import utcnow
from evergreen.mail import service
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.providers import SnsMessage
from evergreen.web.deps import Public, SessionDep, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/mail/hooks", include_in_schema=False)

# The fields whose refusal means "not proven to come from the provider" (403, not 422).
_PROOF = {
    "ses": ("Signature", "SignatureVersion", "SigningCertURL", "SubscribeURL", "TopicArn"),
    "sendgrid": ("signature", "timestamp", "public_key"),
    "mailgun": ("signature", "signing_key"),
}


def _json(body: dict[str, object], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _not_configured(provider: str, settings: str) -> Response:
    return _json({"detail": f"The {provider} webhook is not configured: set {settings}."}, 404)


def _refused(provider: str, error: MailInputError) -> Response:
    """401 without the right credential, 403 when a signature does not hold, else 422."""
    detail = f"{error.field}: {error.message}"
    if provider == "postmark" and error.field in ("authorization", "postmark"):
        return JSONResponse(
            {"detail": detail, "field": error.field},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="mail hooks"', "Cache-Control": "no-store"},
        )
    proof = _PROOF.get(provider, ())
    if error.field.split(".")[0] in proof or error.field in proof:
        return _json({"detail": detail, "field": error.field}, 403)
    body = [{"field": error.field, "message": error.message, "loc": ["body", error.field]}]
    return _json({"detail": body}, 422)


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter is not None else ""


def _network(request: Request) -> service.SnsNetwork:
    """The SNS fetcher of this app (one cache per process); tests put a fake in its place."""
    network: service.SnsNetwork | None = getattr(request.app.state, "mail_sns", None)
    if network is None:
        network = service.SnsFetcher()
        request.app.state.mail_sns = network
    return network


def _topics(value: str) -> list[str]:
    return [topic.strip() for topic in value.split(",") if topic.strip()]


async def _sns(request: Request, settings: SettingsDep) -> SnsMessage | Response:
    """The verified SNS message, before a database session is taken: fetching Amazon's
    certificate (a network call, once per certificate) never holds the write turn."""
    topics = _topics(settings.mail_hook_ses_topics)
    if not topics:
        return _not_configured("SES", "EVERGREEN_MAIL_HOOK_SES_TOPICS (the SNS topic ARNs)")
    body = await request.body()
    try:
        return await run_in_threadpool(
            service.verify_ses, body, network=_network(request), topics=topics, now=utcnow()
        )
    except MailInputError as exc:
        return _refused("ses", exc)


SnsDep = Annotated[SnsMessage | Response, Depends(_sns)]


async def _body(request: Request) -> bytes:
    """The raw body, read here so the route itself runs in a worker thread: a write that waits
    on another request's row lock must not hold the event loop that request commits from."""
    return await request.body()


BodyDep = Annotated[bytes, Depends(_body)]


@router.post("/ses", dependencies=[Public])
def ses(request: Request, verified: SnsDep, body: BodyDep, session: SessionDep) -> Response:
    """Amazon SES bounces and complaints through an SNS topic (and its subscription)."""
    if isinstance(verified, Response):
        return verified
    now: datetime = utcnow()
    try:
        report = service.receive_ses(
            session, request.app.state.secret, body, verified,
            network=_network(request), now=now,
        )  # fmt: skip
    except MailInputError as exc:
        return _refused("ses", exc)
    return _json(report.to_dict())


@router.post("/postmark", dependencies=[Public])
def postmark(
    request: Request, body: BodyDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Postmark's Bounce and SpamComplaint webhooks, under the URL's basic-auth pair."""
    user, password = settings.mail_hook_postmark_user, _secret(settings.mail_hook_postmark_password)
    if not user or not password:
        return _not_configured(
            "Postmark",
            "EVERGREEN_MAIL_HOOK_POSTMARK_USER and EVERGREEN_MAIL_HOOK_POSTMARK_PASSWORD",
        )
    try:
        report = service.receive_postmark(
            session, request.app.state.secret, body,
            authorization=request.headers.get("authorization"), user=user, password=password,
            now=utcnow(),
        )  # fmt: skip
    except MailInputError as exc:
        return _refused("postmark", exc)
    return _json(report.to_dict())


@router.post("/sendgrid", dependencies=[Public])
def sendgrid(
    request: Request, body: BodyDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """SendGrid's signed event webhook: bounce, dropped and spamreport events."""
    key = settings.mail_hook_sendgrid_public_key.strip()
    if not key:
        return _not_configured("SendGrid", "EVERGREEN_MAIL_HOOK_SENDGRID_PUBLIC_KEY")
    try:
        report = service.receive_sendgrid(
            session, request.app.state.secret, body,
            signature=request.headers.get("x-twilio-email-event-webhook-signature"),
            timestamp=request.headers.get("x-twilio-email-event-webhook-timestamp"),
            public_key=key, now=utcnow(),
        )  # fmt: skip
    except MailInputError as exc:
        return _refused("sendgrid", exc)
    return _json(report.to_dict())


@router.post("/mailgun", dependencies=[Public])
def mailgun(
    request: Request, body: BodyDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Mailgun's failed and complained webhooks, signed in the body; a token is used once."""
    key = _secret(settings.mail_hook_mailgun_signing_key)
    if not key:
        return _not_configured("Mailgun", "EVERGREEN_MAIL_HOOK_MAILGUN_SIGNING_KEY")
    try:
        report = service.receive_mailgun(
            session, request.app.state.secret, body, signing_key=key, now=utcnow()
        )
    except MailInputError as exc:
        return _refused("mailgun", exc)
    return _json(report.to_dict())
