"""`agent.save(path)` / `ak.Agent.load(path, tools=, relay=)`: a conversation that outlives the kernel.

The file is JSON with a top-level `version` (`VERSION`). It holds what makes the next request the
one the agent would have sent: the model, system prompt, options, settings, the tools' names and the
whole history. It holds no relay (its URL is where the notebook runs, not part of the conversation),
no key, and no tool code: tools are saved by name and given again to `load(tools=...)`, as the relay is.

Why generic: the history is made of the dataclasses in `agentkit.messages`, and new part types come
(files, audio) as do new fields (token counts). Every dataclass is written as its fields, tagged with a
stable name from `_TYPES`; so a new field needs nothing here, and a new part type one line in `_TYPES`
(tests/saving checks that every part type is listed). Values JSON cannot hold are tagged too: bytes as
base64, tuples as tuples (a tool result's content), dicts whose keys JSON would mangle.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit import messages
from agentkit._api import quoted
from agentkit._transport import CREDENTIAL_HEADERS
from agentkit.errors import ConfigurationError

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.relay import Relay
    from agentkit.tools import Tool

__all__ = ["FORMAT", "VERSION", "SaveFileError", "Saved", "dump", "from_json", "read", "save", "to_json"]

FORMAT = "agentkit.agent"
"""The file's `format`: tells an agentkit file from any other JSON."""
VERSION = 1
"""The newest format version this agentkit reads and writes."""

#: Stable names of the dataclasses a saved history holds. A new part type (or value type) in
#: `agentkit.messages` needs its line here; its fields need nothing.
_TYPES: dict[str, type] = {
    "message": messages.Message,
    "text": messages.TextPart,
    "image_part": messages.ImagePart,
    "image": messages.Image,
    "file_part": messages.FilePart,
    "file": messages.File,
    "reasoning": messages.ReasoningPart,
    "tool_call": messages.ToolCallPart,
    "tool_result": messages.ToolResultPart,
    "usage": messages.Usage,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}

#: Headers in `options` that carry credentials: never written (the relay adds its own on load).
_SECRET_HEADERS = frozenset({*CREDENTIAL_HEADERS, "cookie"})


class SaveFileError(ConfigurationError):
    """A saved agent file that cannot be read: damaged, of a newer version, or not an agentkit file."""


# ---------------------------------------------------------------------------------------------- values


class _Unknown(ValueError):
    """A type or field this agentkit does not know: the file may come from a newer agentkit."""


class _Unsavable(Exception):
    """A value JSON cannot hold and `_encode` does not know; `where` says where it sits."""

    def __init__(self, value: Any, where: str) -> None:
        super().__init__(where)
        self.value = value
        self.where = where


