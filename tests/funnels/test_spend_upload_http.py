"""The report page's spend upload reads UTF-8 or refuses the file as the command does: a Latin-1
file is a page error naming the file, its line and byte, with nothing stored (never "Caf�");
UTF-8 with a BOM is read. The decoder is shared (csvfile.decode_utf8) and pure."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.csvfile import decode_utf8
from evergreen.db import Database
from evergreen.funnels.models import AdSpend
from tests.funnels.kit import build
from tests.http_helpers import csrf_from, sign_in

ROW = "day,campaign,source,amount,currency\n2026-12-01,Café,fb,10,EUR\n"


@pytest.mark.parametrize(
    ("data", "said"),
    [(ROW.encode("latin-1"), "line 2 has the byte 0xe9"),
     (ROW.encode("utf-8-sig").replace(b"\xc3\xa9", b"\xe9"), "line 2 has the byte 0xe9"),
     (b"\xff\xfed\x00a\x00y\x00", "line 1 has the byte 0xff")],
)  # fmt: skip
def test_a_file_not_in_utf8_is_refused_by_line_and_byte(data: bytes, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        decode_utf8(data, ValueError)
    assert decode_utf8(ROW.encode("utf-8-sig"), ValueError) == ROW


def _campaigns(db: Database) -> list[str]:
    with db.session(writer=False) as session:
        return list(session.scalars(select(AdSpend.campaign)))


def test_the_page_refuses_a_latin1_spend_file_by_name_and_stores_nothing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    built = build(db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/funnels/{built.funnel_id}/report").text)
    where = f"/funnels/{built.funnel_id}/spend/import"
    latin = {"file": ("costs.csv", ROW.encode("latin-1"), "text/csv")}
    refused = client.post(where, data={"csrf_token": token}, files=latin)
    assert refused.status_code == 400
    assert (
        "costs.csv is not UTF-8 text (line 2 has the byte 0xe9); save it as UTF-8" in refused.text
    )
    assert 'id="import-spend"' in refused.text  # the form is there to try again
    assert _campaigns(db) == []
    utf8 = {"file": ("costs.csv", ROW.encode("utf-8-sig"), "text/csv")}
    stored = client.post(where, data={"csrf_token": token}, files=utf8, follow_redirects=False)
    assert stored.status_code == 303, stored.text
    assert _campaigns(db) == ["Café"]
