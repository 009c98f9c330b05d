"""One emulator relay for the file suites (reset before each test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak


@pytest.fixture(scope="package")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@pytest.fixture
def fresh(relay: Any) -> None:
    """Empty the emulator's script, faults and log."""
    relay.emulator.reset()
