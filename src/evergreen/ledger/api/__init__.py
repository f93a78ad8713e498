"""The ledger's JSON API under /api/v1/ledger: streams, the journal, hours and the timer, the
owner's defaults, and every report as JSON and CSV. Writes are the owner's; staff read."""

from evergreen.ledger.api import forecasts, hours, journal, preferences, reports, streams

__all__ = ["routers"]

# Streams first: its /ledger/streams/{stream_id} never shadows the reports' longer paths.
routers = [
    streams.router,
    forecasts.router,
    journal.router,
    hours.router,
    preferences.router,
    reports.router,
]
