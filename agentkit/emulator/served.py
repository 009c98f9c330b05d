"""`ak.emulator.serve()`'s relay: an `ak.Relay` bound to a running emulator, usable with or without `with`.

Why a Relay subclass: newcomers write `relay = ak.emulator.serve()` as often as
`with ak.emulator.serve() as relay:`. Both now give a relay that works at once; `with` stops the
emulator at the end of the block, and without it the emulator stops at interpreter exit (or at
`relay.close()`). Imported only when `serve()` is called, like `agentkit.relay` itself.
"""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from agentkit.relay import Relay

if TYPE_CHECKING:
    from .server import Emulator

__all__ = ["ServedRelay"]


class ServedRelay(Relay):
    """An `ak.Relay` for a running emulator (`.emulator`); a context manager that stops it on exit."""

    emulator: Emulator

    @classmethod
    def bind(cls, emulator: Emulator, api_key: str) -> ServedRelay:
        """A relay for the started `emulator`, which is stopped at interpreter exit unless closed before."""
        relay = cls(emulator.url, api_key=api_key)
        relay.emulator = emulator
        atexit.register(emulator.stop)
        return relay

    def close(self) -> None:
        """Stop the emulator now (safe to call twice); the relay then no longer answers."""
        self.emulator.stop()
        atexit.unregister(self.emulator.stop)

    def __enter__(self) -> ServedRelay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
