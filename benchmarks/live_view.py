"""What the live view costs: per-event handling time, and how many widget updates throttling sends.

Run: `python benchmarks/live_view.py`. No kernel needed (ipywidgets without a front end); the
figures are the Python side, which is what slows a notebook's kernel.
"""

from __future__ import annotations

import time

from agentkit.display import render
from agentkit.display.render import RunView
from agentkit.display.widget import LiveView
from agentkit.events import (
    RunFinished,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart, Usage
from agentkit.reply import Reply


def stream(deltas: int, pause: float) -> tuple[float, int, float]:
    """Feed `deltas` text deltas `pause` seconds apart; return (µs per event, pushes, seconds)."""
    view = LiveView(interval=0.1)
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    start = time.perf_counter()
    spent = 0.0
    for i in range(deltas):
        t = time.perf_counter()
        view.handle(TextDelta(f"word{i} " + ("\n\n" if i % 40 == 39 else "")))
        spent += time.perf_counter() - t
        if pause:
            time.sleep(pause)
    message = Message("assistant", [TextPart(view.state.turns[0].text)])
    view.handle(TurnFinished(1, message, Usage(10, deltas)))
    view.handle(RunFinished(Reply(message.text, "gpt-4o", "openai", turns=1)))
    return spent / deltas * 1e6, view.pushes, time.perf_counter() - start


def main() -> None:
    print("live view, text deltas")
    print(f"{'deltas':>7} {'apart':>8} {'µs/event':>9} {'pushes':>7} {'seconds':>8}")
    for deltas, pause in ((2000, 0.0), (2000, 0.001), (300, 0.01)):
        per_event, pushes, seconds = stream(deltas, pause)
        print(f"{deltas:>7} {pause * 1000:>6.0f}ms {per_event:>9.1f} {pushes:>7} {seconds:>8.2f}")

    view = RunView(prompt="Weather?")
    view.apply(TurnStarted(1, "claude-sonnet-4-5", "anthropic"))
    calls = [ToolCallPart(f"c{i}", "get_weather", {"city": f"City {i}"}) for i in range(4)]
    view.apply(TurnFinished(1, Message("assistant", list(calls)), Usage(10, 10)))
    for call in calls:
        view.apply(ToolCallStarted(call))
        view.apply(ToolCallFinished(call, ToolResultPart(call.id, call.name, (TextPart('{"t": 21}'),)), 0.01))
    view.apply(TurnStarted(2, "claude-sonnet-4-5", "anthropic"))
    view.apply(TextDelta("## Answer\n\n" + "Some *markdown* text. " * 200))
    start = time.perf_counter()
    for _ in range(50):
        render.run_html(view)
    print(f"static HTML of a run with 4 tool cards and a 600-word answer: {(time.perf_counter() - start) / 50 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
