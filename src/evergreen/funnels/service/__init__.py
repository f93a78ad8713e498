"""The funnels area's service: the only writer of its tables (funnels, steps, variants, traffic,
ad spend)."""

from evergreen.funnels.service.funnels import (
    FunnelDraft,
    StepDraft,
    add_funnel,
    add_step,
    find_funnel,
    get_funnel,
    get_step,
    move_step,
    remove_funnel,
    remove_step,
    update_funnel,
    update_step,
)
from evergreen.funnels.service.spend import SpendRefused, import_spend, put_spend
from evergreen.funnels.service.traffic import PageView, plans_of, public_step, view_step
from evergreen.funnels.service.variants import (
    VariantDraft,
    add_variant,
    get_variant,
    remove_variant,
    update_variant,
)

__all__ = [
    "FunnelDraft",
    "PageView",
    "SpendRefused",
    "StepDraft",
    "VariantDraft",
    "add_funnel",
    "add_step",
    "add_variant",
    "find_funnel",
    "get_funnel",
    "get_step",
    "get_variant",
    "import_spend",
    "move_step",
    "plans_of",
    "public_step",
    "put_spend",
    "remove_funnel",
    "remove_step",
    "remove_variant",
    "update_funnel",
    "update_step",
    "update_variant",
    "view_step",
]
