"""The ledger's services on SQLite and PostgreSQL: posting, rollups, reversals, hours, reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import DailyFigures, HoursEntry, JournalEntry, Posting, Stream
from evergreen.ledger.rules import (
    BANK,
    Figure,
    Figures,
    Leg,
    Rates,
    StreamKind,
    daily_figures,
    from_units,
)

D = Decimal
TODAY = date(2026, 6, 30)
RATES = Rates(D(50), D("0.10"))


def _stream(db: Database, name: str = "Blog", currency: str = "USD", **extra: object) -> int:
    with db.session() as session:
        draft = service.StreamDraft(name, StreamKind.AFFILIATE, currency, date(2026, 1, 1),
                                    **extra)  # type: ignore[arg-type]  # fmt: skip
        return service.add_stream(session, draft, TODAY).id


def _recomputed(db: Database) -> dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal]]:
    """The daily rollup computed afresh from every cleared posting (the independent check)."""
    out: dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal]] = {}
    with db.session() as session:
        rows = session.execute(
            select(JournalEntry.date, Posting)
            .join(Posting, Posting.transaction_id == JournalEntry.id)
            .where(JournalEntry.flag == "*")
        ).all()
        for day, posting in rows:
            legs = [Leg(posting.account, posting.amount, posting.currency, posting.stream_id)]
            for key, (i, c, k, _n) in daily_figures(day, legs).items():
                a, b, e = out.get(key, (D(0), D(0), D(0)))
                out[key] = (a + i, b + c, e + k)
    return {k: v for k, v in out.items() if any(v)}


def _rollup(db: Database) -> dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal]]:
    with db.session() as session:
        return {
            (r.stream_id, r.day, r.currency): (
                from_units(r.income_units),
                from_units(r.costs_units),
                from_units(r.capital_units),
            )
            for r in session.scalars(select(DailyFigures))
            if r.income_units or r.costs_units or r.capital_units
        }


def test_streams_have_unique_names_and_are_found_by_name(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        assert service.stream_named(session, "  Blog ").id == stream_id
        with pytest.raises(Conflict):
            service.add_stream(session, service.StreamDraft("Blog", StreamKind.OTHER), TODAY)
        with pytest.raises(NotFound, match="Blog"):
            service.stream_named(session, "Blgo")


def test_manual_entries_land_in_the_report_and_the_rollup_matches_a_recomputation(
    db: Database,
) -> None:
    blog, loans = _stream(db), _stream(db, "Loans")
    with db.session() as session:
        b, lo = session.get(Stream, blog), session.get(Stream, loans)
        assert b is not None
        assert lo is not None
        service.add_income(session, b, date(2026, 3, 2), D("1200.50"), "March")
        service.add_income(session, b, date(2026, 3, 31), D("99.50"))
        service.add_income(session, b, date(2026, 4, 1), D(1000))  # outside March
        service.add_cost(session, b, date(2026, 3, 15), D("100.25"), "hosting")
        service.add_hours(session, b, date(2026, 3, 3), D("7.5"))
        service.add_capital(session, lo, date(2026, 2, 1), D(36_500))
        service.add_capital(session, lo, date(2026, 3, 11), D(-18_250))
        service.add_income(session, lo, date(2026, 3, 20), D(300))
    with db.session() as session:
        report = queries.report(session, date(2026, 3, 1), date(2026, 3, 31), RATES)
    rows = {row.name: row.figures for row in report.rows}
    assert rows["Blog"].income == D("1300.00")
    assert rows["Blog"].costs == D("100.25")
    assert rows["Blog"].owner_time_charge == D(375)
    assert rows["Blog"].residual_income == D("1300") - D("100.25") - D(375)
    # 10 days at 36,500 then 21 days at 18,250, at 10 % a year.
    charge = (10 * D(36_500) + 21 * D(18_250)) * D("0.10") / 365
    assert rows["Loans"].capital_charge == charge
    assert rows["Loans"].residual_income == D(300) - charge
    assert (
        report.total.residual_income == rows["Blog"].residual_income + rows["Loans"].residual_income
    )
    assert _rollup(db) == _recomputed(db)


def test_a_source_key_posts_once_however_often_it_is_replayed(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        first = service.add_income(session, stream, TODAY, D(10), source_key="net:1")
        again = service.add_income(session, stream, TODAY, D(10), source_key="net:1")
        assert again.id == first.id
        drafts = [
            service.EntryDraft(TODAY, [Leg(BANK, D(5), "USD", stream_id),
                                       Leg("Income:Other", D(-5), "USD", stream_id)],
                               source_key=key)
            for key in ("net:1", "net:2", "net:3")
        ]  # fmt: skip
        assert service.post_many(session, drafts) == 2
        assert service.post_many(session, drafts) == 0
        assert service.post_many(session, [drafts[1], drafts[1]]) == 0
        # One by one after a batch: the ids the batch took are not handed out twice.
        service.add_income(session, stream, TODAY, D(1), source_key="net:4")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 4
        assert session.scalar(select(func.count()).select_from(Posting)) == 8
        figures = queries.report(session, TODAY, TODAY, RATES).rows[0].figures
    assert figures.income == D(21)
    assert _rollup(db) == _recomputed(db)


def test_a_reversal_restores_the_figures_and_happens_once(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        kept = service.add_income(session, stream, date(2026, 5, 1), D(70))
        wrong = service.add_cost(session, stream, date(2026, 5, 2), D(500), "typo")
        undo = service.reverse(session, wrong.id, date(2026, 5, 3), "typo")
        assert undo.reverses_id == wrong.id
        with pytest.raises(Conflict, match="reversed already"):
            service.reverse(session, wrong.id, date(2026, 5, 3))
        with pytest.raises(Conflict, match="is a reversal"):
            service.reverse(session, undo.id, date(2026, 5, 3))
        with pytest.raises(LedgerInputError):
            service.reverse(session, kept.id, date(2026, 4, 30))
        with pytest.raises(NotFound):
            service.reverse(session, 999_999, date(2026, 5, 3))
    with db.session() as session:
        figures = queries.report(session, date(2026, 5, 1), date(2026, 5, 31), RATES).rows[0]
        # The month nets the cost out; the day of the cost alone still shows it (never edited).
        assert figures.figures.costs == 0
        day = queries.report(session, date(2026, 5, 2), date(2026, 5, 2), RATES).rows[0]
        assert day.figures.costs == D(500)
    assert _rollup(db) == _recomputed(db)


def test_pending_entries_stay_out_of_figures_until_they_clear(db: Database) -> None:
    stream_id = _stream(db)
    legs = [Leg("Assets:Receivable", D(40), "USD", stream_id),
            Leg("Income:Commissions", D(-40), "USD", stream_id)]  # fmt: skip
    with db.session() as session:
        pending = service.post(session, service.EntryDraft(TODAY, legs, flag="!"))
        assert queries.report(session, TODAY, TODAY, RATES).rows[0].figures.income == 0
        service.reverse(session, pending.id, TODAY)
        service.post(session, service.EntryDraft(TODAY, legs))
        assert queries.report(session, TODAY, TODAY, RATES).rows[0].figures.income == D(40)
        stream = service.get_stream(session, stream_id)
        lines = queries.entries_behind(session, stream, TODAY, TODAY, Figure.INCOME)
    assert [line.amount for line in lines] == [D(-40)]
    assert _rollup(db) == _recomputed(db)


def test_money_in_another_currency_cannot_be_posted_to_a_stream(db: Database) -> None:
    stream_id = _stream(db, currency="EUR")
    legs = [Leg(BANK, D(1), "USD", stream_id), Leg("Income:Other", D(-1), "USD", stream_id)]
    with (
        db.session() as session,
        pytest.raises(LedgerInputError, match="USD cannot be posted to a EUR stream"),
    ):
        service.post(session, service.EntryDraft(TODAY, legs))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Posting)) == 0


def test_the_entries_behind_a_figure_sum_to_it(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        for n in range(1, 6):
            service.add_income(session, stream, date(2026, 2, n), D(n) * D("10.10"))
            service.add_cost(session, stream, date(2026, 2, n + 10), D(n))
        start, end = date(2026, 2, 1), date(2026, 2, 28)
        figures = queries.stream_figures(session, [stream], start, end, RATES)[stream_id]
        income = queries.entries_behind(session, stream, start, end, Figure.INCOME)
        costs = queries.entries_behind(session, stream, start, end, Figure.COSTS)
    assert -sum(line.amount for line in income) == figures.income == D("151.50")
    assert sum(line.amount for line in costs) == figures.costs == D(15)


def test_the_timer_records_its_time_split_at_midnight(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        service.start_timer(session, stream, datetime(2026, 1, 1, 23, 0, tzinfo=UTC), "writing")
        assert service.running_timer(session) is not None
        entries = service.stop_timer(session, datetime(2026, 1, 2, 1, 30, tzinfo=UTC))
        assert [(e.date, e.hours) for e in entries] == [
            (date(2026, 1, 1), D(1)), (date(2026, 1, 2), D("1.5"))
        ]  # fmt: skip
        assert service.running_timer(session) is None
        with pytest.raises(Conflict):
            service.stop_timer(session, datetime(2026, 1, 2, 2, 0, tzinfo=UTC))


def test_a_timer_across_midnight_with_fractions_of_a_second_keeps_every_second(
    db: Database,
) -> None:
    stream_id = _stream(db)
    start = datetime(2026, 1, 1, 23, 59, 59, 600_000, tzinfo=UTC)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        service.start_timer(session, stream, start, "editing")
        entries = service.stop_timer(session, start + timedelta(minutes=90))
        assert [e.date for e in entries] == [date(2026, 1, 1), date(2026, 1, 2)]
        assert sum(e.hours for e in entries) == D("1.5")  # not 1.4998 from truncated parts


def test_starting_a_timer_stops_the_running_one_and_keeps_its_time(db: Database) -> None:
    blog, book = _stream(db), _stream(db, "Book")
    with db.session() as session:
        one, two = session.get(Stream, blog), session.get(Stream, book)
        assert one is not None
        assert two is not None
        service.start_timer(session, one, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        service.start_timer(session, two, datetime(2026, 1, 5, 9, 45, tzinfo=UTC))
        service.stop_timer(session, datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
        hours = dict(
            session.execute(
                select(HoursEntry.stream_id, func.sum(HoursEntry.hours)).group_by(
                    HoursEntry.stream_id
                )
            ).all()
        )
    assert {k: D(v) for k, v in hours.items()} == {blog: D("0.75"), book: D("0.25")}


def test_hours_with_a_key_are_added_once(db: Database) -> None:
    stream_id = _stream(db)
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        service.add_hours(session, stream, TODAY, D(2), source_key="timedot:1")
        service.add_hours(session, stream, TODAY, D(2), source_key="timedot:1")
        figures = queries.report(session, TODAY, TODAY, RATES).rows[0].figures
    assert figures.hours == D(2)


def test_a_streams_own_rates_override_the_owners(db: Database) -> None:
    own = _stream(db, hourly_rate=D(10), required_return=D("0.365"))
    with db.session() as session:
        stream = session.get(Stream, own)
        assert stream is not None
        service.add_hours(session, stream, TODAY, D(3))
        service.add_capital(session, stream, TODAY, D(1000))
        figures = queries.report(session, TODAY, TODAY, RATES).rows[0].figures
    assert figures.owner_time_charge == D(30)
    assert figures.capital_charge == D(1)  # 1,000 x 0.365 / 365 for one day


def test_rates_must_be_given_or_saved(db: Database) -> None:
    with db.session() as session:
        with pytest.raises(LedgerInputError) as caught:
            service.rates_for(session, None, D("0.1"))
        assert caught.value.field == "hourly_rate"
        service.set_preferences(session, hourly_rate=D(60), required_return=D("0.07"))
    with db.session() as session:
        assert service.rates_for(session, None, None) == Rates(D(60), D("0.07"))
        assert service.rates_for(session, D(1), None) == Rates(D(1), D("0.07"))


def test_value_uses_the_trailing_year_and_the_capital_at_the_day(db: Database) -> None:
    stream_id = _stream(db, "Loans")
    with db.session() as session:
        stream = session.get(Stream, stream_id)
        assert stream is not None
        service.add_capital(session, stream, date(2025, 1, 1), D(10_000))
        service.add_income(session, stream, date(2024, 12, 31), D(5000))  # before the window
        service.add_income(session, stream, date(2025, 12, 1), D(2000))
        service.add_capital(session, stream, date(2026, 1, 1), D(5000))  # after as_of
        result = queries.valuation(session, stream, date(2025, 12, 31), RATES, D("0.5"))
    ttm_charge = D(10_000) * D("0.10") * 365 / 365
    assert result.capital == D(10_000)
    assert result.residual_income_ttm == D(2000) - ttm_charge
    assert result.value == D(10_000) + (D(2000) - ttm_charge) / (1 + D("0.10") - D("0.5"))


def test_monthly_history_equals_each_months_report(db: Database) -> None:
    blog, loans = _stream(db), _stream(db, "Loans", hourly_rate=D(20))
    with db.session() as session:
        b, lo = service.get_stream(session, blog), service.get_stream(session, loans)
        service.add_capital(session, lo, date(2025, 11, 20), D(12_000))
        for month in range(1, 7):
            service.add_income(session, b, date(2026, month, 3), D(100 * month))
            service.add_cost(session, b, date(2026, month, 28), D(month))
            service.add_hours(session, b, date(2026, month, 9), D(month))
            service.add_hours(session, lo, date(2026, month, 10), D("0.5"))
            service.add_capital(session, lo, date(2026, month, 15), D(-1000))
            service.add_income(session, lo, date(2026, month, 30 if month != 2 else 28), D(90))
    with db.session() as session:
        streams = [service.get_stream(session, blog), service.get_stream(session, loans)]
        history = queries.histories(session, streams, date(2026, 6, 1), 8, RATES)
        for stream in streams:
            months = [month for month, _ in history[stream.id]]
            assert months[0] == date(2025, 11, 1)
            assert months[-1] == date(2026, 6, 1)
            assert len(months) == 8
            for month, figures in history[stream.id]:
                end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
                expected = queries.stream_figures(session, [stream], month, end, RATES)
                assert figures == expected[stream.id], (stream.name, month)


def test_a_batch_is_checked_whole_and_refused_whole(db: Database) -> None:
    stream_id = _stream(db)
    other = _stream(db, "Loans", "EUR")

    def draft(
        amount: str,
        account: str = "Income:Other",
        stream: int = stream_id,
        currency: str = "USD",
        other_leg: str | None = None,
    ) -> service.EntryDraft:
        value = D(amount)
        back = D(other_leg) if other_leg is not None else -value
        return service.EntryDraft(TODAY, [Leg(BANK, value, currency, stream),
                                          Leg(account, back, currency, stream)])  # fmt: skip

    good = [draft("1.50000"), draft("2")]  # trailing zeros past 4 places are still 4 places
    refusals = [
        ([*good, draft("1.00001")], InputError, "at most 4 decimal places"),
        ([*good, draft("1", other_leg="-2")], LedgerInputError, "do not balance"),
        ([*good, draft("1", account="Income:bad name")], LedgerInputError, "capital letter"),
        ([*good, draft("1", stream=999)], NotFound, "no stream 999"),
        ([*good, draft("1", stream=other)], LedgerInputError, "USD cannot be posted to a EUR"),
        ([*good, draft("1", currency="US")], InputError, "ISO 4217"),
        ([*good, draft("1E+20")], InputError, "less than 10"),
        ([*good, draft("NaN")], InputError, "finite"),
    ]
    for drafts, error, words in refusals:
        with pytest.raises(error, match=words), db.session() as session:
            service.post_many(session, drafts)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 0
        assert service.post_many(session, good) == 2
        amounts = sorted(session.scalars(select(Posting.amount).where(Posting.account == BANK)))
        assert amounts == [D("1.5"), D(2)]
    assert _rollup(db) == _recomputed(db)


def test_a_history_counts_no_day_after_the_last_one_it_is_given(db: Database) -> None:
    """The month holding `through` ends on it: capital is charged for the days that have passed,
    and an entry dated later is not counted; a month wholly after it is all zero."""
    loans = _stream(db, "Loans")
    with db.session() as session:
        stream = service.get_stream(session, loans)
        service.add_capital(session, stream, date(2026, 5, 1), D(36_500))  # 10 a day at 10 %
        service.add_income(session, stream, date(2026, 6, 5), D(400))
        service.add_income(session, stream, date(2026, 6, 20), D(900))  # after the 10th
        service.add_hours(session, stream, date(2026, 6, 25), D(2))
    with db.session() as session:
        stream = service.get_stream(session, loans)
        months = queries.histories(
            session, [stream], date(2026, 7, 1), 3, RATES, through=date(2026, 6, 10)
        )[loans]
        whole = queries.monthly_history(session, stream, date(2026, 6, 1), 2, RATES)
        so_far = queries.stream_figures(session, [stream], date(2026, 6, 1), date(2026, 6, 10),
                                        RATES)[loans]  # fmt: skip
    assert [m for m, _ in months] == [date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)]
    may, june, july = (figures for _, figures in months)
    assert may.capital_charge == D(310)
    assert june == so_far
    assert (june.income, june.hours, june.capital_charge) == (D(400), D(0), D(100))
    assert july == Figures()
    assert whole[-1][1].capital_charge == D(300)  # no day given: the whole month


def test_persistence_is_estimated_from_the_months_up_to_the_day_valued(db: Database) -> None:
    """A sale after the day valued, in the same month, is not part of the fit on that day."""
    course = _stream(db, "Course")
    with db.session() as session:
        stream = service.get_stream(session, course)
        for month in range(1, 9):  # income falls by a fifth each month: φ = 0.8
            amount = D(1000) * D("0.8") ** (month - 1)
            service.add_income(session, stream, date(2025, month, 1), amount)
        service.add_income(session, stream, date(2025, 8, 20), D(5000))  # after as_of
    with db.session() as session:
        stream = service.get_stream(session, course)
        result = queries.valuation(session, stream, date(2025, 8, 15), RATES)
    assert result.estimate is not None
    assert round(result.estimate.monthly, 6) == 0.8
    assert round(result.estimate.r_squared, 6) == 1.0
    assert result.persistence == D(str(round(0.8**12, 4)))


def test_capital_taken_out_beyond_what_the_stream_holds_is_refused(db: Database) -> None:
    """Below 0 the capital charge would be a credit that raises residual income. Whatever takes
    capital out (a withdrawal, an asset sold, a capital entry reversed, a bank row) and would
    leave the stream less than none, then or at a later withdrawal, is refused; nothing stored."""
    from evergreen.ledger.service import import_rules
    from evergreen.ledger.service.bank_import import import_bank_csv

    loans = _stream(db, "Loans")
    with db.session() as session:
        stream = service.get_stream(session, loans)
        put_in = service.add_capital(session, stream, date(2026, 1, 1), D(1000))
        service.add_capital(session, stream, date(2026, 3, 1), D(-600))
        service.add_asset(session, stream, date(2026, 1, 1), D(300), "Assets:Equipment:Laptop")
        import_rules.add_rule(
            session, import_rules.RuleDraft("owner draw", loans, "Equity:Capital")
        )
    statement = "Date,Description,Amount\n2026-04-02,Owner draw,-700.01\n"
    refusals = [
        (lambda s, st: service.add_capital(s, st, date(2026, 2, 1), D(-701)), "2026-03-01"),
        (lambda s, st: service.add_capital(s, st, date(2025, 12, 31), D(-1)), "2025-12-31"),
        (lambda s, st: service.add_asset(s, st, date(2026, 4, 1), D(-701),
                                         "Assets:Equipment:Laptop"), "2026-04-01"),
        (lambda s, st: service.reverse(s, put_in.id, date(2026, 5, 1)), "2026-05-01"),
        (lambda s, st: import_bank_csv(s, statement.splitlines(keepends=True), post=True),
         "2026-04-02"),
    ]  # fmt: skip
    for attempt, day in refusals:
        with db.session() as session, pytest.raises(LedgerInputError) as refused:
            attempt(session, service.get_stream(session, loans))
        assert refused.value.field == "amount"
        assert f"on {day}; take out no more than was put in" in refused.value.message
    assert _rollup(db) == _recomputed(db)
    with db.session() as session:
        stream = service.get_stream(session, loans)
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 3
        service.add_capital(session, stream, date(2026, 4, 1), D(-700))  # all of it is fine
        assert queries.capital_at(session, stream, date(2026, 4, 1)) == 0


def test_a_day_holds_at_most_24_hours_across_every_stream(db: Database) -> None:
    """Each entry was checked alone: 0.004 + 24 + 1 hours on one day were all charged."""
    blog, book = _stream(db), _stream(db, "Book")
    day = date(2026, 1, 5)
    with db.session() as session:
        one, two = session.get(Stream, blog), session.get(Stream, book)
        assert one is not None
        assert two is not None
        service.add_hours(session, one, day, D(20))
        with pytest.raises(LedgerInputError) as refused:
            service.add_hours(session, two, day, D(5))
        assert refused.value.field == "hours"
        assert "2026-01-05 to 25 hours" in refused.value.message
        service.add_hours(session, two, day, D(4))  # exactly 24: allowed
        service.add_hours(session, two, day + timedelta(days=1), D(5))  # another day
        # A timer left running is still stopped: it records only the day's room left (none).
        service.start_timer(session, one, datetime(2026, 1, 5, 22, 0, tzinfo=UTC))
        entries = service.stop_timer(session, datetime(2026, 1, 6, 2, 0, tzinfo=UTC))
        assert [(e.date, e.hours) for e in entries] == [(date(2026, 1, 6), D(2))]
        assert service.running_timer(session) is None
