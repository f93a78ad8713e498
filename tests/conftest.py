"""Shared fixtures: every storage test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import copy
import dataclasses
import gc
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Isolate the whole run from the developer's own data before evergreen is imported.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="evergreen-tests-"))
os.environ["EVERGREEN_DATA_DIR"] = str(_RUN_DIR / "default-data")
os.environ["EVERGREEN_ENV"] = "test"
for _name in ("EVERGREEN_DATABASE_URL", "EVERGREEN_REDIS_URL", "EVERGREEN_SECRET_KEY"):
    os.environ.pop(_name, None)

import pytest
from argon2 import PasswordHasher
from fastapi import applications as fastapi_applications
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from starlette import testclient as starlette_testclient

from evergreen import migrate
from evergreen.accounts.service import hashing
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.models import metadata
from tests.onehop import OneHopTransport

pytest_plugins = ["tests.cputime"]  # EVERGREEN_TEST_CPU=FILE: CPU seconds per test

IN_CI = os.environ.get("CI", "").lower() == "true"

# Properties are judged by what they find, not by how fast one example runs: on a loaded machine
# (two pytest workers on two cores) the 200 ms default deadline fails correct code at random.
# Every test still has pytest-timeout's bound.
hypothesis_settings.register_profile("evergreen", deadline=None)
hypothesis_settings.load_profile("evergreen")
TEST_SECRET = "test-key-" + "x7Qp2Lm9Rt4Vz8Kc1Nb6Hd3Fs5Gj0Wy"


def require_service(variable: str) -> str:
    """The URL of a real local service; skipped on a laptop without it, a failure under CI."""
    value = os.environ.get(variable)
    if value:
        return value
    if IN_CI:
        pytest.fail(f"{variable} must be set under CI: PostgreSQL and Redis tests may not skip")
    pytest.skip(f"{variable} is not set")


def _admin_engine(server_url: str):  # type: ignore[no-untyped-def]
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_postgres_database(server_url: str) -> str:
    """Create a uniquely named database on the test server and return its URL."""
    name = f"evergreen_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(server_url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, url: str) -> None:
    """Drop a database made by create_postgres_database, closing stray connections first."""
    name = make_url(url).database
    engine = _admin_engine(server_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# Argon2 as shipped (64 MiB, 3 passes) costs ~0.1 s a hash, ~1 s on a loaded 2-core CI machine,
# paid by every account a test creates and every sign-in. In this process the suite hashes with
# one pass over 8 KiB (still Argon2id, the same code path); tests/test_suite.py checks the
# shipped parameters, and servers started as child processes keep them.
SHIPPED_HASHER = hashing.hasher
_SUITE_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# The run's children (servers, workers, sending processes, commands killed on purpose) keep their
# compiled modules in one folder: with PYTHONDONTWRITEBYTECODE set (as on this project's machines)
# each child compiled every module it imports again, ~1 s of CPU a child.
_BYTECODE = Path(tempfile.gettempdir()) / "evergreen-tests-bytecode"


def pytest_configure(config: pytest.Config) -> None:
    """Before xdist starts its workers: children compile once per run, not once each."""
    del config
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) and "PYTHONPYCACHEPREFIX" not in os.environ:
        os.environ["PYTHONPYCACHEPREFIX"] = str(_BYTECODE)


@pytest.fixture(scope="session", autouse=True)
def _long_lived_objects_frozen() -> None:
    """What the session starts with (modules, collected tests: ~500,000 objects) kept out of the
    garbage collector's scans: each full collection walked them all again, ~0.3 s every few
    apps a test builds."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Point every module that imported the shipped hasher at the cheap one, for the session."""
    with pytest.MonkeyPatch.context() as patch:
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("evergreen."):
                for name, value in list(vars(module).items()):
                    if value is SHIPPED_HASHER:
                        patch.setattr(module, name, _SUITE_HASHER)
        yield


# Each create_app (a test's client, a live server, each API contract operation) had FastAPI
# analyse the ~700 route signatures again (pydantic adapters for every parameter): ~0.5 s an app,
# ~2 s on a loaded machine, the largest cost of the HTTP tests. The analysis is a function of the
# endpoint and its path alone, so the suite reuses it across apps; each app gets its own copy of
# the lists FastAPI adds the route's dependencies to.
_ANALYSED: dict[tuple[str, object, object], Any] = {}
_analyse = fastapi_routing.get_dependant


