"""The analytics page and API of a webinar: show-up rate, watch time, drop-off, offer clicks,
sales and earnings per registrant, by traffic source; a bad breakdown named; staff only."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from evergreen.db import Database, utcnow
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from tests.cli_helpers import run_cli
from tests.http_helpers import sign_in, token_for
from tests.webinars.analytics_fixture import UA, analysed_webinar


def test_the_api_gives_the_figures_by_source(
    client: TestClient, db: Database, people: dict[str, str], tmp_path: Path
) -> None:
    webinar = analysed_webinar(db, tmp_path / "beats")
    assert client.get(f"/api/v1/webinars/{webinar}/analytics").status_code == 401
    client.headers["Authorization"] = f"Bearer {token_for(db, people['staff'])}"
    got = client.get(f"/api/v1/webinars/{webinar}/analytics")
    assert got.status_code == 200, got.text
    body = got.json()
    total = body["total"]
    assert (total["registrations"], total["final"], total["attended"]) == (5, 4, 2)
    assert (total["left_early"], total["missed"], total["show_up_rate"]) == (1, 2, 0.5)
    assert total["average_watch_seconds"] == (1200 + 360) // 2
    assert body["dropoff"][:6] == [1.0] * 6
    assert body["dropoff"][6:] == [0.5] * 14
    sources = {row["key"]: row for row in body["sources"]}
    assert set(sources) == {"yt", "blog", "(none)"}
    assert sources["yt"]["show_up_rate"] == 2 / 3
    assert sources["blog"]["show_up_rate"] == 0.0
    assert sources["(none)"]["final"] == 0
    assert sources["(none)"]["show_up_rate"] is None
    # The offer click came from the room of a yt registrant: its sale is yt's.
    assert (sources["yt"]["offer_clicks"], sources["yt"]["sales"]) == (1, 1)
    assert list(sources["yt"]["earnings"].values()) == ["49.00"]
    assert (sources["blog"]["offer_clicks"], sources["blog"]["earnings"]) == (0, {})
    offers = body["offers"]
    assert offers["campaign"] == f"webinar-{webinar}"
    assert (offers["links"], offers["clicks"], offers["sales"]) == (1, 1, 1)
    (currency,) = offers["earnings"]
    assert offers["earnings"][currency] == "49.00"
    assert offers["earnings_per_registrant"][currency] == "9.80"
    bad = client.get(f"/api/v1/webinars/{webinar}/analytics", params={"by": "colour"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "by"
    assert client.get("/api/v1/webinars/999/analytics").status_code == 404


def test_the_page_shows_the_figures_and_names_a_bad_breakdown(
    client: TestClient, db: Database, people: dict[str, str], tmp_path: Path
) -> None:
    webinar = analysed_webinar(db, tmp_path / "beats")
    assert client.get(f"/webinars/{webinar}/analytics", follow_redirects=False).status_code in (
        303,
        401,
    )
    sign_in(client, people["staff"])
    assert 'id="analytics-link"' in client.get(f"/webinars/{webinar}").text
    page = client.get(f"/webinars/{webinar}/analytics")
    assert page.status_code == 200
    text = page.text
    assert 'id="registrations">5<' in text
    assert 'id="show-up">50 %' in text
    assert 'id="watch-time">13 min 00 s' in text
    assert 'id="offer-clicks">1 ' in text
    assert "49.00" in text
    assert "9.80" in text
    assert "<polyline points=" in text
    assert "<td>yt</td><td>3</td><td>67 %</td>" in text
    by = client.get(f"/webinars/{webinar}/analytics", params={"by": "utm_source"})
    assert by.status_code == 200
    assert "<td>(none)</td><td>5</td>" in by.text
    bad = client.get(f"/webinars/{webinar}/analytics", params={"by": "colour"})
    assert bad.status_code == 400
    assert "by: must be one of" in bad.text
    assert client.get("/webinars/999/analytics").status_code == 404


def test_the_command_prints_the_same_figures(
    db: Database, tmp_path: Path, database_url: str
) -> None:
    analysed_webinar(db, tmp_path / "beats")
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": database_url}
    done = run_cli(["webinars", "analytics", "masterclass", "--json"], env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert (body["total"]["registrations"], body["total"]["attended"]) == (5, 2)
    assert body["offers"]["sales"] == 1
    words = run_cli(["webinars", "analytics", "masterclass"], env)
    assert "5 registered, 4 sessions over, show-up 50% (2 attended" in words.stdout
    assert "channel=yt: 3 registered, show-up 67%" in words.stdout
    bad = run_cli(["webinars", "analytics", "masterclass", "--by", "colour"], env)
    assert bad.returncode == 2
    assert "by" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_an_offer_click_naming_no_registrant_counts_under_none(
    client: TestClient, db: Database, people: dict[str, str], tmp_path: Path
) -> None:
    """sub3 comes from the click's address, which anyone can write: "r²" (a digit to
    str.isdigit, not to int) or "r12x" names nobody; the page answers all the same."""
    webinar = analysed_webinar(db, tmp_path / "beats")
    with db.session() as session:
        link = links.get_link(session, "masterclass-offer")
        odd = [
            {"id": f"{n:032x}", "l": link.id, "t": utcnow().timestamp(), "v": f"odd{n}",
             "ua": UA, "q": {"sub1": f"webinar-{webinar}", "sub3": sub3}}
            for n, sub3 in enumerate(("r\u00b2", "r\u0661", "r12x", "r" + "9" * 40))
        ]  # fmt: skip
        assert ingest_records(session, odd, ClickPolicy()) == 4
    client.headers["Authorization"] = f"Bearer {token_for(db, people['staff'])}"
    got = client.get(f"/api/v1/webinars/{webinar}/analytics")
    assert got.status_code == 200, got.text
    sources = {row["key"]: row for row in got.json()["sources"]}
    assert sources["(none)"]["offer_clicks"] == 4
    assert sources["yt"]["offer_clicks"] == 1
