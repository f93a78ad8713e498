"""The import contracts between areas hold, and they fail the build when broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports_command as lint; sys.exit(lint())"


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("where", "line", "contract"),
    [
        # One area reading another's tables instead of its queries.
        ("networks/leak.py", "from evergreen.links.models import Link", "service and queries"),
        # A rule reaching for the database.
        ("partners/rules/leak.py", "from evergreen.db import utcnow", "Rules are pure"),
        # The web kit naming an area.
        ("web/leak.py", "from evergreen.links import service", "names no product area"),
    ],
)
def test_a_violation_fails_the_check(tmp_path: Path, where: str, line: str, contract: str) -> None:
    copy = tmp_path / "src" / "evergreen"
    shutil.copytree(ROOT / "src" / "evergreen", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / where).write_text(f'"""A deliberate violation."""\n\n{line}\n')
    result = _lint(tmp_path / "src")
    assert result.returncode == 1, result.stdout
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(contract in row for row in broken), result.stdout
    assert where.removesuffix(".py").replace("/", ".") in result.stdout
