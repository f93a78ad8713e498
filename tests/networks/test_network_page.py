"""One network's page over HTTP: postback mapping, report columns, CSV upload, links, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.networks import service as networks
from evergreen.networks.models import Network, NetworkEarning, NetworkLink
from tests.http_helpers import csrf_from, sign_in

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
CLICK = "c" * 32
REPORT_COLUMNS = {
    "click_id": "Sub ID", "order_id": "Order Ref", "amount": "Sale", "commission": "Earned",
    "currency": "", "status": "State", "date": "Day",
}  # fmt: skip
REPORT = (
    "Order Ref,Sub ID,Sale,Earned,State,Day\r\n"
    f"R-1,{CLICK},100.00,7.50,confirmed,2026-03-02\r\n"
    "R-2,nobody,40.00,3.00,open,2026-03-03\r\n"
    "R-3,,10.00,abc,open,2026-03-04\r\n"
)


def _setup(db: Database) -> tuple[int, str]:
    """A network with an affiliate link 'amz' and one human click on it; its id and secret."""
    with db.session() as session:
        network, secret = networks.create_network(session, "Impact")
        links.create_link(
            session,
            LinkDraft(destination="https://shop.example/", slug="amz", kind="affiliate",
                      append_click_id=True, click_id_param="subid"),
        )  # fmt: skip
        links.create_link(session, LinkDraft(destination="https://me.example/", slug="mine"))
        link = links.get_link(session, "amz")
        record = {"id": CLICK, "l": link.id, "t": datetime.now(UTC).timestamp(), "v": "v1",
                  "ua": UA, "q": {"sub1": "post-42"}}  # fmt: skip
        assert ingest_records(session, [record], ClickPolicy()) == 1
        return network.id, secret


def _owner(client: TestClient, people: dict[str, str], network_id: int, role: str = "owner") -> str:
    """Sign in and return the CSRF token of the network page."""
    sign_in(client, people[role])
    page = client.get(f"/partners/earnings/networks/{network_id}")
    assert page.status_code == 200
    return csrf_from(page.text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _upload(client: TestClient, network_id: int, token: str, body: bytes) -> Any:
    return client.post(
        f"/partners/earnings/networks/{network_id}/reports",
        data={"csrf_token": token},
        files={"file": ("report.csv", body, "text/csv")},
    )


def _network(db: Database, network_id: int) -> Network:
    with db.session() as session:
        network = session.get(Network, network_id)
        assert network is not None
        return network


def _postback_form(**changes: str) -> dict[str, str]:
    form = {
        "click_id": "clickref", "order_id": "txn", "amount": "sale", "commission": "comm",
        "currency": "", "status": "state", "words_pending": "open",
        "words_approved": "confirmed, PAID", "words_reversed": "cancelled",
    }  # fmt: skip
    return {**form, **changes}


def test_the_page_shows_the_postback_url_and_an_example_with_the_mapping(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, secret = _setup(db)
    sign_in(client, people["owner"])
    income = client.get("/partners/earnings")
    assert f'href="/partners/earnings/networks/{network_id}">Impact</a>' in income.text
    page = client.get(f"/partners/earnings/networks/{network_id}")
    assert page.status_code == 200
    url = f"http://testserver/api/v1/networks/{network_id}/postback?secret=YOUR_SECRET"
    assert f'id="postback-url">{url}</code>' in page.text
    assert "&amp;subid={click_id}&amp;oid={order_id}" in page.text  # the default macros
    assert secret not in page.text  # only its digest is kept
    assert "Save postback mapping" in page.text
    assert "No earnings reported yet." in page.text
    assert client.get("/partners/earnings/networks/999").status_code == 404


def test_a_saved_postback_mapping_reads_the_next_postback(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, secret = _setup(db)
    token = _owner(client, people, network_id)
    url = f"/partners/earnings/networks/{network_id}/postback-mapping"
    saved = _post(client, url, token, **_postback_form())
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Postback mapping saved" in page.text
    assert "&amp;clickref={click_id}&amp;txn={order_id}" in page.text
    network = _network(db, network_id)
    assert network.postback_mapping == {
        "click_id": "clickref", "order_id": "txn", "amount": "sale", "commission": "comm",
        "status": "state",
    }  # fmt: skip
    assert network.status_values == {
        "open": "pending",
        "confirmed": "approved",
        "paid": "approved",
        "cancelled": "reversed",
    }

    postback = client.get(
        f"/api/v1/networks/{network_id}/postback",
        params={"secret": secret, "txn": "T-1", "clickref": CLICK, "sale": "80",
                "comm": "4.20", "state": "Paid"},
    )  # fmt: skip
    assert postback.status_code == 200, postback.text
    assert postback.json()["matched"] is True
    with db.session() as session:
        earning = session.scalars(select(NetworkEarning)).one()
        assert (earning.order_id, earning.status) == ("T-1", "approved")
        assert earning.commission == Decimal("4.20")
    page = client.get(f"/partners/earnings/networks/{network_id}")
    row = re.search(
        r"<tr>\s*<td[^>]*>\d{4}-\d\d-\d\d</td>\s*<td>T-1</td>(.*?)</tr>", page.text, re.S
    )
    assert row, page.text
    assert "approved" in row.group(1)
    assert "80.00" in row.group(1)
    assert "4.20 USD" in row.group(1)
    assert f"<code>{CLICK}</code>" in row.group(1)
    assert 'href="/links/amz"' in row.group(1)
    assert "sub1=post-42" in row.group(1)


def test_a_bad_postback_mapping_is_shown_again_with_what_to_fix(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    token = _owner(client, people, network_id)
    before = _network(db, network_id)
    url = f"/partners/earnings/networks/{network_id}/postback-mapping"
    cases = {
        "order id: the mapping must say where the order ID is": _postback_form(order_id=" "),
        "is listed under both approved and reversed": _postback_form(words_reversed="paid"),
        "list at least one word": _postback_form(
            words_pending="", words_approved=" , ", words_reversed=""
        ),
    }
    for reason, form in cases.items():
        refused = _post(client, url, token, **form)
        assert refused.status_code == 400, reason
        assert "The postback mapping was not saved:" in refused.text
        assert reason in refused.text
        assert 'value="clickref"' in refused.text  # what was typed is kept
    assert 'aria-invalid="true"' in refused.text
    after = _network(db, network_id)
    assert after.postback_mapping == before.postback_mapping
    assert after.status_values == before.status_values


def test_an_uploaded_report_imports_with_the_saved_columns_and_again_changes_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    token = _owner(client, people, network_id)
    saved = _post(
        client, f"/partners/earnings/networks/{network_id}/postback-mapping", token,
        **_postback_form(),
    )  # fmt: skip
    assert saved.status_code == 303  # its status words are how report rows are read too
    columns = _post(
        client, f"/partners/earnings/networks/{network_id}/report-mapping", token,
        **REPORT_COLUMNS,
    )  # fmt: skip
    assert columns.status_code == 303
    assert "Report columns saved" in client.get(columns.headers["location"]).text
    assert _network(db, network_id).report_mapping["commission"] == "Earned"

    first = _upload(client, network_id, token, REPORT.encode())
    assert first.status_code == 200, first.text
    assert "2 created, 0 updated, 0 unchanged; 1 matched no click" in first.text
    assert "1 row not imported" in first.text
    assert "Line 4: commission:" in first.text
    assert "is not a number like 12.50" in first.text
    again = _upload(client, network_id, token, REPORT.encode())
    assert "0 created, 0 updated, 2 unchanged" in again.text
    moved = REPORT.replace("open,2026-03-03", "confirmed,2026-03-03")
    assert (
        "0 created, 1 updated, 1 unchanged"
        in _upload(client, network_id, token, moved.encode()).text
    )
    with db.session() as session:
        rows = {e.order_id: e for e in session.scalars(select(NetworkEarning))}
    assert set(rows) == {"R-1", "R-2"}
    assert rows["R-1"].matched
    assert rows["R-1"].link_id is not None
    assert rows["R-1"].commission == Decimal("7.50")
    assert (rows["R-2"].matched, rows["R-2"].status) == (False, "approved")
    assert rows["R-2"].occurred_at.date().isoformat() == "2026-03-03"


def test_bad_reports_and_report_columns_say_what_to_fix(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    token = _owner(client, people, network_id)
    before = _network(db, network_id).report_mapping
    bad_columns = _post(
        client, f"/partners/earnings/networks/{network_id}/report-mapping", token,
        **{**REPORT_COLUMNS, "commission": ""},
    )  # fmt: skip
    assert bad_columns.status_code == 400
    assert "The report columns were not saved:" in bad_columns.text
    assert "commission: the mapping must say where the commission is" in bad_columns.text
    assert _network(db, network_id).report_mapping == before

    wrong_header = _upload(client, network_id, token, REPORT.encode())  # default columns
    assert wrong_header.status_code == 400
    assert "Line 1: order id: column" in wrong_header.text
    assert "is not in the header; save a mapping" in wrong_header.text
    not_text = _upload(client, network_id, token, b"order_id,commission\r\n\xff\xfe,1\r\n")
    assert not_text.status_code == 400
    assert "The report was not imported: file: is not UTF-8 text" in not_text.text
    empty = _upload(client, network_id, token, b"order_id,commission\r\n")
    assert empty.status_code == 400
    assert "has a header but no rows" in empty.text
    no_file = _post(client, f"/partners/earnings/networks/{network_id}/reports", token)
    assert no_file.status_code == 400
    assert "choose the network" in no_file.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(NetworkEarning)) == 0


def test_the_owner_attaches_affiliate_links_by_slug(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    token = _owner(client, people, network_id)
    url = f"/partners/earnings/networks/{network_id}/links"
    attached = _post(client, url, token, slug="amz")
    assert attached.status_code == 303
    page = client.get(attached.headers["location"])
    assert "Link attached" in page.text
    assert '<a href="/links/amz">amz</a>' in page.text
    assert "<code>subid</code>" in page.text  # the parameter the click ID is sent as
    unknown = _post(client, url, token, slug="nope")
    assert unknown.status_code == 400
    assert "The link was not attached: slug: no link with slug" in unknown.text
    own = _post(client, url, token, slug="mine")
    assert own.status_code == 400
    assert "points to your own pages" in own.text
    with db.session() as session:
        assert session.scalars(select(NetworkLink.network_id)).all() == [network_id]


@pytest.mark.both_databases
def test_a_new_postback_secret_is_shown_once_and_replaces_the_old_one(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, old = _setup(db)
    token = _owner(client, people, network_id)
    made = _post(client, f"/partners/earnings/networks/{network_id}/secret", token, confirm="yes")
    assert made.status_code == 200
    match = re.search(
        r'id="postback-url">[^<]*?(/api/v1/networks/\d+/postback\?secret=\w+)', made.text
    )
    assert match
    fields = "&oid=N-1&payout=2.00&status=pending"
    assert (
        client.get(f"/api/v1/networks/{network_id}/postback?secret={old}{fields}").status_code
        == 401
    )
    assert client.get(match.group(1) + fields).status_code == 200
    new_secret = match.group(1).rsplit("=", 1)[1]
    assert new_secret not in client.get(f"/partners/earnings/networks/{network_id}").text


def test_staff_may_look_but_only_the_owner_changes_a_network(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    token = _owner(client, people, network_id, role="staff")
    page = client.get(f"/partners/earnings/networks/{network_id}")
    for control in ("Save postback mapping", "Save report columns", "Import report",
                    "Attach link", "Make a new secret"):  # fmt: skip
        assert control not in page.text
    base = f"/partners/earnings/networks/{network_id}"
    posts = {
        f"{base}/postback-mapping": _postback_form(),
        f"{base}/report-mapping": REPORT_COLUMNS,
        f"{base}/links": {"slug": "amz"},
        f"{base}/secret": {},
    }
    before = _network(db, network_id)
    for url, form in posts.items():
        assert _post(client, url, token, **form).status_code == 403, url
    assert _upload(client, network_id, token, REPORT.encode()).status_code == 403
    after = _network(db, network_id)
    assert (after.postback_mapping, after.report_mapping, after.postback_secret) == (
        before.postback_mapping, before.report_mapping, before.postback_secret
    )  # fmt: skip
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(NetworkLink)) == 0


def test_partners_and_strangers_cannot_open_a_network(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    network_id, _secret = _setup(db)
    url = f"/partners/earnings/networks/{network_id}"
    anonymous = client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    sign_in(client, people["partner"])
    assert client.get(url).status_code == 403
    token = csrf_from(client.get("/portal").text)
    assert _post(client, f"{url}/links", token, slug="amz").status_code == 403
