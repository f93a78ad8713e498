"""The audience's use cases: the only writer of its tables."""

from evergreen.audience.service.exporting import erase, export_csv, personal_data
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
    count_soft_bounce,
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
    "ImportResult",
    "Preview",
    "Subscribed",
    "add_tags",
    "confirm",
    "count_soft_bounce",
    "create_list",
    "delete_list",
    "erase",
    "export_csv",
    "get_list",
    "get_subscriber",
    "list_named",
    "personal_data",
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
