"""The sequences area's use cases: storing sequences and the due-step scheduler."""

from evergreen.sequences.service.editing import (
    enrol_by_email,
    exit_by_email,
    revise_sequence,
    sequence_by_id,
)
from evergreen.sequences.service.scheduler import Tick, enroll, run_due
from evergreen.sequences.service.sequences import (
    STATUSES,
    add_sequence,
    get_sequence,
    message_ids,
    set_status,
)

__all__ = [
    "STATUSES",
    "Tick",
    "add_sequence",
    "enrol_by_email",
    "enroll",
    "exit_by_email",
    "get_sequence",
    "message_ids",
    "revise_sequence",
    "run_due",
    "sequence_by_id",
    "set_status",
]
