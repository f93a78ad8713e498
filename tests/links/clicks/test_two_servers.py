"""Issue 16's Done-means: two real `evergreen serve` processes (separate data folders, as two
machines) on one PostgreSQL and one Redis count the same visitors as one server fed the same
clicks, and a link changed through one server changes on the other within the documented delay."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from evergreen import migrate
from evergreen.db import Database
from evergreen.links.models import Click, ClickRollup, Link
from tests.cli_helpers import run_cli
from tests.conftest import create_postgres_database, drop_postgres_database, require_service
from tests.e2e.conftest import Server, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OWNER = "owner@example.com"
PASSWORD = "a long enough passphrase"
HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CACHE_DELAY_S = 2.0  # docs/DEPLOY.md: a link changed on one server redirects so on all within 2 s

# (slug, IP, user agent): the same people through whichever server the balancer picks.
_VISITORS = {
    "flooder": ("sale", "203.0.113.7", HUMAN),  # 45 clicks in a few seconds: 30 human, 15 flood
    "reader": ("sale", "198.51.100.20", PHONE),
    "sibling": ("sale", "203.0.113.7", PHONE),  # the flooder's address, another browser
    "crawler": ("sale", "66.249.66.1", BOT),
    "second": ("blog", "198.51.100.20", PHONE),  # the reader again, on another link
}


def _sequence() -> list[str]:
    """Who clicks, in order: interleaved, so each visitor's clicks reach both servers."""
    order = ["flooder"] * 45 + ["reader"] * 6 + ["sibling"] * 4 + ["crawler"] * 5
    order += ["second"] * 3
    # A fixed shuffle (no randomness: both phases must see the same stream).
    return [order[(i * 37) % len(order)] for i in range(len(order))]


@dataclass
class Cluster:
    """Servers sharing one database, and an API token of its owner."""

    url: str
    servers: list[Server]
    token: str


