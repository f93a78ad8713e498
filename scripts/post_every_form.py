"""Post every form of every page with odd values, as the owner, and list the answers of 500.

    .venv/bin/python scripts/post_every_form.py [--seconds 600] [--postgres URL]

A fresh data folder with the demo loaded (`evergreen demo`), the real app in this process. From
the dashboard it follows the site's own links (two pages of each shape, e.g. /links/N), and on
each page posts each form once per field and odd value (empty, "²", NaN, 1e999, 2^31, 2^63, a
huge or NUL-bearing text, an impossible date, markup), the form's other fields as the page filled
them.
Forms that delete or sign out are left alone. Not part of the test run: a bounded exploration
(about 30,000 posts in ten minutes) whose finds become tests. With `--postgres`, a database is
made on that server for the run and dropped after (benchmarks/common.py, as the benchmarks do).
"""

from __future__ import annotations

import argparse
import html
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # their databases

from common import drop_database, fresh_database

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.config import Settings
from evergreen.demo.service import load_demo
from evergreen.web import create_app

ODD = ["", " ", "\u00b2", "NaN", "1e999", "-1", "0", "-0.000001", "1,234.5", "2147483648",
       "9223372036854775808", "99999999999999999999999999", "x" * 20_000, "a\x00b",
       "2026-02-30", "../../etc", "<script>"]  # fmt: skip
SKIP_LINKS = ("/api", "/logout", "/l/", "/static", "/w/", "/mail/u", "/p/")
SKIP_FORMS = ("logout", "delete", "remove")
PASSWORD = secrets.token_urlsafe(16)  # this run's owner, in a throwaway data folder


class Page(HTMLParser):
    """A page's links, and its forms: each one's action and its fields as a browser fills them."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]], list[str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._names: list[str] = []
        self._select: list[str] | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self._select is not None:  # the selected option, else the first
            if not self._select[1] or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._fields, self._names = [], []
            self.forms.append((a.get("action", ""), self._fields, self._names))
        elif self._fields is None or not a.get("name"):
            return
        elif tag == "input":
            self._names.append(a["name"])
            kind = a.get("type", "text").lower()
            if kind not in ("checkbox", "radio") or "checked" in a:
                self._fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._names.append(a["name"])
            self._select = [a["name"], ""]
            self._fields.append((a["name"], ""))
        elif tag == "textarea":
            self._names.append(a["name"])
            self._text = [a["name"], ""]

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select" and self._select is not None and self._fields is not None:
            self._fields[-1] = (self._select[0], self._select[1])
            self._select = None
        elif tag == "textarea" and self._text is not None and self._fields is not None:
            self._fields.append((self._text[0], self._text[1]))
            self._text = None


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


def explore(client: TestClient, seconds: float) -> tuple[int, Counter[int], list[str]]:
    """Crawl and post until `seconds` pass; (pages seen, statuses, the 500s in words)."""
    deadline = time.monotonic() + seconds
    queue, seen, shapes = deque(["/"]), set[str](), Counter[str]()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    while queue and time.monotonic() < deadline:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shapes[_shape(url)] += 1
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url}: {response.status_code}")
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = Page()
        page.feed(response.text)
        for href in page.links:
            link = html.unescape(href).split("#")[0]
            fresh = link.startswith("/") and link not in seen and shapes[_shape(link)] < 2
            if fresh and not link.startswith(SKIP_LINKS):
                queue.append(link)
        for action, fields, names in page.forms:
            target = html.unescape(action) or url
            if any(word in target for word in SKIP_FORMS):
                continue
            for name in dict.fromkeys(n for n in names if n != "csrf_token"):
                for odd in ODD:
                    if time.monotonic() >= deadline:
                        break
                    form: dict[str, list[str]] = {}
                    for field, value in fields:
                        form.setdefault(field, []).append(odd if field == name else value)
                    form.setdefault(name, [odd])
                    answer = client.post(target, data=form, follow_redirects=False)
                    statuses[answer.status_code] += 1
                    if answer.status_code >= 500:
                        failures.append(f"POST {target} {name}={odd[:24]!r}: {answer.status_code}")
    return len(seen), statuses, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: run on a database made there")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-forms-"))
    db = fresh_database(args.postgres, folder, prefix="evergreen_forms")
    settings = Settings(env="test", data_dir=folder / "data", database_url=db.url)
    try:
        with db.session() as session:
            accounts.create_user(session, "owner@example.com", PASSWORD, Role.OWNER)
        load_demo(db, settings, date.today())
        with TestClient(create_app(settings, database=db), raise_server_exceptions=False) as client:
            login = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token is not None
            client.post("/login", data={"email": "owner@example.com", "password": PASSWORD,
                                        "csrf_token": token.group(1)})  # fmt: skip
            pages, statuses, failures = explore(client, args.seconds)
    finally:
        db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        if args.postgres:
            drop_database(args.postgres, db.engine.url.database or "")
    print(f"{pages} pages, {sum(statuses.values())} posts: {dict(sorted(statuses.items()))}")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
