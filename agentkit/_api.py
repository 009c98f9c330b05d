"""The public boundary: keyword checking, forgiving input coercion and short tracebacks.

Why here, once: the public entry points (`ak.Agent(...)`, `agent(...)`, `ak.Relay(...)`, `ak.tool(...)`,
...) share three habits a newcomer meets in the first minutes.

- **Keywords are checked at once.** A misspelled keyword (`sytem=`) raises `ak.ConfigurationError`
  naming the closest known keywords (difflib), at the call, not at the first model request.
  :func:`checked_keywords` does it for a function with a fixed signature; :func:`check_keywords` for
  a function whose `**options` are passed through to the model (only names close to a known one are
  refused there: see `agentkit.agent`).
- **One item where a list is expected is one item.** `images="cat.png"`, `tools=get_weather`:
  :func:`as_list` wraps a single value instead of iterating it (a string into characters).
- **Tracebacks stop at the call site.** An agentkit error already says what happened and what to do;
  the internal frames below the public entry point only repeat it. :func:`trim` drops them (its
  `__cause__`, the SDK or OS error behind it, keeps its own traceback). Set
  `AGENTKIT_FULL_TRACEBACKS=1` to keep every frame when debugging agentkit itself.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from agentkit.errors import AgentkitError, ConfigurationError

__all__ = ["as_list", "check_keywords", "checked_keywords", "close_matches", "full_tracebacks", "trim"]

F = TypeVar("F", bound=Callable[..., Any])

#: Containers read as "several items"; anything else (a str, bytes, a path, an image, a function) is one item.
_MANY = (list, tuple, set, frozenset)


def close_matches(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> list[str]:
    """The known names closest to `name` (best first), case-insensitively."""
    lowered = {k.lower(): k for k in known}
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=cutoff)]


def _suggestion(name: str, known: Iterable[str]) -> str:
    matches = close_matches(name, known)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(f"`{m}=`" for m in matches) + "?"


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
        raise ConfigurationError(
            f"{where} got an unknown keyword argument {name!r}.{_suggestion(name, known)} "
            f"Its keywords are {names}.{(' ' + hint) if hint else ''}"
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


def checked_keywords(where: str) -> Callable[[F], F]:
    """Decorate a public function or `__init__` so a misspelled keyword raises at once with "did you mean".

    Only keyword names are checked here (fast: a set lookup per keyword); values are the function's own business.
    """

    def decorate(fn: F) -> F:
        names, var_keyword = _parameters(fn)
        if var_keyword:
            return fn  # it takes anything: nothing to check by name
        allowed = frozenset(names)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kwargs and not allowed.issuperset(kwargs):
                check_keywords(kwargs, names, where)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def as_list(value: Any) -> list[Any]:
    """`value` as a list of items: a list, tuple, set or iterator is several; anything else is one item.

    Why not "anything iterable": a str or bytes (a path, image data) iterates into characters, and a
    single image or tool passed without brackets should mean that one item.
    """
    if value is None:
        return []
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
