"""The borrower portal over HTTP on SQLite and PostgreSQL: the owner invites a borrower, who
sets a password, sees only their own loans, sends a draw request with a photo and downloads a
payoff letter; another borrower's loan, letter or photo answers 404. The owner's letter route
and the invitation API are the team's alone."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.lending import service
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for
from tests.lending.pdftext import pdf_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _book(db: Database, settings: Settings) -> dict[str, int]:
    """Two borrowers with a loan each (started a month ago); Bob's draw has a photo."""
    start = utcnow().date() - timedelta(days=30)
    found: dict[str, int] = {}
    with db.session() as session:
        for key, name in (("ann", "Ann Rehab"), ("bob", "Bob Flip")):
            email = f"{key}@borrower.example"
            found[key] = service.add_borrower(session, service.BorrowerDraft(name, email=email)).id
            draft = service.LoanDraft(borrower=name, principal="100000", annual_rate="12%",
                                      months=12, start=start, commitment="20000")  # fmt: skip
            found[f"{key}_loan"] = service.add_loan(session, draft).id
        bob = service.get_borrower(session, found["bob"])
        upload = [service.PhotoUpload("bob.png", [PNG])]
        asked = service.request_draw_with_photos(session, settings.data_dir, bob,
                                                 found["bob_loan"], "1000", utcnow().date(), "",
                                                 upload)  # fmt: skip
        found["bob_photo"] = service.draw_photos(session, asked.draw.id)[0].id
        found["bob_draw"] = asked.draw.id
    return found


def _accept(client: TestClient, url: str) -> None:
    """Follow an invitation link and set the password, as the borrower's browser would."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    done = client.post("/borrower/invite", data={
        "token": unescape(token.group(1)), "password": PASSWORD, "password_again": PASSWORD,
        "csrf_token": csrf_from(page.text)}, follow_redirects=False)  # fmt: skip
    assert done.headers["location"] == "/login?next=/borrower"


def test_a_borrower_is_invited_requests_a_draw_with_a_photo_and_downloads_a_letter(
    client: TestClient, db: Database, settings: Settings, people: dict[str, str]
) -> None:
    book = _book(db, settings)
    # The owner makes the invitation on its page; staff may not.
    sign_in(client, people["staff"])
    assert client.get(f"/lending/borrowers/{book['ann']}/invite").status_code == 403
    sign_in(client, people["owner"])
    page = client.get(f"/lending/borrowers/{book['ann']}/invite")
    assert "Invite Ann Rehab" in page.text
    made = client.post(f"/lending/borrowers/{book['ann']}/invite",
                       data={"csrf_token": csrf_from(page.text)})  # fmt: skip
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', made.text)
    assert link, made.text
    client.cookies.clear()
    _accept(client, unescape(link.group(1)))
    signed = client.post("/login", data={"email": "ann@borrower.example", "password": PASSWORD,
                         "csrf_token": csrf_from(client.get("/login").text)},
                         follow_redirects=False)  # fmt: skip
    assert signed.headers["location"] == "/borrower"
    home = client.get("/borrower")
    assert f"Loan {book['ann_loan']}" in home.text
    assert f"Loan {book['bob_loan']}" not in home.text
    # The dashboard is not theirs: its home sends them to the portal, its pages refuse them.
    assert client.get("/", follow_redirects=False).headers["location"] == "/borrower"
    assert client.get("/lending/draw-photos/1").status_code == 403

    loan_url = f"/borrower/loans/{book['ann_loan']}"
    loan_page = client.get(loan_url)
    csrf = csrf_from(loan_page.text)
    fake = {"photos": ("roof.png", b"not really a png", "image/png")}
    refused = client.post(f"{loan_url}/draws", data={"amount": "5000", "csrf_token": csrf},
                          files=fake)  # fmt: skip
    assert refused.status_code == 400
    assert "must be images" in refused.text
    sent = client.post(f"{loan_url}/draws", data={"amount": "5000", "note": "Roof",
                       "csrf_token": csrf}, files={"photos": ("roof.png", PNG, "image/png")},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    shown = client.get(sent.headers["location"])
    assert "Your draw request was sent" in shown.text
    photo = re.search(r'href="(/borrower/photos/\d+)">roof.png', shown.text)
    assert photo
    image = client.get(photo.group(1))
    assert (image.content, image.headers["content-type"]) == (PNG, "image/png")

    today = utcnow().date()
    letter = client.get(f"{loan_url}/payoff-letter.pdf", params={"as_of": today.isoformat()})
    assert letter.headers["content-type"] == "application/pdf"
    with db.session(writer=False) as session:
        total = service.quote(session, book["ann_loan"], today).total
    assert f"{total:,.2f} USD" in pdf_text(letter.content)
    late = client.get(f"{loan_url}/payoff-letter.pdf",
                      params={"as_of": (today - timedelta(days=1)).isoformat()})  # fmt: skip
    assert late.status_code == 400
    assert "or later" in late.text

    # Another borrower's loan, letter and photo are not found, as if they did not exist.
    for path in (f"/borrower/loans/{book['bob_loan']}",
                 f"/borrower/loans/{book['bob_loan']}/payoff-letter.pdf",
                 f"/borrower/photos/{book['bob_photo']}", "/borrower/loans/999999"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    stolen = client.post(f"/borrower/loans/{book['bob_loan']}/draws",
                         data={"amount": "100", "csrf_token": csrf})  # fmt: skip
    assert stolen.status_code == 404


def test_the_team_downloads_any_letter_and_photo_and_the_owner_invites_over_the_api(
    client: TestClient, db: Database, settings: Settings, people: dict[str, str]
) -> None:
    book = _book(db, settings)
    sign_in(client, people["staff"])
    letter = client.get(f"/lending/loans/{book['bob_loan']}/payoff-letter.pdf",
                        params={"wire": "First Bank | ABA 021000021"})  # fmt: skip
    text = pdf_text(letter.content)
    assert "Bob Flip" in text
    assert "ABA 021000021" in text
    assert client.get(f"/lending/draw-photos/{book['bob_photo']}").content == PNG
    loan_page = client.get(f"/lending/loans/{book['bob_loan']}").text  # the draw shows its photo
    assert f'href="/lending/draw-photos/{book["bob_photo"]}" class="draw-photo"' in loan_page
    bad = client.get(f"/lending/loans/{book['bob_loan']}/payoff-letter.pdf",
                     params={"as_of": "2026-13-01"})  # fmt: skip
    assert bad.status_code == 400
    assert "must be a date as YYYY-MM-DD" in bad.text

    api = f"/api/v1/lending/borrowers/{book['bob']}/invite"
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    assert client.post(api, headers=staff).status_code == 403
    made = client.post(api, headers=owner)
    assert made.status_code == 200
    assert made.json()["kind"] == "invitation"
    assert "/borrower/invite?token=" in made.json()["url"]
    photos = client.get(
        "/api/v1/lending/photos", params={"draw_id": book["bob_draw"]}, headers=staff
    ).json()
    assert [p["url"] for p in photos] == [f"/lending/draw-photos/{book['bob_photo']}"]