def _reused_dependant(*, path: str, call: Any, scope: Any = None, **rest: Any) -> Any:
    """fastapi.routing.get_dependant, answered from the analyses of earlier apps."""
    key = (path, call, scope)
    try:
        found = None if rest else _ANALYSED.get(key)
    except TypeError:  # an unhashable callable: analysed each time, as without the reuse
        return _analyse(path=path, call=call, scope=scope, **rest)
    if found is None:
        if rest:
            return _analyse(path=path, call=call, scope=scope, **rest)
        if len(_ANALYSED) > 8192:  # endpoints made per app (closures) must not pile up
            _ANALYSED.clear()
        found = _ANALYSED[key] = _analyse(path=path, call=call, scope=scope)
    return _copied(found)


def _copied(found: Any) -> Any:
    """A shared analysis with lists of its own, which FastAPI adds the route's dependencies to."""
    mine = copy.copy(found)
    for each in dataclasses.fields(mine):
        value = getattr(mine, each.name)
        if isinstance(value, list):
            setattr(mine, each.name, list(value))
    return mine


# Each app's first request builds the effective routes of its included routers (FastAPI 0.165):
# every route's and router's `dependencies=[...]` analysed again, and every path compiled again
# (~700, past the `re` module's cache of 512): ~0.35 s of the ~0.5 s that first request took.
_SUBS: dict[tuple[Any, ...], Any] = {}
_sub_dependant = fastapi_routing.get_parameterless_sub_dependant
_PATHS: dict[str, tuple[Any, str, dict[str, Any]]] = {}
_compile_path = fastapi_routing.compile_path


def _reused_sub_dependant(*, depends: Any, path: str) -> Any:
    """fastapi.routing.get_parameterless_sub_dependant, answered from earlier apps' analyses; a
    dependency with a concurrency limit of its own is analysed each time."""
    if getattr(depends, "_concurrency", None) is not None:
        return _sub_dependant(depends=depends, path=path)
    scopes = tuple(getattr(depends, "scopes", None) or ())
    key = (path, type(depends), depends.dependency, depends.scope, scopes)
    try:
        found = _SUBS.get(key)
    except TypeError:  # an unhashable callable: analysed each time
        return _sub_dependant(depends=depends, path=path)
    if found is None:
        if len(_SUBS) > 8192:
            _SUBS.clear()
        found = _SUBS[key] = _sub_dependant(depends=depends, path=path)
    return _copied(found)


def _reused_compiled_path(path: str) -> tuple[Any, str, dict[str, Any]]:
    """fastapi.routing.compile_path, answered from earlier apps (a dict of convertors each)."""
    found = _PATHS.get(path)
    if found is None:
        if len(_PATHS) > 8192:
            _PATHS.clear()
        found = _PATHS[path] = _compile_path(path)
    regex, shown, convertors = found
    return regex, shown, dict(convertors)


# The rest of a route's analysis is pydantic models built from the same inputs each app: the
# combined request body of a route (built from its dependant's fields, reused above) and its
# response models. Both are read-only once built, so apps of one process share them too.
_BODIES: dict[tuple[str, bool, tuple[int, ...]], tuple[list[Any], Any]] = {}
_FIELDS: dict[tuple[str, object, str], Any] = {}
_body_field = fastapi_routing._get_body_field
_model_field = fastapi_routing.create_model_field


def _reused_body_field(*, body_params: list[Any], name: str, embed_body_fields: bool) -> Any:
    """fastapi.routing._get_body_field, answered from earlier apps for the same fields."""
    key = (name, embed_body_fields, tuple(id(field) for field in body_params))
    found = _BODIES.get(key)
    if found is None:
        if len(_BODIES) > 8192:
            _BODIES.clear()
        field = _body_field(body_params=body_params, name=name, embed_body_fields=embed_body_fields)
        # The params are kept with the answer, so their ids in the key cannot be reused.
        found = _BODIES[key] = (list(body_params), field)
    return found[1]


def _reused_model_field(name: str, type_: Any, *args: Any, **kwargs: Any) -> Any:
    """fastapi.routing.create_model_field for a response model, answered from earlier apps."""
    mode = kwargs.get("mode", "validation")
    if args or set(kwargs) - {"mode"}:
        return _model_field(name, type_, *args, **kwargs)
    key = (name, type_, mode)
    try:
        found = _FIELDS.get(key)
    except TypeError:  # an unhashable annotation: built each time
        return _model_field(name, type_, mode=mode)
    if found is None:
        if len(_FIELDS) > 8192:
            _FIELDS.clear()
        found = _FIELDS[key] = _model_field(name, type_, mode=mode)
    return found


# An app's OpenAPI document (~0.3-0.6 s to build) is made the first time the app is asked for it:
# /api/openapi.json, the docs, and every unknown API path (its 405 names the methods the document
# lists). Test apps with the same routes get the same document, so each gets a copy of the first.
_DOCUMENTS: dict[tuple[Any, ...], dict[str, Any]] = {}
_get_openapi = fastapi_applications.get_openapi


