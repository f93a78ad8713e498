"""The suite itself: no test may wait without a bound."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_every_test_runs_under_a_time_limit(request: pytest.FixtureRequest) -> None:
    assert request.config.pluginmanager.hasplugin("timeout")
    assert float(request.config.getini("timeout")) > 0


def test_a_test_that_hangs_fails_instead_of_stalling_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_hang.py").write_text("import time\n\ndef test_hang():\n    time.sleep(60)\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=1",
         str(tmp_path / "test_hang.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=50, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout
    assert "Timeout" in run.stdout + run.stderr


def test_only_the_suite_hashes_passwords_cheaply() -> None:
    from evergreen.accounts.service import hashing, passwords
    from tests.conftest import SHIPPED_HASHER

    # What ships: argon2's RFC 9106 low-memory profile, 64 MiB over 3 passes.
    assert (SHIPPED_HASHER.time_cost, SHIPPED_HASHER.memory_cost) == (3, 65536)
    assert SHIPPED_HASHER.parallelism == 4
    # What the suite uses in this process instead, in every module that holds the hasher.
    assert hashing.hasher is passwords.hasher is not SHIPPED_HASHER
    assert hashing.hasher.hash("x").startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_apps_built_in_the_suite_are_described_as_shipped(tmp_path: Path) -> None:
    from fastapi import applications, routing

    from evergreen.config import Settings
    from evergreen.web import create_app
    from tests import conftest

    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        secret_key=conftest.TEST_SECRET,  # type: ignore[arg-type]
    )
    # The suite reuses route analysis and documents across apps (tests/conftest.py) ...
    assert routing.get_dependant is conftest._reused_dependant
    assert applications.get_openapi is conftest._reused_openapi
    create_app(settings, background=False).openapi()
    reused = create_app(settings, background=False).openapi()
    # ... and an app analysed and described from scratch, as shipped, reads the same.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(routing, "get_dependant", conftest._analyse)
        patch.setattr(routing, "_get_body_field", conftest._body_field)
        patch.setattr(routing, "create_model_field", conftest._model_field)
        patch.setattr(applications, "get_openapi", conftest._get_openapi)
        shipped = create_app(settings, background=False).openapi()
    assert reused == shipped
    assert reused is not shipped
    assert len(reused["paths"]) > 100
