"""Asking the user before an `approval=True` tool runs.

In a notebook with the live view on, the tool's card shows Approve/Deny buttons and the run waits
for the click (`agentkit.display.live` sets `notebook_approver` for the run). Outside notebooks the
default asks on the terminal. Where nobody can answer (no terminal), a call is denied, and the
model is told so, rather than run unseen: a tool marked for approval is one the user wanted to see
first. Pass `approve=` to `ak.Agent` to decide in code; it wins over the buttons and the prompt.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from agentkit.messages import ToolCallPart

__all__ = ["default_approver", "notebook_approver", "terminal_approver"]

notebook_approver: ContextVar[Callable[[ToolCallPart], Awaitable[bool]] | None] = ContextVar(
    "agentkit_notebook_approver", default=None
)
"""The approver of the live view showing the current run (its buttons), if there is one."""


async def terminal_approver(call: ToolCallPart) -> bool:
    """Ask `Run tool ...? [y/N]` on the terminal (in a thread, so the event loop keeps running)."""
    arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments, ensure_ascii=False)
    question = f"Run tool `{call.name}` with {arguments}? [y/N] "
    answer = await asyncio.to_thread(input, question)
    return answer.strip().lower() in ("y", "yes")


async def _deny(call: ToolCallPart) -> bool:
    print(
        f"agentkit: denied `{call.name}` because it needs approval and there is no terminal to ask; "
        "pass `approve=` to `ak.Agent` to decide in code.",
        file=sys.stderr,
    )
    return False


def default_approver() -> Callable[[ToolCallPart], Awaitable[bool]]:
    """The live view's buttons in a notebook run, else the terminal prompt when there is one, else
    a denial that says how to approve in code."""
    buttons = notebook_approver.get()
    if buttons is not None:
        return buttons
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin closed
        interactive = False
    return terminal_approver if interactive else _deny
