"""email keys are the address lower-cased, not case-folded, so ß and ss stay two people

`casefold()` folds distinct letters (``straße@`` and ``strasse@`` had one key, so the second
sign-up renamed the first person); the key is now `str.lower()`. Each stored key is recomputed
in Python (SQLite's lower() folds only ASCII, PostgreSQL's depends on the collation), for
subscribers and for webinar registrations, which copy their subscriber's key.

Cannot fail on a unique key: ``casefold(lower(s)) == casefold(s)`` for every string, so two
addresses with equal new keys had equal old keys, which the unique constraints already forbade.
Should a key still be taken (a row edited by hand), that row keeps its old key rather than
stopping the upgrade. Downgrade: nothing to do (old code finds lower-cased keys of ASCII
addresses as before).

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-07 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0064"
down_revision: str | None = "0063"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCOPES = {"subscribers": "0", "webinar_registrations": "webinar_id"}  # unique within


def _rekey(table: str, scope: str) -> None:
    """Each row's key lower-cased from its address, unless another row in its scope has it."""
    conn = op.get_bind()  # table and scope are the constants of _SCOPES, never input
    rows = conn.execute(sa.text(f"SELECT id, {scope}, email, email_key FROM {table}"))  # noqa: S608
    changes = [
        (row_id, group, email.lower(), key)
        for row_id, group, email, key in rows
        if email.lower() != key and key == email.casefold()  # else set some other way: kept
    ]
    find = sa.text(f"SELECT 1 FROM {table} WHERE email_key = :new AND {scope} = :group")  # noqa: S608
    update = sa.text(f"UPDATE {table} SET email_key = :new WHERE id = :id AND email_key = :key")  # noqa: S608
    for row_id, group, new, key in changes:
        if conn.execute(find, {"new": new, "group": group}).first() is None:
            conn.execute(update, {"new": new, "id": row_id, "key": key})


def upgrade() -> None:
    for table, scope in _SCOPES.items():
        _rekey(table, scope)


def downgrade() -> None:
    pass
