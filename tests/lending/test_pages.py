"""The owner's lending pages on SQLite and PostgreSQL: borrowers, properties and a loan written
through the forms, a draw and a payment asked about first and then recorded, the book's
figures, chart, filters and paging; refused values shown by their form; staff only read."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from evergreen.accounts import service as accounts
from evergreen.db import Database
from evergreen.lending import queries, service
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for


def _post(client: TestClient, path: str, token: str, **fields: str) -> Response:
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def _loan_id(location: str) -> int:
    found = re.search(r"/lending/loans/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_the_owner_lends_and_services_a_loan_through_the_pages(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/lending/borrowers").text)
    added = _post(client, "/lending/borrowers", token, name="Rehab Co", kind="llc",
                  email="ops@rehab.example")  # fmt: skip
    assert added.status_code == 303
    assert "Rehab Co" in client.get("/lending/borrowers").text
    place = _post(client, "/lending/properties", token, address="3 Pine Rd",
                  purchase_price="120000", rehab_budget="40000", arv="250000")  # fmt: skip
    assert place.status_code == 303
    with db.session(writer=False) as session:
        property_id = service.properties(session)[0].id
    made = _post(client, "/lending/loans", token, borrower="Rehab Co", principal="120000",
                 annual_rate="11%", months="12", start="2026-01-01", points="2",
                 day_count="actual/360", commitment="40000", draw_fee="150",
                 interest_only="1", property_id=str(property_id))  # fmt: skip
    assert made.status_code == 303, made.text
    loan_id = _loan_id(made.headers["location"])
    page = client.get(f"/lending/loans/{loan_id}", params={"as_of": "2026-01-20"}).text
    assert 'id="figure-balance"><span class="number">120,000.00' in page
    assert 'id="ltc">100.0 %' in page
    assert 'id="ltv">64.0 %' in page
    assert f'href="/lending/loans/{loan_id}/payoff-letter.pdf?as_of=2026-01-20"' in page
    # A draw: requested and approved at once, funding asked about first.
    assert _post(client, f"/lending/loans/{loan_id}/draws", token, date="2026-01-20",
                 amount="10000").status_code == 303  # fmt: skip
    with db.session(writer=False) as session:
        draw_id = queries.draws(session, loan_id)[0].id
    assert _post(client, f"/lending/draws/{draw_id}/approve", token,
                 date="2026-01-21").status_code == 303  # fmt: skip
    asked = _post(client, f"/lending/draws/{draw_id}/fund", token, date="2026-01-21")
    assert asked.status_code == 200
    assert "Fund draw" in asked.text
    with db.session(writer=False) as session:
        assert queries.draws(session, loan_id)[0].status == "approved"  # nothing yet
    funded = _post(client, f"/lending/draws/{draw_id}/fund", token, date="2026-01-21",
                   confirm="yes")  # fmt: skip
    assert funded.status_code == 303
    # A payment of interest and the draw fee, asked about, then split as the API splits it.
    asked = _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                  amount="1320.27")  # fmt: skip
    assert "Record a payment of 1,320.27" in asked.text
    done = _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                 amount="1320.27", confirm="yes")  # fmt: skip
    assert done.status_code == 303
    with db.session(writer=False) as session:
        paid = [m for m in queries.movements(session, loan_id) if m.kind == "payment"]
        assert [(m.fees, m.interest, m.principal) for m in paid] == [
            (Decimal("150"), Decimal("1170.27"), Decimal(0))
        ]
    book = client.get("/lending", params={"as_of": "2026-02-01"}).text
    assert 'id="figure-deployed"><span class="number">130,000.00' in book
    assert 'id="bucket-current">1<' in book
    assert 'id="exposure-chart"' in book
    assert "<svg" in book
    assert "Past due (30 days or more)" in book
    assert f'href="/lending/loans/{loan_id}?as_of=2026-02-01">Loan {loan_id}' in book
    # Paying off closes the loan once confirmed.
    asked = _post(client, f"/lending/loans/{loan_id}/payoff", token, date="2026-02-01")
    assert "Pay off and close" in asked.text
    assert "130,000.00" in asked.text
    _post(client, f"/lending/loans/{loan_id}/payoff", token, date="2026-02-01", confirm="yes")
    closed = client.get(f"/lending/loans/{loan_id}").text
    assert 'id="loan-status">paid off' in closed
    assert "nothing is left to service" in closed


def test_a_refused_value_is_shown_by_its_form(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        loan = service.add_loan(session, service.LoanDraft("Ann", "50000", "10%", 12,
                                date(2026, 1, 1)), new_borrower=True)  # fmt: skip
        loan_id = loan.id
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/lending/borrowers").text)
    bad = _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                amount="-5")  # fmt: skip
    assert bad.status_code == 400
    assert 'id="payment-error">amount: must be above 0' in bad.text
    assert 'value="-5"' in bad.text
    undated = _post(client, f"/lending/loans/{loan_id}/extension", token, date="2026-02-01",
                    maturity="soon")  # fmt: skip
    assert 'id="extension-error">maturity: must be a date' in undated.text
    # An earlier maturity is refused at once, by the field, not after the owner confirmed it.
    earlier = _post(client, f"/lending/loans/{loan_id}/extension", token, date="2026-02-01",
                    maturity="2026-06-01")  # fmt: skip
    assert earlier.status_code == 400
    assert 'id="extension-error">maturity: must be after the current maturity' in earlier.text
    assert "Extend loan" not in earlier.text
    twice = _post(client, "/lending/borrowers", token, name="ann", kind="person")
    assert twice.status_code == 400
    assert "a borrower named &#39;ann&#39; exists already" in twice.text
    loan_form = _post(client, "/lending/loans", token, borrower="Ann", principal="1000",
                      annual_rate="lots", months="12", start="2026-01-01")  # fmt: skip
    assert loan_form.status_code == 400
    assert 'id="loan-error">annual rate: ' in loan_form.text
    numbered = _post(client, "/lending/loans", token, borrower="Ann", principal="1000",
                     annual_rate="10%", months="12", start="20260101")  # fmt: skip
    assert numbered.status_code == 400  # a bare number is no day, however ISO-like
    assert "start: must be a date as YYYY-MM-DD (got &#39;20260101&#39;)" in numbered.text
    assert client.get("/lending/loans/999999").status_code == 404
    with db.session(writer=False) as session:
        assert len(queries.movements(session, loan_id)) == 1  # the funding only


def _form_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found, "the payment form has no key"
    return found.group(1)


def test_the_payment_form_sent_twice_records_one_payment_and_a_new_form_another(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """The page's nonce makes a double submit (or a confirmation sent again) one payment; the
    same amount on the same day from a freshly loaded form is a second payment."""
    with db.session() as session:
        loan_id = service.add_loan(session, service.LoanDraft("Ann", "50000", "10%", 12,
                                   date(2026, 1, 1)), new_borrower=True).id  # fmt: skip
    sign_in(client, people["owner"])
    page = client.get(f"/lending/loans/{loan_id}").text
    token, key = csrf_from(page), _form_key(page)
    asked = _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                  amount="100", key=key)  # fmt: skip
    assert f'value="{key}"' in asked.text  # the confirmation posts the nonce again
    done = [_post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                  amount="100", key=key, confirm="yes") for _ in range(2)]  # fmt: skip
    assert [d.headers["location"].rsplit("=", 1)[1] for d in done] == ["payment", "payment-again"]
    assert "was recorded already" in client.get(done[1].headers["location"]).text
    fresh = _form_key(client.get(f"/lending/loans/{loan_id}").text)
    assert fresh != key
    _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01", amount="100",
          key=fresh, confirm="yes")  # fmt: skip
    with db.session(writer=False) as session:
        paid = [m.amount for m in queries.movements(session, loan_id) if m.kind == "payment"]
    assert paid == [Decimal(100), Decimal(100)]


def test_staff_read_the_pages_and_cannot_change_anything(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        loan_id = service.add_loan(session, service.LoanDraft("Ann", "50000", "10%", 12,
                                   date(2026, 1, 1)), new_borrower=True).id  # fmt: skip
    sign_in(client, people["staff"])
    page = client.get(f"/lending/loans/{loan_id}")
    assert page.status_code == 200
    assert "Record a payment" not in page.text
    assert "New loan" not in client.get("/lending").text
    token = csrf_from(page.text)
    refused = _post(client, f"/lending/loans/{loan_id}/payments", token, date="2026-02-01",
                    amount="100", confirm="yes")  # fmt: skip
    assert refused.status_code == 403
    assert client.get("/lending/borrowers/1/edit").status_code == 403


@pytest.mark.both_databases
def test_the_book_filters_and_pages_its_loans(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        for n in range(27):
            service.add_loan(session, service.LoanDraft("Ann" if n % 3 else "Bob", "10000",
                             "10%", 12, date(2026, 1, 1)), new_borrower=True)  # fmt: skip
        bob = service.borrower_named(session, "Bob")
        assert bob is not None
        bob_id = bob.id
    sign_in(client, people["staff"])
    first = client.get("/lending", params={"as_of": "2026-01-10"}).text
    assert 'id="found">27 loans.' in first
    assert "Page 1 of 2" in first
    assert first.count('?as_of=2026-01-10">Loan ') == 25
    second = client.get("/lending", params={"as_of": "2026-01-10", "page": "2"}).text
    assert second.count('?as_of=2026-01-10">Loan ') == 2
    bobs = client.get("/lending", params={"as_of": "2026-01-10", "borrower": str(bob_id)}).text
    assert 'id="found">9 loans.' in bobs
    # Nothing paid: on March 5 the February 1 payment is 32 days late, in the 30-day bucket.
    late = client.get("/lending", params={"as_of": "2026-03-05", "bucket": "30"}).text
    assert 'id="found">27 loans.' in late
    assert 'id="bucket-30">27<' in late
    assert (
        'id="found">0 loans.'
        in client.get("/lending", params={"as_of": "2026-03-05", "bucket": "current"}).text
    )
    everyone = client.get("/lending", params={"status": "all", "page": "2"}).text
    assert 'id="found">27 loans.' in everyone
    assert everyone.split('id="loan-table"')[1].count('">Loan ') == 2
    assert "Page 2 of 2" in everyone
    only_bob = client.get("/lending", params={"status": "all", "borrower": str(bob_id)}).text
    assert 'id="found">9 loans.' in only_bob
    gone = client.get("/lending", params={"status": "paid_off"}).text
    assert "No loan matches these filters." in gone


def test_borrowers_and_properties_are_changed_through_their_forms(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        ann = service.add_borrower(session, service.BorrowerDraft("Ann"))
        bob = service.add_borrower(session, service.BorrowerDraft("Bob", email="bob@example.com"))
        bob.user_id = accounts.create_user(session, "bob@example.com", PASSWORD,
                                           accounts.Role.BORROWER).id  # fmt: skip
        home = service.add_property(session, service.PropertyDraft("1 Elm St", "100000"))
        ann_id, bob_id, home_id = ann.id, bob.id, home.id
    sign_in(client, people["owner"])
    form = client.get(f"/lending/borrowers/{ann_id}/edit").text
    token = csrf_from(form)
    assert 'value="Ann"' in form
    taken = _post(client, f"/lending/borrowers/{ann_id}", token, name="Bob", kind="person")
    assert taken.status_code == 400
    assert "exists already" in taken.text
    saved = _post(client, f"/lending/borrowers/{ann_id}", token, name="Ann Lee", kind="llc",
                  email="ann@example.com")  # fmt: skip
    assert saved.status_code == 303
    # Bob signs in to the portal: his sign-in follows a new address, never onto someone's.
    clash = _post(client, f"/lending/borrowers/{bob_id}", token, name="Bob", kind="person",
                  email=people["staff"])  # fmt: skip
    assert clash.status_code == 400
    assert f"{people['staff']} already signs in here" in clash.text
    _post(client, f"/lending/borrowers/{bob_id}", token, name="Bob", kind="person",
          email="bob@new.example")  # fmt: skip
    with db.session(writer=False) as session:
        assert accounts.user_by_email(session, "bob@new.example") is not None
    moved = _post(client, f"/lending/properties/{home_id}", token, address="2 Elm St",
                  purchase_price="90000", rehab_budget="30000", arv="oops")  # fmt: skip
    assert moved.status_code == 400
    assert "arv:" in moved.text
    _post(client, f"/lending/properties/{home_id}", token, address="2 Elm St",
          purchase_price="90000", rehab_budget="30000", arv="")  # fmt: skip
    with db.session(writer=False) as session:
        row = service.get_borrower(session, ann_id)
        assert (row.name, row.kind, row.email) == ("Ann Lee", "llc", "ann@example.com")
        place = service.get_property(session, home_id)
        assert (place.address, place.purchase_price, place.arv) == ("2 Elm St", 90000, None)
    assert "2 Elm St" in client.get("/lending/properties").text


def test_the_owner_sets_the_capital_for_lending_and_the_book_shows_idle(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        service.add_loan(session, service.LoanDraft("Ann", "50000", "10%", 12,
                         date(2026, 1, 1)), new_borrower=True)  # fmt: skip
    sign_in(client, people["owner"])
    page = client.get("/lending", params={"as_of": "2026-01-10"}).text
    assert 'id="figure-idle"><span class="number">—' in page
    token = csrf_from(page)
    bad = _post(client, "/lending/capital", token, capital_available="lots")
    assert bad.status_code == 400
    assert 'id="capital-error">capital available: ' in bad.text
    saved = _post(client, "/lending/capital", token, capital_available="80000")
    assert saved.headers["location"] == "/lending?done=capital"
    page = client.get("/lending", params={"as_of": "2026-01-10"}).text
    assert 'id="figure-idle"><span class="number">30,000.00' in page
    assert 'value="80000.00"' in page
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff_token = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    api = client.put("/api/v1/lending/settings", json={"capital_available": "90000"},
                     headers=owner)  # fmt: skip
    assert api.json() == {"capital_available": "90000.00"}
    staff = client.put("/api/v1/lending/settings", json={"capital_available": "1"},
                       headers=staff_token)  # fmt: skip
    assert staff.status_code == 403


def test_each_draw_step_is_dated_the_day_it_happened_whatever_day_is_viewed(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        draft = service.LoanDraft("Ann", "50000", "10%", 12, date(2026, 1, 1), commitment="20000")
        loan = service.add_loan(session, draft, new_borrower=True)
        paid = service.request_draw(session, loan.id, "5000", date(2026, 1, 10), "roof").draw
        service.draw_action(session, paid.id, "inspect", date(2026, 1, 12))
        service.draw_action(session, paid.id, "approve", date(2026, 1, 14))
        service.draw_action(session, paid.id, "fund", date(2026, 1, 16))
        refused = service.request_draw(session, loan.id, "3000", date(2026, 1, 11), "deck").draw
        service.draw_action(session, refused.id, "reject", date(2026, 1, 13))
        loan_id, paid_id, refused_id = loan.id, paid.id, refused.id
    sign_in(client, people["owner"])
    page = client.get(f"/lending/loans/{loan_id}", params={"as_of": "2026-03-02"}).text
    rows = dict(re.findall(r'<tr id="draw-(\d+)">(.*?)</tr>', page, re.S))
    steps = {int(k): re.findall(r'class="draw-step">([^<]*)<', row) for k, row in rows.items()}
    assert steps == {
        paid_id: ["inspected 2026-01-12", "approved 2026-01-14", "funded 2026-01-16"],
        refused_id: ["rejected 2026-01-13"],
    }
    assert all("2026-03-02" not in row.split('class="actions"')[0] for row in rows.values())
    with db.session(writer=False) as session:
        assert queries.draw(session, refused_id).rejected_on == date(2026, 1, 13)


def test_every_amount_reads_to_the_cent_never_as_the_database_keeps_it(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """Amounts are stored with four places: 59.1 is kept as 59.1000 and always shown 59.10, in
    a figure, a form box filled in for the owner and a refusal's message alike."""
    with db.session() as session:
        service.add_borrower(session, service.BorrowerDraft("Ann"))
        home = service.add_property(
            session, service.PropertyDraft("1 Elm St", "59.1", rehab_budget="59.1", arv="59.1")
        )
        home_id = home.id
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/lending/properties").text)
    # 5,910 at 12 % a year on 30/360, interest only: 59.10 a month.
    made = _post(client, "/lending/loans", token, borrower="Ann", principal="5910",
                 annual_rate="12%", months="12", start="2026-01-01", day_count="30/360",
                 interest_only="1", commitment="6910", property_id=str(home_id))  # fmt: skip
    assert made.status_code == 303, made.text
    loan_id = _loan_id(made.headers["location"])
    too_much = _post(client, f"/lending/loans/{loan_id}/draws", token, date="2026-01-20",
                     amount="100")  # fmt: skip
    assert too_much.status_code == 400
    assert "is more than what is left of the rehab budget (59.10)" in too_much.text
    pages = {
        "edit": client.get(f"/lending/properties/{home_id}/edit").text,
        "list": client.get("/lending/properties").text,
        "loan": client.get(f"/lending/loans/{loan_id}", params={"as_of": "2026-01-20"}).text,
        "refused": too_much.text,
    }
    assert 'name="purchase_price" inputmode="decimal" value="59.10"' in pages["edit"]
    assert 'value="59.10" required' in pages["loan"]  # the payment's box, filled in
    for name, page in pages.items():
        assert "59.10" in page, name
        assert not re.search(r"\b59\.10{2,}", page), name
