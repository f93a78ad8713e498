"""The sequences area's use cases: storing sequences and the due-step scheduler."""

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
    "enroll",
    "get_sequence",
    "message_ids",
    "run_due",
    "set_status",
]