def _calls(dependant: Any) -> tuple[Any, ...]:
    """What a route's parameters are built from: each dependency's callable and its params."""
    own = tuple(
        (kind, tuple(getattr(param, "name", "") for param in getattr(dependant, kind)))
        for kind in ("path_params", "query_params", "header_params", "cookie_params", "body_params")
    )
    return (dependant.call, own, tuple(_calls(sub) for sub in dependant.dependencies))


def _routes_key(routes: Any) -> tuple[Any, ...]:
    """Everything of the routes that the document is made of; endpoints by identity, so an app
    whose routes close over their own values never shares another's document."""
    key: list[Any] = []
    for context in fastapi_routing.iter_route_contexts(routes):
        route = context.original_route
        if not getattr(route, "include_in_schema", True):  # not in the document
            key.append((type(route), context.path, tuple(sorted(context.methods or ()))))
            continue
        simple = tuple(
            repr(getattr(route, name, None))
            for name in (
                "name", "summary", "description", "tags", "responses", "response_model",
                "status_code", "operation_id", "deprecated", "openapi_extra", "response_class",
                "response_description", "include_in_schema", "callbacks", "unique_id",
            )
        )  # fmt: skip
        dependant = getattr(context, "dependant", None) if isinstance(route, APIRoute) else None
        fields = (
            id(getattr(route, "body_field", None)),
            id(getattr(route, "response_field", None)),
            tuple(
                sorted((str(k), id(v)) for k, v in getattr(route, "response_fields", {}).items())
            ),
        )
        key.append(
            (
                type(route),
                context.path,
                tuple(sorted(context.methods or ())),
                getattr(route, "endpoint", None),
                simple,
                fields if dependant is not None else (),
                _calls(dependant) if dependant is not None else (),
            )
        )
    return tuple(key)


def _reused_openapi(**parts: Any) -> dict[str, Any]:
    """fastapi.applications.get_openapi, answered with a copy of an earlier app's document."""
    try:
        key = tuple(
            (name, _routes_key(value) if name in ("routes", "webhooks") else repr(value))
            for name, value in sorted(parts.items())
        )
        found = _DOCUMENTS.get(key)
    except TypeError:  # something unhashable: built each time, as without the reuse
        return _get_openapi(**parts)  # type: ignore[no-any-return]
    if found is None:
        if len(_DOCUMENTS) > 64:
            _DOCUMENTS.clear()
        found = _DOCUMENTS[key] = _get_openapi(**parts)
    # Each app changes its own (describe_errors; servers behind a root path).
    return copy.deepcopy(found)


@pytest.fixture(scope="session", autouse=True)
def _one_hop_test_client() -> Iterator[None]:
    """Every TestClient (the suite's and schemathesis's) crosses into the app once a request
    (tests/onehop.py), not eight times."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(starlette_testclient, "_TestClientTransport", OneHopTransport)
        yield


@contextmanager
def route_analysis_reused() -> Iterator[None]:
    """Route analysis and documents shared by the apps of one test process (see
    _reused_dependant); also for an app built at collection, before the session starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastapi_routing, "get_dependant", _reused_dependant)
        patch.setattr(fastapi_routing, "get_parameterless_sub_dependant", _reused_sub_dependant)
        patch.setattr(fastapi_routing, "compile_path", _reused_compiled_path)
        patch.setattr(fastapi_routing, "_get_body_field", _reused_body_field)
        patch.setattr(fastapi_routing, "create_model_field", _reused_model_field)
        patch.setattr(fastapi_applications, "get_openapi", _reused_openapi)
        yield


@pytest.fixture(scope="session", autouse=True)
def _reuse_route_analysis() -> Iterator[None]:
    """Route analysis shared by the apps of one test process, for the session."""
    with route_analysis_reused():
        yield


