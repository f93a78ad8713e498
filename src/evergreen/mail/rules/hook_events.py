"""How long a provider webhook's event id is kept for deduplication in `mail_hook_events`.

A row only has to outlive every retry of the same event. The providers retry a failed POST for
at most: SendGrid 24 hours after the event (https://www.twilio.com/docs/sendgrid/for-developers/
tracking-events/troubleshooting), Postmark 10 retries over about 10.5 hours (https://
postmarkapp.com/support/article/understanding-inbound-webhook-retries-in-postmark), Mailgun
8 hours (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-retries)
and Amazon SNS to HTTP/S at most 3,600 seconds, a hard limit (https://docs.aws.amazon.com/sns/
latest/dg/sns-message-delivery-retries.html). SendGrid and Mailgun requests older than 15
minutes are refused by their signed timestamps anyway, so a pruned Mailgun token cannot sign a
second event. Thirty days is far past all of them and leaves room for a provider's manual replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["HOOK_EVENTS_KEPT", "hook_events_cutoff"]

HOOK_EVENTS_KEPT = timedelta(days=30)


def hook_events_cutoff(now: datetime, kept: timedelta = HOOK_EVENTS_KEPT) -> datetime:
    """Events received before this instant can be forgotten: no provider retries them now."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware time")
    if kept < timedelta(days=1):
        raise ValueError("kept must be at least a day, longer than any provider's retries")
    return now - kept