def _cluster(tmp_path: Path, postgres: str, redis: str, servers: int) -> Cluster:
    url = create_postgres_database(postgres)
    migrate.upgrade(url)  # once, as the deployment guide says, before the servers start
    env = {"EVERGREEN_DATABASE_URL": url, "EVERGREEN_DATA_DIR": str(tmp_path / "cli")}
    done = run_cli(["init", "--email", OWNER, "--password-stdin"], env, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    done = run_cli(["token", "create", "--email", OWNER], env)
    assert done.returncode == 0, done.stderr
    token = next(word for word in done.stdout.split() if word.startswith("evg_"))
    with ThreadPoolExecutor(servers) as pool:  # started side by side: each takes seconds
        starting = [
            pool.submit(
                start_server,
                tmp_path / f"server{number}",
                env={"EVERGREEN_REDIS_URL": redis},
                database_url=url,
            )
            for number in range(servers)
        ]
    if any(future.exception() for future in starting):
        for future in starting:
            if future.exception() is None:
                future.result().close()
        drop_postgres_database(postgres, url)
        next(future.result() for future in starting if future.exception())
    return Cluster(url, [future.result() for future in starting], token)


def _close(cluster: Cluster, postgres: str) -> None:
    for server in cluster.servers:
        assert server.stop() == 0, "".join(server.lines)
    drop_postgres_database(postgres, cluster.url)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two servers on one fresh PostgreSQL database and one Redis, for the whole module."""
    postgres = require_service("EVERGREEN_TEST_POSTGRES_URL")
    redis = require_service("EVERGREEN_TEST_REDIS_URL")
    cluster = _cluster(tmp_path_factory.mktemp("two"), postgres, redis, 2)
    yield cluster
    _close(cluster, postgres)


def _api(server: Server, token: str, method: str, path: str, body: Any = None) -> int:
    request = urllib.request.Request(
        server.url + "/api/v1" + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _go(connection: http.client.HTTPConnection, slug: str, ip: str, agent: str) -> tuple[int, str]:
    """One click as the balancer forwards it; (status, Location)."""
    headers = {"User-Agent": agent, "X-Forwarded-For": ip}
    connection.request("GET", f"/go/{slug}", headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("Location") or ""


def _drive(cluster: Cluster) -> int:
    """Every visitor's clicks, alternating servers; the number of redirects answered."""
    for slug in ("sale", "blog"):
        body = {"destination": f"https://shop.example/{slug}", "slug": slug}
        assert _api(cluster.servers[0], cluster.token, "POST", "/links", body) == 201
    connections = [
        http.client.HTTPConnection("127.0.0.1", int(s.url.rsplit(":", 1)[1]), timeout=10)
        for s in cluster.servers
    ]
    answered = 0
    try:
        for number, who in enumerate(_sequence()):
            slug, ip, agent = _VISITORS[who]
            status, _ = _go(connections[number % len(connections)], slug, ip, agent)
            answered += status == 302
    finally:
        for connection in connections:
            connection.close()
    return answered


def _figures(url: str, answered: int) -> dict[str, Any]:
    """Per link: stored clicks by class and unique, and the rollups' totals, once every answered
    click is in the database (bounded wait)."""
    database = Database(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            with database.session() as session:
                stored = session.scalar(select(func.count()).select_from(Click))
            if stored == answered or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert stored == answered, "not every answered click was ingested within 20 s"
        with database.session() as session:
            clicks = session.execute(
                select(Link.slug, Click.klass, Click.is_unique, func.count())
                .join(Link, Link.id == Click.link_id)
                .group_by(Link.slug, Click.klass, Click.is_unique)
            ).all()
            rollups = session.execute(
                select(
                    Link.slug, ClickRollup.dimension, ClickRollup.value,
                    func.sum(ClickRollup.total), func.sum(ClickRollup.human),
                    func.sum(ClickRollup.unique),
                )
                .join(Link, Link.id == ClickRollup.link_id)
                .where(ClickRollup.dimension.in_(["all", "class"]))
                .group_by(Link.slug, ClickRollup.dimension, ClickRollup.value)
            ).all()  # fmt: skip
    finally:
        database.dispose()
    return {
        "clicks": {(slug, klass, unique): n for slug, klass, unique, n in clicks},
        "rollups": {tuple(row[:3]): tuple(int(n) for n in row[3:]) for row in rollups},
    }


def test_two_servers_count_what_one_server_counts(two_servers: Cluster, tmp_path: Path) -> None:
    answered = _drive(two_servers)
    assert answered == len(_sequence())
    both = _figures(two_servers.url, answered)
    # What the issue found wrong with two servers: 1 unique and 30 humans for the flooder.
    human = both["clicks"]
    assert human[("sale", "human", True)] == 3  # flooder, reader, sibling: one unique each
    assert human[("sale", "flood", False)] == 15
    assert human[("sale", "human", False)] == 29 + 5 + 3
    assert human[("sale", "bot", True)] == 1
    assert human[("sale", "bot", False)] == 4
    assert both["rollups"][("sale", "all", "")] == (60, 40, 3)  # unique: humans only
    # The same clicks through one server on a fresh database.
    postgres = require_service("EVERGREEN_TEST_POSTGRES_URL")
    one = _cluster(tmp_path, postgres, require_service("EVERGREEN_TEST_REDIS_URL"), 1)
    try:
        assert _drive(one) == answered
        alone = _figures(one.url, answered)
    finally:
        _close(one, postgres)
    assert both == alone


def _location(server: Server, slug: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    try:
        return _go(connection, slug, "192.0.2.9", HUMAN)
    finally:
        connection.close()


def _within(delay: float, server: Server, slug: str, wanted: tuple[int, str]) -> float:
    """Seconds until `server` answers `wanted` for `slug` (fails past `delay`)."""
    start = time.monotonic()
    while (answer := _location(server, slug)) != wanted:
        assert time.monotonic() - start < delay, f"{server.url} still answers {answer}"
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_link_changed_through_one_server_changes_on_the_other_within_the_delay(
    two_servers: Cluster,
) -> None:
    first, other = two_servers.servers
    token = two_servers.token
    body = {"destination": "https://shop.example/old", "slug": "moving"}
    assert _api(first, token, "POST", "/links", body) == 201
    assert _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/old")) >= 0
    body["destination"] = "https://shop.example/new"
    assert _api(first, token, "PUT", "/links/moving", body) == 200
    _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/new"))
    assert _api(first, token, "PUT", "/links/moving", {**body, "disabled": True}) == 200
    _within(CACHE_DELAY_S, other, "moving", (404, ""))
    assert _location(first, "moving") == (404, "")
    assert _api(first, token, "PUT", "/links/moving", body) == 200  # enabled again
    _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/new"))
    assert _api(first, token, "DELETE", "/links/moving") == 204
    _within(CACHE_DELAY_S, other, "moving", (404, ""))
