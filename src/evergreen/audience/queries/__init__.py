"""What pages and other areas read of the audience: people by address, a list's subscribed
members streamed in id order, a person's lists and history, list counts, searches, saved
segments with their members (a broadcast walks them in id order, a chunk at a time, resuming
after the last), and what a confirmation link stands for."""

from __future__ import annotations

from evergreen.audience.models import MEMBER_TABLES
from evergreen.audience.queries.history import (
    ActivityLine,
    ConsentLine,
    History,
    MembershipLine,
    PendingConfirmation,
    confirmation,
    history,
)
from evergreen.audience.queries.members import (
    ExportRow,
    ListCounts,
    Member,
    count_subscribed,
    export_batches,
    list_choices,
    list_counts,
    members,
    recipients,
    segment_condition,
    subscribed_ids,
)
from evergreen.audience.queries.people import (
    SearchPage,
    SubscriberCard,
    card,
    emails_of,
    find_by_email,
    lists_of,
    search,
    show,
    tags_of,
)
from evergreen.audience.queries.segments import (
    SegmentInfo,
    find_segment,
    segment_member_ids,
    segments,
)
from evergreen.audience.queries.triggers import (
    activity_between,
    joined_between,
    opt_outs_by_message,
    tagged_between,
)

__all__ = [
    "MEMBER_TABLES",
    "ActivityLine",
    "ConsentLine",
    "ExportRow",
    "History",
    "ListCounts",
    "Member",
    "MembershipLine",
    "PendingConfirmation",
    "SearchPage",
    "SegmentInfo",
    "SubscriberCard",
    "activity_between",
    "card",
    "confirmation",
    "count_subscribed",
    "emails_of",
    "export_batches",
    "find_by_email",
    "find_segment",
    "history",
    "joined_between",
    "list_choices",
    "list_counts",
    "lists_of",
    "members",
    "opt_outs_by_message",
    "recipients",
    "search",
    "segment_condition",
    "segment_member_ids",
    "segments",
    "show",
    "subscribed_ids",
    "tagged_between",
    "tags_of",
]
