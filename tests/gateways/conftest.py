"""Real gateways in front of the emulator, each started once per test session (per worker under xdist)
when a test first needs it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from tests.gateways.harness import (
    UPSTREAM_KEY,
    Gateway,
    GatewayUnavailable,
    litellm_proxy,
    portkey_config,
    portkey_gateway,
)


@dataclass
class Running:
    """A gateway running in front of its emulator, and how a user reaches it."""

    gateway: Gateway
    emulator: ak.emulator.Emulator
    #: The headers a user of this gateway pastes beside its root URL, given the key they use.
    headers_for: Callable[[str], dict[str, str]] = field(default=lambda key: {})

    def relay(self, **options: Any) -> ak.Relay:
        """What a user builds: the gateway's root URL, their key and the gateway's routing headers."""
        key = options.pop("api_key", self.gateway.key)
        options.setdefault("max_retries", 0)
        return ak.Relay(self.gateway.url, api_key=key, headers=self.headers_for(key), **options)


def _serve(emulator: ak.emulator.Emulator, start: Callable[[], contextlib.AbstractContextManager[Gateway]],
           headers_for: Callable[[str], dict[str, str]] | None = None) -> Iterator[Running]:
    """Start the emulator's gateway, xfailing every test that needs it (saying why) when it cannot be had."""
    emulator.start()
    try:
        try:
            context = start()
            gateway = context.__enter__()
        except GatewayUnavailable as exc:
            pytest.xfail(f"No gateway here: {exc}")
        try:
            yield Running(gateway, emulator, *([headers_for] if headers_for else []))
        finally:
            context.__exit__(None, None, None)
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def litellm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    emulator = ak.emulator.Emulator(api_key=UPSTREAM_KEY)
    log: Path = tmp_path_factory.mktemp("litellm") / "litellm.log"
    yield from _serve(emulator, lambda: litellm_proxy(emulator.url, log))


@pytest.fixture(scope="session")
def portkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # Portkey holds no model list: it routes by name, and the vendor (here the emulator) says when a
    # model does not exist, as the real vendors do.
    emulator = ak.emulator.Emulator(api_key=UPSTREAM_KEY, strict_models=True)
    log: Path = tmp_path_factory.mktemp("portkey") / "portkey.log"

    def headers_for(key: str) -> dict[str, str]:
        return {"x-portkey-config": json.dumps(portkey_config(emulator.url, key))}

    yield from _serve(emulator, lambda: portkey_gateway(log), headers_for)


@pytest.fixture
def gateway(request: pytest.FixtureRequest) -> Iterator[Running]:
    """The gateway a test is parametrized with (`litellm` by default), its emulator's script, faults and
    log cleared for the test."""
    running: Running = request.getfixturevalue(getattr(request, "param", "litellm"))
    running.emulator.reset()
    yield running
