"""The live view: an ipywidgets tree that shows a run while it goes.

Imported only when a notebook run shows it (ipywidgets is heavy). Everything drawn comes from
`render`: each section of the view (prompt, per turn the reasoning, the text and each tool card,
then the structured output, an error and the footer) is one `HTML` widget whose value is a render
of the `RunView`. Only core ipywidgets are used, so the saved widget state also renders in
nbconvert HTML through `@jupyter-widgets/html-manager`, with no extension to load.

Why throttled: a fast stream sends hundreds of deltas a second, and each widget value change is a
comm message the browser must re-render. Events change the model at once; sections are pushed to
the browser at most every `interval` seconds (structural events — a tool starting or finishing, a
turn ending, the run ending — push at once), and only sections whose HTML changed are sent.

Widget callbacks (the approval buttons) run through `_guarded`: an exception shows up in the view
in red instead of vanishing into the kernel log.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import time
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from agentkit.cost import Pricing
from agentkit.display import render
from agentkit.display.render import RunView, TurnView
from agentkit.events import RunFinished, ToolCallFinished, ToolCallStarted, TurnFinished, TurnStarted
from agentkit.messages import Image, Message, ToolCallPart

__all__ = ["LiveView"]

_STRUCTURAL = (TurnStarted, TurnFinished, ToolCallStarted, ToolCallFinished, RunFinished)


class _Turn:
    """The widgets of one turn."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.reasoning_html = w.HTML()
        self.reasoning_html.add_class("ak-reasoning-text")
        self.reasoning = w.Accordion(children=[self.reasoning_html], selected_index=None)
        self.reasoning.add_class("ak-reasoning-view")
        self.reasoning.layout.display = "none"
        self.text = w.HTML()
        self.text.add_class("ak-text-view")
        self.tools_head = w.HTML()
        self.tools = w.Box()  # laid out as a grid by the `.ak-tools-view` CSS
        self.tools.add_class("ak-tools-view")
        self.cards: dict[int, _Card] = {}
        self.box = w.VBox([self.reasoning, self.text, self.tools_head, self.tools])
        self.box.add_class("ak-turn")


class _Card:
    """One tool call's widgets: its HTML card and, when it needs approval, the buttons."""

    def __init__(self) -> None:
        self.html = w.HTML()
        self.html.add_class("ak-tool-view")
        self.approval = w.HBox()
        self.box = w.VBox([self.html, self.approval])
        self.box.add_class("ak-card-view")


