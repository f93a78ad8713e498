"""Borrowers' documents over HTTP: the owner and staff file and download them on the borrower's
documents page, only the owner removes one (after a confirmation step); the borrower sees their
own in the portal, read-only, and another's answers 404; the API lists and files for staff and
only the owner deletes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.lending import service
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for

PDF = b"%PDF-1.7\n" + b"1" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _borrowers(db: Database) -> tuple[int, int]:
    with db.session() as session:
        ann = service.add_borrower(
            session, service.BorrowerDraft("Ann Rehab", email="ann@b.example")
        )
        bob = service.add_borrower(
            session, service.BorrowerDraft("Bob Flip", email="bob@b.example")
        )
        return ann.id, bob.id


def test_the_team_files_downloads_and_the_owner_removes_after_confirming(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ann, _bob = _borrowers(db)
    page_url = f"/lending/borrowers/{ann}/documents"
    sign_in(client, people["staff"])
    assert f'href="{page_url}"' in client.get("/lending/borrowers").text
    page = client.get(page_url)
    assert "No documents yet." in page.text
    assert "/remove" not in page.text  # staff see no removal
    csrf = csrf_from(page.text)
    fake = {"file": ("id.pdf", b"<html>not a pdf</html>", "application/pdf")}
    refused = client.post(page_url, data={"kind": "id", "csrf_token": csrf}, files=fake)
    assert refused.status_code == 400
    assert "must be a PDF or an image" in refused.text
    sent = client.post(page_url, data={"kind": "insurance", "note": "Builder's risk",
                       "csrf_token": csrf}, files={"file": ("policy.pdf", PDF, "application/pdf")},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    shown = client.get(sent.headers["location"])
    assert "Document added." in shown.text
    assert "Insurance" in shown.text
    assert "Builder&#39;s risk" in shown.text
    link = re.search(rf'href="({page_url}/(\d+))">policy.pdf', shown.text)
    assert link
    got = client.get(link.group(1))
    assert (got.content, got.headers["content-type"]) == (PDF, "application/pdf")
    assert "attachment" in got.headers["content-disposition"]
    assert "nosniff" in got.headers["x-content-type-options"]
    remove = f"{link.group(1)}/remove"
    assert client.post(remove, data={"csrf_token": csrf, "confirm": "yes"}).status_code == 403

    sign_in(client, people["owner"])
    owner_page = client.get(page_url).text
    assert f'action="{remove}"' in owner_page
    asked = client.post(remove, data={"csrf_token": csrf_from(owner_page)})
    assert asked.status_code == 200
    assert "Remove policy.pdf?" in asked.text
    assert client.get(link.group(1)).status_code == 200  # asking removed nothing
    done = client.post(remove, data={"csrf_token": csrf_from(asked.text), "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "Document removed." in client.get(done.headers["location"]).text
    assert client.get(link.group(1)).status_code == 404


@pytest.mark.both_databases
def test_a_borrower_sees_only_their_own_documents_in_the_portal(
    client: TestClient, db: Database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ann, bob = _borrowers(db)
    data_dir = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    with db.session() as session:
        mine = service.add_document(session, data_dir, ann, "title", "Prelim", "title.pdf", [PDF])
        theirs = service.add_document(session, data_dir, bob, "id", "", "bob.png", [PNG])
        mine_id, theirs_id = mine.id, theirs.id
        link = service.issue_invite(session, TEST_SECRET, "https://lend.example", ann)
        invite, _row = service.usable_invitation(session, TEST_SECRET, link.url.split("token=")[1])
        service.accept_invitation(session, invite, PASSWORD)
    sign_in(client, "ann@b.example")
    page = client.get("/borrower/documents")
    assert page.status_code == 200
    assert "title.pdf" in page.text
    assert "Prelim" in page.text
    assert "bob.png" not in page.text
    assert "<form" not in page.text.split("<main", 1)[1]  # read-only: nothing to post
    assert client.get(f"/borrower/documents/{mine_id}").content == PDF
    for path in (f"/borrower/documents/{theirs_id}", "/borrower/documents/999999"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/lending/borrowers/{ann}/documents",
        f"/lending/borrowers/{ann}/documents/{mine_id}",
    ):
        assert client.get(path).status_code == 403, path


def test_the_api_lists_for_staff_and_uploads_and_deletes_for_the_owner(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ann, bob = _borrowers(db)
    api = f"/api/v1/lending/borrowers/{ann}/documents"
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    query = {"kind": "appraisal", "name": "appraisal.pdf", "note": "ARV 310k"}
    bad = client.post(api, params=query, content=b"GIF87?", headers=owner)
    assert bad.status_code == 422
    assert "PDF or an image" in bad.text
    made = client.post(api, params=query, content=PDF, headers=staff)  # staff file documents
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["kind"], body["name"], body["media_type"], body["size_bytes"]) == (
        "appraisal", "appraisal.pdf", "application/pdf", len(PDF),
    )  # fmt: skip
    listed = client.get(api, headers=staff).json()
    assert [(d["id"], d["note"]) for d in listed] == [(body["id"], "ARV 310k")]
    assert client.get(f"/api/v1/lending/borrowers/{bob}/documents", headers=staff).json() == []
    wrong = f"/api/v1/lending/borrowers/{bob}/documents/{body['id']}"
    assert client.delete(wrong, headers=owner).status_code == 404
    assert client.delete(f"{api}/{body['id']}", headers=staff).status_code == 403
    assert client.delete(f"{api}/{body['id']}", headers=owner).status_code == 204
    assert client.get(api, headers=staff).json() == []
    assert (
        client.get("/api/v1/lending/borrowers/999999/documents", headers=staff).status_code == 404
    )
