"""The audience's use cases: the only writer of its tables."""

from evergreen.audience.rules import Source
from evergreen.audience.rules.forms import Verdict
from evergreen.audience.service.exporting import erase, export_csv, personal_data
from evergreen.audience.service.forms import Guarded, guard_post, list_forms, post_token
from evergreen.audience.service.importing import (
    ImportResult,
    Preview,
    preview_import,
    run_import,
)
from evergreen.audience.service.lists import (
    create_list,
    delete_list,
    get_list,
    list_named,
    update_list,
)
from evergreen.audience.service.preferences import preference_url
from evergreen.audience.service.subscribers import (
    Consent,
    Subscribed,
    add_tags,
    confirm,
    confirm_url,
    count_soft_bounce,
    find_or_add,
    get_subscriber,
    record_activity,
    remove_tags,
    subscribe,
    suppress,
    unsubscribe,
    update_subscriber,
)

__all__ = [
    "Consent",
    "Guarded",
    "ImportResult",
    "Preview",
    "Source",
    "Subscribed",
    "Verdict",
    "add_tags",
    "confirm",
    "confirm_url",
    "count_soft_bounce",
    "create_list",
    "delete_list",
    "erase",
    "export_csv",
    "find_or_add",
    "get_list",
    "get_subscriber",
    "guard_post",
    "list_forms",
    "list_named",
    "personal_data",
    "post_token",
    "preference_url",
    "preview_import",
    "record_activity",
    "remove_tags",
    "run_import",
    "subscribe",
    "suppress",
    "unsubscribe",
    "update_list",
    "update_subscriber",
]
