"""A real gateway in front of the emulator, one per test session (per worker under xdist)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import agentkit as ak
from tests.gateways.harness import UPSTREAM_KEY, Gateway, GatewayUnavailable, litellm_proxy


@dataclass
class Running:
    gateway: Gateway
    emulator: ak.emulator.Emulator


@pytest.fixture(scope="session")
def litellm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    emulator = ak.emulator.Emulator(api_key=UPSTREAM_KEY).start()
    try:
        try:
            context = litellm_proxy(emulator.url, tmp_path_factory.mktemp("litellm") / "litellm.log")
            gateway = context.__enter__()
        except GatewayUnavailable as exc:
            pytest.xfail(f"No LiteLLM gateway here: {exc}")
        try:
            yield Running(gateway, emulator)
        finally:
            context.__exit__(None, None, None)
    finally:
        emulator.stop()


@pytest.fixture
def gateway(litellm: Running) -> Iterator[Running]:
    """The session's gateway, its emulator's script, faults and log cleared for each test."""
    litellm.emulator.reset()
    yield litellm
