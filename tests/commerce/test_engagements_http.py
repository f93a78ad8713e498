"""Done-for-you services over HTTP on SQLite and PostgreSQL: the owner sets a product's intake
questions on its fulfilment page, the buyer's order page links the signed intake form, the
buyer answers (a missing answer or a forged link is refused, never a 500), the owner sees the
answers, adds and ticks tasks, marks delivered after a confirmation (the buyer mailed once);
the API and the command line do the same."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import Engagement
from evergreen.commerce.rules.checkout import order_token
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.web import create_app
from tests.cli_helpers import run_cli
from tests.commerce.fulfil_world import buy_service, make_shop
from tests.commerce.orders_world import SECRET
from tests.http_helpers import csrf_from, sign_in, token_for
from tests.mail.smtp_server import smtp_server

API = "/api/v1/commerce"


def _paid(db: Database) -> str:
    with db.session() as session:
        order = service.start_checkout(session, None, buy_service(), datetime.now(UTC)).order
        order_id, number = order.id, order.number
    with db.session() as session:
        service.mark_manual_paid(session, order_id, SECRET, datetime.now(UTC))
    return number


def test_intake_tasks_and_delivery_on_the_pages(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        shop = make_shop(session)
    with smtp_server() as (handler, port):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                "mail_from": "shop@example.com"}  # fmt: skip
        with TestClient(create_app(settings.model_copy(update=smtp), database=db)) as client:
            sign_in(client, people["owner"])
            page = client.get(f"/commerce/products/{shop.logo}/fulfilment")
            token = csrf_from(page.text)
            bad = client.post(f"/commerce/products/{shop.logo}/fulfilment",
                              data={"csrf_token": token, "delivery_days": "soon"})  # fmt: skip
            assert bad.status_code == 400
            assert "delivery days" in bad.text
            saved = client.post(
                f"/commerce/products/{shop.logo}/fulfilment",
                data={"csrf_token": token, "intake_questions": "Company name?\nYour website?",
                      "tasks": "Kick-off call", "delivery_days": "5"},
            )  # fmt: skip
            assert saved.status_code == 200
            number = _paid(db)
            client.cookies.clear()
            mine = client.get(f"/buy/order/{order_token(SECRET, number)}")
            link = re.findall(
                r'href="https?://[^/"]+(/buy/intake/[^"]+)" id="intake-link"', mine.text
            )
            assert link, mine.text
            form = client.get(link[0])
            assert "Company name?" in form.text
            token = csrf_from(form.text)
            short = client.post(link[0], data={"csrf_token": token, "answer": ["Acme"]})
            assert short.status_code == 400
            assert "answer each of the 2 questions" in short.text
            forged = link[0].rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            assert client.get(forged).status_code == 404
            answered = client.post(link[0], data={"csrf_token": token,
                                                  "answer": ["Acme", "acme.example"]})  # fmt: skip
            assert "your answers are saved" in answered.text
            sign_in(client, people["owner"])
            listed = client.get("/commerce/services")
            engagement = int(re.findall(r'id="engagement-(\d+)"', listed.text)[0])
            detail = client.get(f"/commerce/services/{engagement}")
            assert "acme.example" in detail.text
            assert "Kick-off call" in detail.text
            token = csrf_from(detail.text)
            added = client.post(f"/commerce/services/{engagement}/tasks",
                                data={"csrf_token": token, "title": "Send drafts"})  # fmt: skip
            assert "Task added" in added.text
            task = int(re.findall(r'id="task-(\d+)"', added.text)[-1])
            ticked = client.post(f"/commerce/services/tasks/{task}/tick",
                                 data={"csrf_token": token, "done": "yes"})  # fmt: skip
            assert "<s>Send drafts</s>" in ticked.text
            empty = client.post(f"/commerce/services/{engagement}/tasks",
                                data={"csrf_token": token, "title": ""})  # fmt: skip
            assert empty.status_code == 400
            ask = client.post(f"/commerce/services/{engagement}/deliver",
                              data={"csrf_token": token})  # fmt: skip
            assert "Mark the service for bea@example.com delivered?" in ask.text
            for _ in range(2):
                done = client.post(f"/commerce/services/{engagement}/deliver",
                                   data={"csrf_token": token, "confirm": "yes"})  # fmt: skip
                assert "Delivered" in done.text
    delivered = [e for e in handler.received if b"is delivered" in e.content]
    assert len(delivered) == 1
    assert delivered[0].rcpt_tos == ["bea@example.com"]


def test_the_services_api(client: TestClient, db: Database, people: dict[str, str]) -> None:
    with db.session() as session:
        shop = make_shop(session)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    body = {"intake_questions": ["Brief?"], "tasks": ["Draft"], "delivery_days": 3}
    assert (
        client.put(f"{API}/products/{shop.logo}/service", headers=staff, json=body).status_code
        == 403
    )
    put = client.put(f"{API}/products/{shop.logo}/service", headers=owner, json=body)
    assert put.json()["intake_questions"] == ["Brief?"]
    wrong = client.put(f"{API}/products/{shop.mug}/service", headers=owner, json=body)
    assert wrong.status_code == 422
    _paid(db)
    rows = client.get(f"{API}/engagements", headers=staff).json()["engagements"]
    assert [(r["status"], r["overdue"]) for r in rows] == [("intake", False)]
    one = client.get(f"{API}/engagements/{rows[0]['id']}", headers=staff).json()
    assert [t["title"] for t in one["tasks"]] == ["Draft"]
    task = client.post(f"{API}/engagements/{one['id']}/tasks", headers=owner,
                       json={"title": "Review", "assignee_id": 999999})  # fmt: skip
    assert task.status_code == 422
    task = client.post(f"{API}/engagements/{one['id']}/tasks", headers=owner,
                       json={"title": "Review"})  # fmt: skip
    assert task.status_code == 201
    ticked = client.post(f"{API}/engagement-tasks/{task.json()['id']}/done", headers=staff,
                         json={"done": True})  # fmt: skip
    assert ticked.json()["done"] is True
    first = client.post(f"{API}/engagements/{one['id']}/deliver", headers=owner).json()
    second = client.post(f"{API}/engagements/{one['id']}/deliver", headers=owner).json()
    assert (first["newly_delivered"], second["newly_delivered"]) == (True, False)
    assert client.get(f"{API}/engagements?status=done", headers=staff).status_code == 422
    assert client.get(f"{API}/engagements/999999", headers=staff).status_code == 404


def _cli(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": url}
    return run_cli(["commerce", "service", *args], env)


def test_services_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        make_shop(session)
    _paid(db)
    with db.session() as session:
        engagement = str(session.scalars(select(Engagement.id)).one())
    db.dispose()
    listed = _cli(tmp_path, database_url, "list")
    assert f"{engagement}\tbea@example.com\tintake" in listed.stdout
    tasks = _cli(tmp_path, database_url, "task", engagement, "Polish")
    assert "[ ] Polish" in tasks.stdout
    task_id = tasks.stdout.strip().splitlines()[-1].split("\t")[0]
    assert (
        "[x] Polish" in _cli(tmp_path, database_url, "task", engagement, "--done", task_id).stdout
    )
    empty = _cli(tmp_path, database_url, "task", engagement, " ")
    assert empty.returncode == 2
    assert "Traceback" not in empty.stderr
    assert "Delivered" in _cli(tmp_path, database_url, "deliver", engagement, "--yes").stdout
    assert (
        "Already delivered" in _cli(tmp_path, database_url, "deliver", engagement, "--yes").stdout
    )
    missing = _cli(tmp_path, database_url, "deliver", "999999", "--yes")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
