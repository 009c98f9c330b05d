"""The public boundary: keyword checking, forgiving input coercion and short tracebacks.

Why here, once: the public entry points (`ak.Agent(...)`, `agent(...)`, `ak.Relay(...)`, `ak.tool(...)`,
...) share three habits a newcomer meets in the first minutes.

- **Keywords are checked at once.** A misspelled keyword (`sytem=`) raises `ak.ConfigurationError`
  naming the closest known keywords (difflib), at the call, not at the first model request.
  :func:`checked_keywords` does it for a function with a fixed signature; :func:`check_keywords` for
  a function whose `**options` are passed through to the model (only names close to a known one are
  refused there: see `agentkit.agent`). :func:`checked_class` does it for every public method of a
  public class (and its constructor), and :func:`refuse_unknown` for any other public function:
  those check names only, and only once Python has refused the call (one extra call frame otherwise).
- **One item where a list is expected is one item.** `images="cat.png"`, `tools=get_weather`:
  :func:`as_list` wraps a single value instead of iterating it (a string into characters).
- **Tracebacks stop at the call site.** An agentkit error already says what happened and what to do;
  the internal frames below the public entry point only repeat it. :func:`trim` drops them (its
  `__cause__`, the SDK or OS error behind it, keeps its own traceback). Set
  `AGENTKIT_FULL_TRACEBACKS=1` to keep every frame when debugging agentkit itself.
"""

from __future__ import annotations

import collections.abc
import difflib
import functools
import inspect
import os
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from agentkit.errors import AgentkitError, ConfigurationError

__all__ = [
    "as_list",
    "check_keywords",
    "check_values",
    "checked_class",
    "checked_keywords",
    "close_matches",
    "full_tracebacks",
    "refuse_unknown",
    "suggestion",
    "trim",
]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

CHECKED = "__agentkit_checked__"
"""Set on every callable whose keywords are checked (a test walks the public surface for it)."""

#: Containers read as "several items"; anything else (a str, bytes, a path, an image, a function) is one item.
_MANY = (list, tuple, set, frozenset)


def close_matches(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> list[str]:
    """The known names closest to `name` (best first), case-insensitively."""
    lowered = {k.lower(): k for k in known}
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=cutoff)]


def suggestion(name: str, known: Iterable[str], *, keyword: bool = False) -> str:
    """" Did you mean `x`?" for the known names closest to `name`, or "" when none is close."""
    matches = close_matches(name, known)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(f"`{m}=`" if keyword else f"`{m}`" for m in matches) + "?"


def check_keywords(given: Iterable[str], known: Iterable[str], where: str, *, listed: Iterable[str] | None = None,
                   hint: str = "") -> None:
    """Raise `ConfigurationError` for the first name of `given` that is not in `known`.

    `where` names the call (`ak.Agent(...)`); `listed` are the keywords the message lists (default
    `known`); `hint` ends the message (what else can be done).
    """
    known = list(known)
    for name in given:
        if name in known:
            continue
        names = ", ".join(f"`{k}`" for k in (known if listed is None else listed))
        takes = f"Its keywords are {names}." if names else "It takes no keyword arguments."
        raise ConfigurationError(
            f"{where} got an unknown keyword argument {name!r}.{suggestion(name, known, keyword=True)} "
            f"{takes}{(' ' + hint) if hint else ''}"
        )


def _parameters(fn: Callable[..., Any]) -> tuple[list[str], bool]:
    """The keyword names `fn` accepts, and whether it takes `**kwargs` (then every name is accepted)."""
    names: list[str] = []
    var_keyword = False
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_keyword = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "cls"):
            names.append(p.name)
    return names, var_keyword


def _article(text: str) -> str:
    return ("an " if text[:1] in "aeiou" else "a ") + text


def _expected(hint: Any) -> tuple[Callable[[Any], bool], str] | None:
    """A test and a description for a value of type `hint`, or None when the hint is not simple to check."""
    if hint is Any:
        return None
    if hint is None or hint is type(None):
        return (lambda v: v is None), "None"
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        options = typing.get_args(hint)
        return (lambda v: v in options), "one of " + ", ".join(map(repr, options))
    if origin in (typing.Union, types.UnionType):
        members = [_expected(a) for a in typing.get_args(hint)]
        if any(m is None for m in members):
            return None
        tests = [m[0] for m in members if m is not None]
        return (lambda v: any(t(v) for t in tests)), " or ".join(m[1] for m in members if m is not None)
    if origin is not None:  # a parameterised generic: only the abstract containers are checked, by origin
        if origin in (collections.abc.Iterable, collections.abc.Mapping, collections.abc.Callable):
            return (lambda v: isinstance(v, origin)), _article(origin.__name__.lower())
        return None
    if hint is float:
        return (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)), "a number"
    if hint is int:
        return (lambda v: isinstance(v, int) and not isinstance(v, bool)), "an int"
    if isinstance(hint, type):
        name = {"str": "str", "bool": "bool (True or False)"}.get(hint.__name__, f"`{hint.__name__}`")
        return (lambda v: isinstance(v, hint)), _article(name)
    return None


