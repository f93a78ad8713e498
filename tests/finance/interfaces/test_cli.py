"""`evergreen finance` as a person runs it: a real process, the library's numbers, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evergreen.finance.interfaces.schemas import to_json
from evergreen.finance.residual_income import multistage as ri
from tests.finance.interfaces.test_plots import assert_png

EARNINGS, DIVIDENDS = [2.0, 2.5, 4.0], [1.0, 1.25, 12.25]
BUGG = ["--book-value", "6", "--cost-of-equity", "0.10", "--earnings", "2,2.5,4"]
BUGG_YAML = """\
book_value: 6
cost-of-equity: 0.10
earnings: [2, 2.5, 4]
dividends: [1, 1.25, 12.25]
continuing: persistence
persistence: 0.4
"""


@dataclass(frozen=True)
class Runs:
    """Finished CLI runs by name, and the folder they wrote to."""

    folder: Path
    results: dict[str, subprocess.CompletedProcess[str]]

    def __getitem__(self, name: str) -> subprocess.CompletedProcess[str]:
        result = self.results[name]
        assert "Traceback" not in result.stdout + result.stderr
        return result


def _evergreen(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evergreen.cli", "finance", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "EVERGREEN_DATA_DIR": str(data_dir)},
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every command these tests read, started side by side: each is a fresh interpreter."""
    folder = tmp_path_factory.mktemp("finance-cli")
    (folder / "bugg.yaml").write_text(BUGG_YAML, encoding="utf-8")
    (folder / "bad.yaml").write_text(BUGG_YAML.replace("0.4", "1.5"), encoding="utf-8")
    commands = {
        "json": ["value", *BUGG, "--dividends", "1,1.25,12.25", "--json"],
        "file": ["value", "--input", str(folder / "bugg.yaml"), "--plot", str(folder / "v.png")],
        "bad_file": ["value", "--input", str(folder / "bad.yaml")],
        "short": ["value", *BUGG, "--dividends", "1,1.25"],
    }
    with ThreadPoolExecutor(len(commands)) as pool:
        started = {
            name: pool.submit(_evergreen, folder / "data", *args) for name, args in commands.items()
        }
        return Runs(folder, {name: run.result() for name, run in started.items()})


def _library(**options: Any) -> ri.ResidualIncomeValuation:
    """What the library itself says for the Bugg Properties forecast."""
    return ri.value(6.0, 0.10, earnings=EARNINGS, dividends=DIVIDENDS, **options)


def test_value_json_is_the_library_result(runs: Runs) -> None:
    result = runs["json"]
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(to_json(_library())))
    assert json.loads(result.stdout)["residual_income"] == [1.4, 1.8, 3.18]  # as the API answers


def test_input_file_prints_tables_and_draws_the_bridge(runs: Runs) -> None:
    """The YAML file (with a dashed key) gives the library's value, as tables and a chart."""
    result = runs["file"]
    assert result.returncode == 0, result.stderr
    library = _library(continuing="persistence", persistence=0.4)
    assert f"{library.value:,.4f}" in result.stdout
    assert "Value per share" in result.stdout
    assert "(persistence)" in result.stdout
    assert "Chart written to" in result.stderr
    assert_png(runs.folder / "v.png")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("bad_file", "Error: persistence: Input should be less than or equal to 1"),
        ("short", "Error: dividends: has 2 values but earnings has 3"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runs: Runs, name: str, error: str) -> None:
    """A file the schema refuses, and flags the model refuses: one line naming the field."""
    result = runs[name]
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(error)
    assert len(result.stderr.strip().splitlines()) == 1
