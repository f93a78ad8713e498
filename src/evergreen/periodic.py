"""Each minute's periodic tasks claimed once per cluster in the shared database, for clusters
without Redis (each `evergreen serve` then runs its own queue beside the others)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, Database

__all__ = ["KEPT", "PeriodicClaim", "claim_in_database"]

KEPT = timedelta(hours=1)  # claims older than this are deleted by the next claim won


class PeriodicClaim(Base):
    """The consumer that enqueued one minute's periodic tasks of one queue."""

    __tablename__ = "periodic_claims"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[str] = mapped_column(String(12), primary_key=True)  # YYYYMMDDHHMM, UTC
    claimed_by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]


def claim_in_database(db: Database, queue: str, minute: str, claimant: str, now: datetime) -> bool:
    """Whether this claimant is the first to claim the minute (INSERT … ON CONFLICT DO NOTHING:
    of any number asking at once, exactly one row goes in)."""
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        insert = postgres_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(PeriodicClaim)
            .values(queue=queue[:64], minute=minute, claimed_by=claimant[:100], at=now)
            .on_conflict_do_nothing(index_elements=["queue", "minute"])
            .returning(PeriodicClaim.minute)
        )
        won = session.execute(statement).first() is not None
        if won:
            session.execute(delete(PeriodicClaim).where(PeriodicClaim.at < now - KEPT))
    return won
