"""Every area's tables on one metadata, for migrations and the model/migration check."""

from __future__ import annotations

from evergreen.accounts import models as accounts_models
from evergreen.db import Base
from evergreen.links import models as links_models
from evergreen.partners import models as partners_models

__all__ = ["accounts_models", "links_models", "metadata", "partners_models"]

metadata = Base.metadata