class LiveView:
    """A live, throttled ipywidgets view of one run.

    Args:
        prompt: The user's prompt, shown at the top.
        images: The user's images, shown as thumbnails.
        model: The model name (the footer shows it before the first turn starts).
        dialect: Its dialect.
        interval: Seconds between pushes of streamed text to the browser.
        pricing: The relay's prices, for the cost in the footer while the run goes.
    """

    def __init__(
        self,
        *,
        prompt: str | None = None,
        images: list[Image] | None = None,
        model: str | None = None,
        dialect: str | None = None,
        interval: float = 0.1,
        pricing: Pricing | None = None,
    ) -> None:
        self.state = RunView(prompt=prompt, images=list(images or []), model=model, dialect=dialect,
                             pricing=pricing)
        self.interval = interval
        self.pushes = 0
        """How many widget values were sent (what throttling keeps low)."""
        self._sent: dict[int, Any] = {}
        self._dirty: set[str] = {"user", "footer"}
        self._last_push = 0.0
        self._last_footer = 0.0
        self._style = w.HTML(render.style_tag())
        self._user = w.HTML()
        self._user.add_class("ak-user-view")
        self._turns_box = w.VBox()
        self._output = w.HTML()
        self._output.add_class("ak-output-view")
        self._error = w.HTML()
        self._error.add_class("ak-error-view")
        self._footer = w.HTML()
        self._footer.add_class("ak-footer-view")
        self._turns: dict[int, _Turn] = {}
        self.widget = w.VBox([self._style, self._user, self._turns_box, self._output, self._error, self._footer])
        self.widget.add_class("ak")
        self.widget.add_class("ak-run")
        self.widget.add_class("ak-live")
        self._handle: Any = None
        self.flush(force=True)

    # -- showing --------------------------------------------------------------------------------

    def show(self) -> None:
        """Display the view in the current cell (with a plain-text stand-in for widget-less front ends)."""
        from IPython.display import display

        self._handle = display(self._bundle(final=False), raw=True, display_id=True)

    def _bundle(self, *, final: bool) -> dict[str, Any]:
        """The cell's output: the live widget while the run goes; once it ends, the run as static HTML.

        Why static at the end: JupyterLab and Notebook 7 do not save widget state by default, and
        a front end given a widget output without its model shows "Error displaying widget: model
        not found" rather than the output's `text/html`. The finished run needs no widget (the
        approval buttons are gone, reasoning and tool cards fold with `<details>`), so its cell keeps
        the static form: the notebook reopens, exports and renders on GitHub showing every run.
        """
        if final:
            return {
                "text/html": render.run_html(self.state, live=True),
                "text/markdown": render.run_markdown(self.state),
                "text/plain": render.run_text(self.state),
            }
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = "agentkit run in progress (the live view needs ipywidgets in the front end)"
        return bundle

    def set_user(self, message: Message) -> None:
        """Show the prompt and images as the agent stored them (images converted, sizes known)."""
        from agentkit.messages import FilePart, ImagePart

        self.state.prompt = message.text or self.state.prompt
        self.state.images = [p.image for p in message.parts if isinstance(p, ImagePart)]
        self.state.files = [p.file for p in message.parts if isinstance(p, FilePart)]
        self._dirty.add("user")

    # -- events ---------------------------------------------------------------------------------

    def handle(self, event: object) -> None:
        """Take one event; push to the browser now if it is structural, else when the interval is up."""
        self._dirty |= self.state.apply(event)
        self.flush(force=isinstance(event, _STRUCTURAL))
        if isinstance(event, RunFinished) and self._handle is not None:
            self._handle.update(self._bundle(final=True), raw=True)

    def fail(self, error: BaseException) -> None:
        """The run raised: show it (the exception still reaches the caller)."""
        self._dirty |= self.state.fail(error)
        self._dirty.add("error")
        self.flush(force=True)
        if self._handle is not None:
            self._handle.update(self._bundle(final=True), raw=True)

    def tick(self) -> None:
        """Called while nothing happens: push pending text, and the elapsed time twice a second."""
        now = time.perf_counter()
        if self.state.status == "running" and now - self._last_footer >= 0.5:
            self._dirty.add("footer")
        self.flush()

    def flush(self, *, force: bool = False) -> None:
        """Push the changed sections, unless the last push was less than `interval` ago."""
        now = time.perf_counter()
        if not self._dirty or (not force and now - self._last_push < self.interval):
            return
        dirty, self._dirty = self._dirty, set()
        self._last_push = now
        state = self.state
        if "user" in dirty:
            self._set(self._user, "value", render.user_html(state))
        for turn in state.turns:
            self._sync_turn(turn, dirty)
        if "output" in dirty:
            self._set(self._output, "value", render.output_html(state.output, partial=state.output_partial))
        if "footer" in dirty or "error" in dirty:
            self._set(self._error, "value", render.error_html(state))
            self._set(self._footer, "value", render.footer_html(state))
            self._last_footer = now

    def _sync_turn(self, turn: TurnView, dirty: set[str]) -> None:
        n = turn.number
        tw = self._turns.get(n)
        if tw is None:
            tw = self._turns[n] = _Turn(n)
            self._turns_box.children = (*self._turns_box.children, tw.box)
            dirty = dirty | {f"text:{n}", f"reasoning:{n}", f"tools:{n}"}
        running = self.state.status == "running" and not turn.finished
        if f"reasoning:{n}" in dirty and turn.reasoning:
            tw.reasoning.layout.display = None
            self._set(tw.reasoning_html, "value", render.esc(turn.reasoning))
            title = render.reasoning_title(turn, running)
            if tw.reasoning.titles != (title,):
                tw.reasoning.titles = (title,)
                self.pushes += 1
        if f"text:{n}" in dirty:
            self._set(tw.text, "value", render.turn_text_html(self.state, turn))
        if f"tools:{n}" in dirty or any(k.startswith(f"tool:{n}:") for k in dirty):
            self._set(tw.tools_head, "value", render.tools_head_html(turn))
            for tool in turn.tools:
                card = tw.cards.get(tool.index)
                if card is None:
                    card = tw.cards[tool.index] = _Card()
                    tw.tools.children = (*tw.tools.children, card.box)
                self._set(card.html, "value", render.tool_html(tool, self.state.sources.get(tool.name)))

    def _set(self, widget: w.Widget, name: str, value: Any) -> None:
        key = id(widget)
        if self._sent.get(key) == value:
            return
        self._sent[key] = value
        setattr(widget, name, value)
        self.pushes += 1

    # -- approval -------------------------------------------------------------------------------

    def ask(self, call: ToolCallPart, *,
            future: concurrent.futures.Future[bool] | None = None) -> concurrent.futures.Future[bool]:
        """Show Approve/Deny under the call's card; `future` (or a new one) resolves on the click."""
        if future is None:
            future = concurrent.futures.Future()
        tool = self.state._tool_for(call)
        tool.status = "waiting"
        n = self.state.turn.number
        self._dirty |= {f"tool:{n}:{tool.index}", f"tools:{n}"}
        self.flush(force=True)
        card = self._turns[n].cards[tool.index]
        approve = w.Button(description="Approve", button_style="success", icon="check",
                           layout=w.Layout(width="auto"))
        deny = w.Button(description="Deny", button_style="danger", icon="times", layout=w.Layout(width="auto"))
        approve.add_class("ak-approve")
        deny.add_class("ak-deny")
        note = w.HTML(f'<span class="ak-approval">Run <code>{render.esc(call.name)}</code> with these arguments?</span>')

        def answer(value: bool) -> None:
            approve.disabled = deny.disabled = True
            tool.status = "running" if value else "error"
            if not value:
                tool.error = "Denied by the user."
            verdict = "approved" if value else "denied"
            note.value = f'<span class="ak-approval">You {verdict} this call.</span>'
            self._dirty |= {f"tool:{n}:{tool.index}", f"tools:{n}"}
            self.flush(force=True)
            if not future.done():
                future.set_result(value)

        approve.on_click(self._guarded(lambda _b: answer(True)))
        deny.on_click(self._guarded(lambda _b: answer(False)))
        card.approval.children = (approve, deny, note)
        card.approval.layout = w.Layout(padding="6px 10px 2px 0", align_items="center")
        card.approval.add_class("ak-approval-view")
        return future

    def _guarded(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        """Run a widget callback; an exception is shown in the view instead of being swallowed."""

        def run(arg: Any) -> None:
            try:
                handler(arg)
            except Exception as exc:  # shown to the user, see the module docstring
                self.show_error(exc)

        return run

    def show_error(self, exc: BaseException) -> None:
        """Show an exception raised by a widget callback (with its traceback) in the view."""
        text = "".join(traceback.format_exception(exc))
        self._set(self._error, "value", f'<div class="ak-run-error"><div class="ak-error-box">{render.esc(text)}</div></div>')
        with contextlib.suppress(Exception):
            import logging

            logging.getLogger("agentkit.display").error("A widget callback failed:\n%s", text)
