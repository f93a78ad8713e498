"""Alembic environment: run migrations for Evergreen's metadata on the configured URL."""

from __future__ import annotations

from alembic import context

from evergreen.db import make_engine
from evergreen.models import metadata

config = context.config


def run_migrations() -> None:
    """Migrate online; SQLite needs batch mode to alter tables."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable, url)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection, url)
    finally:
        engine.dispose()


def _run(connection: object, url: str) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
