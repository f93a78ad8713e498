"""Post every form of every page with odd values, as the owner, and list the answers of 500.

    .venv/bin/python scripts/post_every_form.py [--seconds 600] [--postgres URL]

A fresh data folder with the demo loaded (`evergreen demo`), the real app in this process. From
the dashboard it follows the site's own links (two pages of each shape, e.g. /links/N), and on
each page posts each form once per field and odd value (empty, "²", NaN, 1e999, 2^31, 2^63, a
huge or NUL-bearing text, an impossible date, markup), the form's other fields as the page filled
them.
Forms that delete or sign out are left alone. Then, with what time is left, the same as a
visitor with no session, from the sign-in pages and the public pages the owner's pages link to
(sign-up forms, webinar registration, checkout, funnel steps, the customer account). Not part
of the test run: a bounded exploration (about 30,000 posts in ten minutes) whose finds become
tests. With `--postgres`, a database is
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' shop kit

from common import drop_database, fresh_database
from tests.funnels.kit import build_with_bumps

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.audience import service as audience
from evergreen.audience.rules.forms import FormPolicy
from evergreen.audience.service import forms
from evergreen.commerce import service as commerce
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.demo.service import load_demo
from evergreen.web import create_app
from evergreen.webinars import service as webinars

ODD = ["", " ", "\u00b2", "NaN", "1e999", "-1", "0", "-0.000001", "1,234.5", "2147483648",
       "9223372036854775808", "99999999999999999999999999", "x" * 20_000, "a\x00b",
       "2026-02-30", "../../etc", "<script>"]  # fmt: skip
SKIP_LINKS = ("/api", "/logout", "/l/", "/static", "/w/", "/mail/u", "/p/")
PUBLIC = ("/f/", "/w/", "/p/", "/buy/", "/subscribe/", "/mail/u/", "/audience/preferences/")
VISITOR_START = ["/login", "/login/forgot", "/setup", "/partners/join", "/account"]
VISITOR_SKIP = ("/api", "/logout", "/l/", "/static", "/w/{", "/signout", "/deactivate")
SITE = "http://testserver"
TOKENS = ("token", "nonce", "csrf_token")  # hidden fields a page renders fresh each time
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
            value = a.get("value", "on" if kind == "checkbox" else "")
            if not value and (kind == "email" or a["name"] == "email"):
                value = f"v{secrets.token_hex(4)}@example.com"  # as a person would fill it
            if kind not in ("checkbox", "radio") or "checked" in a:
                self._fields.append((a["name"], value))
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


def public_world(db: Database) -> list[str]:
    """What the demo has no public page of: a sign-up form, a webinar, a shop with a funnel and
    a subscription; their pages."""
    shop = build_with_bumps(db)
    with db.session() as session:
        news = audience.create_list(session, "Forms list", double_opt_in=True).id
        forms.create_form(
            session,
            forms.FormInput(name="News", slug="news", list_ids=[news], wording="Send me news.",
                            field_names=["country"]),
        )  # fmt: skip
        webinars.add_webinar(
            session,
            webinars.WebinarDraft(name="class", title="The class", duration_minutes=45,
                                  schedule="jit:15", timezone="viewer", slug="class",
                                  list_id=news, consent_wording="Send me the class."),
        )  # fmt: skip
        member = commerce.add_product(session, commerce.ProductDraft("Members", "subscription"))
        monthly = commerce.PriceDraft("EUR", "10.00", interval="month")
        commerce.add_price(session, member.id, monthly)
        commerce.set_status(session, member.id, "active")
        slugs = [commerce.get_product(session, i).slug for i in shop.ids.values()]
        club = f"/subscribe/{member.slug}"
    return [club, "/f/news", "/w/class", "/p/launch", *(f"/buy/{s}" for s in slugs)]


def _refilled(client: TestClient, url: str, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields with the page's fresh hidden tokens (a sign-up's time trap waited out)."""
    page = Page()
    page.feed(client.get(url).text)
    fresh = dict(pair for _, pairs, _ in page.forms for pair in pairs)
    if "token" in fresh:
        time.sleep(FormPolicy().min_seconds)
    return [(name, fresh.get(name, value) if name in TOKENS else value) for name, value in fields]


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


class Found:
    """What a crawl saw: pages, answers by status, the 500s in words, public links met."""

    def __init__(self) -> None:
        self.pages = 0
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.public: list[str] = []


def explore(
    client: TestClient, seconds: float, start: list[str], skip: tuple[str, ...], found: Found
) -> None:
    """Crawl from `start` and post until `seconds` pass, noting what it finds in `found`."""
    deadline = time.monotonic() + seconds
    queue, seen, shapes = deque(start), set[str](), Counter[str]()
    statuses, failures = found.statuses, found.failures
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
        found.pages += 1
        for href in page.links + re.findall(rf'"{SITE}(/[^"<> ]*)"', response.text):
            link = html.unescape(href).split("#")[0].removeprefix(SITE)
            if link.startswith(PUBLIC):
                found.public.append(link)
            fresh = link.startswith("/") and link not in seen and shapes[_shape(link)] < 2
            if fresh and not link.startswith(skip):
                queue.append(link)
        if page.forms and skip is VISITOR_SKIP:
            time.sleep(FormPolicy().min_seconds)  # the sign-up forms' time trap
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
                    if answer.status_code < 400 and skip is VISITOR_SKIP:
                        fields = _refilled(client, url, fields)  # a nonce may be spent
                    if answer.status_code >= 500:
                        failures.append(f"POST {target} {name}={odd[:24]!r}: {answer.status_code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: run on a database made there")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-forms-"))
    db = fresh_database(args.postgres, folder, prefix="evergreen_forms")
    settings = Settings(env="test", data_dir=folder / "data", database_url=db.url)
    owner, visitor = Found(), Found()
    ends = time.monotonic() + args.seconds
    try:
        with db.session() as session:
            accounts.create_user(session, "owner@example.com", PASSWORD, Role.OWNER)
        load_demo(db, settings, date.today())
        pages = public_world(db)
        app = create_app(settings, database=db)
        with TestClient(app, raise_server_exceptions=False) as client:
            login = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token is not None
            client.post("/login", data={"email": "owner@example.com", "password": PASSWORD,
                                        "csrf_token": token.group(1)})  # fmt: skip
            explore(client, args.seconds / 2, ["/"], SKIP_LINKS, owner)
        with TestClient(app, raise_server_exceptions=False) as client:  # no session
            start = [*pages, *dict.fromkeys(owner.public), *VISITOR_START]
            explore(client, ends - time.monotonic(), start, VISITOR_SKIP, visitor)
    finally:
        db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        if args.postgres:
            drop_database(args.postgres, db.engine.url.database or "")
    for who, found in (("owner", owner), ("visitor", visitor)):
        statuses = dict(sorted(found.statuses.items()))
        print(f"{who}: {found.pages} pages, {sum(statuses.values())} posts: {statuses}")
        for failure in found.failures:
            print(failure)
    return 1 if owner.failures or visitor.failures else 0


if __name__ == "__main__":
    sys.exit(main())
