"""Issue 16's Done-means: two real `evergreen serve` processes (separate data folders, as two
machines) on one PostgreSQL and one Redis count the same visitors as one server fed the same
clicks, a link changed through one server changes on the other within the documented delay, and
with two `evergreen worker` beside them each periodic task runs once a minute for the cluster."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from evergreen import migrate
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.jobs import periodic_schedules
from evergreen.links.models import Click, ClickRollup, Link
from evergreen.periodic_runs import PROCESS, PeriodicRun
from tests.cli_helpers import run_cli
from tests.conftest import create_postgres_database, drop_postgres_database, require_service
from tests.e2e.conftest import Server, start_server, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OWNER = "owner@example.com"
PASSWORD = "a long enough passphrase"
HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CACHE_DELAY_S = 2.0  # docs/DEPLOY.md: a link changed on one server redirects so on all within 2 s
# Each worker checks the periodic schedule every second (EVERGREEN_PERIODIC_CHECK_S), so both
# ask for a minute within a few seconds of each other, not once a minute each from its start.
CHECK_S = 1
BOTH_ASKED_S = CHECK_S + 5  # every worker has checked within any window this long (loaded CI)

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
    """Servers and workers sharing one database, an API token of its owner, and when (wall
    clock) all of them were up."""

    url: str
    servers: list[Server]
    token: str
    workers: list[Server]
    up: float


def _database(tmp_path: Path, postgres: str) -> tuple[str, str]:
    """A fresh, migrated PostgreSQL database with an owner; its URL and an API token."""
    url = create_postgres_database(postgres)
    migrate.upgrade(url)  # once, as the deployment guide says, before the servers start
    env = {"EVERGREEN_DATABASE_URL": url, "EVERGREEN_DATA_DIR": str(tmp_path / "cli")}
    done = run_cli(["init", "--email", OWNER, "--password-stdin"], env, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    done = run_cli(["token", "create", "--email", OWNER], env)
    assert done.returncode == 0, done.stderr
    return url, next(word for word in done.stdout.split() if word.startswith("evg_"))


def _clusters(
    tmp_path: Path, postgres: str, redis: str, sizes: list[int], workers: list[int]
) -> list[Cluster]:
    """A database, that many servers and that many workers for each cluster (each its own
    queue name in the one Redis); every process started at once (each takes seconds)."""
    databases = [_database(tmp_path / f"db{n}", postgres) for n in range(len(sizes))]
    wanted = [(n, "server", m) for n, size in enumerate(sizes) for m in range(size)]
    wanted += [(n, "worker", m) for n, size in enumerate(workers) for m in range(size)]
    queue = f"cluster{time.monotonic_ns()}"
    with ThreadPoolExecutor(len(wanted)) as pool:
        starting = {
            (n, kind, m): pool.submit(
                start_server if kind == "server" else start_worker,
                tmp_path / f"db{n}" / f"{kind}{m}",
                # The ingester yields to redirects for a second at most (a loaded CI machine).
                env={
                    "EVERGREEN_REDIS_URL": redis,
                    "EVERGREEN_CLICK_INGEST_DELAY_S": "1",
                    "EVERGREEN_PERIODIC_CHECK_S": str(CHECK_S),
                    "EVERGREEN_QUEUE_NAME": f"{queue}-{n}",
                },
                database_url=databases[n][0],
            )
            for n, kind, m in wanted
        }
    up = time.time()
    failed = [future.exception() for future in starting.values() if future.exception()]
    if failed:
        for future in starting.values():
            if future.exception() is None:
                future.result().close()
        for url, _ in databases:
            drop_postgres_database(postgres, url)
        raise failed[0]
    return [
        Cluster(
            url,
            [starting[n, "server", m].result() for m in range(sizes[n])],
            token,
            [starting[n, "worker", m].result() for m in range(workers[n])],
            up,
        )
        for n, (url, token) in enumerate(databases)
    ]


def _close(clusters: list[Cluster], postgres: str) -> None:
    servers = [each for cluster in clusters for each in [*cluster.servers, *cluster.workers]]
    with ThreadPoolExecutor(len(servers)) as pool:  # each drains its spool as it stops
        codes = list(pool.map(Server.stop, servers))
    for cluster in clusters:
        drop_postgres_database(postgres, cluster.url)
    assert codes == [0] * len(servers), [server.lines[-5:] for server in servers]


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Cluster]]:
    """Two servers and two workers on one fresh PostgreSQL database, and one server alone on
    another, all on one Redis, for the whole module."""
    postgres = require_service("EVERGREEN_TEST_POSTGRES_URL")
    redis = require_service("EVERGREEN_TEST_REDIS_URL")
    started = _clusters(tmp_path_factory.mktemp("cluster"), postgres, redis, [2, 1], [2, 0])
    yield started
    _close(started, postgres)


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


def _count_what_one_server_counts(clusters: list[Cluster]) -> None:
    two, one = clusters
    answered = _drive(two)
    assert answered == len(_sequence())
    both = _figures(two.url, answered)
    # What the issue found wrong with two servers: 1 unique and 30 humans for the flooder.
    human = both["clicks"]
    assert human[("sale", "human", True)] == 3  # flooder, reader, sibling: one unique each
    assert human[("sale", "flood", False)] == 15
    assert human[("sale", "human", False)] == 29 + 5 + 3
    assert human[("sale", "bot", True)] == 1
    assert human[("sale", "bot", False)] == 4
    assert both["rollups"][("sale", "all", "")] == (60, 40, 3)  # unique: humans only
    # The same clicks through one server on a database of its own.
    assert _drive(one) == answered
    assert _figures(one.url, answered) == both


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


def _changes_reach_the_other_within_the_delay(clusters: list[Cluster]) -> None:
    first, other = clusters[0].servers
    token = clusters[0].token
    body = {"destination": "https://shop.example/old", "slug": "moving"}
    assert _api(first, token, "POST", "/links", body) == 201
    assert _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/old")) >= 0
    body["destination"] = "https://shop.example/new"
    assert _api(first, token, "PUT", "/links/moving", body) == 200
    _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/new"))
    assert _api(first, token, "PUT", "/links/moving", {**body, "disabled": True}) == 200
    _within(CACHE_DELAY_S, other, "moving", (404, ""))
    # The server that took the change refreshes on its own half-second beat, like any other.
    _within(CACHE_DELAY_S, first, "moving", (404, ""))
    assert _api(first, token, "PUT", "/links/moving", body) == 200  # enabled again
    _within(CACHE_DELAY_S, other, "moving", (302, "https://shop.example/new"))
    assert _api(first, token, "DELETE", "/links/moving") == 204
    _within(CACHE_DELAY_S, other, "moving", (404, ""))


def _processes(cluster: Cluster) -> set[str]:
    """host:pid of every process of the cluster, as periodic runs name them."""
    return {f"{PROCESS.rsplit(':', 1)[0]}:{each.process.pid}" for each in _members(cluster)}


def _members(cluster: Cluster) -> list[Server]:
    return [*cluster.servers, *cluster.workers]


def _runs(url: str) -> list[tuple[str, datetime, str, datetime]]:
    database = Database(url)
    try:
        with database.session(writer=False) as session:
            rows = session.execute(
                select(
                    PeriodicRun.task, PeriodicRun.minute, PeriodicRun.process,
                    PeriodicRun.started_at,
                )
            ).all()  # fmt: skip
    finally:
        database.dispose()
    return [(task, minute, process, started) for task, minute, process, started in rows]


def _both_asked(up: float) -> tuple[datetime, float]:
    """The first window of BOTH_ASKED_S seconds after `up` that lies in one wall-clock minute:
    that minute, and when the window ends. By then both workers have asked for that minute (at
    a check in the window, or at an earlier check of the same minute), and only one may have
    enqueued it."""
    start = up if up % 60 + BOTH_ASKED_S <= 60 else (up // 60 + 1) * 60
    return datetime.fromtimestamp(start, UTC).replace(second=0, microsecond=0), start + BOTH_ASKED_S


def _periodic_tasks_run_once_a_minute(clusters: list[Cluster], tmp_path: Path) -> None:
    """Both workers check the schedule every CHECK_S seconds: once both have asked for one
    minute, each every-minute task has run once for it and no minute ran twice; with Redis,
    `serve` runs no consumer, so the runs are the workers'."""
    cluster = clusters[0]
    every_minute = {
        name
        for name, words in periodic_schedules(Settings(data_dir=tmp_path)).items()
        if words == "every minute"
    }
    assert every_minute, "no every-minute periodic task: nothing would be checked"
    minute, asked = _both_asked(cluster.up)
    deadline = asked + 20
    while True:  # both workers asked for the minute, and each task's run for it recorded
        ran = {task for task, at, _process, _started in _runs(cluster.url) if at == minute}
        if time.time() >= asked and every_minute <= ran:
            break
        assert time.time() < deadline, f"not run for {minute:%H:%M}: {every_minute - ran}"
        time.sleep(0.5)
    time.sleep(2)  # a second run of the same minute, if any, has finished by now
    runs = _runs(cluster.url)
    per_minute = Counter((task, minute) for task, minute, _process, _started in runs)
    twice = {key: n for key, n in per_minute.items() if n != 1}
    assert twice == {}, f"periodic tasks run more than once for a minute: {twice}"
    assert {process for _task, _minute, process, _started in runs} <= _processes(cluster)
    assert not any(member.process.poll() is not None for member in _members(cluster))


def test_two_servers_and_two_workers_act_as_one_server(
    clusters: list[Cluster], tmp_path: Path
) -> None:
    """The three checks in one test, in this order, so that the cluster (half a minute to start)
    starts once, whichever test worker runs it."""
    _count_what_one_server_counts(clusters)
    _changes_reach_the_other_within_the_delay(clusters)
    _periodic_tasks_run_once_a_minute(clusters, tmp_path)
