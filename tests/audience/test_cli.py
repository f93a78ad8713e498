"""`evergreen audience …` against a real database: the contract's import and show --json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.web import create_app
from tests.cli_helpers import evergreen
from tests.conftest import TEST_SECRET
from tests.http_helpers import csrf_from

MAILCHIMP = (
    "Email Address,First Name,Last Name,Country\n"
    "ann@example.com,Ann,Lee,DE\n"
    "not-an-address,Bad,Row,\n"
)
UNSUB = "Email Address,First Name,UNSUB_TIME\nann@example.com,Ann,2024-06-01 00:00:00\n"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("audience", *args, data_dir=tmp_path / "data", database_url=None,
                     EVERGREEN_SECRET_KEY=TEST_SECRET)  # fmt: skip


def test_added_by_hand_to_a_double_opt_in_list_they_get_the_link_that_confirms_them(
    tmp_path: Path,
) -> None:
    site = "https://news.example"
    assert _run(tmp_path, "lists", "add", "News").returncode == 0  # double opt-in
    added = evergreen("audience", "add", "ann@example.com", "--list", "News",
                      data_dir=tmp_path / "data", database_url=None,
                      EVERGREEN_SECRET_KEY=TEST_SECRET, EVERGREEN_BASE_URL=site)  # fmt: skip
    assert added.returncode == 0, added.stderr
    link = added.stdout.split("confirmation link: ")[1].strip()
    assert link.startswith(f"{site}/audience/confirm/")
    settings = Settings(env="test", data_dir=tmp_path / "data", secret_key=TEST_SECRET)
    with TestClient(create_app(settings)) as client:
        page = client.get(link.removeprefix(site))
        assert page.status_code == 200
        done = client.post(link.removeprefix(site), data={"csrf_token": csrf_from(page.text)})
        assert done.status_code < 400, done.text
    shown = _run(tmp_path, "show", "ann@example.com", "--json")
    assert json.loads(shown.stdout)["lists"] == {"News": "subscribed"}
    again = _run(tmp_path, "add", "bob@example.com", "--list", "News")
    assert "confirmation link: http://127.0.0.1:8000/audience/confirm/" in again.stdout


def test_import_show_unsubscribe_and_bad_input(tmp_path: Path) -> None:
    file = tmp_path / "members.csv"
    file.write_text(MAILCHIMP)
    done = _run(tmp_path, "import", str(file), "--list", "News")
    assert done.returncode == 0, done.stderr
    assert "line 3: Email Address" in done.stderr
    shown = _run(tmp_path, "show", "ANN@example.com", "--json")
    assert json.loads(shown.stdout) == {
        "email": "ann@example.com",
        "status": "subscribed",
        "lists": {"News": "subscribed"},
        "fields": {"country": "DE"},
    }
    (tmp_path / "unsub.csv").write_text(UNSUB)
    assert _run(tmp_path, "import", str(tmp_path / "unsub.csv"), "--list", "News").returncode == 0
    assert json.loads(_run(tmp_path, "show", "ann@example.com", "--json").stdout)["status"] == (
        "unsubscribed"
    )
    bad = _run(tmp_path, "add", "nobody", "--list", "News")
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "email" in bad.stderr
    missing = _run(tmp_path, "show", "who@example.com", "--json")
    assert missing.returncode == 2
    assert _run(tmp_path, "erase", "ann@example.com").returncode == 2
    assert _run(tmp_path, "erase", "ann@example.com", "--yes").returncode == 0
    assert _run(tmp_path, "show", "ann@example.com").returncode == 2


def test_an_opt_in_time_out_of_range_is_a_row_error_not_a_traceback(tmp_path: Path) -> None:
    file = tmp_path / "optin.csv"
    file.write_text(
        "Email Address,First Name,OPTIN_TIME\n"
        "a@example.com,A,0001-01-01T00:00:00+14:00\n"
        "b@example.com,B,2024-06-01 00:00:00\n"
    )
    done = _run(tmp_path, "import", str(file), "--list", "News")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "line 2: OPTIN_TIME" in done.stderr
    assert _run(tmp_path, "show", "b@example.com").returncode == 0
