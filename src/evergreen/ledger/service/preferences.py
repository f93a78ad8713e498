"""The owner's ledger defaults: hourly rate, required return, currency, passive threshold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import write_unless_taken
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Preferences, Stream
from evergreen.ledger.rules import Rates
from evergreen.money import check_currency

__all__ = ["preferences", "rates_for", "set_preferences"]

_ROW = 1


def preferences(session: Session) -> Preferences:
    """The stored defaults (an unsaved blank row before the owner sets any)."""
    return session.get(Preferences, _ROW) or Preferences(
        id=_ROW, currency="USD", passive_hours=Decimal(5)
    )


def set_preferences(
    session: Session,
    *,
    hourly_rate: Decimal | None = None,
    required_return: Decimal | None = None,
    currency: str | None = None,
    passive_hours: Decimal | None = None,
) -> Preferences:
    """Change the defaults that are given; keep the others."""
    checked = check_currency("currency", currency) if currency is not None else None
    row = _locked_row(session)
    if hourly_rate is not None:
        row.hourly_rate = hourly_rate
    if required_return is not None:
        row.required_return = required_return
    if checked is not None:
        row.currency = checked
    if passive_hours is not None:
        row.passive_hours = passive_hours
    session.flush()
    return row


def _locked_row(session: Session) -> Preferences:
    """The one row, locked until the unit of work ends; stored blank first when there is none,
    once however many first saves come at the same moment (a later one changes that row)."""
    row = _read_locked(session)
    if row is not None:
        return row
    blank = Preferences(id=_ROW, currency="USD", passive_hours=Decimal(5))
    if write_unless_taken(session, lambda: session.add(blank), lambda: _stored(session)):
        return blank
    row = _read_locked(session)  # another first save stored it meanwhile
    assert row is not None  # write_unless_taken found it stored
    return row


def _read_locked(session: Session) -> Preferences | None:
    return session.get(Preferences, _ROW, with_for_update=True, populate_existing=True)


def _stored(session: Session) -> bool:
    return session.scalar(select(Preferences.id).where(Preferences.id == _ROW)) is not None


def _as_sent(field: str) -> str:
    return f"{field} (?{field}=… in the address)"


def rates_for(
    session: Session,
    hourly_rate: Decimal | None,
    required_return: Decimal | None,
    *,
    named: Callable[[str], str] = _as_sent,
    streams: Sequence[Stream] | None = None,
) -> Rates:
    """The rates a report uses: those given, else the owner's saved ones; an unset one is a
    clear error rather than a silent zero (the owner's time is never free by accident) unless
    every one of `streams`, the streams the figures are of (one at least), has its own (it is
    then never charged: 0 stands for it).

    `named` spells an input as the caller's user sends it: the API's field (`hourly_rate`) by
    default, a command its option (`--hourly-rate`).
    """
    saved = preferences(session)
    hour = hourly_rate if hourly_rate is not None else saved.hourly_rate
    ret = required_return if required_return is not None else saved.required_return
    if streams:  # a default no stream falls back on is not needed (none: every one is)
        if hour is None and all(s.hourly_rate is not None for s in streams):
            hour = Decimal(0)
        if ret is None and all(s.required_return is not None for s in streams):
            ret = Decimal(0)
    if hour is None:
        raise LedgerInputError(
            "hourly_rate",
            f"is not set; give {named('hourly_rate')} or save one in the ledger's preferences "
            "(/ledger/preferences)",
        )
    if ret is None:
        raise LedgerInputError(
            "required_return",
            f"is not set; give {named('required_return')} (0.08 for 8 % a year) or save one "
            "in the ledger's preferences (/ledger/preferences)",
        )
    return Rates(hour, ret)
