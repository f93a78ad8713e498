"""Alembic wired to the package: migrations ship inside it and run with one call.

Every command migrates first, so a database already at the newest revision is recognised
without loading Alembic or the migration scripts (a plain query and a look at the file names
of the shipped revisions): commands start in a fraction of the time.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

log = logging.getLogger(__name__)

_SCRIPTS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision(?:: str)? = [\"'](\w+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:: [\w |]+)? = [\"'](\w+)[\"']", re.MULTILINE)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the shipped migrations, without an alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str | None:
    """The newest shipped revision: the one no other revision names as its parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_SCRIPTS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found:
            revisions.add(found.group(1))
        down = _DOWN.search(text)
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None  # several heads: let Alembic say so


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the server does this at start), saying in
    one line what it did: Alembic's own lines, a few per migration, are left to its DEBUG."""
    before = current_revision(url)
    if revision == "head" and head_revision() is not None and before == head_revision():
        return
    quiet = logging.getLogger("alembic")  # its import logs too
    level = quiet.level
    if not quiet.isEnabledFor(logging.DEBUG):  # asked for, Alembic says everything
        quiet.setLevel(logging.WARNING)
    try:
        from alembic import command

        command.upgrade(alembic_config(url), revision)
    finally:
        quiet.setLevel(level)
    after = current_revision(url)
    if after != before:
        log.info(
            "database %s revision %s", f"upgraded from {before} to" if before else "created at",
            after,
        )  # fmt: skip


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from sqlalchemy import inspect, text

    from evergreen.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
