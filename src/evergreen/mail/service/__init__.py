"""The mail area's use cases: broadcasts, the sender loop, bounces, recipients' actions and
clicks."""

from evergreen.mail.service.bounces import Applied, apply_message, poll_maildir
from evergreen.mail.service.broadcasts import (
    Draft,
    act,
    check_broadcast,
    counts,
    create_broadcast,
    delete_broadcast,
    edit_broadcast,
    find_segment,
    get_broadcast,
    get_message,
    queue,
    recipients_now,
    recount,
    start_due,
    summary,
)
from evergreen.mail.service.clicks import (
    Folded,
    fold_backlog,
    fold_clicks,
    fold_clicks_report,
)
from evergreen.mail.service.delivery import Report, send_due, waiting_line
from evergreen.mail.service.hooks import (
    HookReport,
    prune_hook_events,
    receive_mailgun,
    receive_postmark,
    receive_sendgrid,
    receive_ses,
    verify_ses,
)
from evergreen.mail.service.outbox import Outbox, outbox_from_settings
from evergreen.mail.service.recipients import record_open, unsubscribe
from evergreen.mail.service.senders import FleetReport, send_in_processes
from evergreen.mail.service.sns import SnsFetcher, SnsNetwork
from evergreen.mail.service.steps import (
    create_step_message,
    pin_webinar,
    queue_many,
    queue_one,
    update_step_message,
)

__all__ = [
    "Applied",
    "Draft",
    "FleetReport",
    "Folded",
    "HookReport",
    "Outbox",
    "Report",
    "SnsFetcher",
    "SnsNetwork",
    "act",
    "apply_message",
    "check_broadcast",
    "counts",
    "create_broadcast",
    "create_step_message",
    "delete_broadcast",
    "edit_broadcast",
    "find_segment",
    "fold_backlog",
    "fold_clicks",
    "fold_clicks_report",
    "get_broadcast",
    "get_message",
    "outbox_from_settings",
    "pin_webinar",
    "poll_maildir",
    "prune_hook_events",
    "queue",
    "queue_many",
    "queue_one",
    "receive_mailgun",
    "receive_postmark",
    "receive_sendgrid",
    "receive_ses",
    "recipients_now",
    "record_open",
    "recount",
    "send_due",
    "send_in_processes",
    "start_due",
    "summary",
    "unsubscribe",
    "update_step_message",
    "verify_ses",
    "waiting_line",
]
