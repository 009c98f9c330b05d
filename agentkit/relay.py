"""`ak.Relay`: one host and one key in front of many vendors' models.

A relay exposes up to three *doors*: OpenAI-compatible (`{root}/v1`), Anthropic-compatible
(`{root}/anthropic`) and Gemini-compatible (`{root}`, api_version v1beta). Users paste whatever URL
their relay's docs show (a root, or any door URL); this module derives every door from it without
doubling `/v1`, routes a model name to a dialect, and builds (once) the official SDK client for
each door, configured for relays: Anthropic also gets `x-api-key`, google-genai gets v1beta,
retries and a timeout (its defaults have neither), and backup hosts are tried on connection
errors and 5xx through one httpx2 transport shared by all SDKs.

No vendor SDK is imported here at module level: a client is built the first time a model of its
dialect is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import fnmatch
import inspect
import json
import os
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from agentkit._api import check_keywords, checked_class, checked_keywords
from agentkit._api import suggestion as _suggestion
from agentkit.cost import Pricing
from agentkit.dialects import DIALECTS, DOOR_OF, Dialect
from agentkit.dialects.base import load
from agentkit.errors import (
    ConfigurationError,
    UnknownKeyError,
    error_from_status,
    from_sdk_error,
    remember_secret,
)
from agentkit.retry import ConcurrencyLimit, RetryPolicy

if TYPE_CHECKING:

    from agentkit._ratelimit import RateLimit, Throttled

__all__ = ["DoorCheck", "DoorFinder", "Relay", "RelayCheck", "derive_doors"]

_E = TypeVar("_E", bound="Exception | None")

_DEFAULT_TIMEOUT = 300.0
#: The largest answer body a relay's clients accept (`max_answer_bytes=`).
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_DEFAULT_RETRIES = 2
#: Documented by relays: 100 concurrent requests per key.
DEFAULT_MAX_CONCURRENCY = 100


class _Secret:
    """Holds the API key so that no repr, vars() dump or widget state can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value
        if value:
            remember_secret(value)

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "'[redacted]'" if self._value else "None"

    def __bool__(self) -> bool:
        return bool(self._value)


def _check_url(url: str, what: str) -> str:
    url = url.strip()
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            f"The {what} {url!r} is not an http(s) URL. "
            "Pass the relay's root (`https://relay.example`) or one of its door URLs (`https://relay.example/v1`)."
        )
    if parsed.query or parsed.fragment:
        raise ConfigurationError(f"The {what} {url!r} has a query or fragment; pass the URL without `?...`/`#...`.")
    return url.rstrip("/")


def _strip(path: str, suffix: str) -> str | None:
    return path[: -len(suffix)] if path.lower().endswith(suffix) else None


def derive_doors(url: str) -> tuple[str, dict[str, str]]:
    """Split a pasted relay URL into its root and the door URLs it implies.

    Returns `(root, doors)` where `doors` maps "openai"/"anthropic"/"gemini" to the base URL each
    SDK takes: OpenAI `{root}/v1` (or the prefixed door as pasted, e.g. `{root}/openai`), Anthropic
    `{root}/anthropic` (the SDK appends `/v1/messages`), Gemini `{root}` (the SDK appends
    `/v1beta/models/...`). A derived door is a first guess: `ak.Relay` looks for the Anthropic door
    at the root too (see `ANTHROPIC_ELSEWHERE`) when the guess does not answer.

    >>> derive_doors("https://r.example/anthropic/v1")[1]["anthropic"]
    'https://r.example/anthropic'
    >>> derive_doors("https://r.example/v1")[1]["openai"]
    'https://r.example/v1'
    """
    root, doors, _ = _derive(url)
    return root, doors


def _derive(url: str) -> tuple[str, dict[str, str], str | None]:
    """`derive_doors`, plus the door the pasted URL itself named (None for a root)."""
    url = _check_url(url, "relay URL")
    pasted_openai: str | None = None
    named: str | None = None
    for suffix in ("/chat/completions", "/responses", "/models", "/messages"):
        if (cut := _strip(url, suffix)) is not None and cut.rstrip("/").lower().endswith(("/v1", "/openai")):
            url = cut.rstrip("/")
            break
    if (root := _strip(url, "/anthropic/v1")) is not None or (root := _strip(url, "/anthropic")) is not None:
        named = "anthropic"
    elif (root := _strip(url, "/openai/v1")) is not None or (root := _strip(url, "/openai")) is not None:
        pasted_openai, named = url, "openai"
    elif (root := _strip(url, "/v1beta")) is not None:
        named = "gemini"
    elif (root := _strip(url, "/v1")) is not None:
        pasted_openai, named = url, "openai"
    else:
        root = url
    doors = {
        "openai": pasted_openai or f"{root}/v1",
        "anthropic": f"{root}/anthropic",
        "gemini": root,
    }
    return root, doors, named


