"""Every area's tables on one metadata, for migrations and the model/migration check."""

from __future__ import annotations

from evergreen.areas import all_areas
from evergreen.db import Base

__all__ = ["metadata"]

for _area in all_areas():
    if _area.models is not None:
        _area.models()

metadata = Base.metadata
