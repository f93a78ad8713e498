"""partners: the customers table becomes partner_customers (commerce will have its own customers)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table's own foreign keys (column -> referred table) and the tables whose customer_id
# points at it: their constraint names follow the naming convention, so they name the table.
_OWN_FKS = {"partner_id": "partners", "program_id": "programs", "terms_id": "commission_terms"}
_REFERRING = ("conversions", "commissions")


def _renamed_constraints(old: str, new: str) -> list[tuple[str, str, str]]:
    """(table, name before, name after) of every constraint whose name holds the table's."""
    names = [
        (new, f"pk_{old}", f"pk_{new}"),
        (new, f"uq_{old}_program_external", f"uq_{new}_program_external"),
    ]
    names += [(new, f"fk_{old}_{col}_{to}", f"fk_{new}_{col}_{to}") for col, to in _OWN_FKS.items()]
    names += [(t, f"fk_{t}_customer_id_{old}", f"fk_{t}_customer_id_{new}") for t in _REFERRING]
    return names


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)  # rows, ids and the foreign keys pointing here are kept as they are
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER SEQUENCE IF EXISTS {old}_id_seq RENAME TO {new}_id_seq")
        for table, before, after in _renamed_constraints(old, new):
            op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {before} TO {after}")
        return
    # SQLite cannot rename a constraint, and rebuilding these tables would drop rows that
    # reference them (foreign keys are on). A constraint's name is only text in the table's
    # CREATE statement, so it is edited there: SQLite's documented procedure for schema
    # changes that leave the stored data as it is (sqlite.org/lang_altertable.html, section 7).
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    edit = sa.text(
        "UPDATE sqlite_master SET sql = replace(sql, :before, :after) "
        "WHERE type = 'table' AND name = :table"
    )
    for table, before, after in _renamed_constraints(old, new):
        bind.execute(edit, {"table": table, "before": before, "after": after})
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    _rename("customers", "partner_customers")


def downgrade() -> None:
    _rename("partner_customers", "customers")
