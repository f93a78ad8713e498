"""64 callers at once on the borrower portal's posts, on a real server over SQLite and
PostgreSQL, never a 5xx (a 503 with Retry-After is sent again, as a browser's retry would):
draw requests (POST /borrower/loans/<id>/draws) from two signed-in borrowers: one's half each
a request of its own (no nonce), half of them with a photo, every one stored exactly once on its
own loan with its photo and its loan event; the other's half one request sent again and again
with its form's nonce (a double click), stored as exactly one draw with one photo and one event;
and invitations accepted (POST /borrower/invite), half of them one borrower's link again and
again, half a link each, one sign-in made and linked per borrower."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.models import User
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.lending import service
from evergreen.lending.models import Borrower, Draw, DrawPhoto, LoanEvent
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD, csrf_from
from tests.live_server import Call, live_server, send_until_answered

pytestmark = pytest.mark.both_databases

N = 64
ANN, BOB = "ann@borrower.example", "bob@borrower.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class _Post:
    """One borrower's draw request: their loan, cookies and CSRF token, what they ask, and the
    form's nonce ("": none, each post a request of its own)."""

    loan_id: int
    cookies: dict[str, str]
    csrf: str
    amount: str
    photo: bool
    key: str = ""


def _book(db: Database) -> dict[str, int]:
    """Two borrowers, each with a loan and a sign-in of their own."""
    start = utcnow().date() - timedelta(days=30)
    loans: dict[str, int] = {}
    with db.session() as session:
        for key, name in (("ann", "Ann Rehab"), ("bob", "Bob Flip")):
            email = f"{key}@borrower.example"
            borrower = service.add_borrower(session, service.BorrowerDraft(name, email=email))
            draft = service.LoanDraft(borrower=name, principal="100000", annual_rate="12%",
                                      months=12, start=start, commitment="20000")  # fmt: skip
            loans[email] = service.add_loan(session, draft).id
            borrower.user_id = accounts.create_user(session, email, PASSWORD, Role.BORROWER).id
    return loans


def _signed_in(url: str, email: str, loan_id: int) -> tuple[dict[str, str], str, str]:
    """Sign in through the real form; the browser's cookies, its loan page's CSRF token and the
    draw form's nonce."""
    with httpx.Client(base_url=url) as browser:
        login = browser.get("/login")
        form = {"email": email, "password": PASSWORD, "csrf_token": csrf_from(login.text)}
        assert browser.post("/login", data=form).status_code == 303
        page = browser.get(f"/borrower/loans/{loan_id}")
        assert page.status_code == 200, page.text
        nonce = re.search(r'name="key" value="([^"]+)"', page.text)
        assert nonce, "the draw form has no nonce"
        return dict(browser.cookies), csrf_from(page.text), nonce.group(1)


def _call(post: _Post) -> Call:
    """The borrower's draw form as their browser posts it (multipart, with its photo)."""
    files = {"photos": (f"roof-{post.amount}.png", PNG, "image/png")} if post.photo else None
    data = {"amount": post.amount, "note": f"Roof {post.amount}", "csrf_token": post.csrf}
    if post.key:
        data["key"] = post.key
    cookie = "; ".join(f"{name}={value}" for name, value in post.cookies.items())
    return Call("POST", f"/borrower/loans/{post.loan_id}/draws", data=data, files=files,
                headers={"Cookie": cookie})  # fmt: skip


