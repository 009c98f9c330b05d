"""How agentkit shows runs: a live widget in notebooks, static HTML/Markdown/text everywhere else.

- `render`: pure functions from a run (or a history) to HTML, Markdown and plain text. `Reply` and
  `Agent` use them for `_repr_mimebundle_`, so results read well in nbconvert HTML, on GitHub and in
  consoles without widgets.
- `widget`: the ipywidgets live view (imported only when a notebook run shows it).
- `live`: drives a run while feeding the live view (throttled), and the notebook approval buttons.

`display="auto"` means: a live view when running inside a Jupyter kernel with ipywidgets
installed, nothing in scripts. This module imports neither IPython nor ipywidgets.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.display.render import Transcript
    from agentkit.display.widget import LiveView
    from agentkit.reply import Reply

__all__ = ["in_notebook", "open_view", "resolve", "show_reply", "transcript"]


def in_notebook() -> bool:
    """Whether code runs in a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab), not a terminal.

    IPython is only looked at if it is already imported: a kernel always has imported it, and a
    plain script must not pay for importing it.
    """
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return False
    get_ipython = getattr(ipython_module, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None:
        return False
    return getattr(shell, "kernel", None) is not None and type(shell).__name__ != "TerminalInteractiveShell"


def _has_widgets() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(display: bool | str | None) -> bool:
    """Turn a `display=` option into yes/no: "auto" shows the live view only in a notebook."""
    if display is None or display is False:
        return False
    if display == "auto":
        return in_notebook() and _has_widgets()
    if display is True:
        if not _has_widgets():
            from agentkit.errors import ConfigurationError

            raise ConfigurationError(
                "`display=True` needs ipywidgets, which is not installed; `pip install ipywidgets`, "
                "or pass `display=False`."
            )
        return True
    from agentkit.errors import ConfigurationError

    raise ConfigurationError(f"`display` must be True, False or \"auto\"; got {display!r}.")


def transcript(history: Any, *, title: str | None = None) -> Transcript:
    """A displayable transcript of `agent.history` (or of the agent itself)."""
    from agentkit.display.render import transcript as make

    return make(history, title=title)


def _cell_number() -> int | None:
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module is not None else None
    count = getattr(shell, "execution_count", None)
    return count if isinstance(count, int) else None


def open_view(agent: Agent, display: bool | str | None, prompt: str | None) -> LiveView | None:
    """Show a live view for a run of `agent` in the current cell, if `display` resolves to yes."""
    if not resolve(display):
        return None
    from agentkit.display.widget import LiveView

    view = LiveView(prompt=prompt, model=agent.model, dialect=agent.dialect, pricing=agent.relay.pricing)
    view.state.sources = {t.name: t.source for t in agent.tools if t.source}  # MCP tools: their server
    view.show()
    return view


def mark_shown(reply: Reply) -> None:
    """Remember that a live view in this cell showed `reply`, so the cell's result does not repeat it."""
    reply._live_cell = _cell_number()  # type: ignore[attr-defined]


def show_reply(reply: Reply) -> None:
    """IPython's display hook for a Reply: its static rendering, unless a live view in this very
    cell already shows the run (then `agent("...")` as a cell's last line does not draw it twice)."""
    cell = getattr(reply, "_live_cell", None)
    if cell is not None and cell == _cell_number():
        return
    from IPython.display import display

    display(reply._repr_mimebundle_(), raw=True)
