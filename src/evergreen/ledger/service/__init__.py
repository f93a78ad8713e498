"""Use cases of the ledger; the only writer of its tables."""

from evergreen.ledger.service.entries import add_asset, add_capital, add_cost, add_income
from evergreen.ledger.service.feeds import (
    Fed,
    Step,
    Unposted,
    post_commerce_fee,
    post_commerce_sale,
    post_lending_movement,
    post_network_earning,
    post_partner_commission,
    post_partner_payout,
    stream_of_scope,
    unposted,
)
from evergreen.ledger.service.forecasts import (
    StoredForecast,
    clear_forecast,
    set_forecast,
    stream_forecast,
)
from evergreen.ledger.service.hours import add_hours, running_timer, start_timer, stop_timer
from evergreen.ledger.service.idempotent import (
    EntryKind,
    Keyed,
    add_entry_once,
    add_hours_once,
    post_once,
)
from evergreen.ledger.service.journal import EntryDraft, legs_of, post, post_many, reverse
from evergreen.ledger.service.preferences import preferences, rates_for, set_preferences
from evergreen.ledger.service.streams import (
    StreamDraft,
    add_stream,
    all_streams,
    get_stream,
    require_stream,
    set_stream_rates,
    stream_named,
    update_stream,
)

__all__ = [
    "EntryDraft",
    "EntryKind",
    "Fed",
    "Keyed",
    "Step",
    "StoredForecast",
    "StreamDraft",
    "Unposted",
    "add_asset",
    "add_capital",
    "add_cost",
    "add_entry_once",
    "add_hours",
    "add_hours_once",
    "add_income",
    "add_stream",
    "all_streams",
    "clear_forecast",
    "get_stream",
    "legs_of",
    "post",
    "post_commerce_fee",
    "post_commerce_sale",
    "post_lending_movement",
    "post_many",
    "post_network_earning",
    "post_once",
    "post_partner_commission",
    "post_partner_payout",
    "preferences",
    "rates_for",
    "require_stream",
    "reverse",
    "running_timer",
    "set_forecast",
    "set_preferences",
    "set_stream_rates",
    "start_timer",
    "stop_timer",
    "stream_forecast",
    "stream_named",
    "stream_of_scope",
    "unposted",
    "update_stream",
]
