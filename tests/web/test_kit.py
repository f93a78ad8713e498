"""Shared page macros (web/templates/_kit.html) reach the pages of every area from one place."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.db import Database
from evergreen.networks import service as networks
from tests.http_helpers import sign_in

_SCRIPT = 'event.target.closest("button.copy")'


def test_pages_of_three_areas_carry_the_one_copy_button_script(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        network_id = networks.create_network(session, "Impact")[0].id
    sign_in(client, people["owner"])
    for page in ("/links", "/partners/webhooks", f"/partners/earnings/networks/{network_id}"):
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert answer.text.count(_SCRIPT) == 1, page
