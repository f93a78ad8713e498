"""Bounce and complaint webhooks of mail providers, verified and read as pure functions.

Each reader returns the same `BounceResult` as a returned message (rules.bounces) and refuses
anything unsigned, forged, stale or malformed with a MailInputError naming the field.
"""

from evergreen.mail.rules.providers.mailgun import parse_mailgun
from evergreen.mail.rules.providers.postmark import check_basic_auth, parse_postmark
from evergreen.mail.rules.providers.sendgrid import parse_sendgrid, sendgrid_events
from evergreen.mail.rules.providers.ses import SnsMessage, parse_ses, verify_sns

__all__ = [
    "SnsMessage",
    "check_basic_auth",
    "parse_mailgun",
    "parse_postmark",
    "parse_sendgrid",
    "parse_ses",
    "sendgrid_events",
    "verify_sns",
]
