"""The audience's pure rules: addresses, consent, what people type, CSV formats, confirmations."""

from evergreen.audience.rules.consent import (
    Action,
    Source,
    Status,
    Step,
    consent_step,
    overall_status,
)
from evergreen.audience.rules.emails import MAX_EMAIL, CheckedEmail, check_email, email_key
from evergreen.audience.rules.imports import (
    EVERGREEN_HEADER,
    ROLES,
    ImportFormat,
    ImportPlan,
    ImportRecord,
    RowError,
    detect_format,
    field_name_of,
    map_row,
    plan_for,
)
from evergreen.audience.rules.inputs import (
    check_field_name,
    check_fields,
    check_list_name,
    check_name,
    check_tag,
    check_tags,
    check_time_zone,
    split_tags,
)
from evergreen.audience.rules.tokens import (
    CONFIRM_DAYS,
    Confirmation,
    confirm_token,
    read_confirm_token,
)

__all__ = [
    "CONFIRM_DAYS",
    "EVERGREEN_HEADER",
    "MAX_EMAIL",
    "ROLES",
    "Action",
    "CheckedEmail",
    "Confirmation",
    "ImportFormat",
    "ImportPlan",
    "ImportRecord",
    "RowError",
    "Source",
    "Status",
    "Step",
    "check_email",
    "check_field_name",
    "check_fields",
    "check_list_name",
    "check_name",
    "check_tag",
    "check_tags",
    "check_time_zone",
    "confirm_token",
    "consent_step",
    "detect_format",
    "email_key",
    "field_name_of",
    "map_row",
    "overall_status",
    "plan_for",
    "read_confirm_token",
    "split_tags",
]
