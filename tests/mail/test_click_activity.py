"""A click on a mail link becomes the recipient's `clicked` activity (SQLite and PostgreSQL):
once, never for a forged token or a bot, seen by segments and by the sequences' click trigger."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.audience.models import Activity
from evergreen.audience.service import segments
from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.mail import service as mail
from evergreen.mail.rules import recipient_tokens
from evergreen.mail.tasks import run_folding
from evergreen.sequences import service as sequences
from evergreen.sequences.models import Enrolment
from tests.cli_helpers import run_cli
from tests.conftest import TEST_SECRET
from tests.http_helpers import sign_in
from tests.sequences.kit import add_active, make_list, subscribe

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _link(db: Database, slug: str = "offer") -> None:
    with db.session() as session:
        links.create_link(session, LinkDraft(destination="https://shop.example/", slug=slug))


def _click(client: TestClient, sub2: str, *, slug: str = "offer", agent: str = UA) -> None:
    """A click through the redirect with the parameters the composer puts on a mail link."""
    answer = client.get(
        f"/go/{slug}",
        params={"sub1": "b7", "sub2": sub2},
        headers={"User-Agent": agent},
        follow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]


def _token(secret: str, subscriber_id: int, list_id: int) -> str:
    return recipient_tokens.encode(
        secret, recipient_tokens.RecipientToken("c", 7, subscriber_id, list_id)
    )


def _clicks(db: Database) -> list[tuple[int, str]]:
    with db.session(writer=False) as session:
        rows = session.execute(
            select(Activity.subscriber_id, Activity.ref).where(Activity.kind == "clicked")
        )
        return sorted((row[0], row[1]) for row in rows)


def test_a_mail_click_becomes_activity_once(
    client: TestClient, db: Database, settings: Settings, people: dict[str, str]
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    bob = subscribe(db, list_id, "bob@example.com")
    _click(client, _token(secret, ann, list_id))
    forged = _token("another-site-secret", bob, list_id)
    _click(client, forged)  # signed with another key: not bob's click
    _click(client, _token(secret, bob, list_id), agent=BOT)  # a crawler following mail links
    _click(client, "")  # a plain click with no token is none of mail's business
    report = mail.fold_clicks_report(db, secret)
    assert (report.read, report.recorded, report.bad_token, report.not_human) == (4, 1, 1, 1)
    assert _clicks(db) == [(ann, "offer")]
    assert mail.fold_clicks(db, secret) == 0  # folding again adds nothing
    _click(client, _token(secret, ann, list_id))
    assert mail.fold_clicks(db, secret) == 1  # only the new click
    assert _clicks(db) == [(ann, "offer"), (ann, "offer")]
    with db.session(writer=False) as session:
        at = session.scalars(select(Activity.at).where(Activity.kind == "clicked")).first()
    assert at is not None
    assert abs(at - utcnow()) < timedelta(minutes=1)  # the click's time
    sign_in(client, people["owner"])  # after the clicks: a signed-in owner's click is internal
    history = client.get(f"/audience/subscribers/{ann}")
    assert history.status_code == 200
    assert "<td>clicked</td><td>offer</td>" in history.text  # the history's activity row


def test_a_click_of_someone_erased_is_skipped_and_batches_move_on(
    client: TestClient, db: Database, settings: Settings
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    _click(client, _token(secret, ann + 1000, list_id))  # nobody has that id
    for _ in range(3):
        _click(client, _token(secret, ann, list_id))
    first = mail.fold_clicks_report(db, secret, limit=2)
    assert (first.read, first.recorded, first.gone) == (2, 1, 1)
    assert mail.fold_backlog(db, secret, limit=2).recorded == 2
    assert run_folding(db, settings) == 0
    assert _clicks(db) == [(ann, "offer")] * 3


def test_two_folds_at_once_record_each_click_once(
    client: TestClient, db: Database, settings: Settings
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    assert mail.fold_clicks(db, secret) == 0  # the mark row exists: the lock keeps them apart
    for _ in range(6):
        _click(client, _token(secret, ann, list_id))
    results: list[int] = []
    start = threading.Barrier(2)

    def fold() -> None:
        other = Database(db.url)
        try:
            start.wait(timeout=10)
            results.append(mail.fold_clicks(other, secret, limit=6))
        finally:
            other.dispose()

    workers = [threading.Thread(target=fold) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(results) == [0, 6]
    assert len(_clicks(db)) == 6


def test_segments_and_a_click_trigger_see_the_folded_click(
    client: TestClient, db: Database, settings: Settings
) -> None:
    secret = resolve_secret_key(settings)
    _link(db, "spring-sale")
    list_id = make_list(db)
    start = utcnow() - timedelta(minutes=1)
    document = {
        "trigger": {"kind": "clicked_link", "link": "spring-sale"},
        "steps": [{"kind": "tag", "name": "enrolled"}],
        "messages": {},
    }
    add_active(db, document, start)
    ann = subscribe(db, list_id, "ann@example.com")
    subscribe(db, list_id, "bob@example.com")
    with db.session(writer=False) as session:
        assert segments.count(session, "clicked:30d") == 0
    _click(client, _token(secret, ann, list_id), slug="spring-sale")
    assert sequences.run_due(db, utcnow() + timedelta(seconds=5)).enrolled == 0  # not folded
    assert mail.fold_clicks(db, secret) == 1
    with db.session(writer=False) as session:
        assert segments.count(session, "clicked:30d") == 1
    assert sequences.run_due(db, utcnow() + timedelta(seconds=10)).enrolled == 1
    with db.session(writer=False) as session:
        enrolled = session.scalars(select(Enrolment.subscriber_id)).all()
    assert enrolled == [ann]


@pytest.mark.parametrize("limit", [0, -3])
def test_a_limit_below_one_still_moves_on(
    client: TestClient, db: Database, settings: Settings, limit: int
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    _click(client, _token(secret, ann, list_id))
    assert mail.fold_clicks(db, secret, limit=limit) == 1


def test_the_command_folds_and_says_what_it_did(
    client: TestClient, db: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    _click(client, _token(secret, ann, list_id))
    _click(client, "c1-2-3-aaaaaaaaaaaaaaaa")  # shaped like ours, signed by nobody
    env = {
        "EVERGREEN_DATA_DIR": str(tmp_path / "data"),
        "EVERGREEN_DATABASE_URL": database_url,
        "EVERGREEN_SECRET_KEY": TEST_SECRET,
    }
    done = run_cli(["mail", "fold-clicks", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"through": 0} == {
        "read": 2, "recorded": 1, "not_human": 0, "bad_token": 1, "gone": 0, "through": 0,
    }  # fmt: skip
    again = run_cli(["mail", "fold-clicks"], env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 clicks became activity (0 read;")
    assert _clicks(db) == [(ann, "offer")]


def test_a_window_of_plain_clicks_moves_the_mark_past_them(
    client: TestClient, db: Database, settings: Settings
) -> None:
    secret = resolve_secret_key(settings)
    _link(db)
    list_id = make_list(db)
    ann = subscribe(db, list_id, "ann@example.com")
    for _ in range(3):
        _click(client, "")  # the site's own clicks: no sub2
    _click(client, _token(secret, ann, list_id))
    first = mail.fold_clicks_report(db, secret, limit=2)
    assert (first.read, first.recorded) == (2, 0)
    second = mail.fold_clicks_report(db, secret, limit=2)
    assert (second.read, second.recorded) == (2, 1)
    assert second.through > first.through
    assert mail.fold_clicks_report(db, secret, limit=2).read == 0
    assert _clicks(db) == [(ann, "offer")]
