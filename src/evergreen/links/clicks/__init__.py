"""The click pipeline: redirect, spool, ingestion, visitor memory, rollups and statistics."""
