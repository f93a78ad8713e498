"""Pure decisions of the funnels area: steps and where they lead, the A/B split, the visitor
cookie, page Markdown and ad-spend rows; no database, no web."""

from evergreen.funnels.rules.page import check_content, markdown_html
from evergreen.funnels.rules.spend import (
    SpendError,
    SpendReading,
    SpendRow,
    check_spend,
    read_spend_csv,
)
from evergreen.funnels.rules.split import check_variant_name, check_weight, pick_variant
from evergreen.funnels.rules.steps import (
    FUNNEL_STATUSES,
    KINDS,
    TEMPLATES,
    StepPlan,
    check_colour,
    check_kind_needs,
    check_name,
    check_slug,
    check_status,
    check_template,
    next_step,
    slug_of,
    targets_of,
)
from evergreen.funnels.rules.visitor import (
    VisitCount,
    Visitor,
    cookie_name,
    count_visit,
    new_visitor,
    read_cookie,
    write_cookie,
)

__all__ = [
    "FUNNEL_STATUSES",
    "KINDS",
    "TEMPLATES",
    "SpendError",
    "SpendReading",
    "SpendRow",
    "StepPlan",
    "VisitCount",
    "Visitor",
    "check_colour",
    "check_content",
    "check_kind_needs",
    "check_name",
    "check_slug",
    "check_spend",
    "check_status",
    "check_template",
    "check_variant_name",
    "check_weight",
    "cookie_name",
    "count_visit",
    "markdown_html",
    "new_visitor",
    "next_step",
    "pick_variant",
    "read_cookie",
    "read_spend_csv",
    "slug_of",
    "targets_of",
    "write_cookie",
]
