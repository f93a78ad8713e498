"""Fixtures of the engine's tests: a real SMTP server and a real local webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.smtp_server import FaultyHandler, smtp_server
from tests.sequences.kit import Receiver


@pytest.fixture
def smtp() -> Iterator[tuple[FaultyHandler, int]]:
    """A running test SMTP server: its handler (what it received) and port."""
    with smtp_server() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running local webhook receiver."""
    running = Receiver()
    yield running
    running.close()
