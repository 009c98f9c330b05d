"""Tools: Python functions a model can call, in every dialect.

`@ak.tool` turns a function into an :class:`Tool`. The tool stays callable exactly like the function,
and adds what an agent needs:

- `tool.to_schema(dialect)`: the declaration that dialect's `tools` list takes, computed once
  from one canonical JSON Schema (see `agentkit/_schema.py`) by the dialect's module (the "schema"
  section of `agentkit/dialects/<dialect>.py`);
- `tool.invoke(arguments, dialect=...)` / `await tool.ainvoke(...)`: the model's arguments (a dict
  or JSON text) are validated against the schema *that dialect showed the model*, converted to the
  annotated Python types, and the function is called. Bad arguments raise
  :class:`~agentkit.errors.ToolArgumentsError` with sentences the model can act on;
- :func:`result_to_content` / :func:`error_to_content`: a return value or exception becomes the
  neutral content of a tool result (text, JSON text, images).

Tool sets: :func:`tools_from` collects the tools of an object's methods or a module's functions.

Example::

    @ak.tool
    def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict:
        '''Current weather for a city.

        Args:
            city: City name, e.g. "Paris".
            unit: Temperature unit.
        '''

    get_weather("Paris")                              # the function, unchanged
    get_weather.to_schema("anthropic")                # {"name": ..., "input_schema": {...}}
    get_weather.invoke('{"city": "Paris", "unit": null}', dialect="openai")
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import contextvars
import functools
import inspect
import json
import logging
import threading
import types
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, overload

from . import _schema
from ._api import checked_class, checked_keywords
from ._schema import FuncSchema, JsonSchema
from ._schema_dialects import GeminiForm
from .dialects import DIALECTS
from .dialects.base import DialectModule, load, shown_validator
from .errors import ConfigurationError
from .messages import File, FilePart, Image, ImagePart, TextPart

__all__ = [
    "Tool",
    "ToolSet",
    "default_tool",
    "error_to_content",
    "images_as_text",
    "result_to_content",
    "tool",
    "tool_result_content",
    "tools_from",
]

logger = logging.getLogger("agentkit.tools")

Content = tuple[TextPart | ImagePart | FilePart, ...]


class _Cache:
    """Per-tool memo of dialect schemas and validators, shared by the copies `__get__` binds."""

    def __init__(self) -> None:
        self.parameters: dict[tuple[str, str | None, bool], tuple[JsonSchema, str | None]] = {}
        self.validators: dict[tuple[str | None, str | None, bool], Any] = {}
        self.lock = threading.Lock()


@checked_class("ak.Tool", "tool")
class Tool:
    """A function (or a raw JSON Schema plus a callable) that a model can call.

    Attributes:
        name: The name the model calls it by.
        description: What it does, for the model (the docstring without its parameter section).
        fn: The function that runs; for a method accessed on an instance, bound to it.
        approval: Whether the agent must ask its approval hook before running it.
        timeout: Seconds a call may take before it becomes an error result (None: no limit).
        is_async: Whether `fn` is a coroutine function (`__call__` then returns a coroutine).
        source: Where the tool lives when it is not a Python function here (an MCP server's name),
            shown beside its name in the live view; None otherwise.
    """

    name: str
    description: str
    fn: Callable[..., Any]
    __name__: str
    __qualname__: str
    approval: bool
    timeout: float | None
    is_async: bool
    source: str | None = None

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = True,
        approval: bool = False,
        timeout: float | None = None,
    ) -> None:
        if isinstance(fn, Tool):
            name = name if name is not None else fn.name
            description = description if description is not None else fn.description
            fn = fn._raw
        if not callable(fn) and not isinstance(fn, (staticmethod, classmethod)):
            raise ConfigurationError(
                f"`ak.tool` needs a function or other callable; got {type(fn).__name__}: {fn!r}."
            )
        self._raw: Any = fn
        self._spec: FuncSchema = _schema.function_schema(fn, name=name, description=description)
        self._bind_to_class = isinstance(fn, classmethod)
        plain = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
        # `__name__`, `__doc__`, `__wrapped__`... but not the function's `__dict__`, which could shadow ours.
        functools.update_wrapper(self, plain, updated=())
        if not isinstance(getattr(self, "__name__", None), str):  # callable objects have no __name__
            self.__name__ = self.__qualname__ = self._spec.name
        self.__signature__ = inspect.signature(plain)
        self._setup(plain, strict=strict, approval=approval, timeout=timeout)

    def _setup(self, fn: Callable[..., Any], *, strict: bool, approval: bool, timeout: float | None) -> None:
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigurationError(
                f"The `timeout` of tool `{self._spec.name}` must be a positive number of seconds; got {timeout!r}."
            )
        self.name = self._spec.name
        self.description = self._spec.description
        self.fn = fn
        self.approval = bool(approval)
        self.timeout = float(timeout) if timeout is not None else None
        self.is_async = inspect.iscoroutinefunction(_schema._underlying(fn)) or inspect.iscoroutinefunction(
            fn
        )
        self._strict_requested = bool(strict)
        self._cache = _Cache()
        if self.is_async:
            # Python 3.12+: make `inspect.iscoroutinefunction(tool)` true, like the function's.
            marker = getattr(inspect, "markcoroutinefunction", None)
            if marker is not None:
                marker(self)
        if self._strict_requested and self.strict_problem is not None:
            logger.info(
                "The tool `%s` is sent to OpenAI without strict mode: %s", self.name, self.strict_problem
            )

    @classmethod
    def from_schema(
        cls,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        fn: Callable[..., Any],
        *,
        strict: bool = True,
        approval: bool = False,
        timeout: float | None = None,
    ) -> Tool:
        """A tool from a hand-written JSON Schema. `fn` receives the validated JSON arguments as keywords.

        No type conversion happens (the values are JSON); nulls sent for optional properties are
        dropped, as for function tools. Use it for schemas generated elsewhere (an MCP server, an
        OpenAPI operation) or when you need full control over what the model sees.
        """
        if not callable(fn):
            raise ConfigurationError(
                f"`Tool.from_schema` needs a callable `fn`; got {type(fn).__name__}: {fn!r}."
            )
        self = cls.__new__(cls)
        self._raw = fn
        self._spec = _schema.raw_schema(name, description, parameters)
        self._bind_to_class = False
        self.__name__ = self.__qualname__ = name
        self.__doc__ = description
        self._setup(fn, strict=strict, approval=approval, timeout=timeout)
        return self

    # ------------------------------------------------------------------------------------------
    # Schema

    @property
    def parameters(self) -> JsonSchema:
        """The canonical JSON Schema of the arguments (what Anthropic is shown). Treat it as read-only."""
        return self._spec.parameters

    @property
    def strict(self) -> bool:
        """Whether the OpenAI forms are sent in strict mode: requested (the default) and expressible."""
        return self._strict_requested and self.strict_problem is None

    @strict.setter
    def strict(self, value: bool) -> None:
        self._strict_requested = bool(value)

    @property
    def strict_problem(self) -> str | None:
        """Why the schema cannot be sent in OpenAI strict mode (None when it can)."""
        return self._dialect_parameters("openai", None, strict=True)[1]

    def _dialect_parameters(
        self, dialect: str, form: str | None, *, strict: bool
    ) -> tuple[JsonSchema, str | None]:
        """The dialect's parameters and strict-mode problem, for a `form` already checked (`_form`)."""
        key = (dialect, form, strict)
        cached = self._cache.parameters.get(key)
        if cached is not None:
            return cached
        result = load(dialect).tool_parameters(self._spec.parameters, strict=strict, form=form, tool=self.name)
        with self._cache.lock:
            self._cache.parameters[key] = result
        return result

    def to_schema(self, dialect: str, *, form: GeminiForm | None = None) -> dict[str, Any]:
        """The declaration the `dialect`'s `tools` list takes (a fresh dict each call).

        - `"openai"`: `{"type": "function", "function": {"name", "description", "parameters", "strict"}}`
        - `"responses"`: `{"type": "function", "name", "description", "parameters", "strict"}`
        - `"anthropic"`: `{"name", "description", "input_schema"}`
        - `"gemini"`: a function declaration `{"name", "description", "parameters_json_schema"}`;
          with `form="parameters"`, the OpenAPI-subset `parameters` form instead, for relays that do
          not pass `parameters_json_schema` through (it raises ConfigurationError for recursive types).
        """
        module = load(dialect)
        shown_form = _form(module, dialect, form)
        strict = self.strict
        parameters, _ = self._dialect_parameters(dialect, shown_form, strict=strict)
        return module.tool_declaration(
            self.name, self.description, _schema.copy_json(parameters), strict=strict, form=shown_form
        )

    def shown_schema(self, dialect: str | None = None, *, form: GeminiForm | None = None) -> JsonSchema:
        """The JSON Schema arguments are validated against for `dialect` (None: the canonical schema).

        It is what that dialect showed the model, read as JSON Schema, where optional values may
        also be null (meaning "use the default") or left out.
        """
        return _schema.copy_json(self._validator(dialect, form).schema)

    def _validator(self, dialect: str | None, form: GeminiForm | None) -> Any:
        key = (dialect, form, self.strict)
        validator = self._cache.validators.get(key)
        if validator is None:  # a bad dialect or form raises here, so it is never cached
            checked = _form(None if dialect is None else load(dialect), dialect, form)
            validator = shown_validator(self._spec.parameters, dialect, strict=self.strict, form=checked,
                                        name=self.name)
            with self._cache.lock:
                self._cache.validators[key] = validator
        return validator

    # ------------------------------------------------------------------------------------------
    # Calls

    def validate(
        self,
        arguments: Mapping[str, Any] | str | None,
        *,
        dialect: str | None = None,
        form: GeminiForm | None = None,
    ) -> dict[str, Any]:
        """Check the model's arguments without calling the tool.

        Returns them as JSON, without the nulls that mean "use the default". Raises
        ToolArgumentsError naming every bad argument and why (schema and conversion problems).
        """
        data, problems = self._check(arguments, dialect, form)
        _schema.raise_problems(
            self.name, _schema.merge_problems(problems, self._spec.conversion_problems(data))
        )
        return data

    def _check(
        self, arguments: Mapping[str, Any] | str | None, dialect: str | None, form: GeminiForm | None
    ) -> tuple[dict[str, Any], list[_schema.Problem]]:
        data = _schema.parse_arguments(self.name, arguments)
        problems = _schema.schema_problems(self.name, self._validator(dialect, form), data)
        data = _schema.drop_default_nulls(self._spec.parameters, data)
        if self._spec.model is None and dialect is not None:
            # A raw-schema tool has no converter to enforce what the dialect's form left out.
            canonical = _schema.schema_problems(self.name, self._validator(None, None), data)
            problems = _schema.merge_problems(problems, canonical)
        return data, problems

    def _prepare(
        self, arguments: Mapping[str, Any] | str | None, dialect: str | None, form: GeminiForm | None
    ) -> tuple[list[Any], dict[str, Any]]:
        if self._spec.takes_self and not isinstance(self.fn, types.MethodType):
            raise ConfigurationError(
                f"The tool `{self.name}` is a method: use it through an instance (`obj.{self.name}`), "
                "or collect an instance's tools with `ak.tools_from(obj)`."
            )
        data, problems = self._check(arguments, dialect, form)
        return self._spec.bind(data, reported=problems)

    def invoke(
        self,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        dialect: str | None = None,
        form: GeminiForm | None = None,
    ) -> Any:
        """Validate the model's `arguments` (dict or JSON text), convert them, and call the tool.

        `dialect` names the schema the model was shown (None: the canonical schema). An async tool
        is run to completion (on a helper thread when this thread already runs an event loop, as in
        Jupyter). With a `timeout`, a call that runs longer raises TimeoutError; the work itself
        cannot be stopped and finishes in the background.
        """
        args, kwargs = self._prepare(arguments, dialect, form)
        if self.is_async:
            return _run_sync(lambda: self._await(args, kwargs))
        if self.timeout is None:
            return self.fn(*args, **kwargs)
        return _call_with_timeout(self, args, kwargs)

    async def ainvoke(
        self,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        dialect: str | None = None,
        form: GeminiForm | None = None,
    ) -> Any:
        """Like :meth:`invoke`, awaited: async tools run on this loop, sync tools on a worker thread."""
        args, kwargs = self._prepare(arguments, dialect, form)
        if self.is_async:
            return await self._await(args, kwargs)
        call = _in_thread(self.fn, args, kwargs, name=f"agentkit-tool-{self.name}")
        if self.timeout is None:
            return await call
        try:
            return await asyncio.wait_for(call, self.timeout)
        except TimeoutError:
            raise self._timeout_error() from None

    async def _await(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        coroutine = self.fn(*args, **kwargs)
        if self.timeout is None:
            return await coroutine
        try:
            return await asyncio.wait_for(coroutine, self.timeout)
        except TimeoutError:
            raise self._timeout_error() from None

    def _timeout_error(self) -> TimeoutError:
        return TimeoutError(
            f"The tool `{self.name}` did not finish within {self.timeout:g} seconds and was abandoned."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function exactly as written (no validation); async tools return a coroutine."""
        return self.fn(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> Tool:
        """Methods: `obj.method` is a tool bound to `obj` (sharing this tool's cached schemas)."""
        if self._bind_to_class:
            target = owner if owner is not None else type(instance)
        elif self._spec.takes_self and instance is not None:
            target = instance
        else:
            return self
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound.fn = types.MethodType(self.fn, target)
        bound.__signature__ = inspect.signature(bound.fn)
        return bound

    def __repr__(self) -> str:
        flags = []
        if self.is_async:
            flags.append("async")
        if self.approval:
            flags.append("approval")
        if self.timeout is not None:
            flags.append(f"timeout={self.timeout:g}")
        if self._strict_requested and self.strict_problem is not None:
            flags.append("non-strict")
        params = ", ".join(self._spec.param_names)
        extra = f" [{', '.join(flags)}]" if flags else ""
        return f"<Tool {self.name}({params}){extra}>"


def _form(module: DialectModule | None, dialect: str | None, form: str | None) -> str | None:
    """The schema form `form=` asks of `dialect` (None: its default), checked against those it takes."""
    forms = module.TOOL_FORMS if module is not None else ()
    if form is None:
        return forms[0] if forms else None
    if form in forms:
        return form
    if forms:
        raise ConfigurationError(
            f"The schema form for the {dialect!r} dialect must be {' or '.join(map(repr, forms))}; got {form!r}."
        )
    takers = [name for name in DIALECTS if load(name).TOOL_FORMS]
    raise ConfigurationError(
        f"`form=` only applies to the {' and '.join(map(repr, takers))} dialect{'s' if len(takers) > 1 else ''}; "
        f"got dialect {dialect!r}."
    )


async def _in_thread(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], *, name: str) -> Any:
    """Run a sync tool on its own daemon thread and await its result.

    Unlike `asyncio.to_thread`, an abandoned call (timeout, cancellation) never holds up the loop's
    shutdown: `asyncio.run` would otherwise wait for the default executor's threads to finish.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def target() -> None:
        try:
            value = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task
            error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_result(value))

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future


def _call_with_timeout(tool: Tool, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run a sync tool on a daemon thread and give up waiting after its timeout."""
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(tool.fn, *args, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"agentkit-tool-{tool.name}", daemon=True)
    worker.start()
    worker.join(tool.timeout)
    if worker.is_alive():
        raise tool._timeout_error()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _run_sync(make: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine to completion from sync code, even when this thread already runs a loop."""

    async def main() -> Any:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="agentkit-tool-loop", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# --------------------------------------------------------------------------------------------------
# The decorator


_DEFAULT_TOOLS: weakref.WeakKeyDictionary[Any, Tool] = weakref.WeakKeyDictionary()


def default_tool(fn: Callable[..., Any]) -> Tool:
    """`tool(fn)` for a plain function handed to `ak.Agent(tools=[...])`, its schema built once per function.

    Why: building a tool (signature, type hints, docstring, pydantic model, schema) costs 1-4 ms,
    and notebooks create agents again and again with the same functions (a re-run cell, an agent
    per item of a loop). Each agent still gets its own `Tool` (a shallow copy, as `__get__` makes for
    methods), so changing one agent's tool does not change another's. A function redefined in a
    cell is a new object, so it gets a new tool; objects that cannot be weakly referenced (most
    bound methods are made anew on each access anyway) are built each time.
    """
    try:
        built = _DEFAULT_TOOLS.get(fn)
    except TypeError:  # unhashable callable object
        return tool(fn)
    if built is None:
        built = tool(fn)
        with contextlib.suppress(TypeError):
            _DEFAULT_TOOLS[fn] = built
    copy = object.__new__(type(built))
    copy.__dict__.update(built.__dict__)
    return copy


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
    approval: bool = False,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


@overload
def tool(
    fn: Callable[..., Any],
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
    approval: bool = False,
    timeout: float | None = None,
) -> Tool: ...


@checked_keywords("`ak.tool(...)`")
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
    approval: bool = False,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make `fn` a :class:`Tool`; use bare (`@ak.tool`) or with options (`@ak.tool(name=..., timeout=30)`).

    Args:
        fn: A function, async function, method, bound method, static/class method or callable object.
        name: The name the model sees (default: the function's name).
        description: What the tool does (default: the docstring without its parameter section).
        strict: Send the OpenAI forms in strict mode when the schema allows it (the default).
            When it does not, the tool is sent non-strict and `tool.strict_problem` says why.
        approval: Ask the agent's approval hook before each run.
        timeout: Seconds a call may run before it becomes an error result for the model.
    """
    options: dict[str, Any] = {
        "name": name,
        "description": description,
        "strict": strict,
        "approval": approval,
        "timeout": timeout,
    }
    if fn is None:
        return lambda f: Tool(f, **options)
    return Tool(fn, **options)


# --------------------------------------------------------------------------------------------------
# Tool sets


class ToolSet(abc.ABC):
    """Several tools that come as one object (an MCP server): `ak.Agent(tools=[...])` takes its `tools()`.

    Why a base class rather than a list: the object owns a connection the tools share (connected
    on first use, closed with the object), and the agent asks for the tools when it is built.
    """

    @abc.abstractmethod
    def tools(self) -> list[Tool]:
        """The tools this set gives an agent."""


def tools_from(
    source: object,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> list[Tool]:
    """The tools of an object's methods, or of a module's functions.

    Collected: attributes that are already tools (`@ak.tool`), and public functions/methods that
    have a docstring and a type hint on every parameter. For a module, only functions defined in it
    (not ones it imports). `include` picks names explicitly (each must be usable, or an error says
    why); `exclude` leaves names out.
    """
    if isinstance(source, type):
        raise ConfigurationError(
            f"`tools_from` takes an instance or a module; got the class `{source.__name__}`. "
            f"Create an instance first, e.g. `ak.tools_from({source.__name__}())`."
        )
    excluded = set(exclude)
    module = source if isinstance(source, types.ModuleType) else None
    if include is not None:
        names = [n for n in include if n not in excluded]
        found = []
        for name in names:
            if not hasattr(source, name):
                raise ConfigurationError(f"{_label(source)} has no attribute `{name}` to make a tool of.")
            found.append(_as_tool(getattr(source, name)))
        return found
    tools: list[Tool] = []
    for name in _public_names(source):
        if name in excluded:
            continue
        static = inspect.getattr_static(source, name, None)
        if isinstance(static, Tool):
            tools.append(getattr(source, name))
            continue
        if isinstance(static, (property, functools.cached_property)):
            continue
        if module is not None and not inspect.isfunction(static):
            continue
        if module is not None and getattr(static, "__module__", None) != module.__name__:
            continue
        if module is None and not isinstance(static, (types.FunctionType, staticmethod, classmethod)):
            continue
        value = getattr(source, name)
        if not callable(value) or not _looks_like_tool(value):
            continue
        tools.append(_as_tool(value))
    return tools


def _public_names(source: object) -> list[str]:
    """Public names of a module, or of an instance's class and its bases from the same package.

    Bases from other packages are left out: a pydantic model's `model_dump` is documented and
    typed, but it is not one of the user's tools.
    """
    if isinstance(source, types.ModuleType):
        names = getattr(source, "__all__", None)
        if names is None:
            names = [n for n in vars(source) if not n.startswith("_")]
        return list(names)
    package = type(source).__module__.split(".")[0]
    names = []
    for klass in type(source).__mro__:
        if klass is object or klass.__module__.split(".")[0] != package:
            continue
        names.extend(n for n in vars(klass) if not n.startswith("_") and n not in names)
    return names


def _looks_like_tool(fn: Any) -> bool:
    if not inspect.getdoc(fn):
        return False
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(
        p.annotation is not inspect.Parameter.empty
        for p in signature.parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    )


def _as_tool(value: Any) -> Tool:
    if isinstance(value, Tool):
        return value
    return Tool(value)


def _label(source: object) -> str:
    if isinstance(source, types.ModuleType):
        return f"The module `{source.__name__}`"
    return f"The `{type(source).__name__}` instance"


# --------------------------------------------------------------------------------------------------
# Results

def result_to_content(value: Any) -> Content:
    """The content of a tool result for a return value.

    str -> text; numbers, booleans and None -> JSON text; dicts, lists, dataclasses and pydantic
    models -> JSON text (datetimes, enums, UUIDs... as pydantic serializes them); `ak.Image`, PIL
    images, matplotlib figures and image bytes -> an image (see `agentkit.images`); a list mixing
    images and other values -> one part each. An `ak.File` (a PDF, text, audio) -> a file, which each
    dialect carries in the tool result where its API can, else a text placeholder saying so.
    """
    if isinstance(value, (TextPart, ImagePart, FilePart)):
        return (value,)
    if isinstance(value, str):
        return (TextPart(value),)
    if isinstance(value, File):
        return (FilePart(value),)
    image = _as_image(value)
    if image is not None:
        return (ImagePart(image),)
    if isinstance(value, (list, tuple)) and any(_is_image_like(v) or isinstance(v, (File, FilePart)) for v in value):
        parts: list[TextPart | ImagePart | FilePart] = []
        for item in value:
            parts.extend(result_to_content(item))
        return tuple(parts)
    if isinstance(value, (bytes, bytearray)):
        try:
            return (TextPart(bytes(value).decode("utf-8")),)
        except UnicodeDecodeError:
            return (TextPart(base64.b64encode(bytes(value)).decode("ascii")),)
    return (TextPart(_json_text(value)),)


def error_to_content(exc: BaseException) -> tuple[TextPart]:
    """The content of an error result: `"<ExceptionType>: message"` (the type alone when there is no message)."""
    message = str(exc).strip()
    kind = type(exc).__name__
    return (TextPart(f"{kind}: {message}" if message else kind),)


def images_as_text(parts: Iterable[TextPart | ImagePart | FilePart]) -> tuple[TextPart | FilePart, ...]:
    """Replace images by a sentence, for dialects whose tool results carry only text (files: see the dialects)."""
    out: list[TextPart | FilePart] = []
    for part in parts:
        if isinstance(part, ImagePart):
            image = part.image
            size = f" {image.width}x{image.height}" if image.width and image.height else ""
            where = image.url if image.url is not None else f"{len(image.data or b'')} bytes"
            out.append(
                TextPart(
                    f"[The tool returned an image ({image.mime_type}{size}, {where}) that cannot be shown in a "
                    "tool result here.]"
                )
            )
        else:
            out.append(part)
    return tuple(out)


def tool_result_content(dialect: str, parts: Iterable[TextPart | ImagePart | FilePart]) -> Content:
    """`parts` as the `dialect` can carry them in a tool result (images become text where they cannot)."""
    parts = tuple(parts)
    if load(dialect).TOOL_RESULT_IMAGES:  # each dialect module says whether its tool results take images
        return parts
    return images_as_text(parts)


def _json_text(value: Any) -> str:
    from pydantic_core import to_jsonable_python

    try:
        data = to_jsonable_python(value, fallback=str, inf_nan_mode="null")
    except UnicodeDecodeError:
        data = to_jsonable_python(value, fallback=str, inf_nan_mode="null", bytes_mode="base64")
    return json.dumps(data, ensure_ascii=False)


def _is_image_like(value: Any) -> bool:
    return isinstance(value, (Image, ImagePart)) or _is_pil(value) or _is_figure(value)


def _is_figure(value: Any) -> bool:
    """A matplotlib figure, or anything else that renders itself as PNG (IPython's `_repr_png_`)."""
    return not isinstance(value, type) and (
        callable(getattr(value, "savefig", None)) or callable(getattr(value, "_repr_png_", None))
    )


def _is_pil(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "mode")


def _as_image(value: Any) -> Image | None:
    """The image a tool returned (sniffed, sized and downscaled like any image), or None for other values."""
    from agentkit.images import image_from_value

    return image_from_value(value)
