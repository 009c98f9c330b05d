"""One emulator per test module; each test gets it reset, with no structured-output mode remembered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak


@pytest.fixture(scope="module")
def _served() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@pytest.fixture
def relay(_served: Any) -> Any:
    _served.emulator.reset()
    _served.output_modes.clear()  # what structured-output mode works is remembered per relay
    return _served