#: Where else a door may be than where `derive_doors` guesses, as `{door: [base URL templates]}`:
#: LiteLLM, claude-code-router and Portkey serve the Anthropic Messages API at the root's
#: `/v1/messages` (the SDK's base URL is then the root), while LiteLLM's `{root}/anthropic/*` is a
#: pass-through to Anthropic's own API that refuses the gateway's key with 401.
ANTHROPIC_ELSEWHERE = ("{root}",)
#: The request paths each door's SDK sends to, below its base URL (for `repr` and `check`).
_ENDPOINTS = {
    "openai": "/chat/completions",
    "responses": "/responses",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/{model}:generateContent",
}


def _door_url(door: str, url: str) -> str:
    """Normalise a per-door override so the SDK's own path suffix is not doubled."""
    url = _check_url(url, f"`{door}_url`")
    for suffix in load(door).URL_SUFFIXES:  # type: ignore[attr-defined]
        stripped = _strip(url, suffix)
        if stripped is not None:
            url = stripped
            break
    return url.rstrip("/")


class DoorFinder:
    """Where one door of a relay answers, found once, on its first request, and then remembered.

    Why probing and not recognising the software: gateways that serve a door elsewhere are many
    (LiteLLM, claude-code-router and Portkey all serve the Anthropic Messages API at the root's
    `/v1/messages`), not all name themselves in their headers, and a new one should work without a
    new rule here. The probe is the first real request, so a relay whose guessed door answers costs
    nothing extra, and one that serves the door elsewhere costs one refused request, once.

    `candidates` are base URLs in order: the door derived from the pasted URL first, then where else
    gateways put it. The first request through the door goes to the first candidate; if the answer
    says nothing of the door is there, or something there refused the key without speaking the
    door's protocol (`agentkit._transport.door_verdict`), the same request goes to the next one,
    and the first place that answers otherwise is the door, remembered for the relay. If no place
    answers, the last refusal is the answer (that place checked the key), else the first "nothing
    here", and its place is remembered all the same: the relay's key does not change, so looking
    again would find the same. `on_found` is told the base URL chosen.
    """

    def __init__(self, door: str, candidates: Sequence[str], on_found: Callable[[str], None] | None = None) -> None:
        self.door = door
        self.candidates = list(dict.fromkeys(candidates))
        self.found: str | None = None
        self._on_found = on_found
        self._lock = threading.Lock()

    def decide(self, base: str) -> str:
        """Remember `base` as the door (the first decision wins); return the door."""
        with self._lock:
            if self.found is None:
                self.found = base
                if self._on_found is not None:
                    self._on_found(base)
            return self.found

    def order(self, built_for: str) -> list[str]:
        """The places to try for a client built for `built_for`: that one first, then the others."""
        return [built_for, *(c for c in self.candidates if c != built_for)]


def _warn_if_plain_http(urls: Iterable[str]) -> None:
    """Warn once per host when the key would cross a network in clear (plain `http://`, not this machine)."""
    import ipaddress
    import warnings

    for url in dict.fromkeys(urls):
        parsed = urllib.parse.urlsplit(url)
        host = parsed.hostname or ""
        if parsed.scheme != "http" or host == "localhost" or host.endswith(".localhost"):
            continue
        try:
            if ipaddress.ip_address(host).is_loopback:
                continue
        except ValueError:
            pass
        warnings.warn(
            f"The relay URL {url!r} uses plain http:// to another machine: the API key travels unencrypted. "
            "Use https:// unless this network is yours.",
            UserWarning,
            stacklevel=4,
        )


