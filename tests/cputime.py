"""EVERGREEN_TEST_CPU=FILE: each test's CPU seconds appended to FILE as tab-separated lines
(test, its process's CPU, its reaped children's CPU), to see where the suite's CPU goes; wall
time (EVERGREEN_JUNIT) misleads on a loaded machine, where waiting tests look as costly as
working ones. Chromium's and PostgreSQL's own CPU is not counted: they are not this process's
children that a test reaps."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import pytest

_FILE = os.environ.get("EVERGREEN_TEST_CPU")


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Setup, call and teardown of one test, timed in CPU seconds when asked."""
    if not _FILE:
        return (yield)
    own, children = time.process_time(), _children()
    try:
        return (yield)
    finally:
        used = time.process_time() - own, _children() - children
        with open(_FILE, "a", encoding="utf-8") as out:
            out.write(f"{item.nodeid}\t{used[0]:.3f}\t{used[1]:.3f}\n")
