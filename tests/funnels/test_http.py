"""Funnels over HTTP on SQLite and PostgreSQL: 64 concurrent visitors walking a funnel are each
counted exactly, with no 5xx; the API builds a funnel, imports spend (a bad CSV is a 422 with
each row's line and field, nothing stored) and reports; odd addresses are 404, never 500; the
owner's pages add, edit, remove (after a confirmation) and show the report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.funnels.kit import build
from tests.http_helpers import csrf_from, sign_in, token_for


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


@pytest.mark.both_databases
def test_64_concurrent_visitors_are_counted_exactly(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    built = build(db, weight_b=3)

    name = f"evergreen_funnel_{built.funnel_id}"

    def walk(_: int) -> list[int]:
        """One visitor: its own cookie, sent by hand (the shared client's jar is everyone's)."""
        cookie, codes = "new", []
        for step in ("grow", "grow", "order"):
            answer = client.get(f"/p/launch/{step}", headers={"Cookie": f"{name}={cookie}"})
            codes.append(answer.status_code)
            cookie = answer.cookies.get(name) or cookie
        return codes

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = [code for codes in pool.map(walk, range(64)) for code in codes]
    assert answers == [200] * 192
    report = client.get(
        f"/api/v1/funnels/{built.funnel_id}/report", headers=_headers(db, people["staff"])
    ).json()
    lines = {(line["step"], line["variant"]): line for line in report["steps"]}
    grow = [lines[("grow", "A")], lines[("grow", "B")]]
    assert sum(line["visitors"] for line in grow) == 64
    assert sum(line["views"] for line in grow) == 128
    assert sum(line["conversions"] for line in grow) == 64
    assert lines[("grow", "B")]["visitors"] > lines[("grow", "A")]["visitors"]  # weight 3 : 1
    assert (lines[("order", "A")]["visitors"], lines[("order", "A")]["conversions"]) == (64, 0)
    assert report["total"]["visitors"] == 64


def test_the_api_builds_a_funnel_imports_spend_and_reports(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    assert client.post("/api/v1/funnels", json={"name": "Q"}, headers=staff).status_code == 403
    made = client.post(
        "/api/v1/funnels", json={"name": "Quick Win", "status": "live"}, headers=owner
    )
    assert made.status_code == 201, made.text
    fid = made.json()["id"]
    assert made.json()["slug"] == "quick-win"
    step = client.post(
        f"/api/v1/funnels/{fid}/steps", json={"kind": "sales", "title": "Pitch"}, headers=owner
    )
    assert step.status_code == 201
    sid = step.json()["steps"][0]["id"]
    variant = client.post(
        f"/api/v1/funnels/{fid}/steps/{sid}/variants",
        json={"name": "B", "weight": 2, "content": "# Hi"},
        headers=owner,
    )
    assert variant.status_code == 201
    vid = variant.json()["id"]
    changed = client.put(
        f"/api/v1/funnels/{fid}/variants/{vid}", json={"name": "B", "weight": 0}, headers=owner
    )
    assert changed.json()["weight"] == 0
    page = client.get("/p/quick-win/pitch")
    assert page.status_code == 200
    assert 'data-variant="A"' in page.text  # B has weight 0
    bad = client.post(
        f"/api/v1/funnels/{fid}/spend/import",
        content=b"day,campaign,source,amount,currency\n2026-12-01,C,fb,10,USD\n"
        b"2026-13-01,C,fb,5,USD\n2026-12-02,C,fb,x,USD\n",
        headers=owner | {"Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert [(d["line"], d["field"]) for d in bad.json()["detail"]] == [(3, "day"), (4, "amount")]
    latin1 = client.post(
        f"/api/v1/funnels/{fid}/spend/import",
        content="day,campaign,source,amount,currency\n2026-12-01,Café,fb,10,USD\n".encode(
            "latin-1"
        ),
        headers=owner | {"Content-Type": "text/csv"},
    )
    assert latin1.status_code == 422  # never a "Caf\ufffd" campaign stored
    assert latin1.json()["detail"][0]["field"] == "body"
    assert "line 2 has the byte 0xe9" in latin1.json()["detail"][0]["message"]
    good = client.post(
        f"/api/v1/funnels/{fid}/spend/import",
        content=b"day,campaign,source,amount,currency\n2026-12-01,C,fb,10,USD\n",
        headers=owner | {"Content-Type": "text/csv"},
    )
    assert good.json() == {"stored": 1}
    rows = [
        {"day": "2026-12-02", "campaign": "C", "source": "fb", "amount": "2.50", "currency": "USD"}
    ]
    assert client.post(f"/api/v1/funnels/{fid}/spend", json=rows, headers=owner).json() == {
        "stored": 1
    }
    report = client.get(
        f"/api/v1/funnels/{fid}/report?start=2026-12-01&end=2026-12-31", headers=staff
    ).json()
    assert report["total"]["ad_spend"] == "12.50"
    assert report["currency"] == "USD"
    # Money reads as money: a whole amount keeps its cents ("0", "591" before).
    total = report["total"]
    assert (total["net_revenue"], total["fees"], total["refunds"]) == ("0.00", "0.00", "0.00")
    assert all(line["revenue"] == "0.00" for line in report["steps"])
    assert client.get(f"/api/v1/funnels/{fid}/report?start=nope", headers=staff).status_code == 422
    assert client.delete(f"/api/v1/funnels/{fid}/steps/{sid}", headers=owner).status_code == 204
    assert client.get(f"/api/v1/funnels/{fid}", headers=staff).json()["steps"] == []
    assert client.get("/api/v1/funnels/999", headers=staff).status_code == 404


_ODD = [
    "/p/launch/nope",
    "/p/nope/grow",
    "/p/" + "x" * 400 + "/grow",
    "/p/launch/%00",
    "/p/LAUNCH/..%2Fx",
    "/p/launch/gr%C3%B6w",
    "/p/launch/grow%20",
]


@pytest.mark.both_databases
def test_odd_addresses_are_not_found(client: TestClient, db: Database) -> None:
    build(db)
    answers = {path: client.get(path).status_code for path in _ODD}
    assert set(answers.values()) <= {404, 422}, answers
    assert answers["/p/nope/grow"] == 404


def test_a_draft_is_the_owners_alone(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    build(db, status="draft")
    assert client.get("/p/launch/grow").status_code == 404
    sign_in(client, people["owner"])
    shown = client.get("/p/launch/grow?variant=B")
    assert shown.status_code == 200
    assert "Grow faster" in shown.text
    assert "draft" in shown.text


def test_the_owner_pages_build_remove_after_confirming_and_import_spend(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    built = build(db)
    sign_in(client, people["owner"])
    listed = client.get("/funnels")
    assert listed.status_code == 200
    assert "Launch" in listed.text
    token = csrf_from(listed.text)
    added = client.post(
        "/funnels", data={"name": "Second", "csrf_token": token}, follow_redirects=False
    )
    assert added.status_code == 303
    editor = client.get(f"/funnels/{built.funnel_id}")
    assert editor.status_code == 200
    assert "/p/launch/grow?variant=B" in editor.text
    refused = client.post(
        f"/funnels/{built.funnel_id}/steps",
        data={"kind": "order", "title": "No product", "csrf_token": token},
    )
    assert refused.status_code == 400
    assert "product id" in refused.text
    edited = client.post(
        f"/funnels/{built.funnel_id}/steps/{built.sales_id}",
        data={"kind": "sales", "title": "Grow more", "slug": "grow", "template": "bold",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert edited.status_code == 303
    variant = client.get(
        f"/api/v1/funnels/{built.funnel_id}", headers=_headers(db, people["owner"])
    )
    b_id = variant.json()["steps"][0]["variants"][1]["id"]
    saved = client.post(
        f"/funnels/{built.funnel_id}/variants/{b_id}",
        data={"name": "B", "weight": "0", "headline": "Never", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = client.get("/p/launch/grow")
    assert 'class="t-bold"' in shown.text
    assert 'data-variant="A"' in shown.text
    ask = client.post(
        f"/funnels/{built.funnel_id}/steps/{built.thanks_id}/remove", data={"csrf_token": token}
    )
    assert ask.status_code == 200
    assert "Remove step" in ask.text
    assert "Thanks" in client.get(f"/funnels/{built.funnel_id}").text
    done = client.post(
        f"/funnels/{built.funnel_id}/steps/{built.thanks_id}/remove",
        data={"csrf_token": token, "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f'id="step-{built.thanks_id}"' not in client.get(f"/funnels/{built.funnel_id}").text
    files = {
        "file": ("spend.csv", b"day,campaign,source,amount,currency\nsoon,C,fb,1,USD\n", "text/csv")
    }
    preview = client.post(
        f"/funnels/{built.funnel_id}/spend/import", data={"csrf_token": token}, files=files
    )
    assert preview.status_code == 400
    assert "line 2, day" in preview.text
    files = {
        "file": (
            "spend.csv",
            b"day,campaign,source,amount,currency\n2026-12-01,C,fb,9.99,USD\n",
            "text/csv",
        )
    }
    stored = client.post(
        f"/funnels/{built.funnel_id}/spend/import",
        data={"csrf_token": token},
        files=files,
        follow_redirects=False,
    )
    assert stored.status_code == 303
    report = client.get(f"/funnels/{built.funnel_id}/report?start=2026-12-01&end=2026-12-31")
    assert report.status_code == 200
    assert "9.99" in report.text