@checked_class("ak.Relay", "relay")
class Relay:
    """An API relay: one host (plus backups) and one key, reaching models through up to three doors.

    Args:
        base_url: The relay's root URL or any of its door URLs (`.../v1`, `.../openai`, `.../anthropic`).
        api_key: The relay key, sent as each SDK expects it (Bearer, `x-api-key`, `x-goog-api-key`).
            Optional: some relays list models without auth.
        openai_url: Override the OpenAI-compatible door (the base URL the OpenAI SDK takes).
        anthropic_url: Override the Anthropic-compatible door (the Anthropic SDK appends `/v1/messages`).
        gemini_url: Override the Gemini-compatible door (google-genai appends `/v1beta/models/...`).
        dialects: The dialects this relay serves. A model routed to a dialect the relay lacks goes
            through the OpenAI door instead (e.g. R5 relays serve Claude in the OpenAI format).
            Default: all four.
        routes: Extra routing rules, `{glob: dialect}` tried before the defaults, e.g.
            `{"deepseek-*": "anthropic"}`.
        backup_urls: Backup hosts (roots or door URLs, in order), tried on connection errors and 5xx.
        timeout: Seconds one attempt may take in all, a streamed answer included (keep-alive pings
            do not extend it); also each SDK's own timeout, in its own unit. Default 300.
        max_retries: Retries after the first attempt, for 408/429/5xx and connection errors. The
            agent applies them itself, the same way in every dialect (see `agentkit.retry`).
        backoff: `(initial, max)` seconds of the exponential wait between retries (jittered; a
            relay's `Retry-After` wins). Default `(0.5, 8.0)`.
        max_concurrency: Requests in flight at once through this relay, across all threads and
            event loops (relays document ~100 per key).
        headers: Extra headers sent on every request (e.g. a tenant id).
        rate_limit: Requests per minute through this relay (relays document e.g. 3000/min), spaced
            evenly; None for no limit. Assignable later (`relay.rate_limit = 600`).
        max_answer_bytes: The largest answer body accepted (default 64 MiB); a larger one is cut off
            and ends as `ak.UpstreamError` (code `answer_too_large`), not retried.
        prices: This relay's own prices per 1M tokens, by the model name sent on the wire:
            `{"deepseek-r1": {"input": 4, "output": 16, "cached_input": 1, "cache_write": 5}}`
            (`cached_input` and `cache_write` default to `input`). They win over list prices.
        currency: The currency of `prices=` and of `max_cost=` (default "USD"). The vendors' list
            prices (USD) are used only on a USD relay; elsewhere a model without a price here costs None.
    """

    @checked_keywords("`ak.Relay(...)`")
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        openai_url: str | None = None,
        anthropic_url: str | None = None,
        gemini_url: str | None = None,
        dialects: Iterable[Dialect] | None = None,
        routes: Mapping[str, Dialect] | None = None,
        backup_urls: Iterable[str] = (),
        timeout: float = _DEFAULT_TIMEOUT,
        max_retries: int = _DEFAULT_RETRIES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        headers: Mapping[str, str] | None = None,
        backoff: tuple[float, float] = (0.5, 8.0),
        rate_limit: float | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        prices: Mapping[str, Mapping[str, float | int | str]] | None = None,
        currency: str = "USD",
    ) -> None:
        if isinstance(backup_urls, str):
            backup_urls = [backup_urls]
        self.root, self.doors, named = _derive(base_url)
        fixed = {named} if named else set()
        for door, override in (("openai", openai_url), ("anthropic", anthropic_url), ("gemini", gemini_url)):
            if override:
                self.doors[door] = _door_url(door, override)
                fixed.add(door)
        self.dialects: tuple[Dialect, ...] = self._check_dialects(dialects)
        self.routes: dict[str, Dialect] = {}
        for pattern, dialect in (routes or {}).items():
            self.routes[pattern] = self._check_dialect(dialect, f"the route for {pattern!r}")
        self.backup_roots: tuple[str, ...] = tuple(derive_doors(u)[0] for u in backup_urls)
        _warn_if_plain_http([self.root, *self.doors.values(), *self.backup_roots])
        if timeout is None or timeout <= 0:
            raise ConfigurationError(f"`timeout` must be a positive number of seconds; got {timeout!r}.")
        if max_retries < 0:
            raise ConfigurationError(f"`max_retries` must be 0 or more; got {max_retries!r}.")
        if max_concurrency < 1:
            raise ConfigurationError(f"`max_concurrency` must be at least 1; got {max_concurrency!r}.")
        if max_answer_bytes < 1:
            raise ConfigurationError(f"`max_answer_bytes` must be at least 1; got {max_answer_bytes!r}.")
        self.timeout = float(timeout)
        self.max_answer_bytes = int(max_answer_bytes)
        self.max_retries = int(max_retries)
        self.max_concurrency = int(max_concurrency)
        try:
            initial, cap = backoff
        except (TypeError, ValueError):
            raise ConfigurationError(f"`backoff` must be a pair `(initial, max)` of seconds; got {backoff!r}.") from None
        #: How the agent retries failed model requests (`max_retries`, `backoff`).
        self.retry_policy = RetryPolicy(self.max_retries, float(initial), float(cap))
        self._limit = ConcurrencyLimit(self.max_concurrency)
        self._rate: RateLimit | None = None
        self.rate_limit = rate_limit
        self.headers = dict(headers or {})
        #: What a request costs through this relay (`prices=`, `currency=`, then list prices).
        self.pricing = Pricing(prices, currency)
        self._key = _Secret(api_key or None)
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._models_cache: list[str] | None = None
        #: How structured output is asked for, per (dialect, model), learned from this relay's answers:
        #: "tool" or "prompt" once the native form was rejected (400) or dropped on the way (`agentkit.output`).
        self.output_modes: dict[tuple[str, str], Any] = {}
        #: (dialect, model) pairs this relay refused prompt-caching hints for (a 400 naming the hint's
        #: field, e.g. a gateway that does not pass `prompt_cache_key` on to Claude): sent none since.
        self.no_cache_hints: set[tuple[str, str]] = set()
        # A door not given (pasted or per-door URL) is looked for once, on its first request.
        self._finders: dict[str, DoorFinder] = {}
        if "anthropic" not in fixed:
            elsewhere = [t.format(root=self.root) for t in ANTHROPIC_ELSEWHERE]
            self._finders["anthropic"] = DoorFinder("anthropic", [self.doors["anthropic"], *elsewhere],
                                                    on_found=self._door_found("anthropic"))

    # ------------------------------------------------------------------ construction helpers

    @staticmethod
    def _check_dialect(dialect: str, where: str) -> Dialect:
        if dialect not in DIALECTS:
            raise ConfigurationError(
                f"Unknown dialect {dialect!r} in {where}; use one of {', '.join(map(repr, DIALECTS))}."
            )
        return dialect

    def _check_dialects(self, dialects: Iterable[Dialect] | None) -> tuple[Dialect, ...]:
        if dialects is None:
            return DIALECTS
        names: Iterable[str] = [dialects] if isinstance(dialects, str) else dialects
        chosen = tuple(self._check_dialect(d, "`dialects=`") for d in names)
        if not chosen:
            raise ConfigurationError("`dialects=` is empty; a relay has at least the OpenAI door (`'openai'`).")
        if "openai" not in chosen:
            chosen = ("openai", *chosen)
        return chosen

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Relay:
        """Build a relay from environment variables.

        `AGENTKIT_BASE_URL` / `AGENTKIT_API_KEY`, when either is set, decide alone: no vendor
        variable is read then (a key is never sent to a URL taken from another variable, nor a
        URL given a key from another variable). Otherwise the vendors' own pairs that relay docs
        tell users to set: `OPENAI_BASE_URL` with `OPENAI_API_KEY`, `ANTHROPIC_BASE_URL` with
        `ANTHROPIC_API_KEY` (or `ANTHROPIC_AUTH_TOKEN`), `GOOGLE_GEMINI_BASE_URL` with
        `GOOGLE_API_KEY` (or `GEMINI_API_KEY`). Each key goes only with its own URL: the first pair
        with a key (in that order; else the first URL) is the relay, and another vendor's URL
        becomes its door only if that vendor's key is the same one. A vendor key without its URL
        is for the vendor's own API, and is not used.

        The SDK clients the relay builds are given their URL and key explicitly (and the key's auth
        headers, which `OPENAI_CUSTOM_HEADERS` / `ANTHROPIC_CUSTOM_HEADERS` cannot override), so the
        SDKs' own variables never redirect them.
        """
        settings = [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "base_url", "api_key")]
        check_keywords(options, settings, "`ak.Relay.from_env(...)`")  # before the environment is read
        env = os.environ if environ is None else environ
        base = env.get("AGENTKIT_BASE_URL") or None
        key = env.get("AGENTKIT_API_KEY") or None
        if base or key:
            if not base:
                raise ConfigurationError(
                    "`AGENTKIT_API_KEY` is set but `AGENTKIT_BASE_URL` is not: set the relay's URL in "
                    "`AGENTKIT_BASE_URL` (the key is never sent to a URL from another variable, such as "
                    "`OPENAI_BASE_URL`), or pass it to `ak.Relay(url, api_key=...)`."
                )
            return cls(base, key, **options)
        vendors = [
            ("openai_url", env.get("OPENAI_BASE_URL"), env.get("OPENAI_API_KEY")),
            ("anthropic_url", env.get("ANTHROPIC_BASE_URL"),
             env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")),
            ("gemini_url", env.get("GOOGLE_GEMINI_BASE_URL"), env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY")),
        ]
        pairs = [(door, url, vendor_key or None) for door, url, vendor_key in vendors if url]
        if not pairs:
            raise ConfigurationError(
                "No relay URL in the environment: set `AGENTKIT_BASE_URL` (and `AGENTKIT_API_KEY`), "
                "or `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL` with their keys, or pass the URL to `ak.Relay(...)`. "
                "To try agentkit offline, use the built-in emulator: `relay = ak.emulator.serve()`."
            )
        _, base, key = next((pair for pair in pairs if pair[2]), pairs[0])
        for door, url, vendor_key in pairs:
            if vendor_key == key and door not in options:
                options[door] = url
        return cls(base, key, **options)

    # ------------------------------------------------------------------ public surface

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to redact from anything shown to users (the key)."""
        value = self._key.get()
        return (value,) if value else ()

    def __repr__(self) -> str:
        extra = f", backup_urls={list(self.backup_roots)!r}" if self.backup_roots else ""
        key = "set" if self._key else "none"
        return (f"Relay({self.root!r}, requests_go_to={self.endpoints()!r}, dialects={list(self.dialects)!r}"
                f"{extra}, api_key={key})")

    def endpoints(self) -> dict[str, str]:
        """Where each dialect's requests go (for `repr`): the URL, and for a door not yet found, the
        places it will be looked for on its first request."""
        shown: dict[str, str] = {}
        for dialect in self.dialects:
            door = DOOR_OF[dialect]
            finder = self._finders.get(door)
            if finder is not None and finder.found is None:
                places = " or ".join(c + _ENDPOINTS[dialect] for c in finder.candidates)
                shown[dialect] = f"{places} (looked for on first use)"
            else:
                shown[dialect] = self.doors[door] + _ENDPOINTS[dialect]
        return shown

    def _door_found(self, door: str) -> Any:
        def found(base: str) -> None:
            if base != self.doors[door]:
                import logging

                logging.getLogger("agentkit.relay").info(
                    "The relay's %s door answers at %s, not at the guessed %s; remembered for this relay.",
                    door, base, self.doors[door])
            self.doors[door] = base

        return found

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            "An `ak.Relay` holds an API key and live clients, so it is not picklable; "
            "pass the URL and rebuild it with `ak.Relay(...)` or `ak.Relay.from_env()` in the other process."
        )

    def route(self, model: str) -> tuple[Dialect, str]:
        """Return `(dialect, model_name)` for a model name.

        `dialect:model` forces a dialect (`anthropic:deepseek-r1`, `responses:gpt-4o`); then the
        relay's `routes`; then `claude*` -> anthropic, `gemini*` -> gemini, anything else (including
        `provider/model` ids) -> openai. A default route to a door this relay lacks falls back to
        the OpenAI door; a forced dialect is always honoured.
        """
        if not isinstance(model, str) or not model.strip():
            raise ConfigurationError(f"A model name must be a non-empty string; got {model!r}.")
        model = model.strip()
        prefix, sep, rest = model.partition(":")
        if sep and prefix.lower() in DIALECTS and rest:
            return prefix.lower(), rest  # type: ignore[return-value]
        dialect: Dialect = "openai"
        for pattern, routed in self.routes.items():
            if fnmatch.fnmatchcase(model.lower(), pattern.lower()):
                dialect = routed
                break
        else:
            bare = model.lower().removeprefix("models/")
            if "/" not in bare:
                if bare.startswith("claude"):
                    dialect = "anthropic"
                elif bare.startswith("gemini"):
                    dialect = "gemini"
        if dialect not in self.dialects:
            dialect = "openai"
        return dialect, model

    def door_url(self, dialect: Dialect) -> str:
        """The base URL the dialect's SDK client is given."""
        return self.doors[DOOR_OF[self._check_dialect(dialect, "`door_url()`")]]

    def models(self, *, refresh: bool = False) -> list[str]:
        """List the model ids the relay serves (`GET {openai door}/models`; works without a key).

        The list is cached; `refresh=True` asks again.
        """
        if self._models_cache is not None and not refresh:
            return list(self._models_cache)
        from agentkit._transport import BearerAuth

        headers = {"accept": "application/json", **self.headers}
        url = self.doors["openai"] + "/models"
        try:
            with self._http_client() as http:
                response = http.get(url, headers=headers, auth=BearerAuth(self._key))
        except Exception as exc:
            mapped = self._with_host(from_sdk_error(exc, dialect="openai", secrets=self.secrets), url)
            if mapped is None:  # a redirect loop, a body that cannot be decoded, ...
                mapped = error_from_status(
                    502, f"`GET {url}` failed: {type(exc).__name__}: {exc}", dialect="openai", secrets=self.secrets
                )
            raise mapped from None
        if response.status_code >= 400:
            raise error_from_status(response.status_code, response.text, dialect="openai", secrets=self.secrets)
        try:
            payload = response.json()
            ids = [str(item["id"]) for item in payload.get("data", payload if isinstance(payload, list) else [])]
        except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError):
            raise error_from_status(
                502,
                f"`GET {url}` did not return an OpenAI-style model list: {response.text[:200]!r}",
                dialect="openai",
                secrets=self.secrets,
            ) from None
        self._models_cache = ids
        return list(ids)

    def check(self) -> RelayCheck:
        """Probe every door of this relay once and say where each answered.

        OpenAI: `GET {door}/models` (status, model count). Anthropic and Gemini: a request that is
        invalid on purpose (an empty conversation), which a relay rejects before any model runs, so
        it costs nothing; a door not yet found is looked for where `ak.Relay` looks on first use,
        and the place that answers is remembered. Each row has the URL that answered, the status,
        the latency, the model count, and the relay software when it names itself in its headers
        (LiteLLM's `x-litellm-*`, the new-api/one-api family's `X-Oneapi-Request-Id`).
        In a notebook the result shows as a table.
        """
        import time

        from agentkit._transport import BearerAuth, door_verdict

        doors = [d for d in ("openai", "anthropic", "gemini") if any(DOOR_OF[x] == d for x in self.dialects)]
        rows: list[DoorCheck] = []
        model_ids: list[str] = []
        with contextlib.ExitStack() as clients:
            for door in doors:
                # Each door's own client: its guard keeps the key with that door's host, which a
                # per-door URL (`anthropic_url=`...) may put elsewhere than the root.
                http = clients.enter_context(self._http_client(door=door))
                finder = self._finders.get(door)
                places = finder.order(self.doors[door]) if finder is not None and finder.found is None \
                    else [self.doors[door]]
                tried: list[tuple[str, int | None]] = []
                software: str | None = None  # any answer may name the software, a refusal included
                row: DoorCheck | None = None
                last: DoorCheck | None = None
                first: DoorCheck | None = None
                refusal: DoorCheck | None = None  # as on first use: the last refusal, else the first answer
                for base in places:
                    url, method, body, headers = self._probe_request(door, base, model_ids)
                    started = time.perf_counter()
                    try:
                        response = http.request(method, url, json=body, headers=headers,
                                                auth=BearerAuth(self._key) if door == "openai" else None)
                    except Exception as exc:
                        mapped = from_sdk_error(exc, dialect=door, secrets=self.secrets)
                        tried.append((url, None))
                        last = DoorCheck(door, url, None, None, None, None, False, str(mapped or exc), [])
                        continue
                    latency = (time.perf_counter() - started) * 1000
                    tried.append((url, response.status_code))
                    verdict = door_verdict(response.status_code, response.headers.get("content-type", ""),
                                           response.content, door)
                    count = None
                    if door == "openai" and response.status_code < 300:
                        try:
                            model_ids = [str(m["id"]) for m in response.json().get("data", [])]
                            count = len(model_ids)
                        except (ValueError, KeyError, TypeError, AttributeError):
                            verdict = "absent"
                    note = ""
                    if response.status_code >= 400 and (verdict != "answer" or door == "openai"):
                        note = " ".join(error_from_status(response.status_code, response.text, dialect=door,
                                                          secrets=self.secrets).message.split())
                    software = software or _software(response.headers)
                    last = DoorCheck(door, url, response.status_code, round(latency, 1), count,
                                     software, verdict == "answer", note, [])
                    last.refused = verdict == "refused"
                    first = first or last
                    if last.refused:
                        refusal = last
                    if verdict == "answer":
                        row = last
                        if finder is not None:
                            finder.decide(base)
                        break
                chosen = row or refusal or first or last
                assert chosen is not None
                if row is None and finder is not None and chosen.status is not None and chosen.url:
                    # As on first use: no place answered, so the last refusal's place (else the first) stays.
                    finder.decide(chosen.url.removesuffix(_ENDPOINTS["anthropic"]) if door == "anthropic"
                                  else self.doors[door])
                chosen.tried = tried
                rows.append(chosen)
        return RelayCheck(self.root, rows)

    def _probe_request(self, door: str, base: str, model_ids: list[str]) -> tuple[str, str, Any, dict[str, str]]:
        """(url, method, JSON body, headers) of the costless request `check` sends to one door."""
        headers = {"accept": "application/json", **self.headers}
        key = self._key.get() or ""
        if door == "openai":
            return base + "/models", "GET", None, headers
        if door == "anthropic":
            headers.update({"x-api-key": key, "anthropic-version": "2023-06-01"})
            # A Claude model the relay lists, so that a gateway routing by model name (Portkey) sends the
            # empty conversation to Anthropic, which refuses it, rather than to a provider without this API.
            model = next((m for m in model_ids if m.lower().startswith("claude")), "")
            return base + "/v1/messages", "POST", {"model": model, "max_tokens": 1, "messages": []}, headers
        model = next((m for m in model_ids if m.lower().startswith("gemini")), "gemini-2.5-flash")
        headers["x-goog-api-key"] = key
        return f"{base}/v1beta/models/{model}:generateContent", "POST", {"contents": []}, headers

    def close_models(self, model: str, *, n: int = 3) -> list[str]:
        """Model ids this relay serves that look like `model` (for "did you mean" hints); [] if unknown."""
        try:
            served = self.models()
        except Exception:
            return []
        return difflib.get_close_matches(model, served, n=n, cutoff=0.6)

    # ------------------------------------------------------------------ SDK clients

    def client(self, dialect: Dialect, *, sdk_retries: bool = True) -> Any:
        """The synchronous official SDK client for a dialect's door (built once, then reused).

        `sdk_retries=False`: as for `async_client` (sync `agent(...)` runs use that one).
        """
        door = DOOR_OF[self._check_dialect(dialect, "`client()`")]
        slot = door if sdk_retries else f"{door}/no-retries"
        with self._lock:
            if slot not in self._clients:
                self._clients[slot] = self._build(door, asynchronous=False,
                                                  retries=self.max_retries if sdk_retries else 0,
                                                  marked=not sdk_retries)
            return self._clients[slot]

    def async_client(self, dialect: Dialect, *, sdk_retries: bool = True) -> Any:
        """The async SDK client for a dialect's door, one per event loop.

        Why per loop: httpx2 connection pools belong to the loop they were opened on, and the sync
        bridge (`agent(...)` outside a notebook) may run each call on a fresh loop.

        `sdk_retries=False` gives a client whose SDK never retries: the agent uses it and retries
        with `retry_policy` itself, the same way for every dialect (`agentkit.retry`).
        """
        door = DOOR_OF[self._check_dialect(dialect, "`async_client()`")]
        loop = asyncio.get_running_loop()
        slot = door if sdk_retries else f"{door}/no-retries"
        with self._lock:
            clients = self._async_clients.setdefault(loop, {})
            if slot not in clients:
                clients[slot] = self._build(door, asynchronous=True, retries=self.max_retries if sdk_retries else 0,
                                            marked=not sdk_retries)
            client = clients[slot]
        return load(door).async_surface(client)  # type: ignore[attr-defined]

    def semaphore(self) -> ConcurrencyLimit | Throttled:
        """This relay's limit on requests in flight (`max_concurrency`), shared by every thread and loop.

        `async with relay.semaphore(): ...` holds one slot; see `agentkit.retry.ConcurrencyLimit`.
        With a `rate_limit`, entering first waits for the request's turn (`agentkit._ratelimit`).
        """
        rate = self._rate
        if rate is None:
            return self._limit
        from agentkit._ratelimit import Throttled

        return Throttled(rate, self._limit)

    @property
    def rate_limit(self) -> float | None:
        """Requests per minute allowed through this relay (None: no limit)."""
        return self._rate.per_minute if self._rate is not None else None

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        if value is None:
            self._rate = None
            return
        from agentkit._ratelimit import RateLimit

        self._rate = RateLimit(value)

    @staticmethod
    def _with_host(error: _E, url: str) -> _E:
        """A connection error naming the URL it could not reach, when the SDK's words do not
        (the OpenAI SDK says only "Connection error.")."""
        from urllib.parse import urlsplit

        from agentkit.errors import RelayConnectionError
        from agentkit.retry import with_advice

        host = urlsplit(url).netloc
        if not isinstance(error, RelayConnectionError) or not host or host in str(error):
            return error
        return with_advice(error, f"Tried {url} (host {host}). {error.advice}")  # type: ignore[return-value]

    def map_error(self, exc: BaseException, *, dialect: str | None = None, model: str | None = None) -> BaseException:
        """The agentkit error for an SDK exception raised through this relay (or `exc` itself)."""
        mapped = from_sdk_error(exc, dialect=dialect, model=model, secrets=self.secrets)
        if mapped is None:
            return exc
        if dialect in DOOR_OF:
            mapped = self._with_host(mapped, self.doors[DOOR_OF[dialect]])
        from agentkit.errors import ModelNotFoundError

        if isinstance(mapped, ModelNotFoundError) and model and not mapped.suggestions:
            fields: dict[str, Any] = {
                "status": mapped.status, "dialect": mapped.dialect, "model": mapped.model, "code": mapped.code,
            }
            retryable = mapped.retryable  # a 503 "no available channel" is retried before it is raised
            if mapped.status == 404 and model in self.close_models(model, n=1):
                # The relay lists the model, so the 404 is about the door (R2/R3 relays lack some).
                advice = load(dialect or "openai").missing_door_advice(model)  # type: ignore[attr-defined]
                mapped = ModelNotFoundError(mapped.message, advice=advice, **fields)
            elif suggestions := [m for m in self.close_models(model) if m != model]:
                mapped = ModelNotFoundError(mapped.message, suggestions=suggestions, **fields)
            if retryable:
                mapped.retryable = True
        return mapped

    def _http_client(self, *, asynchronous: bool = False, marked: bool = False, door: str = "openai",
                     built_for: str | None = None) -> Any:
        """The httpx2 client every SDK client of this relay sends through (`agentkit._transport`).

        Its guard keeps the key with the door's host and the backup hosts (a redirect elsewhere goes
        without credentials), bounds each answer's size (`max_answer_bytes`) and each attempt's time
        (`timeout`, streams included), and with `marked` records each request the agent sends
        (`agentkit.retry.track_sending`). Backup hosts are tried below it; the connection pool is the
        one the door's SDK builds for itself. `built_for`: the base URL of the SDK client this is for;
        a door not yet found is then looked for through it (`agentkit._transport.DoorFinder`).
        """
        import httpx2

        from agentkit import _transport

        connections, alive = load(door).POOL  # type: ignore[attr-defined]
        limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=alive)
        base = built_for or self.doors[door]
        guard = _transport.guard([base, self.root, *self.backup_roots], mark=marked,
                                 max_bytes=self.max_answer_bytes, deadline=self.timeout)
        finder = self._finders.get(door) if built_for else None
        timeout = httpx2.Timeout(self.timeout, connect=min(10.0, self.timeout))
        if asynchronous:
            inner: Any = httpx2.AsyncHTTPTransport(limits=limits)
            if self.backup_roots:
                inner = _transport.AsyncFailoverTransport(self.root, self.backup_roots, inner)
            if finder is not None:
                inner = _transport.AsyncDoorFindingTransport(inner, finder, base)
            return httpx2.AsyncClient(timeout=timeout, transport=_transport.AsyncGuardedTransport(inner, guard),
                                      follow_redirects=True)
        sync_inner: Any = httpx2.HTTPTransport(limits=limits)
        if self.backup_roots:
            sync_inner = _transport.FailoverTransport(self.root, self.backup_roots, sync_inner)
        if finder is not None:
            sync_inner = _transport.DoorFindingTransport(sync_inner, finder, base)
        return httpx2.Client(timeout=timeout, transport=_transport.GuardedTransport(sync_inner, guard),
                             follow_redirects=True)

    def _build(self, door: str, *, asynchronous: bool, retries: int | None = None, marked: bool = False) -> Any:
        """The door's SDK client, built by its dialect module with everything explicit (see `build_client`)."""
        base = self.doors[door]
        return load(door).build_client(  # type: ignore[attr-defined]
            base_url=base,
            # The SDKs refuse to build without a key; a keyless relay ignores the header anyway.
            api_key=self._key.get() or "no-key",
            timeout=self.timeout,
            retries=self.max_retries if retries is None else retries,
            headers=self.headers,
            http_client=self._http_client(asynchronous=asynchronous, marked=marked, door=door, built_for=base),
            asynchronous=asynchronous,
        )


