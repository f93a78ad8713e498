"""Every area's tables, and the queue's, on one metadata, for migrations and the model/migration
check."""

from __future__ import annotations

from evergreen import periodic, periodic_runs  # noqa: F401  (the queue's tables, every area's)
from evergreen.areas import all_areas
from evergreen.db import Base

__all__ = ["metadata"]

for _area in all_areas():
    if _area.models is not None:
        _area.models()

metadata = Base.metadata
