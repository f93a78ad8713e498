"""One person's copy of a broadcast: rendered leniently, links tracked, open pixel, one-click
unsubscribe headers, VERP return path, DKIM signature.

The broadcast is prepared once per sending run (`rules.prepared`, `rules.writer`): a person
then costs a fill-in of their values, not a Markdown, CSS-inlining and MIME pass, with byte for
byte the message of the full render (which a template that does more than print values gets)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience.queries import Member
from evergreen.errors import InputError
from evergreen.links import queries as links_queries
from evergreen.links import service as links
from evergreen.mail import dkim
from evergreen.mail.models import Broadcast, MailLink
from evergreen.mail.rules import recipient_tokens, verp
from evergreen.mail.rules.headers import Address
from evergreen.mail.rules.message import BulkHeaders, Outgoing
from evergreen.mail.rules.prepared import PreparedMessage
from evergreen.mail.rules.render import Personal, compile_message
from evergreen.mail.rules.writer import MessageWriter
from evergreen.mail.service.outbox import Outbox

__all__ = ["Composer", "Plan", "person_values"]


@dataclass
class Plan:
    """A broadcast as the sender uses it: compiled once, with its tracking links by destination."""

    id: int
    list_id: int
    list_name: str
    template: PreparedMessage
    links: dict[str, str | None] = field(default_factory=dict)  # destination → short URL
    sequence: bool = False  # a sequence step: asked for by signing up, no frequency cap
    reads: frozenset[str] = frozenset()  # the names its subject and body read
    webinar: str = ""  # the webinar whose registration `{{ webinar.… }}` reads ("": the latest)


def person_values(
    session: Session,
    reads: frozenset[str],
    subscriber_id: int,
    secret: str,
    site: str,
    webinar: str = "",
) -> dict[str, Any]:
    """A person's values from other areas that a template reads: `webinar`, their latest
    registration (of the webinar the message is pinned to, when it is; asked of the webinars
    area only for a template that reads it; empty for someone with none, so a send prints
    blanks as for a field they lack)."""
    if "webinar" not in reads:
        return {}
    from evergreen.webinars import queries as webinars  # only for a message that reads it

    found = webinars.mail_values(session, subscriber_id, secret, site, webinar)
    return {"webinar": found or {}}


def _key(destination: str) -> str:
    return hashlib.sha256(destination.encode("utf-8", "replace")).hexdigest()


class Composer:
    """Builds each person's message; keeps each broadcast's plan for the life of a sending run."""

    def __init__(
        self,
        outbox: Outbox,
        links_writer: Callable[[], AbstractContextManager[Session]] | None = None,
    ) -> None:
        self.outbox = outbox
        # Where a link seen for the first time is made: its own unit of work when given (the
        # sender composes in a reader), else the session composing.
        self._links_writer = links_writer
        self._plans: dict[int, Plan] = {}
        self._writer = MessageWriter(sender=outbox.sender)

    def known(self, broadcast_id: int) -> Plan | None:
        """The broadcast's plan if this run made it already (a batch then loads nothing)."""
        return self._plans.get(broadcast_id)

    def plan(self, session: Session, broadcast: Broadcast, list_name: str) -> Plan:
        """The compiled broadcast (lenient: a field one person lacks renders blank)."""
        found = self._plans.get(broadcast.id)
        if found is None:
            template = compile_message(
                broadcast.subject,
                broadcast.body,
                "html" if broadcast.format == "html" else "markdown",
                strict=False,
            )
            prepared = PreparedMessage(template, self.outbox.footer)
            found = Plan(
                broadcast.id,
                broadcast.list_id or 0,
                list_name,
                prepared,
                sequence=broadcast.kind == "sequence",
                reads=template.names,
                webinar=broadcast.webinar,
            )
            for row in session.scalars(select(MailLink).where(MailLink.message_id == broadcast.id)):
                found.links[row.destination] = links_queries.short_url(
                    self.outbox.settings, self.outbox.site, row.slug
                )
            self._plans[broadcast.id] = found
        return found

    def _link(self, session: Session, plan: Plan, destination: str) -> str | None:
        """The broadcast's tracking link for a destination, made on first use (channel email)."""
        if destination in plan.links:
            return plan.links[destination]
        if self._links_writer is not None:
            with self._links_writer() as writer:
                return self._made_link(writer, plan, destination)
        return self._made_link(session, plan, destination)

    def _made_link(self, session: Session, plan: Plan, destination: str) -> str | None:
        """The link for a destination not yet in the plan: found, or made now."""
        key = _key(destination)
        row = session.scalar(
            select(MailLink).where(MailLink.message_id == plan.id, MailLink.destination_key == key)
        )
        if row is None:
            draft = links.LinkDraft(
                destination=destination,
                title=f"Broadcast {plan.id}",
                channel="email",
                campaign=f"broadcast-{plan.id}",
                tags=["email"],
                forward_tracking=False,  # the subscriber token stays with us
            )
            try:
                with session.begin_nested():
                    link = links.create_link(session, draft).link
                    row = MailLink(
                        message_id=plan.id,
                        destination_key=key,
                        destination=destination[:2048],
                        link_id=link.id,
                        slug=link.slug,
                    )
                    session.add(row)
                    session.flush()
            except InputError:  # a destination the links area refuses stays as written
                plan.links[destination] = None
                return None
            except IntegrityError:  # another sender made it a moment ago: theirs is the one
                row = session.scalar(
                    select(MailLink).where(
                        MailLink.message_id == plan.id, MailLink.destination_key == key
                    )
                )
                if row is None:
                    raise
        url = links_queries.short_url(self.outbox.settings, self.outbox.site, row.slug)
        plan.links[destination] = url
        return url

    def compose(
        self, session: Session, plan: Plan, person: Member, now: datetime
    ) -> tuple[Outgoing, bytes]:
        """The signed message for one person (MailInputError when their data cannot be sent)."""
        outbox, secret = self.outbox, self.outbox.secret

        def token(kind: str) -> str:
            return recipient_tokens.encode(
                secret, recipient_tokens.RecipientToken(kind, plan.id, person.id, plan.list_id)
            )

        unsubscribe = f"{outbox.site}/mail/u/{token('u')}"
        click = urlencode({"sub1": f"b{plan.id}", "sub2": token("c")})

        def rewrite(url: str) -> str:
            tracked = self._link(session, plan, url)
            return f"{tracked}?{click}" if tracked else url

        rendered = plan.template.render(
            Personal(
                person.email,
                person.name,
                person.fields,
                unsubscribe_url=unsubscribe,
                list_name=plan.list_name,
                open_pixel_url=f"{outbox.site}/mail/o/{token('o')}.gif",
                values=person_values(
                    session, plan.reads, person.id, secret, outbox.site, plan.webinar
                ),
            ),
            rewrite_link=rewrite,
        )
        bounce = verp.BounceToken("b", plan.id, person.id)
        domain = outbox.sender.domain
        outgoing = self._writer.write(
            to=Address(person.email, person.name),
            rendered=rendered,
            now=now,
            bulk=BulkHeaders(
                unsubscribe_url=unsubscribe,
                unsubscribe_mailto=f"mailto:{verp.return_path(secret, _mailto(bounce), domain)}"
                "?subject=unsubscribe",
                list_id=f"list-{plan.list_id}.{domain}",
                list_name=plan.list_name,
                allow_http=outbox.allow_http,
            ),
            return_path=verp.return_path(secret, bounce, domain),
            message_id=recipient_tokens.header_id(secret, plan.id, person.id),
        )
        data = outgoing.as_bytes()
        if outbox.dkim_key is not None:
            data = dkim.sign(data, outbox.dkim_key)
        return outgoing, data


def _mailto(bounce: verp.BounceToken) -> verp.BounceToken:
    """The mailto unsubscribe's token: the same people, kind `u`, read by the bounce path."""
    return verp.BounceToken("u", bounce.message_id, bounce.subscriber_id)