def _software(headers: Mapping[str, str]) -> str | None:
    """The relay software an answer's headers name, if any."""
    names = {k.lower(): v for k, v in headers.items()}
    if "x-litellm-version" in names:
        return f"LiteLLM {names['x-litellm-version']}"
    if any(k.startswith("x-litellm-") for k in names):
        return "LiteLLM"
    if "x-oneapi-request-id" in names:
        return "new-api / one-api"
    if any(k.startswith("x-portkey-") for k in names):
        return "Portkey"
    return None


@checked_class("DoorCheck", "door")
class DoorCheck:
    """One door as `Relay.check()` found it."""

    def __init__(self, door: str, url: str | None, status: int | None, latency_ms: float | None, models: int | None,
                 software: str | None, found: bool, note: str, tried: list[tuple[str, int | None]]) -> None:
        self.door = door
        #: The request URL that answered (or the last one tried).
        self.url = url
        self.status = status
        self.latency_ms = latency_ms
        #: How many models `GET /models` listed (OpenAI door only).
        self.models = models
        self.software = software
        #: Whether a door answered there (any answer but "nothing here" or a refusal of the key).
        self.found = found
        #: The relay's message when it refused, else "".
        self.note = note
        #: Every (URL, status) tried for this door, in order.
        self.tried = tried
        #: Whether the last place tried refused the key (401/403, or a 400 saying so).
        self.refused = False

    def __repr__(self) -> str:
        return (f"DoorCheck(door={self.door!r}, url={self.url!r}, status={self.status!r}, found={self.found!r}, "
                f"latency_ms={self.latency_ms!r}, models={self.models!r}, software={self.software!r})")

    def summary(self) -> str:
        if self.found:
            where = f"answered at {self.url}"
        elif self.refused:
            where = f"refused the key at {self.url}"
        else:
            where = "not found (" + ", ".join(f"{u}: {s if s is not None else 'no answer'}"
                                             for u, s in self.tried) + ")"
        return where


