"""The emulator's lifecycle: a uvicorn server on a background thread with its own event loop.

Why a thread: notebooks and tests call the emulator from synchronous code (and from their own event
loops), so it cannot share their loop. The socket is bound before the thread starts (port 0 picks a
free port, so the URL is known at once and two emulators never race for a port), the thread owns an
asyncio loop via `uvicorn.Server.run`, and `stop()` asks uvicorn to exit and joins the thread, so no
thread outlives the `with` block.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

from agentkit._api import checked_class, checked_keywords

from .app import DEFAULT_MODELS, Core, build_app
from .faults import Fault, FaultKind, FaultRule
from .log import RequestLog
from .script import Turn, as_turn

if TYPE_CHECKING:
    from agentkit.relay import Relay

    from .served import ServedRelay

__all__ = ["PLACEHOLDER_KEY", "Emulator", "serve"]

#: The key handed to clients when the emulator accepts any key (the SDKs insist on having one).
PLACEHOLDER_KEY = "sk-emulator-any-key-works"

_log = logging.getLogger("agentkit.emulator")


@checked_class("ak.emulator.Emulator", "emulator")
class Emulator:
    """A loopback API relay that the official OpenAI, Anthropic and google-genai SDKs can talk to.

    Doors (root = :attr:`url`): OpenAI `/v1` (also `/openai`, `/openai/v1`) for chat completions,
    responses and models; Anthropic `/anthropic` (SDK appends `/v1/messages`); Gemini at the root with
    api_version `v1beta`.

    Args:
        api_key: When set, requests without this key are refused in each door's native way.
            When None, any key is accepted.
        host: The interface to bind; loopback by default.
        port: The port; 0 picks a free one.
        models: What `GET /v1/models` lists.
        strict_models: Refuse unknown models with the door's native 404 (model not found).
        stream_delay: Seconds between streamed events (0 streams as fast as possible; demos may slow it).
        log_level: uvicorn's log level. Access logs are always off: they would print Gemini's `?key=`.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] | None = None,
        strict_models: bool = False,
        stream_delay: float = 0.0,
        log_level: str = "warning",
    ) -> None:
        if stream_delay < 0:
            raise ValueError("stream_delay cannot be negative.")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {port}.")
        self._core = Core(
            api_key=api_key,
            models=list(models) if models is not None else list(DEFAULT_MODELS),
            strict_models=strict_models,
            stream_delay=stream_delay,
        )
        self._host = host
        self._requested_port = port
        self._log_level = log_level
        self._app = build_app(self._core)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self.running else "stopped"
        return f"<Emulator {state}, {len(self.log)} requests logged>"

    # -- configuration ---------------------------------------------------------------------------
    @property
    def api_key(self) -> str | None:
        """The key the emulator requires, or None when it accepts any key."""
        return self._core.api_key

    @property
    def app(self) -> Any:
        """The ASGI application, for running it under another server or an in-process transport."""
        return self._app

    @property
    def log(self) -> RequestLog:
        """Every request received so far (thread-safe; key-bearing headers and `?key=` redacted)."""
        return self._core.log

    @property
    def models(self) -> list[str]:
        """The model list served by `GET /v1/models` (and checked when `strict_models` is on)."""
        return self._core.models

    def script(
        self,
        *turns: Turn | str | Mapping[str, Any] | Fault,
        door: str | None = None,
        model: str | None = None,
    ) -> Emulator:
        """Queue scripted replies, returned in order before the rule-based model answers again.

        Args:
            turns: :class:`Turn`s, plain texts, dicts of Turn fields, or Faults (a turn that only fails).
            door: Only requests through this door take these turns.
            model: Only requests for this model take these turns.

        Returns:
            The emulator, so that calls can be chained.
        """
        self._core.script.extend(as_turn(turn, door=door, model=model) for turn in turns)
        return self

    def fault(
        self,
        fault: Fault | FaultKind,
        *,
        count: int | None = 1,
        door: str | None = None,
        path: str | None = None,
        model: str | None = None,
        probability: float = 1.0,
        seed: int | None = 0,
        **fields: Any,
    ) -> Emulator:
        """Queue a fault for the next `count` matching requests (None: every matching request).

        Args:
            fault: A :class:`Fault`, or a fault kind with its fields as keyword arguments,
                e.g. `fault("http_error", status=429, retry_after=1)`.
            count: How many matching requests it applies to.
            door: Only requests through this door ("openai", "responses", "anthropic", "gemini", "models").
            path: Only requests whose path contains this text.
            model: Only requests for this model.
            probability: The share of matching requests the fault strikes (e.g. 0.05 with
                `count=None`: about 5 % of requests); the draws come from `random.Random(seed)`.
            seed: The seed of those draws (None: unseeded).

        Returns:
            The emulator, so that calls can be chained.
        """
        if isinstance(fault, Fault) and fields:
            raise TypeError("Pass either a Fault or a fault kind with keyword fields, not both.")
        spec = fault if isinstance(fault, Fault) else Fault(fault, **fields)
        self._core.faults.add(
            FaultRule(
                spec, count=count, door=door, path=path, model=model, probability=probability, seed=seed
            )
        )
        return self

    def reset(self) -> None:
        """Forget queued turns, queued faults, stored Responses conversations, the request log and the prompt cache.

        The server keeps running.
        """
        self._core.script.clear()
        self._core.faults.clear()
        self._core.log.clear()
        self._core.responses.clear()
        self._core.prompt_cache.clear()

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        if self._port is None:
            raise RuntimeError("The emulator has no port yet; call start() first.")
        return self._port

    @property
    def url(self) -> str:
        """The root URL, e.g. `http://127.0.0.1:54321` (OpenAI base is url + "/v1")."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self._app,
            http="h11",  # the connection-drop faults rely on h11's request cycle (see app.py)
            lifespan="off",
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=5,
        )

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
            # Listen at once, so that clients told the URL queue up instead of being refused while
            # uvicorn is still starting (it calls listen() again, which is harmless).
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise RuntimeError(
                f"The emulator could not bind {self._host}:{self._requested_port}: {exc}."
            ) from exc
        return sock

    def start(self, timeout: float = 10.0) -> Emulator:
        """Start serving on a background thread and wait until it accepts connections."""
        if self.running:
            return self
        self._core.closing.clear()
        sock = self._bind()
        self._socket = sock
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(self._config())
        self._server = server
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"agentkit-emulator-{self._port}", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                self.stop()
                raise RuntimeError("The emulator's server thread exited during startup; see the log above.")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The emulator did not start within {timeout:.1f} s.")
            time.sleep(0.005)
        _log.debug("Emulator listening on %s", self.url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and join its thread; safe to call twice."""
        self._core.closing.set()
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
            if thread.is_alive():
                _log.warning("The emulator's server thread did not stop within %.1f s.", 2 * timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until interrupted (Ctrl+C); used by `python -m agentkit.emulator`.

        Args:
            on_ready: Called with the root URL once the port is bound.
        """
        sock = self._bind()
        self._socket = sock
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(self._config())
        self._server = server
        if on_ready is not None:
            on_ready(self.url)
        try:
            server.run(sockets=[sock])
        finally:
            self._core.closing.set()
            sock.close()
            self._socket = None
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- clients ---------------------------------------------------------------------------------
    def relay(self) -> Relay:
        """An `agentkit.Relay` for this emulator (with `.emulator` set), using the emulator's key."""
        from agentkit.relay import Relay

        relay = Relay(self.url, api_key=self.api_key or PLACEHOLDER_KEY)
        try:
            relay.emulator = self  # type: ignore[attr-defined]
        except AttributeError:  # a slotted or frozen Relay
            object.__setattr__(relay, "emulator", self)
        return relay


@checked_keywords("`ak.emulator.serve(...)`")
def serve(
    *,
    api_key: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    models: Sequence[str] | None = None,
    strict_models: bool = False,
    stream_delay: float = 0.0,
    log_level: str = "warning",
) -> ServedRelay:
    """Start an emulator and return an `agentkit.Relay` bound to it; with `with`, it stops at the block's end.

    Example::

        with ak.emulator.serve(api_key="sk-test") as relay:
            relay.emulator.script("Hello!")
            ...

        relay = ak.emulator.serve()      # in a notebook: runs until `relay.close()` or the kernel exits

    The relay's `.emulator` is the :class:`Emulator` (log, script, fault, url, reset).
    """
    from .served import ServedRelay

    emulator = Emulator(
        api_key=api_key,
        host=host,
        port=port,
        models=models,
        strict_models=strict_models,
        stream_delay=stream_delay,
        log_level=log_level,
    )
    emulator.start()
    try:
        return ServedRelay.bind(emulator, emulator.api_key or PLACEHOLDER_KEY)
    except BaseException:
        emulator.stop()
        raise
