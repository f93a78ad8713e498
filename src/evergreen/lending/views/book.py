"""The book (/lending): the portfolio's figures, the exposure chart and the loans, filtered and
paged. Staff read it; the owner's forms live on the loan, borrower and property pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.digits import row_id
from evergreen.lending import queries, service
from evergreen.lending.rules import BUCKETS
from evergreen.lending.rules.amounts import ZERO
from evergreen.lending.rules.forms import page_count
from evergreen.lending.views.common import PREFIX, TextFields, as_of, money, percent
from evergreen.web.charts import BarChart, bar_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, OwnerUser, PageNumber, SessionDep
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["PER_PAGE", "exposure_chart", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PER_PAGE = 25
STATUSES = ("open", "paid_off", "charged_off", "all")
_TOP = 8  # borrowers drawn one by one in the chart; the rest are one bar


def exposure_chart(lines: Sequence[queries.BookLine]) -> BarChart | None:
    """Principal outstanding per borrower, current and past due side by side: where the book's
    money is and how much of it is late. The largest borrowers first, the rest as "Others"."""
    current: dict[str, Decimal] = defaultdict(lambda: ZERO)
    late: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        (current if line.bucket == "current" else late)[line.borrower] += line.balance
    names = sorted(set(current) | set(late), key=lambda n: (-(current[n] + late[n]), n))
    if not names or not any(current[n] + late[n] for n in names):
        return None
    groups = names[:_TOP] + (["Others"] if len(names) > _TOP else [])
    rest = names[_TOP:]

    def column(side: dict[str, Decimal]) -> list[float | None]:
        values: list[float | None] = [float(side[n]) for n in names[:_TOP]]
        return values + ([float(sum((side[n] for n in rest), ZERO))] if rest else [])

    return bar_chart(
        "Principal outstanding per borrower: current and past due",
        groups,
        [("Current", column(current)), ("Past due (30 days or more)", column(late))],
    )


def _rows(
    session: Session,
    book: queries.Portfolio,
    day: date,
    status: str,
    borrower: int | None,
    bucket: str,
    page: int,
) -> tuple[int, int, list[queries.LoanView]]:
    """(loans found, the page shown, its loans), newest first: open ones filtered from the
    book's lines, and only the page's loans built in full; others (paid off, charged off, all)
    read one page at a time."""
    if status == "open" or bucket:
        found = [line.id for line in reversed(book.lines)
                 if (not bucket or line.bucket == bucket)
                 and (borrower is None or line.borrower_id == borrower)]  # fmt: skip
        page = min(page, page_count(len(found), PER_PAGE))
        return (
            len(found),
            page,
            queries.loan_views(session, found[(page - 1) * PER_PAGE : page * PER_PAGE], day),
        )
    loans = [loan for loan in service.loans(session, None if status == "all" else status)
             if borrower is None or loan.borrower_id == borrower]  # fmt: skip
    page = min(page, page_count(len(loans), PER_PAGE))
    shown = loans[(page - 1) * PER_PAGE : page * PER_PAGE]
    return len(loans), page, [queries.loan_detail(session, loan.id, max(day, loan.start))
                              for loan in shown]  # fmt: skip


def _show(
    request: Request, session: Session, as_of_text: str = "", status: str = "open",
    borrower: str = "", bucket: str = "", page: int = 1, *, status_code: int = 200,
    **extra: Any,
) -> Response:  # fmt: skip
    """The book's page; `extra` carries a notice, or the capital form's value and error."""
    day = as_of(as_of_text)
    status = status if status in STATUSES else "open"
    bucket = bucket if bucket in BUCKETS else ""
    chosen = row_id(borrower)
    book = queries.portfolio(session, day)
    found, page, rows = _rows(session, book, day, status, chosen, bucket, page)
    pages = page_count(found, PER_PAGE)
    filters = {k: v for k, v in (("as_of", as_of_text), ("status", status),
               ("borrower", borrower if chosen else ""), ("bucket", bucket)) if v}  # fmt: skip

    def url(number: int) -> str:
        return f"{PREFIX}?{urlencode({**filters, 'page': number})}"

    context: dict[str, Any] = {
        "title": "Lending",
        "book": book,
        "day": day,
        "capital": service.capital_available(session),
        "chart": exposure_chart(book.lines),
        "rows": rows,
        "found": found,
        "page": page,
        "pages": pages,
        "previous_url": url(page - 1) if page > 1 else None,
        "next_url": url(page + 1) if page < pages else None,
        "status": status,
        "bucket": bucket,
        "borrower": chosen,
        "borrowers": queries.borrower_names(session),
        "statuses": STATUSES,
        "buckets": BUCKETS,
        "money": money,
        "percent": percent,
        "errors": {},
        "posted": {},
        "done": "",
        **extra,
    }
    return render(request, "lending/book.html", context, status_code=status_code)


@router.get("")
def book_page(
    request: Request,
    user: DashboardUser,
    session: SessionDep,
    as_of_text: Annotated[str, Query(alias="as_of", max_length=20)] = "",
    status: str = "open",
    borrower: str = "",
    bucket: str = "",
    page: PageNumber = 1,
    done: str = "",
) -> Response:
    """The book on a day (today unless asked): figures, exposure, and the loans."""
    notice = "Capital available for lending saved." if done else ""
    return _show(request, session, as_of_text, status, borrower, bucket, page, done=notice)


@router.post("/capital")
def save_capital(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    form_page: FormPageDep, form: TextFields,
) -> Response:  # fmt: skip
    """Owner only: the capital set aside for lending (empty: not said); idle is it less deployed."""
    text = form.get("capital_available", "")
    form_page.on_error(lambda error: _show(
        request, session, status_code=400, errors={"capital": error}, posted={"capital": text},
    ))  # fmt: skip
    service.set_capital_available(session, text)
    return RedirectResponse(f"{PREFIX}?done=capital", status_code=303)