@pytest.fixture(scope="session")
def run_dir() -> Iterator[Path]:
    """A folder for this test run, removed at the end."""
    yield _RUN_DIR
    shutil.rmtree(_RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(run_dir: Path) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = run_dir / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server given by EVERGREEN_TEST_POSTGRES_URL."""
    return require_service("EVERGREEN_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """One migrated database for the run; tests empty its tables after use."""
    url = create_postgres_database(postgres_server)
    migrate.upgrade(url)
    yield url
    drop_postgres_database(postgres_server, url)


def truncate_all(url: str) -> None:
    """Return every table to the state a TRUNCATE ... RESTART IDENTITY leaves (empty, its
    sequences restarted), deleting the rows of only the tables that hold any. TRUNCATE ...
    CASCADE rewrites every table that references the one named (~0.2 s after each of ~700
    tests, for `users` alone); a DELETE of a test's few rows takes milliseconds. Rows come back
    in no promised order afterwards, as on any live PostgreSQL: tests say ORDER BY."""
    order = [t.name for t in metadata.sorted_tables]
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        # A table that never held a row has no pages; one that did is asked whether it still does.
        touched = set(
            conn.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relkind = 'r' "
                    "AND relnamespace = current_schema()::regnamespace "
                    "AND pg_relation_size(oid) > 0"
                )
            ).scalars()
        ).intersection(order)
        if touched:
            probe = " UNION ALL ".join(
                f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in touched
            )
            full = set(conn.execute(text(probe)).scalars())
            for name in reversed(order):  # the tables that reference others first
                if name in full:
                    conn.execute(text(f'DELETE FROM "{name}"'))
        # A sequence can also move without a row kept (an insert that failed).
        moved = conn.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).scalars()
        restarts = [f"ALTER SEQUENCE {name} RESTART" for name in moved]
        if restarts:
            conn.execute(text("; ".join(restarts)))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, of this test's own (migrations run up and down)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    url = create_postgres_database(server)
    yield url
    drop_postgres_database(server, url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL one emptied."""
    if request.param == "sqlite":
        path = tmp_path / "evergreen.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    truncate_all(url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The database the services under test write to."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def pg(postgres_database: str) -> Iterator[Database]:
    """The shared PostgreSQL database alone, for what only PostgreSQL has (advisory locks,
    planner statistics); emptied afterwards."""
    database = Database(postgres_database)
    yield database
    database.dispose()
    truncate_all(postgres_database)


@pytest.fixture
def people(db: Database) -> dict[str, str]:
    """An owner, a staff member and a partner, by role."""
    from evergreen.accounts import service as accounts
    from evergreen.accounts.rules import Role
    from tests.http_helpers import PASSWORD

    emails = {
        Role.OWNER: "owner@example.com",
        Role.STAFF: "staff@example.com",
        Role.PARTNER: "partner@example.com",
    }
    with db.session() as session:
        for role, email in emails.items():
            accounts.create_user(session, email, PASSWORD, role)
    return {role.value: email for role, email in emails.items()}


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A client of the real app, sharing the test's database."""
    from evergreen.web import create_app

    with TestClient(create_app(settings, database=db)) as test_client:
        yield test_client


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data folder and database."""
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
    )


# The tests that run longest (a browser each, a walk over every route, a cluster of processes),
# started first: with --dist worksteal a long test left to the end of a worker's share runs
# alone while the other cores sit idle. The order is otherwise the collection's, the same on
# every worker.
_LONG = (
    "tests/web/test_access_http.py::test_every_route_",
    "tests/web/test_api_contract.py::",
    "tests/sequences/test_reliability.py::",
    "tests/links/clicks/test_two_servers.py::",  # ~1 minute: five processes started, watched
)


# Pages, HTTP routes and commands are tested on SQLite; the services and queries under them run
# on both databases in their own tests. A page/HTTP/CLI test whose promise involves the database
# itself (64 callers at once, exactly once, odd or huge input, search and paging) is marked
# `both_databases` and runs on PostgreSQL too.
_PAGE_TESTS = re.compile(r"(_http|_page|_pages|_cli|/test_cli|/views/test_[^/]*)\.py::")


def _page_test_on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("database_url") != "postgresql":
        return False
    return bool(_PAGE_TESTS.search(item.nodeid)) and not item.get_closest_marker("both_databases")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Page tests' PostgreSQL variants out (unless marked), long tests first (stable: everything
    else keeps its order)."""
    dropped = [item for item in items if _page_test_on_postgres(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _page_test_on_postgres(item)]
    items.sort(
        key=lambda item: (
            0 if item.get_closest_marker("browser") or item.nodeid.startswith(_LONG) else 1
        )
    )


_REAL_SERVICES = {
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "browser": "Chromium",
    "postfix": "postfix",
}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran against each real service, so a skipped service cannot hide."""
    counts = {name: {"passed": 0, "failed": 0, "skipped": 0} for name in _REAL_SERVICES}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            for marker in _REAL_SERVICES:
                if marker in keywords and report.when in ("call", "setup"):
                    if outcome == "passed" and report.when != "call":
                        continue
                    counts[marker][outcome] += 1
    parts = [
        f"{label}: {counts[m]['passed']} passed, {counts[m]['failed']} failed, "
        f"{counts[m]['skipped']} skipped"
        for m, label in _REAL_SERVICES.items()
    ]
    terminalreporter.write_line("real services -- " + "; ".join(parts))
