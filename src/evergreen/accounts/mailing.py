"""The mail the accounts area sends: a password-reset link to the person it is for. Kept out of
`service` because the web kit signs people in through `service` and names no mail."""

from __future__ import annotations

from evergreen.accounts.service import ResetLink
from evergreen.mail.transactional import Transactional

__all__ = ["reset_mail"]

_BODY = """<p>Hello,</p>
<p>Someone (we hope you) asked to reset the password of the account {{ subscriber.email }}.
Choose a new password here:</p>
<p><a href="{{ subscriber.fields.url }}">Choose a new password</a></p>
<p>The link works once, until {{ subscriber.fields.expires }} UTC. Using it signs out every
browser signed in to your account.</p>
<p>If you did not ask for this, ignore this message: your password stays as it is.</p>
"""


def reset_mail(link: ResetLink) -> Transactional:
    """The message that carries a reset link to the person it is for."""
    return Transactional(
        to=link.email,
        subject="Choose a new password",
        body=_BODY,
        values={"url": link.url, "expires": link.expires_at.strftime("%Y-%m-%d %H:%M")},
    )
