"""Redirects keep working while the database is away; the clicks arrive when it is back."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import service
from evergreen.links.clicks.ingest import spool_folder
from evergreen.links.clicks.stats import link_stats
from evergreen.links.drafts import LinkDraft
from evergreen.web import create_app
from tests.conftest import TEST_SECRET, truncate_all
from tests.waiting import wait_for

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that can be cut, to make the database unreachable."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._listen(0))

    def call(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)  # type: ignore[arg-type]

    async def _listen(self, port: int) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers.update({writer, upstream_writer})
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def cut(self) -> None:
        """Drop every connection and stop listening: the database is gone."""
        self.call(self._cut())

    def restore(self) -> None:
        """Listen again on the same port."""
        self.call(self._listen(self.port))

    def close(self) -> None:
        self.call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _count(db: Database, slug: str) -> int:
    with db.session(writer=False) as session:  # a read never waits for the write lock
        return link_stats(session, service.get_link(session, slug).id).total_clicks


@pytest.fixture
def proxied(postgres_database: str, tmp_path: Path) -> Iterator[tuple[TcpProxy, str]]:
    """The test database reached through a proxy that the test can cut."""
    url = make_url(postgres_database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy, proxied_url
    proxy.close()
    truncate_all(postgres_database)


@pytest.mark.postgres
def test_postgres_outage_keeps_redirecting_and_loses_no_click(
    proxied: tuple[TcpProxy, str], postgres_database: str, tmp_path: Path
) -> None:
    proxy, url = proxied
    direct = Database(postgres_database)
    with direct.session() as session:
        service.create_link(session, LinkDraft(destination="https://shop.example/", slug="outage"))
    settings = Settings(env="test", data_dir=tmp_path, database_url=url, secret_key=TEST_SECRET)  # type: ignore[arg-type]
    try:
        with TestClient(create_app(settings)) as client:
            headers = {"User-Agent": UA}
            for _ in range(5):
                assert (
                    client.get("/go/outage", headers=headers, follow_redirects=False).status_code
                    == 302
                )
            proxy.cut()
            for _ in range(20):  # the database is unreachable for every one of them
                response = client.get("/go/outage", headers=headers, follow_redirects=False)
                assert response.status_code == 302
            assert client.get("/healthz").status_code == 503  # still away: nothing was ingested
            proxy.restore()
            # The background ingester, failing meanwhile, catches up once the database is back.
            assert wait_for(lambda: _count(direct, "outage") == 25, 60, every=0.1)
        assert _count(direct, "outage") == 25
    finally:
        direct.dispose()


def _spooled(settings: Settings) -> int:
    """Clicks written to the spool (answered, durable) whether or not ingested yet."""
    folder = spool_folder(settings)
    return sum(path.read_bytes().count(b"\n") for path in folder.glob("*.clicks"))


def test_sqlite_locked_by_another_writer_does_not_block_redirects(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "busy.db"
    shutil.copyfile(sqlite_template, path)
    database_url = f"sqlite:///{path}"
    db = Database(database_url)
    settings = Settings(
        env="test", data_dir=tmp_path, database_url=database_url, secret_key=TEST_SECRET
    )  # type: ignore[arg-type]
    with db.session() as session:
        service.create_link(session, LinkDraft(destination="https://shop.example/", slug="busy"))
    with TestClient(create_app(settings, database=db)) as client:
        blocker = sqlite3.connect(make_url(database_url).database or "", timeout=1)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            # The lock is held until every redirect has answered: one that needed the database
            # would fail (or wait out the busy timeout and fail), never answer 302.
            for _ in range(10):
                response = client.get(
                    "/go/busy", headers={"User-Agent": UA}, follow_redirects=False
                )
                assert response.status_code == 302
            assert _spooled(settings) == 10  # each click durable before its answer...
            assert _count(db, "busy") == 0  # ...and none could reach the database yet
        finally:
            blocker.rollback()
            blocker.close()
        # The background ingester, which failed while the lock was held, catches up by itself.
        assert wait_for(lambda: _count(db, "busy") == 10, 60, every=0.1), _count(db, "busy")
    assert _count(db, "busy") == 10
    db.dispose()
