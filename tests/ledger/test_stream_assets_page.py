"""A stream's page over HTTP (SQLite and PostgreSQL): an asset entered by the owner is capital,
the page splits capital into money put in and each asset, and a bad asset entry is refused
with its field and stores nothing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.ledger import queries, service
from evergreen.ledger.models import JournalEntry, Stream
from evergreen.ledger.rules import Rates, StreamKind
from tests.http_helpers import csrf_from, sign_in

D = Decimal
MARCH = "from=2026-03-01&to=2026-03-31"
RATES = Rates(D(40), D("0.12"))
CAMERA = "Assets:Equipment:Camera"


@pytest.fixture
def studio(db: Database) -> int:
    with db.session() as session:
        service.set_preferences(session, hourly_rate=RATES.hourly_rate,
                                required_return=RATES.required_return)  # fmt: skip
        stream = service.add_stream(
            session, service.StreamDraft("Studio", StreamKind.SERVICE), date(2026, 1, 1)
        )
        service.add_capital(session, stream, date(2026, 1, 1), D(2000))
        return stream.id


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'id="{row_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {row_id}"
    return found.group(1)


def test_an_asset_entered_on_the_page_is_capital_split_from_money_put_in(
    client: TestClient, db: Database, people: dict[str, str], studio: int
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{studio}?{MARCH}").text)
    for data in (
        {"account": CAMERA, "amount": "1500", "direction": "in"},
        {"account": "Assets:Equipment:Lens", "amount": "400", "direction": "in",
         "paid_by": "owner"},
        {"account": CAMERA, "amount": "300", "direction": "out"},
    ):  # fmt: skip
        answer = client.post(f"/ledger/streams/{studio}/assets", follow_redirects=False,
                             data={"csrf_token": token, "date": "2026-03-11", "back": MARCH,
                                   **data})  # fmt: skip
        assert answer.status_code == 303, answer.text
    page = client.get(f"/ledger/streams/{studio}?{MARCH}").text
    assert "2,000.00" in _row(page, "capital-contributed")
    assets = re.findall(r'class="split capital-asset"><th>… of it held as ([^<]+)</th>'
                        r'<td class="num">([^<]+)</td>', page)  # fmt: skip
    assert assets == [("Assets:Equipment:Camera", "1,200.00"), ("Assets:Equipment:Lens", "400.00")]
    with db.session() as session:
        stream = session.get(Stream, studio)
        assert stream is not None
        assert queries.capital_at(session, stream, date(2026, 3, 31)) == D(3600)
        march = queries.stream_figures(session, [stream], date(2026, 3, 1), date(2026, 3, 31),
                                       RATES)[studio]  # fmt: skip
    # 2,000 for 10 days, 3,600 for 21 days, x 12 % / 365
    assert march.capital_charge == (D(2000) * 10 + D(3600) * 21) * D("0.12") / 365
    # The capital entries behind the figure list the asset postings with their own sign.
    behind = client.get(f"/ledger/streams/{studio}/entries?figure=capital&{MARCH}").text
    assert "Assets:Equipment:Camera" in behind
    assert "Assets:Equipment:Lens" in behind
    assert "1,600.00" in behind  # 1,500 + 400 - 300 moved in March


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"account": "Assets:Bank", "amount": "5"}, "account: &#39;Assets:Bank&#39; is not an "
         "asset account"),
        ({"account": "", "amount": "5"}, "account: name the asset"),
        ({"account": CAMERA, "amount": "5", "paid_by": "friend"}, "paid by: must be"),
        ({"account": CAMERA, "amount": "5", "direction": "up"}, "direction: choose"),
        ({"account": CAMERA, "amount": "-5"}, "amount: must be more than 0"),
    ],
)  # fmt: skip
def test_a_bad_asset_entry_names_its_field_and_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str], studio: int,
    data: dict[str, str], message: str,
) -> None:  # fmt: skip
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/ledger/streams/{studio}?{MARCH}").text)
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(JournalEntry))
    form = {"csrf_token": token, "date": "2026-03-11", "back": MARCH, **data}
    answer = client.post(f"/ledger/streams/{studio}/assets", data=form)
    assert answer.status_code == 400
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == before
