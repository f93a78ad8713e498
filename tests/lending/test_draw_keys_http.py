"""A draw request sent twice is one draw where people send it, on SQLite and PostgreSQL: the
owner's draw form and the borrower's portal form carry a nonce made when the page renders (a
double click is one draw, with one set of photos), and the API's `key` answers a retry with the
draw requested first (200), refuses it for another amount (409) and one it cannot store (422),
each naming the key."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.lending import service
from evergreen.lending.models import Draw, DrawPhoto
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for

pytestmark = pytest.mark.both_databases

API = "/api/v1/lending"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _loan(db: Database, email: str = "") -> int:
    """A loan with 20,000 to draw, started a month ago; `email`: its borrower signs in there."""
    draft = service.LoanDraft("Ann Rehab", "100000", "12%", 12,
                              utcnow().date() - timedelta(days=30), commitment="20000")  # fmt: skip
    with db.session() as session:
        loan = service.add_loan(session, draft, new_borrower=True)
        if email:
            borrower = service.get_borrower(session, loan.borrower_id)
            borrower.user_id = accounts.create_user(session, email, PASSWORD, Role.BORROWER).id
        return loan.id


def _draw_key(page: str, form_id: str | None = None) -> str:
    """The nonce the draw form carries (the owner's page has several forms: the one by id)."""
    start = page.index(f'id="{form_id}"') if form_id else 0
    found = re.search(r'name="key" value="([^"]+)"', page[start:])
    assert found, "the draw form has no key"
    return found.group(1)


def _draws(db: Database, loan_id: int) -> list[tuple[int, Decimal]]:
    with db.session(writer=False) as session:
        query = select(Draw.id, Draw.amount).where(Draw.loan_id == loan_id).order_by(Draw.id)
        return [(i, a) for i, a in session.execute(query)]


def test_the_owner_s_draw_form_sent_twice_requests_one_draw_and_a_new_form_another(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    loan_id = _loan(db)
    sign_in(client, people["owner"])
    page = client.get(f"/lending/loans/{loan_id}").text
    token, key = csrf_from(page), _draw_key(page, "draw-form")
    form = {"csrf_token": token, "date": utcnow().date().isoformat(), "amount": "5000",
            "note": "roof", "key": key}  # fmt: skip
    sent = [client.post(f"/lending/loans/{loan_id}/draws", data=form, follow_redirects=False)
            for _ in range(2)]  # fmt: skip
    assert [s.headers["location"].rsplit("=", 1)[1] for s in sent] == ["draw", "draw-again"]
    assert "was requested already" in client.get(sent[1].headers["location"]).text
    assert [amount for _id, amount in _draws(db, loan_id)] == [Decimal(5000)]
    fresh = _draw_key(client.get(f"/lending/loans/{loan_id}").text, "draw-form")
    assert fresh != key
    again = client.post(f"/lending/loans/{loan_id}/draws", data={**form, "key": fresh},
                        follow_redirects=False)  # fmt: skip
    assert again.headers["location"].endswith("done=draw")
    assert len(_draws(db, loan_id)) == 2


def test_the_portal_draw_form_sent_twice_is_one_draw_with_one_set_of_photos(
    client: TestClient, db: Database, settings: Settings
) -> None:
    loan_id = _loan(db, "ann@borrower.example")
    sign_in(client, "ann@borrower.example")
    page = client.get(f"/borrower/loans/{loan_id}").text
    token, key = csrf_from(page), _draw_key(page)
    form = {"csrf_token": token, "amount": "5000", "note": "Roof", "key": key}
    photos = {"photos": ("roof.png", PNG, "image/png")}
    sent = [client.post(f"/borrower/loans/{loan_id}/draws", data=form, files=photos,
                        follow_redirects=False) for _ in range(2)]  # fmt: skip
    assert [s.status_code for s in sent] == [303, 303]
    assert "Your draw request was sent" in client.get(sent[1].headers["location"]).text
    draws = _draws(db, loan_id)
    assert [amount for _id, amount in draws] == [Decimal(5000)]
    with db.session(writer=False) as session:
        stored = list(session.execute(select(DrawPhoto.draw_id, DrawPhoto.path)))
    assert [draw_id for draw_id, _path in stored] == [draws[0][0]]
    folder = settings.data_dir / "lending" / "draws"
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == [settings.data_dir / stored[0][1]]
    # A refused form keeps its nonce, so the corrected one sent twice is one draw too.
    other = client.get(f"/borrower/loans/{loan_id}").text
    nonce = _draw_key(other)
    refused = client.post(f"/borrower/loans/{loan_id}/draws",
                          data={**form, "amount": "abc", "key": nonce})  # fmt: skip
    assert refused.status_code == 400
    assert _draw_key(refused.text) == nonce
    for _ in range(2):
        client.post(f"/borrower/loans/{loan_id}/draws", data={**form, "amount": "700",
                    "key": nonce}, follow_redirects=False)  # fmt: skip
    assert [amount for _id, amount in _draws(db, loan_id)] == [Decimal(5000), Decimal(700)]


def test_the_api_answers_a_retry_with_its_key_with_the_first_draw(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """Without a key each call is a draw (201 each); with one sent again, the first (200), for
    another amount a 409 and for a key that cannot be stored a 422, both naming the key."""
    loan_id = _loan(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    url = f"{API}/loans/{loan_id}/draws"
    body = {"amount": "5000", "date": utcnow().date().isoformat(), "note": "roof"}
    keyed = [client.post(url, json={**body, "key": "draw-1"}, headers=owner) for _ in range(2)]
    assert [r.status_code for r in keyed] == [201, 200]
    assert keyed[0].json() == keyed[1].json()
    clash = client.post(url, json={**body, "amount": "6000", "key": "draw-1"}, headers=owner)
    assert clash.status_code == 409, clash.text
    assert "key" in clash.text
    assert "differs in amount" in clash.text
    for bad in ("a\x00b", "k" * 151, ""):
        refused = client.post(url, json={**body, "key": bad}, headers=owner)
        assert refused.status_code == 422, (bad, refused.text)
        assert [e["field"] for e in refused.json()["detail"]] == ["key"]
    twice = [client.post(url, json=body, headers=owner) for _ in range(2)]
    assert [r.status_code for r in twice] == [201, 201]
    assert twice[0].json()["id"] != twice[1].json()["id"]
    assert [draw_id for draw_id, _amount in _draws(db, loan_id)] == [
        keyed[0].json()["id"],
        twice[0].json()["id"],
        twice[1].json()["id"],
    ]
    document = client.get("/api/openapi.json").json()
    body_of = document["paths"][f"{API}/loans/{{loan_id}}/draws"]["post"]["requestBody"]
    name = body_of["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    key = document["components"]["schemas"][name]["properties"]["key"]
    assert key["anyOf"][0]["maxLength"] == 150
    assert "retry" in key["description"]
