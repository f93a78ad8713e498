"""The API answers as its OpenAPI document says, for every operation and role (schemathesis)."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.hypothesis import builder
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from evergreen.config import Settings
from evergreen.db import Database
from tests.conftest import TEST_SECRET, route_analysis_reused
from tests.http_helpers import token_for

# Bounded (the suite keeps under 10 minutes): each operation gets this many generated requests
# and schemathesis's coverage cases (every boundary and wrong type of every parameter, ~30 per
# operation), each sent as one role, in turn, so every role meets every operation's input. What
# each role may do is tests/web/test_access_http.py's (every route as every role): sending every
# generated request as all three roles again was a third of this file's requests.
EXAMPLES = 5
ROLES = ("owner", "staff", "partner")
_TURN = itertools.count()
# The operations whose authentication has been seen enforced: a success sent with a token was
# sent again without one and with a wrong one, and both were refused. As in schemathesis's own
# runner, enforcement is a property of the operation, confirmed once (those two probes after
# every success were a fifth of all requests).
_AUTH_ENFORCED: set[str] = set()


@pytest.fixture(scope="module")
def _people_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[Path, dict[str, str]]:
    """The migrated template with one person of each role and a token each, made once: every
    operation starts from a copy of it."""
    from evergreen.accounts import service as accounts
    from evergreen.accounts.rules import Role
    from tests.http_helpers import PASSWORD

    path = tmp_path_factory.mktemp("contract") / "people.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    with db.session() as session:
        for role in Role:
            accounts.create_user(session, f"{role.value}@example.com", PASSWORD, role)
    tokens = {role: token_for(db, f"{role}@example.com") for role in ROLES}
    db.dispose()  # the last connection closed: the WAL is folded into the file
    return path, tokens


@pytest.fixture(scope="module")
def _contract_app(
    tmp_path_factory: pytest.TempPathFactory, _people_template: tuple[Path, dict[str, str]]
) -> Iterator[tuple[Any, Database, Path]]:
    """One started app for the operations this process runs. A new app costs more than most
    operations' requests: FastAPI analyses each of its ~700 routes at its first requests."""
    from evergreen.web import create_app

    template, _tokens = _people_template
    folder = tmp_path_factory.mktemp("contract-app")
    path = folder / "evergreen.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    settings = Settings(
        env="test",
        data_dir=folder / "data",
        database_url=url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
    )
    app = create_app(settings, database=db, background=False)
    with TestClient(app):
        yield app, db, path
    db.dispose()


# Schemathesis makes every operation's coverage cases (~12,000 in all, a hypothesis search for
# many) when it builds the operation's test, at collection: each xdist worker paid for all of
# them before its first test (~8 s of its ~11 s collecting this file, on a loaded 2-core
# machine). This file's operations keep the call and make them when their test starts (see
# `api`), so each operation's cases are made once, by the worker that runs it.
_add_coverage = builder.add_coverage
_DEFERRED = "_evergreen_deferred_coverage"


def _coverage_when_run(test: Any, *args: Any, **kwargs: Any) -> Any:
    """builder.add_coverage for this file's test, kept to be made when the test runs."""
    if getattr(test, "__name__", None) != "test_every_operation_answers_as_documented":
        return _add_coverage(test, *args, **kwargs)
    setattr(test, _DEFERRED, (args, kwargs))
    return test


builder.add_coverage = _coverage_when_run  # type: ignore[assignment]


def _add_deferred_coverage(test: Any) -> None:
    """Attach the coverage cases kept by _coverage_when_run (once) as hypothesis examples, after
    the document's own examples, as schemathesis would have at collection."""
    deferred = getattr(test, _DEFERRED, None)
    if deferred is not None:
        delattr(test, _DEFERRED)
        args, kwargs = deferred
        _add_coverage(test, *args, **kwargs)


@pytest.fixture
def api(
    request: pytest.FixtureRequest,
    _contract_app: tuple[Any, Database, Path],
    _people_template: tuple[Path, dict[str, str]],
) -> tuple[Any, dict[str, str]]:
    """The app on a database made anew for this operation: the template's pages written over
    the app's file by SQLite's own backup, so pooled connections see the new file as they would
    another process's commit; nothing an earlier operation wrote is left."""
    _add_deferred_coverage(request.node.obj)
    app, db, path = _contract_app
    template, tokens = _people_template
    db.dispose()
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
    return app, tokens


def _document() -> dict[str, Any]:
    """The OpenAPI document, read from an app that is never started (no database is opened).
    Its route analysis (~1 s) is kept for the apps this process builds later, as theirs are."""
    from evergreen.web import create_app

    folder = Path(tempfile.mkdtemp(prefix="evergreen-openapi-"))
    settings = Settings(
        env="test",
        data_dir=folder,
        database_url=f"sqlite:///{folder / 'unused.db'}",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
    )
    with route_analysis_reused():
        document = create_app(settings, background=False).openapi()
    shutil.rmtree(folder, ignore_errors=True)
    return document


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, api: tuple[Any, dict[str, str]]) -> None:
    app, tokens = api
    # The document is read once at import; every request goes to the started app (probes too).
    case.operation.schema.app = case.operation.app = app
    role = ROLES[next(_TURN) % len(ROLES)]
    confirmed = case.operation.label in _AUTH_ENFORCED
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {tokens[role]}"},
        # The services refuse more than JSON Schema can say (an http(s) destination, an email
        # domain that exists); those refusals are the documented 422 with the field named.
        # Pydantic's lax mode reads "5" as 5 and 0 as false, as FastAPI clients expect.
        excluded_checks=[positive_data_acceptance, negative_data_rejection]
        + ([ignored_auth] if confirmed else []),
        # A loaded 2-core CI machine answered one request past schemathesis's 10 s default
        # (a write waits up to 3 x the lock timeout for its turn).
        timeout=30,
    )
    # ignored_auth probes a success unless a path parameter was broken on purpose.
    path_broken = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if not confirmed and 200 <= response.status_code < 300 and not path_broken:
        _AUTH_ENFORCED.add(case.operation.label)