def _encode(value: Any, where: str) -> Any:
    """`value` as JSON-able data that `_decode` turns back into an equal value of the same types."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        items = {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items() if isinstance(k, str)}
        if len(items) < len(value) or any(k.startswith("$") for k in items):
            # Keys JSON would turn into strings (or that look like our tags): kept as pairs.
            return {"$dict": [[_encode(k, where), _encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        return items
    name = _NAMES.get(type(value))
    if name is not None:
        data: dict[str, Any] = {"$type": name}
        for f in dataclasses.fields(value):
            data[f.name] = _encode(getattr(value, f.name), f"{where}.{f.name}")
        return data
    raise _Unsavable(value, where)


def _decode(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "$bytes" in data:
        return base64.b64decode(data["$bytes"], validate=True)
    if "$tuple" in data:
        return tuple(_decode(v) for v in data["$tuple"])
    if "$dict" in data:
        return {_decode(k): _decode(v) for k, v in data["$dict"]}
    if "$type" in data:
        name = data["$type"]
        cls = _TYPES.get(name)
        if cls is None:
            raise _Unknown(f"it holds a value of the unknown type {name!r}")
        fields = {k: _decode(v) for k, v in data.items() if k != "$type"}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise _Unknown(f"its {name!r} values have fields this agentkit does not know: {unknown}")
        return cls(**fields)
    return {k: _decode(v) for k, v in data.items()}


def to_json(value: Any) -> Any:
    """JSON-able data for a history (or any value made of message parts, lists, dicts, bytes)."""
    try:
        return _encode(value, "value")
    except _Unsavable as exc:
        raise ConfigurationError(_unsavable_message(exc, "")) from None


def from_json(data: Any) -> Any:
    """The value `to_json` was given, from its data (raises ValueError on data it did not write)."""
    return _decode(data)


def _unsavable_message(exc: _Unsavable, path: str) -> str:
    into = f" into {path}" if path else ""
    return (
        f"`{exc.where}` is a {type(exc.value).__name__} ({exc.value!r:.80}), which cannot be saved{into}: a saved "
        "agent holds text, numbers, lists, dicts, bytes and agentkit messages. Replace it (for an option, with "
        "its JSON form), or remove it before saving."
    )


# ---------------------------------------------------------------------------------------------- agents


def dump(agent: Agent) -> dict[str, Any]:
    """The saved form of `agent` (what `save` writes), as JSON-able data."""
    state: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "model": agent.model,
        "system": agent.system,
        "options": _encode(_without_credentials(agent.options), "agent.options"),
        "max_turns": agent.max_turns,
        "parallel_tools": agent.parallel_tools,
        "output_retries": agent.output_retries,
        "output": _output_state(agent.output),
        "tools": [t.name for t in agent.tools],
        "history": _encode(list(agent.history), "agent.history"),
    }
    return state


def save(agent: Agent, path: str | os.PathLike[str]) -> Path:
    """Write `agent` to `path` as JSON (atomically: a crash leaves the old file or the new one)."""
    target = _as_path(path, "agent.save")
    try:
        state = dump(agent)
    except _Unsavable as exc:
        raise ConfigurationError(_unsavable_message(exc, quoted(target))) from None
    try:
        text = json.dumps(state, ensure_ascii=False, indent=1, allow_nan=False)
    except ValueError:  # NaN or infinity: not JSON, and no other JSON reader would take the file
        raise ConfigurationError(
            f"The agent cannot be saved to {quoted(target)}: its options or history hold a number that is NaN or "
            "infinite, which JSON cannot hold. Replace it (e.g. with None or a string) and save again."
        ) from None
    _refuse_secrets(text, agent.relay, target)
    try:
        data = text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate (from a tool's output, say): escaped, it reads back exactly
        data = json.dumps(state, indent=1).encode("ascii") + b"\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigurationError(
            f"The agent cannot be saved to {quoted(target)} ({exc.strerror or type(exc).__name__}); pass a path "
            "in a folder you can write to."
        ) from None
    return target


@dataclasses.dataclass
class Saved:
    """A saved agent as read from its file: what `ak.Agent.load` builds the agent from."""

    path: Path
    model: str
    settings: dict[str, Any]
    """`system`, `max_turns`, `parallel_tools`, `output_retries`, `options` as saved."""
    tools: list[str]
    """The saved tools' names, in order."""
    output: dict[str, Any] | None
    history: list[messages.Message]

    def arguments(self, tools: list[Tool], overrides: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments of `ak.Agent(model, ...)` for this agent, with `tools` given anew.

        Every saved tool must be in `tools` (matched by name); more may be given. The saved tools
        come first, in their saved order, so the next request is the one the saved agent would have
        sent. `overrides` (`display=`, `approve=`, `output=`, `max_turns=`, ...) win over the saved settings.
        """
        kwargs = {**self.settings, "output": self._output(overrides), "tools": self._tools(tools)}
        kwargs.update(overrides)
        return kwargs

    def _tools(self, given: list[Tool]) -> list[Tool]:
        by_name = {t.name: t for t in given}
        missing = [name for name in self.tools if name not in by_name]
        if missing:
            names = ", ".join(f"`{n}`" for n in missing)
            have = ", ".join(f"`{n}`" for n in by_name) or "none"
            raise ConfigurationError(
                f"The agent saved in {quoted(self.path)} used the tool(s) {names}, not given to `load` (given: "
                f"{have}). Tools are saved by name only: pass the functions again, "
                "`ak.Agent.load(path, tools=[...])`."
            )
        return [by_name[n] for n in self.tools] + [t for t in given if t.name not in self.tools]

    def _output(self, overrides: dict[str, Any]) -> Any:
        saved = self.output
        if saved is None or "output" in overrides:
            return overrides.get("output")
        if "schema" in saved:
            return _decode(saved["schema"])
        raise ConfigurationError(
            f"The agent saved in {quoted(self.path)} had the structured output type {saved.get('type')!r}, which a "
            "file cannot hold: pass it again, `ak.Agent.load(..., output=ThatType)` (or `output=None` to load "
            "without it)."
        )


def read(path: str | os.PathLike[str]) -> Saved:
    """Read a file `save` wrote; a damaged file, another kind of file or a newer version raise `SaveFileError`."""
    source = _as_path(path, "ak.Agent.load")
    state = _read(source)
    try:
        history = _decode(state["history"])
        _check_history(history)
        options = _decode(state["options"])
        if not isinstance(options, dict):
            raise ValueError("its `options` is not an object")
        tools = state["tools"]
        if not isinstance(tools, list) or not all(isinstance(n, str) for n in tools):
            raise ValueError("its `tools` is not a list of names")
        model = state["model"]
        if not isinstance(model, str):
            raise ValueError(f"its `model` is {model!r}, not a name")
        output = state.get("output")
        if output is not None and not isinstance(output, dict):
            raise ValueError("its `output` is not an object")
        settings = {name: state[name] for name in ("system", "max_turns", "parallel_tools", "output_retries")}
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(source, exc) from None
    settings["options"] = options
    return Saved(source, model, settings, tools, output, history)


def _read(source: Path) -> dict[str, Any]:
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(
            f"There is no saved agent at {quoted(source)}: the file does not exist. Check the path (the working "
            f"directory is {str(Path.cwd())!r})."
        ) from None
    except IsADirectoryError:
        raise ConfigurationError(f"{quoted(source)} is a directory; pass the file `agent.save(...)` wrote.") from None
    except OSError as exc:
        raise ConfigurationError(
            f"The saved agent {quoted(source)} cannot be read ({exc.strerror or type(exc).__name__}); check its "
            "permissions."
        ) from None
    try:
        state = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, or not JSON (cut short, edited)
        raise _damaged(source, exc) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SaveFileError(
            f"{quoted(source)} is not an agent saved by agentkit (it has no `\"format\": {FORMAT!r}`); pass a file "
            "that `agent.save(...)` wrote."
        )
    version = state.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _damaged(source, ValueError(f"its `version` is {version!r}, not a number"))
    if version > VERSION:
        raise SaveFileError(
            f"{quoted(source)} was saved by a newer agentkit (file format version {version}; this agentkit reads "
            f"up to version {VERSION}). Upgrade agentkit (`pip install -U agentkit`) to load it."
        )
    return state


def _damaged(source: Path, exc: BaseException) -> SaveFileError:
    what = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError) else (
        f"{type(exc).__name__}: {exc}")
    if isinstance(exc, KeyError):
        what = f"it has no {exc.args[0]!r} entry"
    if isinstance(exc, _Unknown):
        return SaveFileError(
            f"The saved agent {quoted(source)} cannot be loaded: {what[:300]}. It was saved by a newer agentkit "
            "(upgrade agentkit: `pip install -U agentkit`) or edited by hand (restore it from a copy)."
        )
    return SaveFileError(
        f"The saved agent {quoted(source)} is damaged and cannot be loaded ({what[:300]}). It may have been cut "
        "short or edited by hand; save the agent again, or restore the file from a copy."
    )


def _check_history(history: Any) -> None:
    if not isinstance(history, list) or not all(isinstance(m, messages.Message) for m in history):
        raise ValueError("its `history` is not a list of messages")
    for message in history:
        if not isinstance(message.parts, list):
            raise ValueError("a message's `parts` is not a list")


def _as_path(path: Any, verb: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigurationError(
            f"`{verb}(path)` needs a file path (str or pathlib.Path) such as 'trip.json'; got "
            f"{type(path).__name__} {path!r:.80}."
        )
    return Path(path)


def _without_credentials(options: dict[str, Any]) -> dict[str, Any]:
    """`options` minus credential headers (`extra_headers={"Authorization": ...}`): never written to a file."""
    headers = options.get("extra_headers")
    if not isinstance(headers, dict):
        return options
    kept = {k: v for k, v in headers.items() if not (isinstance(k, str) and k.lower() in _SECRET_HEADERS)}
    return {**options, "extra_headers": kept}


def _refuse_secrets(text: str, relay: Relay, target: Path) -> None:
    """No key and no relay address in the file, wherever it might hide (a prompt, a tool result, an option)."""
    for secret in relay.secrets:
        if secret and secret in text:
            raise ConfigurationError(
                f"The agent was not saved to {quoted(target)}: the conversation or its options contain the relay's "
                "API key. Remove it (e.g. `agent.history` entries or `agent.options` holding it) and save again."
            )
    for url in (relay.root, *getattr(relay, "backup_roots", ())):
        address = str(url).rstrip("/")
        if address and address in text:
            raise ConfigurationError(
                f"The agent was not saved to {quoted(target)}: its options or conversation contain the relay's "
                f"address {address!r}, which a saved agent must not hold (it is given again to `load(relay=...)`). "
                "Remove it and save again."
            )


def _output_state(output: Any) -> dict[str, Any] | None:
    """The structured output type as saved: a JSON Schema dict as it is; a type by its name only."""
    if output is None:
        return None
    if isinstance(output, dict):
        return {"schema": _encode(output, "agent.output")}
    name = getattr(output, "__qualname__", None) or repr(output)
    return {"type": f"{getattr(output, '__module__', '')}.{name}".lstrip(".")}
