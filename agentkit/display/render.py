"""Pure renderers: a run (live or finished) as HTML, Markdown and plain text.

Why pure: the same functions draw the live widget's sections, the static `_repr_mimebundle_` of
`Reply` and `Agent` (what nbconvert, GitHub and consoles show), and the transcript of a history.
Nothing here imports ipywidgets or IPython, and every function returns strings, so tests can
render into strings and compare, as rich's tests do.

The model is `RunView`: what a person sees of one run (the prompt, then per turn the reasoning,
the text and the tool calls, then the structured output and a footer). `RunView.apply(event)`
advances it from the events a run emits; `RunView.from_messages(...)` rebuilds it from a
finished run's messages. Model-written text is Markdown rendered with raw HTML disabled (escaped),
so nothing a model or a tool returns can inject markup or scripts into the notebook.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import html
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from agentkit._filetypes import AUDIO_FORMATS
from agentkit.cost import Cost, Pricing, Spend
from agentkit.events import (
    ReasoningDelta,
    RunFinished,
    TextDelta,
    ToolCallDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import (
    File,
    FilePart,
    Image,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

if TYPE_CHECKING:
    from agentkit.reply import Reply

__all__ = [
    "CSS",
    "RunView",
    "ToolView",
    "TurnView",
    "Transcript",
    "agent_bundle",
    "footer_html",
    "file_html",
    "image_html",
    "json_html",
    "markdown_html",
    "output_html",
    "reply_bundle",
    "run_html",
    "run_markdown",
    "run_text",
    "to_jsonable",
    "tool_html",
    "transcript",
    "turn_text_html",
    "user_html",
]

ToolStatus = Literal["writing", "running", "waiting", "ok", "error"]
RunStatus = Literal["running", "done", "error", "interrupted"]

THUMBNAIL_PX = 320
"""Longest side of an image thumbnail: keeps widget state and saved notebooks small."""
_MAX_JSON_CHARS = 20_000
"""A tool argument or result longer than this is cut in the view (the history keeps it whole)."""

DIALECT_COLORS = {"openai": "#10a37f", "responses": "#0d8a6a", "anthropic": "#d97757", "gemini": "#4285f4"}

CSS = """
.ak{--ak-fg:var(--jp-content-font-color1,#1f2328);--ak-muted:var(--jp-content-font-color2,#59636e);
--ak-faint:var(--jp-content-font-color3,#818b98);--ak-card:var(--jp-layout-color0,#fff);
--ak-soft:var(--jp-layout-color2,#f6f8fa);--ak-border:var(--jp-border-color2,#d1d9e0);
--ak-accent:var(--jp-brand-color1,#8250df);--ak-ok:var(--jp-success-color1,#1a7f37);
--ak-err:var(--jp-error-color1,#cf222e);--ak-warn:var(--jp-warn-color1,#9a6700);
--ak-ok-text:color-mix(in srgb,var(--ak-ok) 70%,var(--ak-fg));--ak-err-text:color-mix(in srgb,var(--ak-err) 70%,var(--ak-fg));
--ak-warn-text:color-mix(in srgb,var(--ak-warn) 70%,var(--ak-fg));
font-family:var(--jp-ui-font-family,-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif);
font-size:13.5px;line-height:1.55;color:var(--ak-fg);max-width:980px;box-sizing:border-box}
.ak *{box-sizing:border-box}
.ak-run{display:flex;flex-direction:column;gap:10px;padding:2px}
.ak-user{display:flex;gap:10px;align-items:flex-start}
.ak-avatar{flex:none;width:24px;height:24px;border-radius:50%;display:flex;align-items:center;justify-content:center;
font-size:9px;letter-spacing:-.02em;font-weight:700;color:#fff;background:#57606a;margin-top:1px}
.ak-avatar.ak-bot{background:var(--ak-dialect,#8250df)}
.ak-bubble{background:var(--ak-soft);border:1px solid var(--ak-border);border-radius:4px 14px 14px 14px;padding:6px 12px;
max-width:100%;white-space:pre-wrap;word-break:break-word}
.ak-answer{display:flex;gap:10px;align-items:flex-start}
.ak-answer>.ak-md{flex:1;min-width:0}
.ak-md{word-break:break-word}
.ak-md>:first-child{margin-top:0}.ak-md>:last-child{margin-bottom:0}
.ak-md p{margin:.35em 0 .6em}
.ak-md h1,.ak-md h2,.ak-md h3,.ak-md h4{margin:.7em 0 .35em;line-height:1.25;font-weight:600}
.ak-md h1{font-size:1.45em}.ak-md h2{font-size:1.25em}.ak-md h3{font-size:1.1em}.ak-md h4{font-size:1em}
.ak-md ul,.ak-md ol{margin:.3em 0 .6em;padding-left:1.6em}
.ak-md li{margin:.15em 0}
.ak-md code{font-family:var(--jp-code-font-family,SFMono-Regular,Menlo,Consolas,monospace);font-size:.88em;
background:var(--ak-soft);border:1px solid var(--ak-border);border-radius:5px;padding:.05em .35em}
.ak-md pre{background:var(--ak-soft);border:1px solid var(--ak-border);border-radius:8px;padding:9px 12px;overflow:auto;
margin:.5em 0;line-height:1.45}
.ak-md pre code{background:none;border:0;padding:0;font-size:12.5px}
.ak pre{word-break:normal}
.ak-md blockquote{margin:.5em 0;padding:.1em .9em;border-left:3px solid var(--ak-border);color:var(--ak-muted)}
.ak-md table{border-collapse:collapse;margin:.5em 0}
.ak-md th,.ak-md td{border:1px solid var(--ak-border);padding:4px 10px;text-align:left}
.ak-md th{background:var(--ak-soft);font-weight:600}
.ak-md a{color:var(--jp-content-link-color,#0969da)}
.ak-caret{display:inline-block;width:7px;height:1.05em;vertical-align:text-bottom;background:var(--ak-dialect,#8250df);
border-radius:1px;margin-left:2px;animation:ak-blink 1s steps(2,start) infinite}
@keyframes ak-blink{to{visibility:hidden}}
.ak-reasoning{border-left:3px solid var(--ak-border);padding:2px 0 2px 12px;color:var(--ak-muted);font-size:12.5px}
.ak-reasoning summary{cursor:pointer;font-weight:600;color:var(--ak-muted)}
.ak-reasoning-text{white-space:pre-wrap;margin-top:4px}
.ak-tools,.ak .ak-tools-view{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:10px;
margin-left:34px;align-items:start}
.ak-tools-head{margin-left:34px;font-size:11.5px;color:var(--ak-muted);font-weight:600;letter-spacing:.02em}
.ak-tool{border:1px solid var(--ak-border);border-radius:10px;background:var(--ak-card);overflow:hidden;
min-width:0;box-shadow:0 1px 2px rgba(31,35,40,.06)}
.ak .ak-card-view{min-width:0;border-radius:10px}
.ak-tool.ak-running,.ak-tool.ak-waiting{border-color:var(--ak-accent)}
.ak-tool.ak-error{border-color:var(--jp-error-color2,#ff8182)}
.ak-tool-head{display:flex;align-items:center;gap:8px;padding:6px 10px;background:var(--ak-soft);
border-bottom:1px solid var(--ak-border)}
.ak-tool-head{list-style:none;cursor:pointer}.ak-tool-head::-webkit-details-marker{display:none}
.ak-tool-head::before{content:"▾";color:var(--ak-faint);font-size:10px;width:8px}
.ak-tool-fold:not([open])>.ak-tool-head{border-bottom:0}.ak-tool-fold:not([open])>.ak-tool-head::before{content:"▸"}
.ak-tool-name{font-family:var(--jp-code-font-family,SFMono-Regular,Menlo,Consolas,monospace);font-weight:600;font-size:12.5px}
.ak-tool-source{color:var(--ak-muted);font-size:11.5px;margin-left:6px}
.ak-tool-state{margin-left:auto;font-size:11.5px;color:var(--ak-muted);font-variant-numeric:tabular-nums;white-space:nowrap}
.ak-tool-body{padding:8px 10px;display:flex;flex-direction:column;gap:6px}
.ak-label{font-size:10.5px;text-transform:uppercase;letter-spacing:.07em;color:var(--ak-faint);font-weight:700}
.ak .ak-copy[hidden]{display:inline-block}
.ak-copy{font:600 10.5px/1.5 var(--jp-ui-font-family,sans-serif);letter-spacing:.02em;text-transform:none;color:var(--ak-muted);
background:var(--ak-card);border:1px solid var(--ak-border);border-radius:5px;padding:0 7px;margin-left:8px;cursor:pointer}
.ak-copy:hover{color:var(--ak-fg);border-color:var(--ak-muted)}
.ak-answer>.ak-copy{align-self:flex-start;flex:none;margin-left:0}
.ak-json{font-family:var(--jp-code-font-family,SFMono-Regular,Menlo,Consolas,monospace);font-size:12px;line-height:1.45;
white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;margin:0;background:var(--ak-soft);border-radius:6px;padding:6px 9px;
max-height:260px;overflow:auto}
.ak-k{color:var(--jp-mirror-editor-property-color,#0550ae)}.ak-s{color:var(--jp-mirror-editor-string-color,#0a3069)}
.ak-n{color:var(--jp-mirror-editor-number-color,#953800)}.ak-b{color:var(--jp-mirror-editor-keyword-color,#8250df)}
.ak-z{color:var(--jp-mirror-editor-comment-color,#6e7781);font-style:italic}
.ak-p{color:var(--ak-faint)}
.ak-long>summary{list-style:none;cursor:pointer;display:block}.ak-long>summary::-webkit-details-marker{display:none}
.ak-long .ak-json{max-height:none}.ak-long .ak-head{border-radius:6px 6px 0 0}.ak-long[open] .ak-head{padding-bottom:0}
.ak-long:not([open]) .ak-head{border-radius:6px;-webkit-mask-image:linear-gradient(#000 70%,transparent);
mask-image:linear-gradient(#000 70%,transparent)}
.ak-long .ak-rest{border-radius:0 0 6px 6px;padding-top:0}
.ak-more{display:block;font-size:11px;color:var(--ak-muted);margin-bottom:3px}
.ak-long[open] .ak-show,.ak-long:not([open]) .ak-fold{display:none}
.ak-icon{width:16px;height:16px;flex:none;display:inline-flex;align-items:center;justify-content:center;border-radius:50%;
font-size:10px;font-weight:700;color:#fff}
.ak-icon.ak-ok{background:var(--ak-ok)}.ak-icon.ak-err{background:var(--ak-err)}.ak-icon.ak-wait{background:var(--ak-warn)}
.ak-spinner{width:14px;height:14px;flex:none;border:2px solid var(--ak-border);border-top-color:var(--ak-accent);
border-radius:50%;animation:ak-spin .75s linear infinite;display:inline-block}
@keyframes ak-spin{to{transform:rotate(360deg)}}
.ak-error-box{background:var(--jp-rendermime-error-background,#ffebe9);border:1px solid var(--jp-error-color2,#ffcecb);
color:var(--ak-fg);border-radius:6px;padding:6px 9px;
font-family:var(--jp-code-font-family,monospace);font-size:12px;white-space:pre-wrap;word-break:break-word}
.ak-thumbs{display:flex;flex-wrap:wrap;gap:8px;margin-top:2px}
.ak-thumb{display:flex;flex-direction:column;gap:2px;font-size:10.5px;color:var(--ak-faint)}
.ak-thumb img{max-height:140px;max-width:220px;border-radius:8px;border:1px solid var(--ak-border);background:#fff;
object-fit:contain;display:block}
.ak-user .ak-thumbs{margin-top:6px}
.ak-file{display:inline-flex;align-items:center;gap:6px;padding:3px 9px;border:1px solid var(--ak-border);
border-radius:999px;font-size:11.5px;color:var(--ak-faint);max-width:320px}
.ak-file b{color:inherit;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ak-output{border:1px solid var(--ak-border);border-radius:10px;overflow:hidden;margin-left:34px}
.ak-output-head{display:flex;gap:8px;align-items:center;padding:6px 10px;background:var(--ak-soft);
border-bottom:1px solid var(--ak-border);font-size:12px;font-weight:600}
.ak-output-type{font-family:var(--jp-code-font-family,monospace);color:var(--ak-accent)}
.ak-output-body{padding:8px 10px;overflow:auto}
.ak-output details{margin-top:6px;font-size:12px}
.ak-output summary{cursor:pointer;color:var(--ak-muted)}
.ak table{margin-left:0;margin-right:0;table-layout:auto}
.ak.ak-run table th,.ak.ak-run table td{text-align:left}.ak.ak-run table tbody tr{background:transparent}
table.ak-kv,table.ak-grid{border-collapse:collapse;font-size:12.5px;width:auto}
table.ak-kv>tbody>tr>th{text-align:left;font-weight:600;color:var(--ak-muted);padding:3px 14px 3px 0;vertical-align:top;
white-space:nowrap;font-family:var(--jp-code-font-family,monospace);font-size:12px}
table.ak-kv>tbody>tr>td{padding:3px 0;vertical-align:top}
table.ak-grid th,table.ak-grid td{border:1px solid var(--ak-border);padding:3px 9px;text-align:left;vertical-align:top}
table.ak-grid th{background:var(--ak-soft);font-family:var(--jp-code-font-family,monospace);font-size:12px;font-weight:600}
table.ak-grid td.ak-num{text-align:right;font-variant-numeric:tabular-nums}
.ak-list{margin:0;padding-left:1.3em}
.ak-footer{display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:11.5px;color:var(--ak-muted);
padding-top:8px;border-top:1px solid var(--ak-border)}
.ak-chip{display:inline-flex;align-items:center;gap:5px;background:var(--ak-soft);border:1px solid var(--ak-border);
border-radius:999px;padding:1px 9px;white-space:nowrap;font-variant-numeric:tabular-nums}
.ak-chip b{color:var(--ak-fg);font-weight:600}
.ak-dot{width:8px;height:8px;border-radius:50%;background:var(--ak-dialect,#8250df);display:inline-block}
.ak-status{margin-left:auto;display:inline-flex;gap:6px;align-items:center;font-weight:600}
.ak-status.ak-ok{color:var(--ak-ok-text)}.ak-status.ak-err{color:var(--ak-err-text)}
.ak-status.ak-interrupted{color:var(--ak-warn-text)}
.ak-run-error{margin-left:34px}
.ak-history-head{font-size:12px;color:var(--ak-muted);display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.ak-approval{display:flex;gap:8px;align-items:center;padding:0 6px;font-size:12px;color:var(--ak-warn-text)}
.ak .ak-approval-view{gap:6px}
.ak .jupyter-widget-Collapse-header,.ak .p-Collapse-header{background:transparent;border:0;color:var(--ak-muted);
font-size:12.5px;padding:2px 8px;font-weight:600}
.ak .jupyter-widget-Collapse-contents,.ak .p-Collapse-contents{border:0;border-left:3px solid var(--ak-border);
padding:2px 0 2px 12px;background:transparent}
.ak .jupyter-widget-Accordion,.ak .p-Accordion{margin-left:34px}
.ak .widget-html,.ak .widget-html-content{line-height:inherit;font-size:inherit;margin:0;height:auto}
"""


# ---------------------------------------------------------------------------------------------- model


@dataclass
class ToolView:
    """One tool call as shown: from the model writing it to its result."""

    id: str | None
    name: str
    index: int = 0
    arguments: dict[str, Any] | str | None = None
    """The decoded arguments once known; while the model writes them, `args_text` grows instead."""
    args_text: str = ""
    status: ToolStatus = "writing"
    content: tuple[TextPart | ImagePart | FilePart, ...] = ()
    error: str | None = None
    duration: float | None = None
    approval_wait: float = 0.0
    started: float | None = None


@dataclass
class TurnView:
    """One model request: its reasoning, its text and the tool calls it asked for."""

    number: int
    reasoning: str = ""
    text: str = ""
    tools: list[ToolView] = field(default_factory=list)
    usage: Usage | None = None
    finished: bool = False


@dataclass
class RunView:
    """What a person sees of one run; advanced by `apply(event)` or rebuilt by `from_messages`."""

    prompt: str | None = None
    images: list[Image] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    model: str | None = None
    dialect: str | None = None
    turns: list[TurnView] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    output: Any = None
    output_partial: Any = None
    """The structured answer as it streams (parsed JSON so far), before the typed value is known."""
    sources: dict[str, str] = field(default_factory=dict)
    """Tool name -> where the tool lives (an MCP server), shown beside the name on its card."""
    notice: str | None = None
    """A passing note for the footer (a retry after a relay error)."""
    status: RunStatus = "running"
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    elapsed: float | None = None
    pricing: Pricing | None = None
    """The relay's prices, to show the cost while the run goes (a finished run brings its own)."""
    spend: Spend = field(default_factory=Spend)

    @property
    def cost(self) -> Cost | None:
        """The run's cost so far (None before the first answer, or when the model has no price)."""
        return self.spend.cost if self.spend.requests else None

    # -- events ---------------------------------------------------------------------------------

    @property
    def turn(self) -> TurnView:
        if not self.turns:
            self.turns.append(TurnView(1))
        return self.turns[-1]

    def apply(self, event: object) -> set[str]:
        """Advance by one event; return the names of the sections that changed.

        Section names: "user", "reasoning:<turn>", "text:<turn>", "tools:<turn>", "tool:<turn>:<i>",
        "output", "footer". Unknown event types change nothing (forward compatible).
        """
        if isinstance(event, TextDelta):
            self.turn.text += event.text
            return {f"text:{self.turn.number}"}
        if isinstance(event, ReasoningDelta):
            self.turn.reasoning += event.text
            return {f"reasoning:{self.turn.number}"}
        if isinstance(event, ToolCallDelta):
            return self._tool_delta(event)
        if isinstance(event, TurnStarted):
            self.model = event.model
            self.dialect = event.dialect
            if not self.turns or self.turns[-1].number != event.turn:
                self.turns.append(TurnView(event.turn))
            return {"footer", f"turn:{event.turn}"}
        if isinstance(event, TurnFinished):
            return self._turn_finished(event)
        if isinstance(event, ToolCallStarted):
            tool = self._tool_for(event.call)
            if tool.status != "waiting":  # an approval request may have overtaken this event
                tool.status = "running"
            tool.started = time.perf_counter()
            return {f"tool:{self.turn.number}:{tool.index}", f"tools:{self.turn.number}"}
        if isinstance(event, ToolCallFinished):
            tool = self._tool_for(event.call)
            tool.status = "error" if event.result.is_error else "ok"
            tool.content = tuple(event.result.content)
            tool.error = event.result.text if event.result.is_error else None
            tool.duration = event.duration
            tool.approval_wait = event.approval_wait
            return {f"tool:{self.turn.number}:{tool.index}", f"tools:{self.turn.number}"}
        if isinstance(event, RunFinished):
            return self.finish(event.reply)
        kind = type(event).__name__
        if kind == "OutputDelta":  # the structured answer so far (JSON parsed as it streams)
            self.output_partial = getattr(event, "partial", None)
            return {"output", f"text:{self.turn.number}"}
        if kind == "Retrying":
            attempt, delay = getattr(event, "attempt", 1), getattr(event, "delay", 0.0)
            error = getattr(event, "error", None)
            self.notice = f"retry {attempt} in {_seconds(float(delay))}" + (f": {error}" if error else "")
            return {"footer"}
        return set()

    def _tool_delta(self, event: ToolCallDelta) -> set[str]:
        turn = self.turn
        tool = next((t for t in turn.tools if t.index == event.index), None)
        if tool is None:
            tool = ToolView(event.id, event.name or "…", index=event.index)
            turn.tools.append(tool)
            turn.tools.sort(key=lambda t: t.index)
        if event.id and not tool.id:
            tool.id = event.id
        if event.name and tool.name == "…":
            tool.name = event.name
        tool.args_text += event.arguments
        return {f"tool:{turn.number}:{tool.index}", f"tools:{turn.number}"}

    def _tool_for(self, call: ToolCallPart) -> ToolView:
        turn = self.turn
        for tool in turn.tools:
            if tool.id == call.id:
                break
        else:
            tool = next((t for t in turn.tools if t.id is None and t.name == call.name), None)  # type: ignore[assignment]
            if tool is None:
                tool = ToolView(call.id, call.name, index=len(turn.tools))
                turn.tools.append(tool)
        tool.id = call.id
        tool.name = call.name
        tool.arguments = call.arguments
        if tool.status == "writing":
            tool.status = "running"
        return tool

    def _turn_finished(self, event: TurnFinished) -> set[str]:
        turn = self.turn
        n = turn.number
        message = event.message
        changed = {"footer", f"text:{n}", f"reasoning:{n}", f"tools:{n}"}
        # Non-streaming runs have no deltas: take the text and reasoning from the message.
        if message.text and not turn.text:
            turn.text = message.text
        reasoning = "".join(p.text for p in message.parts if isinstance(p, ReasoningPart))
        if reasoning and not turn.reasoning:
            turn.reasoning = reasoning
        for i, call in enumerate(message.tool_calls):
            existing = next((t for t in turn.tools if t.id == call.id), None)
            if existing is None and i < len(turn.tools) and turn.tools[i].id in (None, call.id):
                existing = turn.tools[i]
            if existing is None:
                existing = ToolView(call.id, call.name, index=len(turn.tools))
                turn.tools.append(existing)
            existing.id, existing.name, existing.arguments = call.id, call.name, call.arguments
            if existing.status == "writing":
                existing.status = "running"
            changed.add(f"tool:{n}:{existing.index}")
        turn.usage = event.usage
        turn.finished = True
        self.notice = None
        self.usage = self.usage + event.usage
        if self.pricing is not None and self.model:  # `TurnStarted` gave the name sent on the wire
            self.spend.add(self.pricing, self.model, event.usage)
        return changed

    def finish(self, reply: Reply) -> set[str]:
        """The run ended with `reply`: take its totals and output."""
        self.status = "done"
        self.usage = reply.usage
        self.spend = reply.spend
        self.model = reply.model or self.model
        self.dialect = reply.dialect or self.dialect
        self.elapsed = reply.elapsed or (time.perf_counter() - self.started)
        if reply.output is not None:
            self.output = reply.output
        changed = {"footer", "output"}
        if self.turns:
            changed.add(f"text:{self.turns[-1].number}")
        return changed

    def fail(self, error: BaseException) -> set[str]:
        """The run raised `error`: say so (the exception itself still reaches the caller).

        Ctrl-C (KeyboardInterrupt) and a cancelled task are not failures: the run is "interrupted",
        with no error box. Either way the caret stops (every turn's text is redrawn).
        """
        self.elapsed = time.perf_counter() - self.started
        interrupted = isinstance(error, (KeyboardInterrupt, asyncio.CancelledError))
        if interrupted:
            self.status = "interrupted"
            why = "The run was interrupted before this call finished."
        else:
            self.status = "error"
            self.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            why = "The run stopped before this call finished."
        for turn in self.turns:
            for tool in turn.tools:
                if tool.status in ("writing", "running", "waiting"):
                    tool.status = "error"
                    tool.error = tool.error or why
        return {"footer", *(f"text:{t.number}" for t in self.turns),
                *(f"tool:{t.number}:{x.index}" for t in self.turns for x in t.tools)}

    @property
    def turn_count(self) -> int:
        return len(self.turns)

    def output_is_text(self, turn: TurnView) -> bool:
        """Whether this turn's text is the structured output (then the output view shows it instead)."""
        if turn is not self.turns[-1] or (self.output is None and self.output_partial is None):
            return False
        return _looks_like_json(turn.text)

    # -- finished runs --------------------------------------------------------------------------

    @classmethod
    def from_messages(cls, messages: Sequence[Message], *, reply: Reply | None = None) -> RunView:
        """Rebuild the view of a finished run (or of a whole history) from its messages."""
        view = cls(status="done")
        durations = {c.id: c.duration for c in reply.tool_calls} if reply is not None else {}
        results: dict[str, ToolResultPart] = {
            p.call_id: p for m in messages if m.role == "tool" for p in m.parts if isinstance(p, ToolResultPart)
        }
        number = 0
        for message in messages:
            if message.role == "user" and view.prompt is None and number == 0:
                view.prompt = message.text
                view.images = [p.image for p in message.parts if isinstance(p, ImagePart)]
                view.files = [p.file for p in message.parts if isinstance(p, FilePart)]
            elif message.role == "assistant":
                number += 1
                turn = TurnView(number, finished=True, usage=message.usage)
                turn.text = message.text
                turn.reasoning = "".join(p.text for p in message.parts if isinstance(p, ReasoningPart))
                for i, call in enumerate(message.tool_calls):
                    result = results.get(call.id)
                    tool = ToolView(call.id, call.name, index=i, arguments=call.arguments,
                                    status="ok", duration=durations.get(call.id))
                    if result is not None:
                        tool.content = tuple(result.content)
                        if result.is_error:
                            tool.status, tool.error = "error", result.text
                    turn.tools.append(tool)
                view.turns.append(turn)
                view.model = message.model or view.model
                view.dialect = message.dialect or view.dialect
                if message.usage is not None:
                    view.usage = view.usage + message.usage
        if reply is not None:
            view.finish(reply)
        return view


def _looks_like_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return stripped.endswith(("}", "]")) is False  # still streaming
    return True


# ---------------------------------------------------------------------------------------------- pieces


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # "html": False escapes raw HTML a model writes; links pass markdown-it's validateLink
    # (javascript:, vbscript:, file: and non-image data: URLs are refused).
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "highlight": _highlight})
    return md.enable(["table", "strikethrough"])


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Colour fenced code with Pygments when it is there (inline styles: no stylesheet needed)."""
    if not lang:
        return ""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:  # pragma: no cover - pygments comes with IPython
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    out: str = highlight(code, lexer, HtmlFormatter(nowrap=True, noclasses=True, style="friendly"))
    return out


def markdown_html(text: str) -> str:
    """Model text (Markdown) as safe HTML."""
    out: str = _markdown().render(text)
    return out


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(text: str, limit: int = _MAX_JSON_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"


def to_jsonable(value: Any) -> Any:
    """A JSON-able view of a value: pydantic models, dataclasses, enums, sets... (for display only)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except Exception:  # display must not fail on an odd model
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    return str(value)


def json_html(value: Any, *, indent: int = 2) -> str:
    """Pretty JSON with coloured keys, strings, numbers, booleans and nulls (`<pre class="ak-json">`)."""
    return f'<pre class="ak-json">{_short_markup(_json_tokens(to_jsonable(value), indent, 0))}</pre>'


def _short_markup(markup: str) -> str:
    return markup if len(markup) <= 4 * _MAX_JSON_CHARS else markup[: 4 * _MAX_JSON_CHARS] + "…"


def _json_tokens(value: Any, indent: int, level: int) -> str:
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            return '<span class="ak-p">{}</span>'
        if all(not isinstance(v, (dict, list)) for v in value.values()) and len(json.dumps(value)) <= 40:
            inner = '<span class="ak-p">, </span>'.join(
                f'<span class="ak-k">{esc(json.dumps(k, ensure_ascii=False))}</span><span class="ak-p">: </span>'
                f"{_json_tokens(v, indent, level + 1)}"
                for k, v in value.items()
            )
            return f'<span class="ak-p">{{</span>{inner}<span class="ak-p">}}</span>'
        items = [
            f'{pad}<span class="ak-k">{esc(json.dumps(k, ensure_ascii=False))}</span><span class="ak-p">: </span>'
            f"{_json_tokens(v, indent, level + 1)}"
            for k, v in value.items()
        ]
        return '<span class="ak-p">{</span>\n' + ',\n'.join(items) + f'\n{end}<span class="ak-p">}}</span>'
    if isinstance(value, list):
        if not value:
            return '<span class="ak-p">[]</span>'
        if all(not isinstance(v, (dict, list)) for v in value) and len(json.dumps(value)) <= 60:
            inner = '<span class="ak-p">, </span>'.join(_json_tokens(v, indent, level + 1) for v in value)
            return f'<span class="ak-p">[</span>{inner}<span class="ak-p">]</span>'
        items = [f"{pad}{_json_tokens(v, indent, level + 1)}" for v in value]
        return '<span class="ak-p">[</span>\n' + ',\n'.join(items) + f'\n{end}<span class="ak-p">]</span>'
    if isinstance(value, bool):
        return f'<span class="ak-b">{"true" if value else "false"}</span>'
    if value is None:
        return '<span class="ak-z">null</span>'
    if isinstance(value, (int, float)):
        text = json.dumps(value) if math.isfinite(value) else str(value)
        return f'<span class="ak-n">{text}</span>'
    return f'<span class="ak-s">{esc(json.dumps(_short(str(value), 2000), ensure_ascii=False))}</span>'


def _thumbnail(image: Image) -> tuple[str, str]:
    """(src, caption) for an image thumbnail; downscaled with Pillow when it is installed."""
    if image.url is not None:
        return image.url, "remote image"
    data = image.data or b""
    size = f"{image.width}×{image.height}" if image.width and image.height else ""  # noqa: RUF001
    try:
        import io

        from PIL import Image as PILImage
    except ImportError:
        return image.data_url, " · ".join(x for x in (image.mime_type.split("/")[-1].upper(), size) if x)
    try:
        with PILImage.open(io.BytesIO(data)) as pil:
            width, height = pil.size
            size = f"{width}×{height}"  # noqa: RUF001
            kind = (pil.format or image.mime_type.split("/")[-1]).upper()
            if max(width, height) <= THUMBNAIL_PX and len(data) <= 200_000:
                return image.data_url, f"{kind} · {size}"
            pil.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            if pil.mode in ("RGBA", "LA", "P"):
                pil.save(out, format="PNG", optimize=True)
                mime = "image/png"
            else:
                pil.convert("RGB").save(out, format="JPEG", quality=82)
                mime = "image/jpeg"
    except Exception:  # not an image Pillow can read: show the bytes as they are
        return image.data_url, image.mime_type
    import base64

    return f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode('ascii')}", f"{kind} · {size}"


def image_html(image: Image, *, caption: bool = True) -> str:
    """An image thumbnail (with its format and pixel size underneath)."""
    src, text = _thumbnail(image)
    label = f"<span>{esc(text)}</span>" if caption and text else ""
    return f'<figure class="ak-thumb" style="margin:0"><img src="{esc(src)}" alt="{esc(text or "image")}" loading="lazy">{label}</figure>'


def _images_html(images: Iterable[Image]) -> str:
    items = "".join(image_html(i) for i in images)
    return f'<div class="ak-thumbs">{items}</div>' if items else ""


def file_summary(file: File) -> str:
    """What a file chip says after the name: its kind, pages (PDFs, when cheap to count) and size."""
    mime = file.mime_type or ""
    kind = ({"application/pdf": "PDF", "text/plain": "TEXT"}.get(mime) or AUDIO_FORMATS.get(mime, "").upper()
            or mime.split("/")[-1].removeprefix("x-").upper())
    bits = [kind]
    if file.pages:
        bits.append(f"{file.pages} page{'s' if file.pages != 1 else ''}")
    bits.append("link" if file.size is None else _bytes(file.size))
    return " · ".join(bits)


def _bytes(size: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def file_html(file: File) -> str:
    """A file chip: its name, kind, page count and size (the content itself is never put in the page)."""
    icon = "🎵" if (file.mime_type or "").startswith("audio/") else "📄"
    where = f" — {file.url}" if file.url is not None else ""
    return (
        f'<span class="ak-file" title="{esc(f"{file.filename} ({file.mime_type}){where}")}">{icon} '
        f"<b>{esc(file.filename)}</b> {esc(file_summary(file))}</span>"
    )


def _files_html(files: Iterable[File]) -> str:
    items = "".join(file_html(f) for f in files)
    return f'<div class="ak-thumbs">{items}</div>' if items else ""


def user_html(view: RunView) -> str:
    """The prompt bubble (with the user's images as thumbnails and files as chips)."""
    if not view.prompt and not view.images and not view.files:
        return ""
    text = f"<div>{esc(view.prompt)}</div>" if view.prompt else ""
    return (
        '<div class="ak-user"><span class="ak-avatar" title="You">You</span>'
        f'<div class="ak-bubble">{text}{_images_html(view.images)}{_files_html(view.files)}</div></div>'
    )


_COPY_LIMIT = 1_000_000
"""Texts longer than this get no copy button (the page would carry them twice)."""
_COPY_JS = (
    "var b=this,t=b.getAttribute('data-copy'),done=function(w){b.textContent=w;"
    "setTimeout(function(){b.textContent='Copy'},1500)},"
    "old=function(){var a=document.createElement('textarea');a.value=t;a.style.position='fixed';a.style.opacity='0';"
    "document.body.appendChild(a);a.select();var ok=false;try{ok=document.execCommand('copy')}catch(e){}a.remove();"
    "done(ok?'Copied':'Select it to copy')};"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(function(){done('Copied')},old)}"
    "else{old()}event.stopPropagation();event.preventDefault();"
)


def copy_html(text: str, what: str) -> str:
    """A "Copy" button that puts `text` (the real text: Markdown source, full JSON) on the clipboard.

    Why inline `onclick` and `hidden`: notebooks run no `<script>` in widget values (set as
    innerHTML) or in untrusted outputs, but a trusted output and an ipywidgets `HTML` value keep
    attribute handlers; so the button carries its own handler and its text. It uses the Clipboard
    API where the page is a secure context (localhost, https) and `execCommand("copy")` elsewhere.
    Where the handler cannot run (a notebook opened untrusted: JupyterLab's sanitizer drops the
    `onclick` and the `<style>`), the button keeps its `hidden="hidden"` attribute (a bare `hidden` is
    dropped as empty), which only agentkit's stylesheet overrides, so no dead button shows there; the
    text itself stays selectable.
    """
    if not text or len(text) > _COPY_LIMIT:
        return ""
    return (
        f'<button type="button" class="ak-copy" hidden="hidden" title="Copy {esc(what)}" data-copy="{esc(text)}" '
        f'onclick="{esc(_COPY_JS)}">Copy</button>'
    )


def _copy_json(value: Any, what: str) -> str:
    return copy_html(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False), what)


def turn_text_html(view: RunView, turn: TurnView) -> str:
    """The turn's answer text (Markdown), with a blinking caret while it streams."""
    if not turn.text:
        return ""
    if view.output_is_text(turn):
        return ""  # the structured output view shows it
    if turn.text.lstrip().startswith(("{", "[")):
        body = f'<pre class="ak-json">{esc(_short(turn.text))}</pre>'
    else:
        body = markdown_html(turn.text)
    streaming = view.status == "running" and not turn.finished
    caret = '<span class="ak-caret"></span>' if streaming else ""
    if caret:
        body = _insert_caret(body, caret)
    copy = "" if streaming else copy_html(turn.text, "the answer")  # not resent with every streamed delta
    return (
        f'<div class="ak-answer" style="{_dialect_style(view)}"><span class="ak-avatar ak-bot" title="{esc(view.model or "")}">AI</span>'
        f'<div class="ak-md">{body}</div>{copy}</div>'
    )


def _insert_caret(body: str, caret: str) -> str:
    """Put the caret at the end of the last block (inside its closing tag) so it follows the text."""
    stripped = body.rstrip()
    for closing in ("</p>", "</li>\n</ul>", "</li>\n</ol>", "</code></pre>"):
        if stripped.endswith(closing):
            return stripped[: -len(closing)] + caret + closing
    return stripped + caret


def reasoning_html(turn: TurnView, *, open_: bool = False) -> str:
    """Reasoning in a collapsed `<details>` (static renders; the live view uses an Accordion)."""
    if not turn.reasoning:
        return ""
    words = len(turn.reasoning.split())
    return (
        f'<details class="ak-reasoning"{" open" if open_ else ""}><summary>Reasoning · {words} words</summary>'
        f'<div class="ak-reasoning-text">{esc(turn.reasoning)}</div></details>'
    )


def reasoning_title(turn: TurnView, running: bool) -> str:
    words = len(turn.reasoning.split())
    return f"{'Thinking…' if running else 'Reasoning'} · {words} words"


def _state_html(tool: ToolView) -> str:
    if tool.status in ("writing", "running"):
        label = "writing arguments…" if tool.status == "writing" else "running…"
        return f'<span class="ak-tool-state">{label}</span><span class="ak-spinner" title="{label}"></span>'
    if tool.status == "waiting":
        return '<span class="ak-tool-state">awaiting approval</span><span class="ak-icon ak-wait">?</span>'
    duration = f"{_seconds(tool.duration)}" if tool.duration is not None else ""
    if tool.approval_wait:
        duration += f" · approval {_seconds(tool.approval_wait)}"
    icon = '<span class="ak-icon ak-ok">✓</span>' if tool.status == "ok" else '<span class="ak-icon ak-err">✕</span>'
    return f'<span class="ak-tool-state">{duration}</span>{icon}'


def _seconds(value: float) -> str:
    if value < 0.001:
        return "<1 ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.2f} s"
    return f"{int(value // 60)} min {value % 60:.0f} s"


def _parsed(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


_PREVIEW_LINES = 12
"""A tool result longer than this many lines shows its first lines and folds the rest (`<details>`)."""


def _expandable(pre: str) -> str:
    """A long `<pre class="ak-json">` as its first lines plus the rest folded, with the line count.

    Pure HTML (`<details>`), so it works in the live view, the static form and sanitized outputs.
    Lines split at newlines, which in `json_html` fall between tokens and never inside a tag.
    """
    opening, close = '<pre class="ak-json">', "</pre>"
    if not (pre.startswith(opening) and pre.endswith(close)):
        return pre
    lines = pre[len(opening):-len(close)].split("\n")
    if len(lines) <= _PREVIEW_LINES + 2:  # folding two lines away is not worth a click
        return pre
    head, rest = "\n".join(lines[:_PREVIEW_LINES]), "\n".join(lines[_PREVIEW_LINES:])
    return (
        f'<details class="ak-long"><summary><span class="ak-more">{len(lines)} lines · '
        f'<span class="ak-show">show all</span><span class="ak-fold">fold</span></span>'
        f'<pre class="ak-json ak-head">{head}</pre></summary><pre class="ak-json ak-rest">{rest}</pre></details>'
    )


def tool_html(tool: ToolView, source: str | None = None) -> str:
    """One tool-call card: name (and `source`, the MCP server it ran on), arguments (pretty JSON), then
    the result or the error, and timing."""
    copy = ""
    if tool.arguments is not None:
        args = json_html(tool.arguments) if isinstance(tool.arguments, dict) else f'<pre class="ak-json">{esc(_short(tool.arguments))}</pre>'
        copy = _copy_json(tool.arguments, "the arguments") if isinstance(tool.arguments, dict) else copy_html(
            str(tool.arguments), "the arguments")
    elif tool.args_text:
        ok, value = _parsed(tool.args_text)
        args = json_html(value) if ok else f'<pre class="ak-json">{esc(_short(tool.args_text))}</pre>'
    else:
        args = '<pre class="ak-json"><span class="ak-p">{}</span></pre>' if tool.status != "writing" else ""
    body = [f'<div class="ak-label">Arguments{copy}</div>{args}'] if args else []
    if tool.status == "error" and tool.error is not None:
        body.append(f'<div class="ak-label">Error</div><div class="ak-error-box">{esc(_short(tool.error))}</div>')
    elif tool.status == "ok":
        texts = "".join(p.text for p in tool.content if isinstance(p, TextPart))
        images = [p.image for p in tool.content if isinstance(p, ImagePart)]
        files = [p.file for p in tool.content if isinstance(p, FilePart)]
        parts = []
        copy = ""
        if texts:
            ok, value = _parsed(texts)
            structured = ok and isinstance(value, (dict, list))
            parts.append(_expandable(json_html(value) if structured else f'<pre class="ak-json">{esc(_short(texts))}</pre>'))
            copy = _copy_json(value, "the result") if structured else copy_html(texts, "the result")
        if images:
            parts.append(_images_html(images))
        if files:
            parts.append(_files_html(files))
        if not parts:
            parts.append('<pre class="ak-json"><span class="ak-z">(empty)</span></pre>')
        body.append(f'<div class="ak-label">Result{copy}</div>' + "".join(parts))
    # The card folds on a click on its head (`<details open>`: plain HTML, so also in static and sanitized forms).
    return (
        f'<div class="ak-tool ak-{tool.status}" data-tool="{esc(tool.name)}" data-status="{tool.status}">'
        f'<details class="ak-tool-fold" open><summary class="ak-tool-head" title="Fold or unfold this call">'
        f'<span class="ak-tool-name">{esc(tool.name)}</span>{_source_html(source)}{_state_html(tool)}</summary>'
        f'<div class="ak-tool-body">{"".join(body)}</div></details></div>'
    )


def _source_html(source: str | None) -> str:
    return f'<span class="ak-tool-source" title="MCP server">· {esc(source)}</span>' if source else ""


def tools_head_html(turn: TurnView) -> str:
    n = len(turn.tools)
    if not n:
        return ""
    running = sum(t.status in ("writing", "running", "waiting") for t in turn.tools)
    what = f"{n} tool call{'s' if n != 1 else ''}" + (" in parallel" if n > 1 else "")
    state = f" · {running} running" if running else ""
    return f'<div class="ak-tools-head">{what}{state}</div>'


def _output_name(value: Any) -> str:
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _cell_html(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        return _kv_html(value, depth + 1) if depth < 4 else json_html(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value) and depth < 4:
            return _grid_html(value, depth + 1)
        if all(not isinstance(v, (dict, list)) for v in value):
            if len(value) <= 12 and sum(len(str(v)) for v in value) < 120:
                return ", ".join(_scalar_html(v) for v in value) or '<span class="ak-z">(empty)</span>'
            return '<ol class="ak-list">' + "".join(f"<li>{_scalar_html(v)}</li>" for v in value) + "</ol>"
        return json_html(value)
    return _scalar_html(value)


def _scalar_html(value: Any) -> str:
    if isinstance(value, bool):
        return f'<span class="ak-b">{"true" if value else "false"}</span>'
    if value is None:
        return '<span class="ak-z">null</span>'
    if isinstance(value, (int, float)):
        return f'<span class="ak-n">{esc(value)}</span>'
    return esc(_short(str(value), 2000))


def _kv_html(value: dict[str, Any], depth: int) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{_cell_html(v, depth)}</td></tr>" for k, v in value.items())
    return f'<table class="ak-kv"><tbody>{rows}</tbody></table>'


def _grid_html(rows: list[dict[str, Any]], depth: int) -> str:
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    body = []
    for row in rows[:200]:
        cells = []
        for k in keys:
            v = row.get(k)
            num = ' class="ak-num"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
            cells.append(f"<td{num}>{_cell_html(v, depth) if k in row else ''}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<div class="ak-label">{len(rows) - 200} more rows</div>' if len(rows) > 200 else ""
    return f'<table class="ak-grid"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}'


def output_html(value: Any, *, partial: Any = None) -> str:
    """Structured output as a readable table (objects as key/value rows, lists of objects as a grid)
    with the JSON underneath; while it streams, the fields written so far."""
    if value is None:
        if partial is None:
            return ""
        data = to_jsonable(partial)
        table = _cell_html(data, 0) if isinstance(data, (dict, list)) else _scalar_html(data)
        return (
            '<div class="ak-output ak-streaming"><div class="ak-output-head">Structured output '
            f'<span class="ak-spinner"></span></div><div class="ak-output-body">{table}</div></div>'
        )
    data = to_jsonable(value)
    table = _cell_html(data, 0) if isinstance(data, (dict, list)) else _scalar_html(data)
    return (
        f'<div class="ak-output" data-output-type="{esc(_output_name(value))}"><div class="ak-output-head">Structured output '
        f'<span class="ak-output-type">{esc(_output_name(value))}</span>{_copy_json(data, "the output as JSON")}</div>'
        f'<div class="ak-output-body">{table}'
        f"<details><summary>JSON</summary>{json_html(data)}</details></div></div>"
    )


def _dialect_style(view: RunView) -> str:
    return f"--ak-dialect:{DIALECT_COLORS.get(view.dialect or '', '#8250df')}"


def footer_html(view: RunView) -> str:
    """Model, dialect, turns, tokens, elapsed time, and the run's state."""
    chips = []
    if view.model:
        chips.append(f'<span class="ak-chip"><span class="ak-dot"></span><b>{esc(view.model)}</b></span>')
    if view.dialect:
        chips.append(f'<span class="ak-chip">{esc(view.dialect)}</span>')
    turns = view.turn_count
    chips.append(f'<span class="ak-chip">{turns} turn{"s" if turns != 1 else ""}</span>')
    u = view.usage
    tokens = f"<b>{u.input_tokens:,}</b> in · <b>{u.output_tokens:,}</b> out"
    if u.reasoning_tokens:
        tokens += f" · {u.reasoning_tokens:,} reasoning"
    if u.cached_tokens:
        tokens += f" · {u.cached_tokens:,} cached"
    chips.append(f'<span class="ak-chip" title="tokens">{tokens}</span>')
    cost = view.cost
    if cost is not None:
        chips.append(f'<span class="ak-chip ak-cost" title="cost in {esc(cost.currency)}"><b>{esc(cost)}</b></span>')
    elapsed = view.elapsed if view.elapsed is not None else time.perf_counter() - view.started
    chips.append(f'<span class="ak-chip" title="elapsed">{_seconds(elapsed)}</span>')
    if view.notice and view.status == "running":
        chips.append(f'<span class="ak-chip" style="color:var(--ak-warn)">{esc(_short(view.notice, 160))}</span>')
    if view.status == "running":
        status = '<span class="ak-status"><span class="ak-spinner"></span>running</span>'
    elif view.status == "done":
        status = '<span class="ak-status ak-ok">✓ done</span>'
    elif view.status == "interrupted":
        status = '<span class="ak-status ak-interrupted">■ interrupted</span>'
    else:
        status = '<span class="ak-status ak-err">✕ failed</span>'
    return f'<div class="ak-footer" style="{_dialect_style(view)}">{"".join(chips)}{status}</div>'


def error_html(view: RunView) -> str:
    if view.error is None:
        return ""
    return f'<div class="ak-run-error"><div class="ak-error-box">{esc(view.error)}</div></div>'


def style_tag() -> str:
    return f"<style>{CSS}</style>"


def _section(name: str, markup: str) -> str:
    """`markup` in the box the live view puts it in (`ak-<name>-view`), so live and static share selectors."""
    return f'<div class="ak-{name}-view">{markup}</div>' if markup else ""


def run_html(view: RunView, *, style: bool = True, footer: bool = True, live: bool = False) -> str:
    """The whole run as one static HTML fragment (reasoning in `<details>`).

    Each section sits in a box with the class the live view gives its widget (`ak-user-view`,
    `ak-text-view`, `ak-tools-view`, `ak-footer-view`, ...), so one set of CSS and selectors fits
    both. `live=True` marks the finished form of a live view (class `ak-live`): what its cell keeps
    once the run ends, shown by every front end with no widget state (see `agentkit.display.widget`).
    """
    parts = [_section("user", user_html(view))]
    for turn in view.turns:
        tools = ""
        if turn.tools:
            cards = "".join(f'<div class="ak-card-view">{tool_html(t, view.sources.get(t.name))}</div>' for t in turn.tools)
            tools = tools_head_html(turn) + f'<div class="ak-tools ak-tools-view">{cards}</div>'
        turn_parts = [_section("reasoning", reasoning_html(turn)), _section("text", turn_text_html(view, turn)), tools]
        parts.append('<div class="ak-turn">' + "".join(turn_parts) + "</div>")
    parts.append(_section("output", output_html(view.output, partial=view.output_partial)))
    parts.append(_section("error", error_html(view)))
    if footer:
        parts.append(_section("footer", footer_html(view)))
    body = "".join(p for p in parts if p)
    classes = "ak ak-run ak-live ak-final" if live else "ak ak-run"
    return f'{style_tag() if style else ""}<div class="{classes}" style="{_dialect_style(view)}">{body}</div>'


# ---------------------------------------------------------------------------------------------- text forms


def _fence(value: Any) -> str:
    return "```json\n" + json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n```"


def _tool_markdown(tool: ToolView) -> str:
    args = tool.arguments if tool.arguments is not None else tool.args_text
    took = f" ({_seconds(tool.duration)})" if tool.duration is not None else ""
    mark = "✗" if tool.status == "error" else "✓" if tool.status == "ok" else "…"
    lines = [f"**{mark} `{tool.name}`**{took}", "", _fence(args)]
    if tool.status == "error" and tool.error:
        lines += ["", f"Error: {tool.error}"]
    elif tool.status == "ok":
        texts = "".join(p.text for p in tool.content if isinstance(p, TextPart))
        images = [p.image for p in tool.content if isinstance(p, ImagePart)]
        if texts:
            ok, value = _parsed(texts)
            lines += ["", "Result:", "", _fence(value) if ok and isinstance(value, (dict, list)) else f"> {texts}"]
        if images:
            lines += ["", f"Result: {len(images)} image(s): " + ", ".join(repr(i) for i in images)]
        files = [p.file for p in tool.content if isinstance(p, FilePart)]
        if files:
            lines += ["", "Result: " + ", ".join(f"{f.filename} ({file_summary(f)})" for f in files)]
    return "\n".join(lines)


def _footer_text(view: RunView) -> str:
    u = view.usage
    bits = [b for b in (view.model, view.dialect) if b]
    bits.append(f"{view.turn_count} turn{'s' if view.turn_count != 1 else ''}")
    cached = f" ({u.cached_tokens:,} cached)" if u.cached_tokens else ""
    bits.append(f"{u.input_tokens:,} in{cached} / {u.output_tokens:,} out tokens")
    cost = view.cost
    if cost is not None:
        bits.append(f"{cost} {cost.currency}")
    if view.elapsed is not None:
        bits.append(_seconds(view.elapsed))
    return " · ".join(bits)


def run_markdown(view: RunView) -> str:
    """The run as Markdown (for front ends that prefer it over HTML)."""
    out: list[str] = []
    if view.prompt:
        out.append("> **You:** " + view.prompt.replace("\n", "\n> "))
    if view.images:
        out.append(f"> *{len(view.images)} image(s) attached*")
    if view.files:
        out.append("> *Attached: " + ", ".join(f"{f.filename} ({file_summary(f)})" for f in view.files) + "*")
    for turn in view.turns:
        if turn.reasoning:
            out.append(f"<details><summary>Reasoning</summary>\n\n{turn.reasoning}\n\n</details>")
        if turn.text and not view.output_is_text(turn):
            out.append(turn.text)
        out.extend(_tool_markdown(t) for t in turn.tools)
    if view.output is not None:
        out.append(f"**Structured output** (`{_output_name(view.output)}`)\n\n{_fence(view.output)}")
    if view.error:
        out.append(f"**Error:** {view.error}")
    out.append(f"*{_footer_text(view)}*")
    return "\n\n".join(out)


def run_text(view: RunView) -> str:
    """The run as plain text (consoles): the answer, tool calls in one line each, and the footer."""
    out: list[str] = []
    for turn in view.turns:
        for tool in turn.tools:
            args = tool.arguments if tool.arguments is not None else tool.args_text
            args_text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            state = f"error: {tool.error}" if tool.status == "error" else "ok"
            out.append(f"  ↳ {tool.name}({_short(args_text, 200)}) {state}")
    last = view.turns[-1] if view.turns else None
    if view.output is not None:
        out.append(json.dumps(to_jsonable(view.output), indent=2, ensure_ascii=False))
    elif last is not None and last.text:
        out.append(last.text)
    if view.error:
        out.append(f"Error: {view.error}")
    out.append(f"[{_footer_text(view)}]")
    return "\n".join(out)


def reply_bundle(reply: Reply) -> dict[str, str]:
    """The mimebundle of a finished run: HTML, Markdown and plain text."""
    view = RunView.from_messages(reply.messages, reply=reply)
    return {"text/html": run_html(view), "text/markdown": run_markdown(view), "text/plain": run_text(view)}


# ---------------------------------------------------------------------------------------------- history


class Transcript:
    """A whole conversation, rendered like a sequence of runs (one per user prompt).

    `ak.display.transcript(agent.history)` or `agent` itself in a notebook cell shows it.
    """

    def __init__(self, history: Sequence[Message], *, title: str | None = None) -> None:
        self.history = list(history)
        self.title = title

    def runs(self) -> list[RunView]:
        """Split the history at each user prompt (tool-result messages belong to the run before)."""
        runs: list[list[Message]] = []
        for message in self.history:
            if message.role == "system":
                continue
            if message.role == "user" or not runs:
                runs.append([])
            runs[-1].append(message)
        return [RunView.from_messages(chunk) for chunk in runs]

    def _system(self) -> str | None:
        first = self.history[0] if self.history else None
        return first.text if first is not None and first.role == "system" else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        runs = self.runs()
        head = f'<div class="ak-history-head">{self.title}</div>' if self.title else ""
        system = self._system()
        if system:
            head += f'<div class="ak-history-head"><span class="ak-chip">system</span> {esc(_short(system, 300))}</div>'
        bodies = "".join(run_html(r, style=False, footer=False) for r in runs) or (
            '<div class="ak-history-head">No messages yet.</div>'
        )
        html_ = f'{style_tag()}<div class="ak ak-run">{head}{bodies}</div>'
        markdown = "\n\n---\n\n".join(run_markdown(r).rsplit("\n\n", 1)[0] for r in runs) or "*No messages yet.*"
        plain = "\n\n".join(f"{m.role}: {m.text}" + (f" [{len(m.tool_calls)} tool call(s)]" if m.tool_calls else "")
                            for m in self.history) or "(no messages)"
        return {"text/html": html_, "text/markdown": markdown, "text/plain": plain}

    def __repr__(self) -> str:
        return f"Transcript({len(self.history)} messages)"


def agent_bundle(agent: Any) -> dict[str, str]:
    """An agent in a notebook: its model, dialect, tools and system prompt, then the conversation."""
    model, tools, history = agent.model, list(agent.tools), list(agent.history)
    try:
        dialect = agent.dialect
    except Exception:  # a display must not fail on a half-configured agent
        dialect = ""
    color = DIALECT_COLORS.get(dialect, "#8250df")
    chips = [f'<span class="ak-chip"><span class="ak-dot"></span><b>{esc(model)}</b></span>']
    if dialect:
        chips.append(f'<span class="ak-chip">{esc(dialect)}</span>')
    chips.append(f'<span class="ak-chip">{len(history)} message{"s" if len(history) != 1 else ""}</span>')
    tool_rows = "".join(
        f'<tr><th>{esc(t.name)}{_source_html(t.source)}</th><td>{esc(_short(t.description or "", 200))}</td></tr>'
        for t in tools
    )
    parts = [f'<div class="ak-footer" style="border:0;padding:0">{"".join(chips)}</div>']
    if agent.system:
        parts.append(f'<div class="ak-history-head"><span class="ak-chip">system</span> {esc(_short(agent.system, 400))}</div>')
    if tool_rows:
        parts.append(f'<div class="ak-label">Tools</div><table class="ak-kv"><tbody>{tool_rows}</tbody></table>')
    runs = Transcript(history).runs()
    if runs:
        parts.append('<div class="ak-label">Conversation</div>')
        parts.extend(run_html(r, style=False, footer=False) for r in runs)
    html_ = f'{style_tag()}<div class="ak ak-run" style="--ak-dialect:{color}">{"".join(parts)}</div>'
    md = [f"**Agent** `{model}` ({dialect}) · {len(history)} messages"]
    if tools:
        md.append("Tools: " + ", ".join(f"`{t.name}`" for t in tools))
    if runs:
        md.append(Transcript(history)._repr_mimebundle_()["text/markdown"])
    return {"text/html": html_, "text/markdown": "\n\n".join(md), "text/plain": repr(agent)}


def transcript(history: Sequence[Message] | Any, *, title: str | None = None) -> Transcript:
    """A displayable transcript of a history (or of an agent: its `.history`)."""
    messages = getattr(history, "history", history)
    return Transcript(messages, title=title)
