"""Fee waivers over HTTP on SQLite and PostgreSQL: the API route (201, a retry with its key 200,
409 for a settled fee or a closed loan, 422 naming the field, 404 for a fee the loan lacks, staff
refused) and the loan page's form, asked about on a second page before anything is waived."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from httpx import Response

from evergreen.db import Database
from evergreen.lending import service
from tests.http_helpers import csrf_from, sign_in, token_for

API = "/api/v1/lending"
D = Decimal


def _late_loan(db: Database) -> tuple[int, int]:
    """A loan whose February payment was missed: a $50 late fee on Feb 26; (loan, fee)."""
    with db.session() as session:
        draft = service.LoanDraft("Ann", "100000", "12", 12, date(2026, 1, 15), late_fee="50")
        loan_id = service.add_loan(session, draft, new_borrower=True).id
    with db.session() as session:
        (fee,) = service.charge_late_fees(session, loan_id, date(2026, 3, 1))
        return loan_id, fee.id


def test_the_api_waives_a_fee_once_per_key_and_refuses_by_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    loan_id, fee_id = _late_loan(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    fees = client.get(f"{API}/loans/{loan_id}/fees", headers=staff)
    assert fees.status_code == 200
    assert fees.json() == [{"id": fee_id, "date": "2026-02-26",
                            "note": "late fee on the 2026-02-15 payment", "charged": "50.00",
                            "paid": "0.00", "waived": "0.00", "written_off": "0.00",
                            "owed": "50.00"}]  # fmt: skip
    url = f"{API}/loans/{loan_id}/fees/{fee_id}/waivers"
    body = {"date": "2026-03-02", "amount": "20", "reason": "first late payment", "key": "t-1"}
    assert client.post(url, json=body, headers=staff).status_code == 403
    made = client.post(url, json=body, headers=owner)
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("kind", "date", "fees", "fee_id")} == {
        "kind": "fee_waiver", "date": "2026-03-02", "fees": "20.00", "fee_id": fee_id}  # fmt: skip
    assert made.json()["note"].endswith(": first late payment")
    again = client.post(url, json=body, headers=owner)
    assert (again.status_code, again.json()) == (200, made.json())
    clash = client.post(url, json={**body, "amount": "25"}, headers=owner)
    assert clash.status_code == 409
    assert "this one differs in amount: send a new key" in clash.json()["detail"]
    payoff = client.get(f"{API}/loans/{loan_id}/payoff", params={"as_of": "2026-03-02"},
                        headers=staff).json()  # fmt: skip
    assert payoff["fees"] == 30.0
    for change, field in (({"amount": "30.01"}, "amount"), ({"reason": ""}, "reason"),
                          ({"date": "2026-02-25"}, "date"), ({"amount": "abc"}, "amount"),
                          ({"date": 1772409600}, "date")):  # fmt: skip
        refused = client.post(url, json={**body, **change, "key": None}, headers=owner)
        assert refused.status_code == 422, (change, refused.text)
        assert [e["field"] for e in refused.json()["detail"]] == [field]
    missing = client.post(f"{API}/loans/{loan_id}/fees/999999/waivers", json=body, headers=owner)
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith(f"loan {loan_id} has no fee 999999")
    rest = client.post(url, json={"date": "2026-03-02", "reason": "all of it"}, headers=owner)
    assert (rest.status_code, rest.json()["fees"]) == (201, "30.00")  # no amount: what is left
    settled = client.post(url, json={"date": "2026-03-02", "reason": "more"}, headers=owner)
    assert settled.status_code == 409
    assert "nothing is left to waive" in settled.json()["detail"]
    history = client.get(f"{API}/loans/{loan_id}/history", headers=staff).json()
    assert [e["kind"] for e in history].count("fee_waiver") == 2
    assert client.get(f"{API}/loans/{loan_id}/fees", headers=staff).json()[0]["owed"] == "0.00"


def test_the_api_refuses_a_closed_loans_fee(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    loan_id, fee_id = _late_loan(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    off = client.post(f"{API}/loans/{loan_id}/charge-off", json={"date": "2026-03-01"},
                      headers=owner)  # fmt: skip
    assert off.status_code == 200
    refused = client.post(f"{API}/loans/{loan_id}/fees/{fee_id}/waivers",
                          json={"date": "2026-03-02", "reason": "late"}, headers=owner)  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["detail"] == (f"loan {loan_id} is charged off: a closed loan's fees "
                                        "can no longer be waived")  # fmt: skip


def _post(client: TestClient, path: str, **fields: str) -> Response:
    return client.post(path, data=fields, follow_redirects=False)


def test_the_page_asks_on_a_second_page_and_a_form_sent_twice_waives_once(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    loan_id, fee_id = _late_loan(db)
    sign_in(client, people["owner"])
    page = client.get(f"/lending/loans/{loan_id}?as_of=2026-03-02").text
    assert 'id="waiver-form"' in page
    assert f'<option value="{fee_id}">Fee {fee_id} · 2026-02-26 · 50.00 owed</option>' in page
    assert f'id="fee-{fee_id}"' in page
    token = csrf_from(page)
    found = re.search(r'id="waiver-form".*?name="key" value="([^"]+)"', page, re.S)
    assert found
    form = {"csrf_token": token, "fee_id": str(fee_id), "date": "2026-03-02", "amount": "20",
            "reason": "first late payment", "key": found.group(1)}  # fmt: skip
    url = f"/lending/loans/{loan_id}/fee-waivers"
    asked = _post(client, url, **form)
    assert asked.status_code == 200
    assert f"Waive 20.00 of fee {fee_id} on loan {loan_id}?" in asked.text
    assert "50.00 charged, 0.00 paid, 0.00 waived, 50.00 owed" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert f'value="{found.group(1)}"' in asked.text
    with db.session(writer=False) as session:
        assert service.get_loan(session, loan_id).fees_due == D(50)  # nothing waived yet
    done = [_post(client, url, **form, confirm="yes") for _ in range(2)]
    assert [d.headers["location"].rsplit("=", 1)[1] for d in done] == ["waiver", "waiver-again"]
    shown = client.get(done[0].headers["location"]).text
    assert "Fee waived" in shown
    assert "first late payment" in shown  # the history says why
    with db.session(writer=False) as session:
        assert service.get_loan(session, loan_id).fees_due == D(30)
    refused = _post(client, url, **{**form, "key": "other", "amount": "31"})
    assert refused.status_code == 400
    assert 'id="waiver-error">amount: 31.00 is more than the 30.00 still owed' in refused.text
    assert "Waive 31" not in refused.text  # refused before it is asked about
    no_reason = _post(client, url, **{**form, "key": "other", "reason": "  "})
    assert 'id="waiver-error">reason: say why' in no_reason.text


def test_staff_see_the_fees_but_no_waiver_form(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    loan_id, fee_id = _late_loan(db)
    sign_in(client, people["staff"])
    page = client.get(f"/lending/loans/{loan_id}")
    assert f'id="fee-{fee_id}"' in page.text
    assert 'id="waiver-form"' not in page.text
    posted = _post(client, f"/lending/loans/{loan_id}/fee-waivers", csrf_token=csrf_from(
        page.text), fee_id=str(fee_id), date="2026-03-02", reason="x", confirm="yes")  # fmt: skip
    assert posted.status_code == 403