def _checks(fn: Callable[..., Any]) -> dict[str, tuple[Callable[[Any], bool], str]]:
    """Per parameter name, the value test its annotation allows (parameters whose hints do not resolve are skipped)."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # a hint naming a type imported only for type checkers: check the others one by one
        hints = {}
        namespace = {**vars(typing), **getattr(fn, "__globals__", {})}
        for name, text in getattr(fn, "__annotations__", {}).items():
            try:
                hints[name] = eval(text, namespace) if isinstance(text, str) else text
            except Exception:
                continue
    positional_only = {p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.POSITIONAL_ONLY}
    checks = {}
    for name, hint in hints.items():  # positional-only arguments (`@ak.tool`'s function) check themselves
        if name != "return" and name not in positional_only and (check := _expected(hint)) is not None:
            checks[name] = check
    return checks


def check_values(values: dict[str, Any], checks: dict[str, tuple[Callable[[Any], bool], str]], where: str) -> None:
    """Raise `ConfigurationError` for the first value that its parameter's type does not allow."""
    for name, value in values.items():
        check = checks.get(name)
        if check is not None and not check[0](value):
            raise ConfigurationError(
                f"`{name}=` of {where} must be {check[1]}; got {type(value).__name__} {value!r:.80}. "
                f"Pass {check[1]}."
            )


def checked_keywords(where: str) -> Callable[[F], F]:
    """Decorate a public function or `__init__` so that mistakes in its arguments raise `ConfigurationError` at once.

    A misspelled keyword gets "did you mean"; a missing required argument is named; a value whose
    type the annotation rules out (a str for a number, a list for a str) is refused with the type
    expected. Only simple annotations are checked (classes, unions, `Literal`, abstract containers);
    the function still validates values itself.
    """

    def decorate(fn: F) -> F:
        names, var_keyword = _parameters(fn)
        allowed = frozenset(names)
        signature = inspect.signature(fn)
        checks: dict[str, tuple[Callable[[Any], bool], str]] | None = None

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal checks
            if not var_keyword and kwargs and not allowed.issuperset(kwargs):
                check_keywords(kwargs, names, where)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise ConfigurationError(
                    f"{where} was called with the wrong arguments ({exc}). "
                    f"Its arguments are {', '.join(f'`{n}`' for n in names)}; see `help()` on it."
                ) from None
            if checks is None:  # resolved on first use: the hints may name types defined after the function
                checks = _checks(fn)
            check_values(bound.arguments, checks, where)
            return fn(*args, **kwargs)

        setattr(wrapper, CHECKED, not var_keyword)
        return wrapper  # type: ignore[return-value]

    return decorate


def refuse_unknown(where: str) -> Callable[[F], F]:
    """Decorate a public function so that a keyword it does not take raises `ConfigurationError`
    with "did you mean" (names only; `checked_keywords` also checks values)."""
    return lambda fn: _refusing(fn, where)


def _refusing(fn: F, where: str) -> F:
    """`fn`, refusing unknown keywords. A function that takes `**kwargs` passes them on and is
    returned unchanged: its own code knows which names it accepts."""
    if getattr(fn, CHECKED, False):
        return fn
    names, var_keyword = _parameters(fn)
    if var_keyword:
        return fn
    allowed = frozenset(names)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError:
            # Checked only on failure (free otherwise): an unknown keyword fails Python's own
            # argument binding, before the body runs, so nothing has happened yet.
            if kwargs and not allowed.issuperset(kwargs):
                try:
                    check_keywords(kwargs, names, where)
                except ConfigurationError as exc:
                    raise trim(exc) from None
            raise

    setattr(wrapper, CHECKED, True)
    return wrapper  # type: ignore[return-value]


def checked_class(public: str, instance: str) -> Callable[[C], C]:
    """Class decorator: the constructor and every public method refuse unknown keywords at once.

    `public` is how users name the class (`ak.Relay`), `instance` how they name an object of it
    (`relay`): the error then says `relay.check(...)` got an unknown keyword. Put it above
    `@dataclass` so the generated `__init__` is the one checked. Dunder methods other than
    `__init__` are left alone (`Tool.__call__` forwards to the user's own function).
    """

    def decorate(cls: C) -> C:
        for name, member in list(vars(cls).items()):
            if name != "__init__" and name.startswith("_"):
                continue
            if name == "__init__":
                where = f"`{public}(...)`"
            elif isinstance(member, (classmethod, staticmethod)):
                where = f"`{public}.{name}(...)`"
            else:
                where = f"`{instance}.{name}(...)`"
            if isinstance(member, classmethod):
                setattr(cls, name, classmethod(_refusing(member.__func__, where)))
            elif isinstance(member, staticmethod):
                setattr(cls, name, staticmethod(_refusing(member.__func__, where)))
            elif inspect.isfunction(member):
                setattr(cls, name, _refusing(member, where))
        return cls

    return decorate


def quoted(value: object, limit: int = 200) -> str:
    """`repr(str(value))`, shortened: a user's path or name quoted in a message, never a file's content."""
    shown = repr(str(value))
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def as_list(value: Any) -> list[Any]:
    """`value` as a list of items: a list, tuple, set or iterator is several; anything else is one item.

    Why not "anything iterable": a str or bytes (a path, image data) iterates into characters, an
    open file into lines, and a single image or tool passed without brackets should mean that one item.
    """
    if value is None:
        return []
    if callable(getattr(value, "read", None)):
        return [value]  # an open file is one item, although it iterates (into lines)
    if isinstance(value, (*_MANY, Iterator)):
        return list(value)
    return [value]


def full_tracebacks() -> bool:
    """Whether `AGENTKIT_FULL_TRACEBACKS` asks to keep agentkit's internal frames."""
    return os.environ.get("AGENTKIT_FULL_TRACEBACKS", "").strip().lower() not in ("", "0", "false", "no")


def trim(exc: BaseException) -> BaseException:
    """`exc` with the traceback below the public entry point dropped, if it is an agentkit error.

    Use as `except AgentkitError as exc: raise trim(exc)`: the traceback then starts at the `raise`
    in the public function, one frame below the caller's line. Other exceptions (a bug in a user's
    callback, KeyboardInterrupt) keep every frame: there the frames are the story.
    """
    if isinstance(exc, AgentkitError) and not full_tracebacks():
        return exc.with_traceback(None)
    return exc