def test_64_draw_requests_at_once_are_each_stored_once(settings: Settings, db: Database) -> None:
    loans = _book(db)
    with live_server(settings, db) as url:
        browsers = {email: _signed_in(url, email, loan) for email, loan in loans.items()}
        posts = []
        for i in range(N):
            if i % 2:  # Ann's half: one request, its form sent again and again
                cookies, csrf, nonce = browsers[ANN]
                posts.append(_Post(loans[ANN], cookies, csrf, "150.00", photo=True, key=nonce))
            else:
                cookies, csrf, _nonce = browsers[BOB]
                posts.append(_Post(loans[BOB], cookies, csrf, f"{100 + i}.00", photo=i % 4 < 2))
        responses = send_until_answered(url, [_call(post) for post in posts])
    assert Counter(r.status_code for r in responses) == {303: N}, [r.text[:300] for r in responses]
    assert all(re.fullmatch(r"/borrower/loans/\d+\?done=draw#draws", r.headers["location"])
               for r in responses)  # fmt: skip
    with db.session(writer=False) as session:
        draws = session.execute(select(Draw.id, Draw.loan_id, Draw.amount, Draw.status)).all()
        photos = session.execute(select(DrawPhoto.draw_id, DrawPhoto.name, DrawPhoto.path)).all()
        events = session.scalars(select(LoanEvent.detail).where(LoanEvent.kind == "draw_requested"))
        requested = Counter(events.all())
    distinct = [post for post in posts if not post.key]
    assert len(distinct) == N // 2
    asked = [(p.loan_id, Decimal(p.amount)) for p in distinct] + [(loans[ANN], Decimal(150))]
    assert sorted((loan, amount) for _id, loan, amount, _s in draws) == sorted(asked)
    assert [amount for _id, loan, amount, _s in draws if loan == loans[ANN]] == [Decimal(150)]
    assert {status for *_rest, status in draws} == {"requested"}
    by_id = {draw_id: amount for draw_id, _loan, amount, _s in draws}
    assert sorted(name for _d, name, _p in photos) == sorted(
        [f"roof-{post.amount}.png" for post in distinct if post.photo] + ["roof-150.00.png"]
    )
    assert all(name == f"roof-{by_id[draw_id]:.2f}.png" for draw_id, name, _p in photos)
    assert all((settings.data_dir / path).read_bytes() == PNG for _d, _n, path in photos)
    folder = settings.data_dir / "lending" / "draws"  # no file of a request sent again
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == sorted(
        settings.data_dir / path for _d, _n, path in photos
    )
    assert requested == {
        f"draw {draw_id} of {amount:.2f} requested": 1 for draw_id, amount in by_id.items()
    }


def test_64_invitation_acceptances_at_once_make_one_sign_in_per_borrower(
    settings: Settings, db: Database
) -> None:
    emails = [f"b{n}@borrower.example" for n in range(N // 2 + 1)]
    tokens = []
    with db.session() as session:
        for n, email in enumerate(emails):
            made = service.add_borrower(session, service.BorrowerDraft(f"B {n}", email=email))
            link = service.issue_invite(session, TEST_SECRET, "http://testserver", made.id)
            tokens.append(parse_qs(urlsplit(link.url).query)["token"][0])
    cookie = "concurrent-callers-csrf"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{CSRF_COOKIE}={cookie}",
    }
    fields = {"password": PASSWORD, "password_again": PASSWORD,
              "csrf_token": csrf_token_for(TEST_SECRET, cookie)}  # fmt: skip
    chosen = [0 if i % 2 else 1 + i // 2 for i in range(N)]
    calls = [
        Call("POST", "/borrower/invite", headers=headers,
             content=urlencode({**fields, "token": tokens[n]}))
        for n in chosen
    ]  # fmt: skip
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    same = [r for i, r in enumerate(responses) if i % 2]
    distinct = [r for i, r in enumerate(responses) if i % 2 == 0]
    assert {r.status_code for r in distinct} == {303}
    assert {r.headers["location"] for r in distinct} == {"/login?next=/borrower"}
    assert Counter(r.status_code for r in same) == {303: 1, 400: N // 2 - 1}
    assert all(
        f"An account already exists for {emails[0]}; sign in instead." in r.text
        for r in same
        if r.status_code == 400
    )
    with db.session(writer=False) as session:
        users = dict(session.execute(select(User.email, User.id)).all())
        linked = dict(session.execute(select(Borrower.email, Borrower.user_id)).all())
    assert sorted(users) == sorted(emails)
    assert linked == users  # each borrower linked to the one sign-in made for them
