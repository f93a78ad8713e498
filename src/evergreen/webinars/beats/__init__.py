"""Heartbeats of the watch room: spooled on arrival, folded into attendance by an ingester."""

from evergreen.webinars.beats.ingest import fold, ingest_pending, spool_folder
from evergreen.webinars.beats.spool import Beat, BeatReader, BeatSpool

__all__ = ["Beat", "BeatReader", "BeatSpool", "fold", "ingest_pending", "spool_folder"]
