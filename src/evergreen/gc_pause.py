"""A pause of the cyclic garbage collector for the few places that work through huge batches."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Batches allocate many short-lived, acyclic objects: the cyclic garbage collector would
    walk them again and again for nothing (click ingestion, batch conversions)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