@checked_class("RelayCheck", "check")
class RelayCheck:
    """What `Relay.check()` found: one `DoorCheck` per door, printable and shown as a table in notebooks."""

    def __init__(self, root: str, doors: list[DoorCheck]) -> None:
        self.root = root
        self.doors = doors

    def __iter__(self) -> Any:
        return iter(self.doors)

    def __getitem__(self, door: str) -> DoorCheck:
        for row in self.doors:
            if row.door == door:
                return row
        doors = ", ".join(f"`{r.door}`" for r in self.doors)
        raise UnknownKeyError(
            f"`relay.check()` probed no {door!r} door; it probed {doors}.{_suggestion(door, [r.door for r in self.doors])}"
            f" Index the check with one of those (`check[{self.doors[0].door!r}]`), or iterate it."
            if self.doors else f"`relay.check()` probed no {door!r} door: it probed none."
        )

    @property
    def ok(self) -> bool:
        """Every door answered, and none refused the key."""
        return all(r.found for r in self.doors)

    @property
    def software(self) -> str | None:
        return next((r.software for r in self.doors if r.software), None)

    def _rows(self) -> list[list[str]]:
        return [[r.door, r.summary(), "" if r.status is None else str(r.status),
                 "" if r.latency_ms is None else f"{r.latency_ms:.0f} ms", "" if r.models is None else str(r.models),
                 r.software or "", r.note[:160]] for r in self.doors]

    _HEADER = ("door", "where", "status", "latency", "models", "software", "relay said")

    def __str__(self) -> str:
        lines = [f"Relay check of {self.root}:"]
        for row in self._rows():
            parts = [f"{name}={value}" for name, value in zip(self._HEADER[2:], row[2:], strict=True) if value]
            lines.append(f"  {row[0]}: {row[1]}" + (f" ({', '.join(parts)})" if parts else ""))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in self._HEADER)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self._rows())
        return (f"<p>Relay check of <code>{html.escape(self.root)}</code></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
